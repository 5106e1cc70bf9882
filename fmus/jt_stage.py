"""The Joule-Thomson 4 K stage of the 4 K refrigerator (NRAO EDTN 203, seed 002, section 4.2 and
Fig. 10) as an actor: the J-T loop (exchangers X1-X3, the valve) with the 4 K station that holds
liquid helium."""
from __future__ import annotations

import bisect
import math

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .physics import jt_physics as jt

#: throat area [m2] that passes the note's 0.32 g/s at a J-T inlet of 20 atm and 4.2 K with a 1 atm
#: exhaust (``jt_physics.throat_area_for(0.32e-3)``; 0.136 mm equivalent diameter)
THROAT_AREA_NOTE = 1.4441e-08

# -- the station's copper: enthalpy table --------------------------------------------------------
#: Below 4 K copper's c = k (gamma T + beta T^3), gamma = 0.695 mJ/(mol K2), beta = 0.0473
#: mJ/(mol K4) (electronic + Debye, theta_D = 344 K) per 63.546 g/mol, scaled by k so that it
#: meets the NIST fit of ``fmus/properties/materials.py`` at 4 K (k = 1.088); from 4 K up, that fit's table.
_GAMMA_CU = 0.695e-3 / 63.546e-3
_BETA_CU = 0.0473e-3 / 63.546e-3
_T_LOW = 2.0
_COPPER = None


def _copper():
    """(k, Ts, hs) of the copper table (built once: Material('copper')'s 0.02 K table as lists)."""
    global _COPPER
    if _COPPER is None:
        from .properties.materials import Material

        m = Material("copper")
        k = m.cp(4.0) / (_GAMMA_CU * 4.0 + _BETA_CU * 64.0)
        _COPPER = (k, [float(x) for x in m._T], [float(x) for x in m._h])
    return _COPPER


def copper_h(T: float) -> float:
    """Specific enthalpy of copper [J/kg], zero at 4 K (low-temperature law below 4 K)."""
    k, Ts, hs = _copper()
    if T < 4.0:
        return -k * (0.5 * _GAMMA_CU * (16.0 - T * T) + 0.25 * _BETA_CU * (256.0 - T ** 4))
    i = min(int((T - 4.0) / 0.02), len(Ts) - 2)
    return hs[i] + (hs[i + 1] - hs[i]) * (T - Ts[i]) / (Ts[i + 1] - Ts[i])


def copper_c(T: float) -> float:
    """Specific heat of copper [J/(kg K)] consistent with :func:`copper_h` (the table's slope)."""
    k, Ts, hs = _copper()
    if T < 4.0:
        return k * (_GAMMA_CU * T + _BETA_CU * T ** 3)
    i = min(int((T - 4.0) / 0.02), len(Ts) - 2)
    return (hs[i + 1] - hs[i]) / (Ts[i + 1] - Ts[i])


def copper_T(h: float) -> float:
    """Inverse of :func:`copper_h` [K]."""
    k, Ts, hs = _copper()
    if h < 0.0:
        T = 3.0
        for _ in range(30):
            f = copper_h(T) - h
            T_new = T - f / copper_c(T)
            if abs(T_new - T) < 1e-13:
                T = T_new
                break
            T = min(max(T_new, 0.5), 4.0)
        return T
    if h > hs[-1]:
        raise ValueError(f"copper h = {h:g} J/kg above the table ({Ts[-1]:g} K)")
    i = min(bisect.bisect_right(hs, h) - 1, len(hs) - 2)
    return Ts[i] + (Ts[i + 1] - Ts[i]) * (h - hs[i]) / (hs[i + 1] - hs[i])


