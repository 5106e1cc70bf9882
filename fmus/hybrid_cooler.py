"""The hybrid Stirling / reverse-Brayton cryocooler of Nellis & Maddocks, Cryogenics 43 (2003) 31-43
(seed 001), averaged over its cycles: one actor whose outputs are the cycle means of the
monolithic cyclic steady state (``fmus/reference/hybrid.py``) at the temperatures of its two
cold stations, for cool-downs of hours (``scenarios/hybrid_cooldown.toml``).  The resolved
co-simulation of the same machine, cycle by cycle, is ``scenarios/hybrid_stirling.toml``;
``fmus/hybrid_stations.py`` puts its actors on stations whose temperatures change, and
``docs/hybrid_cooldown.md`` compares the two."""
from __future__ import annotations

import math
from collections import OrderedDict

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .properties.ideal_gas import fluid_parameters, ideal_gas
from .reference.hybrid import CyclicSteadyStateError, HybridSI

__all__ = ["HybridCooler", "dead_temperature", "charge_capacity"]

#: cyclic steady states kept per actor (keyed by the exact temperatures and tunable parameters):
#: an iterated or rolled-back step asks again for the states it has just computed
_CACHE_SIZE = 16


def dead_temperature(T_C: float, T_E: float) -> float:
    """Temperature of the dead (regenerator void) volume, T_D = 2 T_C T_E / (T_C + T_E): the gas
    content of a void whose one half is at T_C and the other at T_E, V_D/T_D = (V_D/2)/T_C +
    (V_D/2)/T_E.  The paper gives only the group S = V_D T_C/(V_E T_D) (eq. 5); this rule gives
    the Fig. 5 set's T_D = 135 K at T_C = 270 K, T_E = 90 K (``scenarios/hybrid_stirling.toml``)."""
    return 2.0 * T_C * T_E / (T_C + T_E)


def charge_capacity(R: float, T_C: float, T_E: float, V_E: float, V_C: float, V_D: float,
                    V_B: float, alpha: float) -> float:
    """Gas per unit pressure [kg/Pa] of the volumes that hold the charge, at the paper's charge
    state (crank angle 0, one pressure throughout): the stage (eq. 4: expansion space V_E at T_E,
    compression space V_C (1 + cos alpha)/2 at T_C, dead volume V_D at T_D) and the two buffers
    (V_B each at T_E, eq. 13-16).  The recuperator, turbine and load exchanger hold no gas (the
    paper's model has no volume there)."""
    T_D = dead_temperature(T_C, T_E)
    return (V_E / T_E + 0.5 * V_C * (1.0 + math.cos(alpha)) / T_C + V_D / T_D + 2.0 * V_B / T_E) / R


