"""The 2-piston isothermal Stirling stage of the hybrid cooler of Nellis & Maddocks, Cryogenics
43 (2003) 31-43 (seed 001), as an actor (its ideal gas, shared with the buffers, the turbine and
the exchangers: ``fmus/properties/ideal_gas.py``).  ``fmus/reference/hybrid.py`` is the
monolithic reference solver of the same equations in dimensionless form."""
from __future__ import annotations

import math

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .physics.net_flow import net_flow
from .properties.ideal_gas import fluid_parameters, ideal_gas

_TWO_PI = 2.0 * math.pi
# 3-point Gauss-Legendre on [0, 1]
_GL_X = (0.5 - 0.5 * math.sqrt(0.6), 0.5, 0.5 + 0.5 * math.sqrt(0.6))
_GL_W = (5.0 / 18.0, 8.0 / 18.0, 5.0 / 18.0)
#: the work integrals take one 3-point Gauss-Legendre panel per this crank angle (rad) or less
_PANEL = _TWO_PI / 64.0


class StirlingStage(Actor):
    """2-piston isothermal Stirling stage (Schmidt analysis) with an open regenerative space.

    Volumes (seed eq. 1-3), phi = crank angle = 2 pi f t + phi_0 (integrated, so the drive
    frequency f may change during a run)::

        V_e = V_E/2 (1 + cos phi),   V_c = V_C/2 (1 + cos(phi - alpha)),   V_D fixed

    at T_E, T_C and T_D; perfect regenerator, spatially uniform pressure p.  Gas in the stage
    (eq. 4): m = p C(phi), C = V_e/(R T_E) + V_c/(R T_C) + V_D/(R T_D).  Mass balance (eq. 11)
    with the check valves: dm/dt = mdot_in - mdot_out (``mdot_in`` through the low-pressure
    valve into the stage, ``mdot_out`` through the high-pressure valve out of it, both signed);
    eq. 12/22 is its time derivative with m = p C(phi).

    Integration: with the flows held over a step the mass is linear in time, so the step is
    exact: m(t + h) = m + h (mdot_in - mdot_out) and p = m / C(phi(t + h)), for any step.

    Work and heat (eq. 33-35): the expansion work rate is p dV_e/dt and the compression work
    input -p dV_c/dt; ``power_expansion`` and ``power_compression`` are their means over the
    step, integrated exactly in phi for the held flows up to 3-point Gauss-Legendre panels of
    at most 2 pi/64 (relative error below 1e-9).  Heat: a space at constant temperature whose
    boundary gas is at its own temperature (the regenerator's ends, and the valve ports at T_E)
    absorbs q = -V dp/dt; ``heat_expansion`` (absorbed at T_E) and ``heat_compression``
    (rejected at T_C, +V_c dp/dt) are its step means, from -V dp = p dV - d(pV).  Over a cycle
    q_E = w_E and the rejected heat equals w_C (eq. 33).  The ``*_cycle`` outputs are the means
    over the last completed cycle (phi passing a multiple of 2 pi; zero before the first),
    with the pressure's extremes over it (at the step ends and the cycle boundary).  In the
    paper's dimensionless terms, per cycle: W_C = w_C / (p_charge V_E f), Q_E = W_E =
    w_E / (p_charge V_E f).
    """

    summary = "2-piston isothermal Stirling stage (Schmidt): open regenerative space, exact mass step"
    headline = ('power_compression_cycle', 'p_max_cycle', 'p_min_cycle')
    variables = fluid_parameters() + (
        Parameter("T_compression", "K", 300.0, "compression space temperature T_C", min=1e-3),
        Parameter("T_expansion", "K", 100.0, "expansion space temperature T_E", min=1e-3),
        Parameter("T_dead", "K", 200.0, "dead (regenerator void) volume temperature T_D", min=1e-3),
        Parameter("swept_volume_expansion", "m3", 2e-5, "expansion swept volume V_E", min=1e-12),
        Parameter("swept_volume_compression", "m3", 4e-5, "compression swept volume V_C = kappa V_E",
                  min=0.0),
        Parameter("dead_volume", "m3", 1e-5, "dead volume V_D", min=0.0),
        Parameter("phase", "rad", 1.0, "phase angle alpha: V_c lags V_e by alpha"),
        Parameter("frequency", "Hz", 50.0, "drive frequency f (1/tau)", min=0.0, tunable=True),
        Parameter("p_charge", "Pa", 2e6, "charge pressure at the start", min=1e-6),
        Parameter("crank_angle_start", "rad", 0.0, "crank angle phi at t = 0"),
        Input("mdot_out", "kg/s", 0.0, "mass flow out of the stage through the high-pressure valve"),
        Input("mdot_in", "kg/s", 0.0, "mass flow into the stage through the low-pressure valve"),
        Output("p", "Pa", 2e6, "stage pressure"),
        Output("V_e", "m3", 2e-5, "expansion space volume"),
        Output("V_c", "m3", 0.0, "compression space volume"),
        Output("crank_angle", "rad", 0.0, "crank angle phi modulo 2 pi"),
        Output("mass", "kg", 0.0, "gas in the stage (expansion, compression and dead volumes)"),
        Output("power_expansion", "W", 0.0, "expansion work rate p dV_e/dt, mean over the step"),
        Output("power_compression", "W", 0.0, "compression work input -p dV_c/dt, mean over the step"),
        Output("heat_expansion", "W", 0.0, "heat absorbed at T_E, -V_e dp/dt, mean over the step"),
        Output("heat_compression", "W", 0.0, "heat rejected at T_C, V_c dp/dt, mean over the step"),
        Output("power_expansion_cycle", "W", 0.0, "expansion work = heat (eq. 33), mean over the last cycle"),
        Output("power_compression_cycle", "W", 0.0, "compression work input (eq. 35), mean over the last cycle"),
        Output("p_min_cycle", "Pa", 0.0, "lowest stage pressure over the last cycle"),
        Output("p_max_cycle", "Pa", 0.0, "highest stage pressure over the last cycle"),
        Local("work_expansion", "J", 0.0, "expansion work since the start, integral of p dV_e"),
        Local("work_compression", "J", 0.0, "compression work input since the start, -integral of p dV_c"),
        Local("cycles", "1", 0.0, "completed cycles"),
    )
    default_step = 2e-5
    input_order = 2  # the mass follows polynomial flows over a step (_mass_curve)
    state_attributes = ("_phi", "_acc")

    def setup(self) -> None:
        R, _ = ideal_gas(self)
        self._R = R
        if self.T_dead <= 0.0 or self.T_expansion <= 0.0 or self.T_compression <= 0.0:
            raise ParameterError(f"actor '{self.name}': temperatures must be positive")
        # C(phi) = c0 + ce cos(phi) + cc cos(phi - alpha)  [kg/Pa]
        ce = 0.5 * self.swept_volume_expansion / (R * self.T_expansion)
        cc = 0.5 * self.swept_volume_compression / (R * self.T_compression)
        self._ce, self._cc = ce, cc
        self._c0 = ce + cc + self.dead_volume / (R * self.T_dead)
        self._phi = float(self.crank_angle_start)
        self.mass = self.p_charge * self._capacity(self._phi)
        self._publish_state(self.mass)
        self.power_expansion = self.power_compression = 0.0
        self.heat_expansion = self.heat_compression = 0.0
        self.power_expansion_cycle = self.power_compression_cycle = 0.0
        self.p_min_cycle = self.p_max_cycle = self.p
        self.work_expansion = self.work_compression = 0.0
        self.cycles = 0.0
        # accumulators of the running cycle: [int p dV_e, -int p dV_c, time, p_min, p_max]
        self._acc = [0.0, 0.0, 0.0, self.p, self.p]

    def _capacity(self, phi: float) -> float:
        return self._c0 + self._ce * math.cos(phi) + self._cc * math.cos(phi - self.phase)

    def _publish_state(self, mass: float) -> None:
        phi = self._phi
        self.p = mass / self._capacity(phi)
        self.V_e = 0.5 * self.swept_volume_expansion * (1.0 + math.cos(phi))
        self.V_c = 0.5 * self.swept_volume_compression * (1.0 + math.cos(phi - self.phase))
        self.crank_angle = phi % _TWO_PI

    def _work(self, phi0: float, m0: float, dphi: float, dm: float, bend=None) -> tuple[float, float]:
        """(int p dV_e, -int p dV_c) over phi0 .. phi0 + dphi with the mass linear in phi from
        m0 to m0 + dm (the flows held, the frequency constant over the step); ``bend(s)``, s in
        [0, 1]: the mass's departure from that line when the flows are polynomials."""
        if dphi == 0.0:
            return 0.0, 0.0
        n = max(1, math.ceil(abs(dphi) / _PANEL))
        ve2 = 0.5 * self.swept_volume_expansion
        vc2 = 0.5 * self.swept_volume_compression
        c0, ce, cc, alpha = self._c0, self._ce, self._cc, self.phase
        we = wc = 0.0
        for k in range(n):
            for x, w in zip(_GL_X, _GL_W):
                s = (k + x) / n
                phi = phi0 + s * dphi
                ca, sa = math.cos(phi), math.sin(phi)
                cb, sb = math.cos(phi - alpha), math.sin(phi - alpha)
                m = m0 + s * dm if bend is None else m0 + s * dm + bend(s)
                p = m / (c0 + ce * ca + cc * cb)
                we -= w * p * sa          # p dV_e/dphi = -V_E/2 p sin(phi)
                wc += w * p * sb          # -p dV_c/dphi = V_C/2 p sin(phi - alpha)
        scale = dphi / n
        return we * ve2 * scale, wc * vc2 * scale

    def _mass_curve(self, m0: float):
        """The gas mass as a function of the time into the step [s -> kg] when the flows come as
        polynomials (a coupling order >= 1): m0 + q tau + q' tau^2/2 + q'' tau^3/6; None when
        they are held (the mass is then linear)."""
        q, q1, q2 = net_flow(self)
        if not self.input_derivatives:
            return None
        return lambda tau: m0 + tau * (q + tau * (q1 / 2 + tau * q2 / 6))

    def do_step(self, t: float, h: float) -> None:
        if not h > 0.0:
            return
        mdot = self.mdot_in - self.mdot_out
        m0, phi0 = self.mass, self._phi
        mass_at = self._mass_curve(m0)
        m1 = m0 + h * mdot if mass_at is None else mass_at(h)
        if not m1 > 0.0:
            raise ModelError(f"actor '{self.name}': the stage emptied (gas {m1:g} kg)")
        p0, Ve0, Vc0 = self.p, self.V_e, self.V_c
        dphi = _TWO_PI * self.frequency * h
        phi1 = phi0 + dphi
        if dphi > 0.0:
            # steps that divide the period add up to a multiple of 2 pi only to rounding: snap
            # the end of such a step onto the cycle boundary
            near = round(phi1 / _TWO_PI) * _TWO_PI
            if abs(phi1 - near) <= 1e-9 * dphi and near > phi0:
                phi1 = near
                dphi = phi1 - phi0
        acc = self._acc
        # the running cycle ends where phi passes the next multiple of 2 pi (perhaps several
        # times in one long step): split the step there
        W_e = W_c = 0.0
        a_phi, a_m, a_t = phi0, m0, 0.0
        boundary = (math.floor(phi0 / _TWO_PI) + 1) * _TWO_PI if dphi > 0.0 else math.inf
        while boundary <= phi1:
            frac = (boundary - phi0) / dphi
            b_t = frac * h
            b_m = m0 + frac * h * mdot if mass_at is None else mass_at(b_t)
            we, wc = self._work(a_phi, a_m, boundary - a_phi, b_m - a_m, _bend(mass_at, a_t, b_t, a_m, b_m))
            W_e += we
            W_c += wc
            acc[0] += we
            acc[1] += wc
            acc[2] += b_t - a_t
            pb = b_m / self._capacity(boundary)
            acc[3], acc[4] = min(acc[3], pb), max(acc[4], pb)
            if acc[2] > 0.0:
                self.power_expansion_cycle = acc[0] / acc[2]
                self.power_compression_cycle = acc[1] / acc[2]
            self.p_min_cycle, self.p_max_cycle = acc[3], acc[4]
            self.cycles += 1.0
            acc[:] = [0.0, 0.0, 0.0, pb, pb]
            a_phi, a_m, a_t = boundary, b_m, b_t
            boundary += _TWO_PI
        we, wc = self._work(a_phi, a_m, phi1 - a_phi, m1 - a_m, _bend(mass_at, a_t, h, a_m, m1))
        W_e += we
        W_c += wc
        acc[0] += we
        acc[1] += wc
        acc[2] += h - a_t
        self._phi = phi1
        self.mass = m1
        self._publish_state(m1)
        acc[3], acc[4] = min(acc[3], self.p), max(acc[4], self.p)
        self.work_expansion += W_e
        self.work_compression += W_c
        self.power_expansion = W_e / h
        self.power_compression = W_c / h
        # -int V dp = int p dV - [p V]: heat absorbed by an isothermal space
        self.heat_expansion = (W_e - (self.p * self.V_e - p0 * Ve0)) / h
        # rejected by the compression space: int V_c dp = [p V_c] - int p dV_c, -int p dV_c = W_c
        self.heat_compression = (W_c + (self.p * self.V_c - p0 * Vc0)) / h


def _bend(mass_at, ta: float, tb: float, ma: float, mb: float):
    """The mass's departure from the line between (ta, ma) and (tb, mb) [s, kg], as a function of
    s in [0, 1] (``StirlingStage._work``); None for held flows (the mass is that line)."""
    if mass_at is None:
        return None
    return lambda s: mass_at(ta + s * (tb - ta)) - (ma + s * (mb - ma))