class JTStage(Actor):
    """The J-T loop of NRAO EDTN 203 Fig. 10 with its 4 K station (liquid inventory as a state).

    Each step, from the inputs ``T_77``, ``T_15`` (the GM stations) and the station's state, the
    loop is solved quasi-steadily (``fmus/physics/jt_physics.py``, eq. 35-38): the supply (``p_supply``,
    ``T_supply``) leaves the 77 K and 15 K stations at their temperatures; X3 (effectiveness E3)
    between it and the gas returning from the 4 K station at its temperature gives the J-T inlet
    state 5; the valve passes the isentropic-nozzle flow of real helium at that state
    (eq. 39-47, ``throat_area``; a cached table of inlet temperature) and expands it at constant
    enthalpy to ``p_exhaust``; the return stream then crosses X3, X2 (E2), X1 (E1).  Outputs
    ``heat_77`` = mdot (h1 - h2) and ``heat_15`` = mdot (h3 - h4) + the gas-switch heat are the
    heat rejected to the two GM stations.  Refrigeration available at the station at temperature
    T (Fig. 13 / eq. 50): ``capacity`` = mdot (h(p_exhaust, T) - h5).

    The 4 K station (copper, ``station_mass``; a pot of ``pot_volume``) at the exhaust pressure,
    under the load Q = ``heat_load`` (input: the dewar's parasitics) + ``heat_applied`` (tunable
    parameter: the experiment's dissipation, a heater; changed by events):

    * with liquid (``liquid_mass`` > 0) it sits at T_sat(p_exhaust) and the inventory changes as
      dm/dt = (capacity - Q - heat_switch) / h_fg  (exact for a pot at constant pressure
      from which vapour leaves saturated, whatever the vapour hold-up; the return flow is
      mdot - (1 - rho_v/rho_l) dm/dt).  It fills during cool-down and boils off under overload;
      full (rho_l ``pot_volume``), the surplus liquid leaves with the return gas, whose enthalpy
      then follows from the station's energy balance;
    * empty, its temperature follows C(T) dT/dt = Q - capacity(T) - heat_switch(T), the
      stream leaving at the station temperature; it starts to hold liquid when it reaches
      T_sat with refrigeration to spare.

    Optional hydrogen gas-gap switch to the 15 K station (the note's "hydrogen vapour switch ...
    which opens up when the 4 K station reaches about 20 K"): heat_switch = G w(T) (T - T_15), w
    rising linearly from 0 at switch_T_off - 1 K to 1 at switch_T_off (``switch_conductance`` G;
    0: none).

    Integration: liquid phases exactly (constant rates with held inputs; a phase that ends inside
    a step -- the pot empties, fills, or the station reaches T_sat -- is cut there and the rest of
    the step continues in the next phase); the empty station by one linearly implicit step in its
    energy (the stabilising part of the slope implicit, split into sub-steps where T would move
    by more than 10 %).  The metal's energy is advanced with the same fluxes that are reported, so
    the station's energy and mass balances close to rounding.  No CoolProp call in a step: isobar
    and valve tables are built at set-up (about 0.4 s for a new pair of pressures; cached), or
    on the first step after ``p_supply`` or ``p_exhaust`` changes.
    """

    summary = "Joule-Thomson 4 K stage: X1-X3, sonic J-T valve, 4 K station with liquid inventory (NRAO EDTN 203)"
    headline = ('T', 'liquid_mass', 'capacity', 'mdot')
    display_units = {"liquid_mass": "g"}  # a few grams: in g, not kg
    variables = (
        Parameter("p_supply", "Pa", jt.P_HIGH_NOTE, "J-T supply pressure (supercritical)", min=1.0,
                  tunable=True),
        Parameter("p_exhaust", "Pa", jt.P_LOW_NOTE, "exhaust (return) pressure; sets T_sat at the "
                  "4 K station", min=1.0, tunable=True),
        Parameter("T_supply", "K", 300.0, "supply temperature at X1 (compressor after-cooler)",
                  min=jt.T_TABLE_MIN, max=jt.T_TABLE_MAX, tunable=True),
        Parameter("throat_area", "m2", THROAT_AREA_NOTE, "J-T valve throat area (default: 0.32 g/s "
                  "at 20 atm, 4.2 K)", min=0.0, tunable=True),
        Parameter("E1", "1", 0.96, "effectiveness of X1 (300-77 K)", min=0.0, max=1.0),
        Parameter("E2", "1", 0.96, "effectiveness of X2 (77-15 K)", min=0.0, max=1.0),
        Parameter("E3", "1", 0.96, "effectiveness of X3 (15-4 K)", min=0.0, max=1.0),
        Parameter("effectiveness", "1", "pinch", "definition of E: pinch (of the largest feasible "
                  "duty) or note (eq. 35-38, of the cold stream)", choices=jt.DEFINITIONS),
        Parameter("station_mass", "kg", 0.5, "copper mass of the 4 K station", min=1e-9),
        Parameter("pot_volume", "m3", 2e-4, "volume of the liquid pot", min=0.0),
        Parameter("T_start", "K", 15.0, "initial station temperature (T_sat if liquid_start > 0)",
                  min=jt.T_FLOW_MIN, max=jt.T_TABLE_MAX),
        Parameter("liquid_start", "kg", 0.0, "initial liquid inventory", min=0.0),
        Parameter("switch_conductance", "W/K", 0.0, "gas-switch conductance to the 15 K station "
                  "(0: none)", min=0.0, tunable=True),
        Parameter("switch_T_off", "K", 20.0, "the switch conducts above this station temperature",
                  min=0.0, tunable=True),
        Input("T_77", "K", 77.0, "77 K (first GM stage) station temperature"),
        Input("T_15", "K", 15.0, "15 K (second GM stage) station temperature"),
        Parameter("heat_applied", "W", 0.0, "heat dissipated on the 4 K station (experiment, heater)",
                  tunable=True),
        Input("heat_load", "W", 0.0, "heat into the 4 K station (the dewar's parasitic load)"),
        Output("mdot", "kg/s", 0.0, "J-T mass flow", nominal=3e-4),
        Output("heat_77", "W", 0.0, "heat rejected to the 77 K station by the supply stream"),
        Output("heat_15", "W", 0.0, "heat rejected to the 15 K station (supply stream + switch)"),
        Output("T", "K", 15.0, "4 K station temperature"),
        Output("liquid_mass", "kg", 0.0, "liquid helium in the station", nominal=1e-3),
        Output("capacity", "W", 0.0, "refrigeration available at the station's temperature"),
        Local("T_jt_in", "K", 15.0, "J-T valve inlet temperature (point 5)"),
        Local("quality_jt_out", "1", 0.0, "vapour fraction after the valve (point 6; 1 if gas)"),
        Local("mdot_return", "kg/s", 0.0, "return flow leaving the station, mean over the step"),
        Local("heat_switch", "W", 0.0, "gas-switch heat to the 15 K station"),
        Local("heat_removed", "W", 0.0, "heat taken up by the J-T stream at the station, mean over "
              "the step"),
        Local("mass_in", "kg", 0.0, "helium that entered the station since the start"),
        Local("mass_out", "kg", 0.0, "helium that left the station since the start"),
        Local("T_return", "K", 300.0, "return gas temperature leaving X1 (point 10)"),
        Local("T_rate", "K/s", 0.0, "station temperature change over the last step / step (0 while "
              "it holds liquid)"),
    )
    default_step = 1.0

    # -- set-up ---------------------------------------------------------------------------------
    def setup(self) -> None:
        where = f"actor '{self.name}'"
        self._loop_key = None
        self._x3_key = self._x3_val = None
        try:
            self._loop()
        except jt.LoopPressureError as exc:
            # attributed to the parameter, so a scenario error names the line or the --set it
            # came from
            param = {"p_high": "p_supply", "p_low": "p_exhaust"}[exc.which]
            raise ParameterError.of(self.name, param, f": {exc}") from None
        except ValueError as exc:
            raise ParameterError(f"{where}: {exc}") from None
        sat = self._lp.sat
        if self.liquid_start > self._m_max():
            raise ParameterError.of(self.name, "liquid_start", f" = {self.liquid_start:g} kg exceeds "
                                 f"the pot's {self._m_max():g} kg of liquid")
        if self.liquid_start > 0.0:
            self.T = sat.T
        else:
            if self.T_start < sat.T - 1e-9:
                raise ParameterError.of(self.name, "T_start", f" = {self.T_start:g} K is below the "
                                     f"boiling temperature {sat.T:.4g} K at p_exhaust")
            self.T = max(self.T_start, sat.T)
        self.liquid_mass = self.liquid_start
        self.mass_in = self.mass_out = 0.0
        self.initialize_outputs(0.0)

    def _m_max(self) -> float:
        return self._lp.sat.rho_liquid * self.pot_volume

    def _loop(self) -> jt.JTLoop:
        """The loop model of the present pressures (rebuilt, from the cache, when they change)."""
        key = (self.p_supply, self.p_exhaust)
        if key != self._loop_key:
            loop = jt.jt_loop_model(*key)
            loop.flow_table()
            self._jt, self._hp, self._lp = loop, loop.hp, loop.lp
            self._flow = loop.flow_table()
            self._loop_key = key
        return self._jt

    # -- the loop at a station state --------------------------------------------------------------
    def _x3(self, h4: float, T4: float, h7: float, T7: float) -> tuple[float, float, float]:
        """(h5, T5, mdot) for the supply at (h4, T4) and the return from the station at (h7, T7)
        (the last result is kept: the step and its outputs often ask twice)."""
        key = (h4, T4, h7, T7, self.E3, self.effectiveness, self.throat_area, self._loop_key)
        if key == self._x3_key:
            return self._x3_val
        q3 = self._jt.exchanger_duty(self.E3, h4, T4, h7, T7, self.effectiveness)
        h5 = h4 - q3
        hp = self._hp
        T5 = hp.T(h5) if h5 > hp.hs[0] else hp.T_lo
        val = (h5, T5, self.throat_area * self._flow(T5))
        self._x3_key, self._x3_val = key, val
        return val

    def _dry(self, T: float, h4: float, T4: float) -> tuple[float, float, float, float]:
        """(capacity, mdot, h5, T5) with the stream leaving the station as vapour at T."""
        T7 = max(T, self._lp.T_lo)
        h7 = self._lp.h(T7)
        h5, T5, mdot = self._x3(h4, T4, h7, T7)
        return mdot * (h7 - h5), mdot, h5, T5

    def _switch(self, T: float) -> tuple[float, float]:
        """(heat_switch, d heat_switch / dT) at station temperature T."""
        G = self.switch_conductance
        if G <= 0.0:
            return 0.0, 0.0
        lo = self.switch_T_off - 1.0
        if T <= lo:
            return 0.0, 0.0
        dT = T - self.T_15
        if T >= self.switch_T_off:
            return G * dT, G
        w = T - lo
        return G * w * dT, G * (dT + w)

    def _wet_return(self, h4: float, T4: float, q_in: float) -> tuple[float, float, float, float]:
        """Overflowing pot: the return enthalpy h7 (saturated liquid to vapour) at which the
        station's energy balance mdot h6 + q_in = mdot h7 holds; returns (h7, h5, T5, mdot).

        With the "pinch" definition X3 is usually limited by the supply stream (its duty does not
        depend on h7): h7 = h5 + q_in / mdot at once.  Otherwise the duty falls as h7 rises, with
        a slope of magnitude E3 <= 1, so the residual h7 - h5(h7) - q_in/mdot(h7) does not fall as
        h7 rises and is solved by bisection between saturated liquid and vapour."""
        sat = self._lp.sat
        Ts = sat.T

        def g(h7):
            h5, T5, mdot = self._x3(h4, T4, h7, Ts)
            return (h7 - h5 - q_in / mdot if mdot > 0.0 else h7 - h5), h5, T5, mdot

        lo, hi = sat.h_liquid, sat.h_vapour
        if self.effectiveness == "pinch":
            # supply-limited duty: the same at the dry return and at the candidate
            h5, T5, mdot = self._x3(h4, T4, hi, Ts)
            if mdot > 0.0:
                h7 = h5 + q_in / mdot
                if lo <= h7 <= hi and abs(self._x3(h4, T4, h7, Ts)[0] - h5) <= 1e-12 * abs(h5) + 1e-9:
                    return h7, h5, T5, mdot
        g_lo = g(lo)
        if g_lo[0] >= 0.0:
            return (lo,) + g_lo[1:]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if g(mid)[0] < 0.0:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-9 * sat.latent_heat:
                break
        h7 = 0.5 * (lo + hi)
        return (h7,) + g(h7)[1:]

    def _outputs(self, h7_wet: float | None = None) -> None:
        """Outputs at the present state and inputs (no advance)."""
        loop = self._loop()
        T4 = self._check_T(self.T_15, "T_15")
        T2 = self._check_T(self.T_77, "T_77")
        hp, lp, sat = self._hp, self._lp, self._lp.sat
        h4 = hp.h(T4)
        T = self.T
        if self.liquid_mass > 0.0 or T <= sat.T:
            T7 = sat.T
            h7 = sat.h_vapour if h7_wet is None else h7_wet
        else:
            T7, h7 = T, lp.h(T)
        h5, T5, mdot = self._x3(h4, T4, h7, T7)
        self.capacity = mdot * (sat.h_vapour if T7 == sat.T else h7) - mdot * h5
        h8 = h7 + (h4 - h5)
        T8 = lp.T(h8) if h8 > sat.h_vapour else sat.T
        h2 = hp.h(T2)
        q2 = loop.exchanger_duty(self.E2, h2, T2, h8, T8, self.effectiveness)
        h9 = h8 + q2
        T9 = lp.T(h9) if h9 > sat.h_vapour else sat.T
        T0 = self.T_supply
        q1 = loop.exchanger_duty(self.E1, hp.h(T0), T0, h9, T9, self.effectiveness)
        h10 = h9 + q1
        self.T_return = lp.T(h10) if h10 > sat.h_vapour else sat.T
        h3, h1 = h2 - q2, hp.h(T0) - q1
        self.mdot = mdot
        q_sw = self._switch(T)[0]
        self.heat_switch = q_sw
        self.heat_77 = mdot * (h1 - h2)
        self.heat_15 = mdot * (h3 - h4) + q_sw
        self.T_jt_in = T5
        self.quality_jt_out = min(1.0, max(0.0, (h5 - sat.h_liquid) / sat.latent_heat))

    def _check_T(self, T: float, name: str) -> float:
        if not (jt.T_TABLE_MIN <= T <= jt.T_TABLE_MAX):
            raise ModelError(f"actor '{self.name}': input '{name}' = {T!r} K outside "
                             f"{jt.T_TABLE_MIN}-{jt.T_TABLE_MAX} K")
        return T

    def initialize_outputs(self, t: float) -> None:
        self._outputs()
        # the step means before any step: those of the present inputs
        self.mdot_return = self.mdot
        self.heat_removed = self.capacity

    # -- a step ---------------------------------------------------------------------------------
    def do_step(self, t: float, h: float) -> None:
        if not h > 0.0:
            return
        self._loop()
        sat = self._lp.sat
        if self.liquid_mass > 0.0 and self.T != sat.T:
            self._resaturate()
        elif self.T < sat.T:
            self.T = sat.T
        T4 = self._check_T(self.T_15, "T_15")
        h4 = self._hp.h(T4)
        q_load = self.heat_load + self.heat_applied
        T_begin = self.T
        m_max = self._m_max()
        r = 1.0 - sat.rho_vapour / sat.rho_liquid
        mass_in = mass_out = removed = 0.0
        h7_wet = None
        left = h
        for _ in range(100):
            if left <= 0.0:
                break
            if self.liquid_mass > 0.0 or self.T <= sat.T:
                # station at T_sat: liquid inventory
                cap, mdot, _, _ = self._dry(sat.T, h4, T4)
                q_sw = self._switch(sat.T)[0]
                rate = (cap - q_load - q_sw) / sat.latent_heat
                m = self.liquid_mass
                if rate > 0.0 and m >= m_max:         # full: the surplus leaves as liquid
                    h7_wet, _, _, mdot = self._wet_return(h4, T4, q_load + q_sw)
                    mass_in += mdot * left
                    mass_out += mdot * left
                    removed += (q_load + q_sw) * left
                    self.liquid_mass = m_max
                    self.T = sat.T
                    left = 0.0
                    break
                if rate <= 0.0 and m <= 0.0:          # empty and no refrigeration to spare
                    self.T = sat.T + 1e-9 * sat.T
                    self.liquid_mass = 0.0
                    continue
                dt = left
                if rate > 0.0:
                    dt = min(dt, (m_max - m) / rate)
                elif rate < 0.0:
                    dt = min(dt, m / -rate)
                m_new = m + rate * dt
                if rate > 0.0 and dt < left:
                    m_new = m_max
                elif rate < 0.0 and dt < left:
                    m_new = 0.0
                self.liquid_mass = m_new
                self.T = sat.T
                mass_in += mdot * dt
                mass_out += (mdot - r * rate) * dt
                removed += cap * dt
                left -= dt
                if m_new == 0.0 and left > 0.0:
                    self.T = sat.T + 1e-9 * sat.T     # empty: continue as a dry station
            else:
                dt_done, removed_b, mdot_dt = self._dry_step(left, h4, T4, q_load, sat.T)
                mass_in += mdot_dt
                mass_out += mdot_dt
                removed += removed_b
                left -= dt_done
        if left > 1e-9 * h:
            raise ModelError(f"actor '{self.name}': step of {h:g} s not completed at t={t:g} s "
                             f"({left:g} s left; station at {self.T:g} K)")
        self.mass_in += mass_in
        self.mass_out += mass_out
        self.T_rate = (self.T - T_begin) / h
        self.mdot_return = mass_out / h
        self.heat_removed = removed / h
        self._outputs(h7_wet)

    def _dry_step(self, dt: float, h4: float, T4: float, q_load: float,
                  T_sat: float) -> tuple[float, float, float]:
        """Advance the empty station by up to ``dt`` (linearly implicit in its energy); stops at
        T_sat.  Returns (time advanced, heat removed by the stream x time, mass through x time)."""
        Ms = self.station_mass
        T0 = self.T
        cap0, mdot0, _, _ = self._dry(T0, h4, T4)
        sw0, dsw = self._switch(T0)
        dT_fd = max(1e-4 * T0, 1e-5)
        cap1 = self._dry(T0 + dT_fd, h4, T4)[0]
        dcap = (cap1 - cap0) / dT_fd
        f0 = q_load - cap0 - sw0
        g = -dcap - dsw                                   # df/dT
        g_impl = g if g < 0.0 else 0.0                    # only the stabilising part implicit
        C = Ms * copper_c(T0)
        while True:
            dT = dt * f0 / (C - dt * g_impl)
            if abs(dT) <= 0.1 * T0 or dt < 1e-6:
                break
            dt *= 0.5
        E0 = Ms * copper_h(T0)
        dE = dt * (f0 + g_impl * dT)
        E_sat = Ms * copper_h(T_sat)
        frac = 1.0
        if E0 + dE <= E_sat:                              # reaches T_sat within the step
            frac = min(max((E0 - E_sat) / -dE, 0.0), 1.0) if dE < 0.0 else 0.0
            E1 = E_sat
            self.T = T_sat
        else:
            E1 = E0 + dE
            try:
                self.T = copper_T(E1 / Ms)
            except ValueError as exc:
                raise ModelError(f"actor '{self.name}': station energy out of range ({exc})") from None
        if self.T > jt.T_TABLE_MAX:
            raise ModelError(f"actor '{self.name}': station temperature {self.T:g} K above "
                             f"{jt.T_TABLE_MAX} K")
        used = frac * dt
        # heat taken by the stream = load - switch - energy stored, with the switch's share of the
        # linearised flux (its slope implicit only where the whole slope is)
        sw_mean = sw0 + (dsw * frac * dT if g < 0.0 else 0.0)
        removed = used * (q_load - sw_mean) - (E1 - E0)
        return used, removed, mdot0 * used

    def _resaturate(self) -> None:
        """The exhaust pressure changed with liquid in the pot: the liquid and the metal go to the
        new T_sat; vapour leaves (or condenses) by the energy balance at the new pressure."""
        sat = self._lp.sat
        a = jt._he()
        a.update(jt._CP.QT_INPUTS, 0.0, self.T)
        h_l_old = a.hmass()
        m = self.liquid_mass
        Ms = self.station_mass
        m_new = (m * (sat.h_vapour - h_l_old) + Ms * (copper_h(self.T) - copper_h(sat.T))) / sat.latent_heat
        m_new = min(max(m_new, 0.0), self._m_max())
        self.mass_out += m - m_new
        self.liquid_mass = m_new
        self.T = sat.T