class HybridCooler(Actor):
    """The hybrid 2-piston Stirling / reverse-Brayton cooler averaged over its cycles: the heats it
    lifts at its two cold stations, its compression power and its turbine flow, each the mean over
    the cyclic steady state at the stations' present temperatures.

    Each evaluation builds the paper's dimensionless groups from the SI machine and the present
    temperatures T_E (input ``T_E``: expansion space, buffers, check valves and the recuperator's
    warm end, all on one station), T_L (input ``T_L``: the turbine inlet and the load exchanger)
    and T_C (parameter: the compression space's heat sink)::

        beta = T_C/T_E (eq. 6)       chi = T_E/T_L (eq. 29)       S = V_D T_C/(V_E T_D) (eq. 5)
        R_cv = r_cv V_E/(R T_E tau) (eq. 26)       A_t = a_t tau sqrt(gamma R T_L)/V_E (eq. 27)
        T_D = 2 T_C T_E/(T_C + T_E)  (:func:`dead_temperature`)

    (kappa = V_C/V_E, alpha, lam = V_B/V_E and gamma do not change) and solves eq. 30-32 for
    the cyclic steady state that holds the charge (:func:`cryocosim.fmus.reference.hybrid.
    cyclic_steady_state`, shooting, warm-started from the last state; the last few states are
    cached).  Its metrics (eq. 33-41) per cycle over p_charge V_E, times p_charge V_E f, are the
    outputs: ``heat_expansion`` = Q_E (heat absorbed at T_E, eq. 33-34; negative: rejected there),
    ``heat_load`` = Q_L (refrigeration at T_L = the turbine's work, eq. 40-41),
    ``power_compression`` = W_C (eq. 35; the compression space rejects as much at T_C),
    ``mdot_turbine`` = the mean turbine flow M_t (eq. 37).  The monolithic model has a nozzle, no
    rotor: it gives the turbine's flow and power, not its speed.

    The gas charge is fixed.  It is filled at ``p_fill`` with the stage at crank angle 0 (the
    paper's charge state), the compression space at T_C and the expansion space, the buffers and
    the dead volume at ``T_fill`` (T_D by the rule); the recuperator, turbine and load exchanger
    hold none (:func:`charge_capacity`).  At other temperatures the same gas gives the charge
    pressure p_charge = m_gas / C_0(T_E) that normalises the paper's pressures (eq. 25), so the
    mean pressure falls as the cold volumes cool.

    Faults (tunable, for events): ``turbine_seized`` -- a seized rotor whose stopped wheel passes
    the nozzle flow (the resolved turbine's ``seized`` with ``leak_fraction = 1``): the gas is
    throttled, so the pressure waves, Q_E, W_C and the flow are those of the running machine
    and the refrigeration is zero; ``r_back`` -- both check valves leak back (the monolithic
    model's one R_cv,b, eq. 19-20); ``frequency = 0`` -- the drive stopped: nothing is lifted,
    the gas rests at the charge pressure.

    The outputs follow from the inputs alone (direct feed-through, :meth:`initialize_outputs`);
    each is the mean over the cycles of a step of the cyclic steady state at the step's input
    temperatures: the stations must change little over the cycles the cooler needs to settle
    (a few, ``scenarios/hybrid_startup.toml``).
    """

    summary = "Hybrid Stirling / reverse-Brayton cooler averaged over its cycles (monolithic cyclic steady state at the station temperatures)"
    headline = ("heat_load", "heat_expansion", "power_compression", "mdot_turbine")
    display_units = {"gas_mass": "g"}
    variables = fluid_parameters(with_gamma=True) + (
        Parameter("T_compression", "K", 300.0, "compression space temperature T_C (the warm heat sink)",
                  min=1e-3),
        Parameter("swept_volume_expansion", "m3", 2e-5, "expansion swept volume V_E", min=1e-12),
        Parameter("swept_volume_compression", "m3", 4e-5, "compression swept volume V_C = kappa V_E",
                  min=0.0),
        Parameter("dead_volume", "m3", 5e-6, "dead volume V_D (at T_D = 2 T_C T_E/(T_C + T_E))", min=0.0),
        Parameter("phase", "rad", 1.0, "phase angle alpha: V_c lags V_e by alpha"),
        Parameter("frequency", "Hz", 50.0, "drive frequency f (0: the drive stopped)", min=0.0,
                  tunable=True),
        Parameter("buffer_volume", "m3", 2.5e-5, "volume V_B of each buffer (at T_E)", min=1e-12),
        Parameter("r_forward", "Pa.s/kg", 3.7391e7, "check valves' forward resistance r_cv,f (> 0)", min=0.0),
        Parameter("r_back", "Pa.s/kg", 0.0, "check valves' back-leak resistance r_cv,b (both); 0: sealed",
                  min=0.0, tunable=True),
        Parameter("turbine_area", "m2", 7.7573e-7, "turbine nozzle area a_t (> 0)", min=0.0),
        Parameter("turbine_seized", "1", False,
                  "rotor seized: the stopped wheel throttles the nozzle flow, no refrigeration", tunable=True),
        Parameter("p_fill", "Pa", 2e6, "fill pressure: the charge, at crank angle 0 and T_fill", min=1e-6),
        Parameter("T_fill", "K", 300.0, "temperature of the cold volumes at the fill", min=1e-3),
        Input("T_E", "K", 300.0, "expansion station temperature: expansion space, buffers, valves"),
        Input("T_L", "K", 300.0, "load station temperature: turbine inlet, load exchanger"),
        Output("heat_expansion", "W", 0.0, "heat absorbed at T_E, cycle mean (Q_E, eq. 33-34)"),
        Output("heat_load", "W", 0.0, "refrigeration at T_L, cycle mean (Q_L = W_t, eq. 40-41)"),
        Output("power_compression", "W", 0.0, "compression work input, cycle mean (W_C, eq. 35)"),
        Output("mdot_turbine", "kg/s", 0.0, "turbine mass flow, cycle mean of |mdot| (M_t, eq. 37)"),
        Output("p_charge", "Pa", 2e6, "charge pressure at the present temperatures, m_gas / C_0(T_E)"),
        Output("p_max", "Pa", 2e6, "highest stage pressure over the cycle"),
        Output("p_min", "Pa", 2e6, "lowest stage pressure over the cycle"),
        Output("p_high", "Pa", 2e6, "high-pressure buffer, cycle mean"),
        Output("p_low", "Pa", 2e6, "low-pressure buffer, cycle mean"),
        Local("beta", "1", 1.0, "T_C/T_E (eq. 6)"),
        Local("chi", "1", 1.0, "T_E/T_L (eq. 29)"),
        Local("S", "1", 0.0, "reduced dead volume V_D T_C/(V_E T_D) (eq. 5)"),
        Local("A_t", "1", 0.0, "dimensionless turbine area (eq. 27)"),
        Local("R_cv_f", "1", 0.0, "dimensionless forward valve resistance (eq. 26)"),
        Local("T_dead", "K", 300.0, "dead volume temperature T_D"),
        Local("gas_mass", "kg", 0.0, "the gas charge (stage and buffers)"),
        Local("energy_expansion", "J", 0.0, "heat absorbed at T_E since the start"),
        Local("energy_load", "J", 0.0, "refrigeration at T_L since the start"),
        Local("work_compression", "J", 0.0, "compression work input since the start"),
        Local("solves", "1", 0.0, "cyclic steady states solved (cache hits not counted)"),
    )
    default_step = 1.0
    state_attributes = ("_guess", "_cache")

    def setup(self) -> None:
        R, gamma = ideal_gas(self)
        self._R, self._gamma = R, gamma
        for name in ("r_forward", "turbine_area"):
            if not getattr(self, name) > 0.0:
                raise ParameterError.of(self.name, name, " must be positive")
        self._guess = None
        self._cache = OrderedDict()
        self.gas_mass = self.p_fill * self._capacity(self.T_fill)
        self.energy_expansion = self.energy_load = self.work_compression = 0.0
        self.solves = 0.0

    def _capacity(self, T_E: float) -> float:
        return charge_capacity(self._R, self.T_compression, T_E, self.swept_volume_expansion,
                               self.swept_volume_compression, self.dead_volume, self.buffer_volume,
                               self.phase)

    def machine(self, T_E: float, T_L: float) -> HybridSI:
        """The SI set-up at the station temperatures T_E, T_L [K], its charge pressure from the
        gas charge (``HybridSI(...).groups()`` are the groups this actor solves)."""
        return HybridSI(T_C=self.T_compression, T_E=T_E, T_L=T_L,
                        T_D=dead_temperature(self.T_compression, T_E),
                        V_E=self.swept_volume_expansion, V_C=self.swept_volume_compression,
                        V_D=self.dead_volume, V_B=self.buffer_volume, phase=self.phase,
                        frequency=self.frequency, r_cv_f=self.r_forward,
                        r_cv_b=self.r_back if self.r_back > 0.0 else math.inf,
                        a_t=self.turbine_area, p_charge=self.gas_mass / self._capacity(T_E),
                        R_gas=self._R, gamma=self._gamma)

    def _solve(self, T_E: float, T_L: float, guess) -> tuple:
        """((q_E, q_L, w_C, mdot_t, p_min, p_max, p_HP, p_LP) [W, kg/s, Pa] of the running
        machine, (Pi, Pi_HP) at crank angle 0), shooting from ``guess`` (None: from the charge
        state).  A pure function of its arguments and the parameters: the cache, keyed by all of
        them, returns what solving again would."""
        key = (T_E, T_L, self.frequency, self.r_back, guess)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        si = self.machine(T_E, T_L)
        try:
            try:
                out = si.solve(guess=guess)
            except CyclicSteadyStateError:
                if guess is None:
                    raise
                out = si.solve()   # a guess from too far away: from the charge state
        except CyclicSteadyStateError as exc:
            raise ModelError(f"actor '{self.name}': no cyclic steady state at T_E = {T_E:g} K, "
                             f"T_L = {T_L:g} K: {exc}") from None
        self.solves += 1.0
        p = si.p_charge
        result = ((out["q_E_W"], out["q_L_W"], out["w_C_W"], out["mdot_t_kg_s"], out["p_min"],
                   out["p_max"], out["Pi_HP_mean"] * p, out["Pi_LP_mean"] * p),
                  (out["state0"][0], out["state0"][1]))
        self._cache[key] = result
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return result

    def _evaluate(self, guess) -> tuple | None:
        """The outputs at the present inputs; returns the solved state at crank angle 0 (None
        when the drive is stopped)."""
        T_E, T_L, T_C = self.T_E, self.T_L, self.T_compression
        for name, T in (("T_E", T_E), ("T_L", T_L)):
            if not (T > 0.0 and math.isfinite(T)):
                raise ModelError(f"actor '{self.name}': input '{name}' = {T!r} K must be positive")
        T_D = dead_temperature(T_C, T_E)
        self.T_dead = T_D
        self.beta, self.chi = T_C / T_E, T_E / T_L
        self.S = self.dead_volume * T_C / (self.swept_volume_expansion * T_D)
        p_charge = self.gas_mass / self._capacity(T_E)
        self.p_charge = p_charge
        if self.frequency == 0.0:   # the drive stopped: the gas rests at the charge pressure
            self.A_t = self.R_cv_f = 0.0
            self.heat_expansion = self.heat_load = self.power_compression = self.mdot_turbine = 0.0
            self.p_min = self.p_max = self.p_high = self.p_low = p_charge
            return None
        tau = 1.0 / self.frequency
        self.A_t = (self.turbine_area * tau * math.sqrt(self._gamma * self._R * T_L)
                    / self.swept_volume_expansion)
        self.R_cv_f = self.r_forward * self.swept_volume_expansion / (self._R * T_E * tau)
        values, state0 = self._solve(T_E, T_L, guess)
        (self.heat_expansion, q_L, self.power_compression, self.mdot_turbine,
         self.p_min, self.p_max, self.p_high, self.p_low) = values
        # a seized rotor's wheel throttles the same nozzle flow: no work, no refrigeration
        self.heat_load = 0.0 if self.turbine_seized else q_L
        return state0

    def initialize_outputs(self, t: float) -> None:
        # from the charge state: the outputs before the first step are a function of the inputs
        # alone, whatever a master asked for during its initialisation
        self._evaluate(None)

    def do_step(self, t: float, h: float) -> None:
        # warm-started from the last step's cyclic steady state (part of the state: a step
        # repeated from a snapshot repeats its numbers)
        state0 = self._evaluate(self._guess)
        if state0 is not None:
            self._guess = state0
        self.energy_expansion += self.heat_expansion * h
        self.energy_load += self.heat_load * h
        self.work_compression += self.power_compression * h
