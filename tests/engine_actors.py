"""Small generic actors used by the engine tests (no cryogenics)."""
from cryocosim import Actor, Input, Output, Parameter


class Constant(Actor):
    """Outputs a tunable constant y = value."""
    variables = (Parameter("value", "W", 1.0, "output value", tunable=True),
                 Output("y", "W", 0.0, "the value"))
    default_step = 1.0

    def setup(self):
        self.y = self.value

    def do_step(self, t, h):
        self.y = self.value


class Integrator(Actor):
    """Integrates its input exactly for a held input: x(t+h) = x + u*h (energy store E = ∫P dt)."""
    variables = (Parameter("x_start", "J", 0.0, "initial value"),
                 Input("u", "W", 0.0, "rate"), Output("x", "J", 0.0, "integral"))
    default_step = 1.0

    def setup(self):
        self.x = self.x_start

    def do_step(self, t, h):
        self.x += self.u * h


class Oscillator(Actor):
    """Half of a harmonic oscillator split in two actors: dx/dt = k*u (exact for held u)."""
    variables = (Parameter("k", "1/s", 1.0, "gain"), Parameter("x_start", "1", 0.0, "initial"),
                 Input("u", "1", 0.0, "partner state"), Output("x", "1", 0.0, "state"))

    def setup(self):
        self.x = self.x_start

    def do_step(self, t, h):
        self.x += self.k * self.u * h


class Failing(Actor):
    """Raises at a given time (for failure handling tests)."""
    variables = (Parameter("fail_at", "s", 1.0, "time of failure"), Output("y", "1", 0.0, "time"))

    def do_step(self, t, h):
        if t >= self.fail_at:
            raise ValueError("boom")
        self.y = t + h


class Gain(Actor):
    """Direct feed-through y = k*u + offset (an algebraic actor: its outputs follow its inputs)."""
    variables = (Parameter("k", "1", 1.0, "gain"), Parameter("offset", "1", 0.0, "offset"),
                 Input("u", "1", 0.0, "input"), Output("y", "1", 0.0, "output"))

    def initialize_outputs(self, t):
        self.y = self.k * self.u + self.offset

    def do_step(self, t, h):
        self.initialize_outputs(t + h)


class Slow(Actor):
    """Sleeps ``pause`` s of wall time per step, so a run lasts long enough to be signalled."""
    variables = (Parameter("pause", "s", 0.01, "wall-clock pause per step"), Output("y", "s", 0.0, "time"))

    def do_step(self, t, h):
        import time

        time.sleep(self.pause)
        self.y = t + h


class Tank(Actor):
    """A gas capacity: dp/dt = (q_in - q_out)/C, exact for held flows (p in Pa, q in Pa.m3/s)."""
    variables = (Parameter("C", "m3", 1.0, "capacity dV"), Parameter("p_start", "Pa", 1e5, "initial pressure"),
                 Input("q_in", "W", 0.0, "inflow (Pa.m3/s)"), Input("q_out", "W", 0.0, "outflow (Pa.m3/s)"),
                 Output("p", "Pa", 0.0, "pressure", nominal=1e5))
    default_step = 1.0

    def setup(self):
        self.p = self.p_start

    def do_step(self, t, h):
        self.p += (self.q_in - self.q_out) * h / self.C


class Valve(Actor):
    """A linear resistance between two tanks: q = G (p1 - p2) (direct feed-through)."""
    variables = (Parameter("G", "m3/s", 1.0, "conductance"),
                 Input("p1", "Pa", 1e5, "upstream pressure"), Input("p2", "Pa", 1e5, "downstream pressure"),
                 Output("q", "W", 0.0, "flow 1 -> 2 (Pa.m3/s)", nominal=1e5))

    def initialize_outputs(self, t):
        self.q = self.G * (self.p1 - self.p2)

    def do_step(self, t, h):
        self.initialize_outputs(t + h)


