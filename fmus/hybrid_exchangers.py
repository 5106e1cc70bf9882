"""The recuperator and the refrigeration load exchanger of the hybrid cooler's reverse-Brayton
stage (Nellis & Maddocks 2003, seed 001, eq. 41, 47-48, Fig. 4)."""
from __future__ import annotations

import math

from cryocosim import Actor, Input, Local, Output, Parameter

from .properties.ideal_gas import fluid_parameters, ideal_gas


class HybridExchangers(Actor):
    """Counterflow recuperator and refrigeration load exchanger without storage, between the
    buffers (at T_E) and the turbine; effectiveness model, perfect gas, balanced flows.

    The turbine exhaust (T_o) is warmed in the load exchanger towards the load temperature T_L,
    then in the recuperator's cold side towards T_E; the gas from the high-pressure buffer
    (T_E) is cooled in the recuperator's hot side and feeds the turbine::

        T_x      = T_o + eps_L (T_L - T_o)                   load exchanger outlet
        T_t,in   = T_E - eps_R (T_E - T_x)                   turbine inlet (hot outlet)
        Q_L      = |mdot| c_p (T_x - T_o)                    refrigeration load (eq. 41)
        q_rec    = eps_R |mdot| c_p (T_E - T_x)              recuperator duty (eq. 47)
        T_return = T_x + eps_R (T_E - T_x)                   to the low-pressure buffer

    With eps_L = eps_R = 1 (the paper's ideal exchangers, the default) the turbine is fed at
    T_L, Q_L equals the turbine power (eq. 41: Q_L = W_t) and q_rec = mdot c_p (T_E - T_L)
    (eq. 47-48).  Below one the turbine inlet depends on its own outlet through the loop
    turbine -> load exchanger -> recuperator, with gain eps_R (1 - eps_L) T_o/T_t,in < 1.
    Direct feed-through (:meth:`initialize_outputs`).

    Cycle mean: ``heat_load_cycle`` is the refrigeration averaged over the last completed
    window [k P, (k + 1) P) of the actor's time, P = ``cycle_period`` (set it to the Stirling
    cycle 1/f; the windows then are the stage's cycles when its crank starts at 0): the exact
    integral of the step values of ``heat_load`` (the ones ``energy_load`` sums), a step that
    straddles a window's end split there, divided by P.  Zero until the first window ends; it
    is the quantity for a condition event ("refrigeration below ..."), which the instantaneous
    Q_L, swinging over every cycle, is not.
    """

    summary = "Recuperator and refrigeration load exchanger of the hybrid cooler (effectiveness model)"
    headline = ('heat_load_cycle', 'T_load_out')
    variables = fluid_parameters(with_gamma=True) + (
        Parameter("T_warm", "K", 100.0, "recuperator hot inlet = buffer temperature T_E", min=1e-3),
        Parameter("T_load", "K", 30.0, "refrigeration load temperature T_L", min=1e-3, tunable=True),
        Parameter("effectiveness_recuperator", "1", 1.0, "recuperator effectiveness eps_R", min=0.0, max=1.0),
        Parameter("effectiveness_load", "1", 1.0, "load exchanger effectiveness eps_L", min=0.0, max=1.0),
        Parameter("cycle_period", "s", 0.02,
                  "averaging window of heat_load_cycle: the Stirling cycle period 1/f", min=1e-9),
        Input("mdot", "kg/s", 0.0, "turbine mass flow"),
        Input("T_turbine_out", "K", 30.0, "turbine outlet temperature T_o"),
        Output("T_turbine_in", "K", 30.0, "turbine inlet temperature (recuperator hot outlet)"),
        Output("heat_load", "W", 0.0, "refrigeration load Q_L absorbed at T_L"),
        Output("heat_recuperator", "W", 0.0, "recuperator duty"),
        Output("T_load_out", "K", 30.0, "load exchanger outlet T_x"),
        Output("T_return", "K", 100.0, "recuperator cold outlet, to the low-pressure buffer"),
        Output("heat_load_cycle", "W", 0.0, "refrigeration load Q_L, mean over the last completed cycle_period"),
        Local("energy_load", "J", 0.0, "refrigeration since the start"),
        Local("energy_window", "J", 0.0, "refrigeration since the start of the running averaging window"),
    )
    default_step = 2e-5
    input_order = 2  # the heat integrated over polynomial inputs, the outputs at the step's end

    def setup(self) -> None:
        R, gamma = ideal_gas(self)
        self._cp = gamma * R / (gamma - 1.0)
        self.energy_load = self.energy_window = self.heat_load_cycle = 0.0
        self.initialize_outputs(0.0)

    def initialize_outputs(self, t: float) -> None:
        To, TL, TE = self.T_turbine_out, self.T_load, self.T_warm
        eR, eL = self.effectiveness_recuperator, self.effectiveness_load
        Tx = To + eL * (TL - To)
        self.T_load_out = Tx
        self.T_turbine_in = TE - eR * (TE - Tx)
        self.T_return = Tx + eR * (TE - Tx)
        C = abs(self.mdot) * self._cp
        self.heat_load = C * (Tx - To)
        self.heat_recuperator = eR * C * (TE - Tx)

    def do_step(self, t: float, h: float) -> None:
        if self.input_derivatives and h > 0.0:
            # inputs as polynomials: the heat's mean over the step by Simpson's rule, the
            # outputs at the step's end
            q = 0.0
            for dt, w in ((0.0, 1.0), (0.5 * h, 4.0), (0.5 * h, 1.0)):
                self.advance_inputs(dt)
                self.initialize_outputs(t)
                q += w * self.heat_load / 6.0
        else:
            self.initialize_outputs(t)
            q = self.heat_load
        self.energy_load += q * h
        if not h > 0.0:
            return
        # the averaging windows [k P, (k + 1) P): their indices at the step's ends (a time within
        # 1e-9 P of a window's end counts as on it: steps that divide P add up to it only to
        # rounding)
        P = self.cycle_period
        k0 = math.floor(t / P + 1e-9)
        k1 = math.floor((t + h) / P + 1e-9)
        if k1 == k0:
            self.energy_window += q * h
            return
        # the running window ends in this step; any whole windows inside it had q throughout
        self.energy_window += q * max(0.0, (k0 + 1) * P - t)
        self.heat_load_cycle = self.energy_window / P if k1 == k0 + 1 else q
        self.energy_window = q * max(0.0, t + h - k1 * P)
