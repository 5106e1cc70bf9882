"""A check valve of the hybrid cooler's rectifier (Nellis & Maddocks 2003, seed 001, eq. 17-20)."""
from __future__ import annotations

from cryocosim import Actor, Input, Local, Output, Parameter, ParameterError


class CheckValve(Actor):
    """Linear-resistance check valve with a back leak (seed eq. 17-20)::

        mdot = (p_up - p_down) / r_cv,   r_cv = r_forward if p_up > p_down else r_back

    r_back = 0 stands for a sealed valve (r_cv,b -> infinity: no back leak).  The same model
    is the high-pressure valve (p_up = stage, p_down = high-pressure buffer, eq. 17, 19) and the
    low-pressure one (p_up = low-pressure buffer, p_down = stage, eq. 18, 20).  No storage:
    the flow follows the present pressures (direct feed-through, :meth:`initialize_outputs`).
    ``r_back`` is tunable: an event can make a sealed valve start to leak during a run.
    """

    summary = "Check valve: linear forward resistance and back-leak resistance (hybrid cooler eq. 17-20)"
    headline = ('mdot',)
    variables = (
        Parameter("r_forward", "Pa.s/kg", 4e7, "flow resistance when open (p_up > p_down), r_cv,f",
                  min=0.0),
        Parameter("r_back", "Pa.s/kg", 0.0, "resistance to back leakage r_cv,b; 0: sealed (infinite)",
                  min=0.0, tunable=True),
        Input("p_up", "Pa", 1e5, "pressure on the inlet side"),
        Input("p_down", "Pa", 1e5, "pressure on the outlet side"),
        Output("mdot", "kg/s", 0.0, "mass flow from inlet to outlet (negative: back leak)"),
        Local("dp", "Pa", 0.0, "p_up - p_down"),
    )
    default_step = 2e-5
    #: under a coupling order >= 1 the flow is the one at the end of the step, from the
    #: pressures' polynomials there (the value the master stamps it with)
    input_order = 2

    def setup(self) -> None:
        if not self.r_forward > 0.0:
            raise ParameterError.of(self.name, "r_forward", f" must be positive")
        self.initialize_outputs(0.0)

    def initialize_outputs(self, t: float) -> None:
        d = self.p_up - self.p_down
        self.dp = d
        if d > 0.0:
            self.mdot = d / self.r_forward
        elif self.r_back > 0.0:
            self.mdot = d / self.r_back
        else:
            self.mdot = 0.0

    def do_step(self, t: float, h: float) -> None:
        if self.input_derivatives:
            self.advance_inputs(h)
        self.initialize_outputs(t)
