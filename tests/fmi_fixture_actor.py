"""A small actor for the FMI export/import tests: a first-order lag.

    tau dy/dt = gain*u - y,   integrated exactly for an input held over the step:
    y(t+h) = gain*u + (y(t) - gain*u) * exp(-h/tau)
"""
import math

from cryocosim import Actor, Causality, Input, Local, Output, Parameter, Variable


class FirstOrderLag(Actor):
    """First-order lag y' = (gain*u - y)/tau, exact for a held input."""

    variables = (
        Parameter("tau", "s", 5.0, "time constant", min=1e-6, tunable=True),
        Parameter("gain", "1", 1.0, "static gain"),
        Parameter("y0", "K", 300.0, "initial output"),
        Parameter("label", "1", "lag", "a free text label (string parameter)"),
        Parameter("fail_at", "s", -1.0, "raise in do_step at this time (negative: never)"),
        Input("u", "K", 300.0, "input temperature"),
        Output("y", "K", 300.0, "lagged temperature"),
        Local("dydt", "K/s", 0.0, "rate of change over the last step"),
    )
    state_attributes = ("history",)
    default_step = 0.5

    def setup(self):
        self.y = self.y0
        self.dydt = 0.0
        self.history = []  # internal state that is not a declared variable (rollback test)

    def do_step(self, t, h):
        if 0.0 <= self.fail_at <= t:
            raise RuntimeError(f"lag {self.label!r} broke on purpose")
        target = self.gain * self.u
        y_new = target + (self.y - target) * math.exp(-h / self.tau)
        self.dydt = (y_new - self.y) / h
        self.y = y_new
        self.history.append(y_new)
        # make the next step depend on the internal state too (a lost history would show)
        if len(self.history) % 7 == 0:
            self.y += 1e-3 * len(self.history)


class Mixed(Actor):
    """Variables of every FMI type and causality (Integer, Boolean, String, Real)."""

    variables = (
        Parameter("n", "1", 3, "an integer parameter", type=int, min=1, max=10, tunable=True),
        Parameter("enabled", "1", True, "a boolean parameter"),
        Parameter("fluid", "1", "helium", "a string parameter", choices=("helium", "nitrogen")),
        Variable("on", Causality.input, "1", False, "a boolean input", bool),
        Variable("count", Causality.output, "1", 0, "an integer output", int),
        Variable("running", Causality.output, "1", False, "a boolean output", bool),
        Variable("steps", Causality.local, "1", 0, "an integer local", int),
        Output("p", "bar", 1.0, "a real output in a non-SI unit"),
        Output("T", "degC", 20.0, "a real output with an offset unit"),
    )

    def setup(self):
        self.count = 0
        self.steps = 0

    def do_step(self, t, h):
        self.steps += 1
        self.running = bool(self.on and self.enabled)
        if self.running:
            self.count += self.n
        self.p = 1.0 + 0.1 * self.count
        self.T = 20.0 + (1.0 if self.fluid == "nitrogen" else 0.0)