class Counter(Actor):
    """Counts its own steps and sums their lengths in internal state (a rollback leaves no trace
    only if both are restored)."""
    variables = (Output("n", "1", 0.0, "steps taken"), Output("elapsed", "s", 0.0, "sum of step lengths"))
    state_attributes = ("_log",)

    def setup(self):
        self._log = []

    def do_step(self, t, h):
        self._log.append(h)
        self.n = float(len(self._log))
        self.elapsed = sum(self._log)


class Relay(Actor):
    """A relay with direct feed-through: y = -amplitude if u > 0 else +amplitude.  Fed back through
    an integrator it makes x' = -amplitude sign(x), whose held-input step has no fixed point
    once |x| < amplitude h (the backward-Euler step would need sign(x1) = -sign(x1))."""
    variables = (Parameter("amplitude", "W", 1.0, "output magnitude"),
                 Input("u", "J", 0.0, "switching input"), Output("y", "W", 0.0, "output"))
    default_step = 0.1

    def _switch(self):
        self.y = -self.amplitude if self.u > 0.0 else self.amplitude

    def initialize_outputs(self, t):
        self._switch()

    def do_step(self, t, h):
        self._switch()


class Ramp(Actor):
    """Outputs y = a t + b t^2 at the end of each step (exact at every communication point)."""
    variables = (Parameter("a", "W/s", 1.0, "slope"), Parameter("b", "W/s2", 0.0, "curvature"),
                 Output("y", "W", 0.0, "the ramp"))

    def do_step(self, t, h):
        s = t + h
        self.y = self.a * s + self.b * s * s


class PolyIntegrator(Integrator):
    """Integrates its input as the polynomial the master gives over the step (input_order 2):
    x(t+h) = x + u h + u' h^2/2 + u'' h^3/6, exact for inputs of degree <= 2."""
    input_order = 2

    def do_step(self, t, h):
        d1, d2 = self.input_derivatives.get("u", (0.0, 0.0))
        self.x += h * (self.u + h * (d1 / 2 + h * d2 / 6))


class PolyOscillator(Oscillator):
    """:class:`Oscillator` integrating its input's polynomial over the step (input_order 2)."""
    input_order = 2

    def do_step(self, t, h):
        d1, d2 = self.input_derivatives.get("u", (0.0, 0.0))
        self.x += self.k * h * (self.u + h * (d1 / 2 + h * d2 / 6))


class Sine(Actor):
    """Outputs y = amplitude sin(omega t) at the end of each step (exact at every point)."""
    variables = (Parameter("omega", "rad/s", 1.0, "angular frequency"),
                 Parameter("amplitude", "W", 1.0, "amplitude"), Output("y", "W", 0.0, "the sine"))

    def do_step(self, t, h):
        import math

        self.y = self.amplitude * math.sin(self.omega * (t + h))


class Relaxing(Actor):
    """dx/dt = (u - x)/tau, u taken as the polynomial the master gives over the step (input_order
    2; u held at order 0), integrated by 8 RK4 sub-steps: its own error is far below the coupling's."""
    variables = (Parameter("tau", "s", 1.0, "time constant"), Input("u", "W", 0.0, "driving value"),
                 Output("x", "W", 0.0, "relaxing value"))
    input_order = 2

    def do_step(self, t, h):
        d1, d2 = self.input_derivatives.get("u", (0.0, 0.0))
        u0, tau, n = self.u, self.tau, 8
        f = lambda s, x: (u0 + s * (d1 + 0.5 * s * d2) - x) / tau  # noqa: E731
        x, dt = self.x, h / n
        for i in range(n):
            s = i * dt
            k1 = f(s, x)
            k2 = f(s + dt / 2, x + dt / 2 * k1)
            k3 = f(s + dt / 2, x + dt / 2 * k2)
            k4 = f(s + dt, x + dt * k3)
            x += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        self.x = x
