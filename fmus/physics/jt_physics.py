"""Physics of the Joule-Thomson 4 K stage of J. R. Fisher, *Typical heat loads in a cryogenic
receiver dewar and a discussion of the refrigerator principles of operation*, NRAO Electronics
Division Technical Note 203 (1979), section 4.2 (seed 002): the J-T loop of its Fig. 10.

Pure functions and caches, no actor.  SI inside (Pa, K, kg, J/kg, W); real helium from CoolProp's
Helmholtz equation of state (HEOS; Ortiz-Vega et al. 2013), where the note used the 1972 tables
of McCarty (NBS TN 631).  CoolProp's enthalpy is zero for saturated liquid at 1 atm; the note's
is zero at 0 K, so absolute enthalpies differ by a constant (about 9.5 J/g) and only differences
are compared.

The loop (Fig. 10; states 0-10 of Table 12)::

    0 --X1(hot)--> 1 --77 K station--> 2 --X2(hot)--> 3 --15 K station--> 4 --X3(hot)--> 5
    5 --J-T valve (isenthalpic)--> 6 --4 K station (load)--> 7 --X3(cold)--> 8 --X2(cold)--> 9
    9 --X1(cold)--> 10                          supply p_high on 0-5, exhaust p_low on 6-10

The stations are "high capacity heat sinks": the supply stream leaves the 77 K and 15 K stations
at their temperatures (2 and 4); the heat it rejects there is mdot (h1 - h2) and mdot (h3 - h4).
No pressure drop outside the J-T valve (the note's assumption).

Exchanger effectiveness, two definitions (:meth:`JTLoop.exchanger_duty`):

* ``"note"`` -- eq. 35-38 as written: E = (enthalpy given up by the warm stream) / (enthalpy the
  cold stream would take up heated to the warm inlet temperature), E_1 = (H_0 - H_1)/(H_10 - H_9)
  with H_10 at T_0.  Referenced to the cold stream only, so for E -> 1 the warm stream can be
  cooled below the cold stream's inlet temperature (a second-law violation) wherever the warm
  stream has the smaller heat capacity: X3 between 4.2 and 15 K.
* ``"pinch"`` -- E times the largest duty a counterflow exchanger can have between the two real
  isobars: q_max = min over T in [T_cold,in, T_hot,in] of (h_hot,in - h_hot(T)) + (h_cold(T) -
  h_cold,in) (zero temperature difference at a pinch at T; the two ends are the hot- and the
  cold-stream limits).  For X1 and X2 it equals the note's (the cold stream limits); for X3 it
  keeps the J-T inlet above the 4 K station.  The actor uses it by default.

The J-T valve (eq. 39-47): the note integrates the area-velocity relation (eq. 47) along the
isentrope from the stagnation state (p0, T0) to the point where the velocity equals the speed of
sound.  Equivalently (eq. 39, 41 at constant entropy) the throat is where the mass flux
rho v, v = sqrt(2 (h0 - h(p, s0))), is largest along the isentrope: :func:`isentropic_nozzle`
finds that maximum with scipy's bounded scalar minimiser on the pressure.  In the gas the maximum
is where v = c (eq. 46-47), the sonic throat.  Below about 6-8 K at 20 atm the stagnation state
is a dense fluid whose isentrope reaches the saturation line before it becomes sonic (the note's
caveat, "helium can turn to liquid in the nozzle"); the flux is then taken in homogeneous
equilibrium (CoolProp's two-phase pressure-entropy flash), whose maximum lies at the bubble point
-- or at the exhaust pressure if that is higher: the throat pressure is bounded below by the
exhaust pressure ``p_out`` (the flow cannot expand below it; with the maximum there the valve is
not choked).

Cost: a pressure-entropy flash of helium costs 40-120 us and a nozzle solution 10-30 of them
(1-6 ms), so a stepping actor reads cached tables: :class:`Isobar` (h(T) and its inverse on a
supply or exhaust isobar, cubic Hermite with the exact cp as slope) and :class:`ChokedFlowTable`
(the mass flux against inlet temperature at fixed supply and exhaust pressures).  After the tables
are built, a loop evaluation makes no CoolProp call.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

#: standard atmosphere [Pa]
ATM = 101325.0
#: the note's design point: supply 20 atm, exhaust 1 atm, 0.32 g/s (Table 12)
P_HIGH_NOTE = 20.0 * ATM
P_LOW_NOTE = 1.0 * ATM
MDOT_NOTE = 0.32e-3
#: lowest temperature of the tables [K] (CoolProp's helium starts at the lambda point, 2.1768 K)
T_TABLE_MIN = 2.2
#: highest temperature of the tables [K]
T_TABLE_MAX = 500.0
#: lowest J-T inlet temperature of the valve's flow table [K]: below it the isentrope from 20 atm
#: leaves CoolProp's range (2.1768 K) above 1 atm; the J-T inlet is never colder than the 4 K
#: station, and the exhaust pressure is held to T_sat(p_low) >= this value
T_FLOW_MIN = 2.45

_CP = None
_AS = None


def _he():
    """The module's HEOS helium AbstractState (for flashes the Gas wrapper lacks: PQ, PS, ST)."""
    global _CP, _AS
    if _AS is None:
        import CoolProp.CoolProp as cp

        _CP = cp
        _AS = cp.AbstractState("HEOS", "Helium")
    return _AS


def critical_pressure() -> float:
    """Critical pressure of helium [Pa] (CoolProp: 2.2832e5 Pa, 2.253 atm)."""
    return float(_he().p_critical())


def critical_temperature() -> float:
    """Critical temperature of helium [K] (CoolProp: 5.1953 K)."""
    return float(_he().T_critical())


def lowest_saturation_pressure() -> float:
    """The lowest pressure [Pa] of CoolProp's helium saturation line, 5039 Pa at 2.1768 K (its
    equation of state starts at the lambda point).  Below it CoolProp's PQ flash does not fail
    but returns a wrong state (101 Pa gives 2.56 K, above T_sat at 0.1 atm), so pressures below
    it are refused, not passed on."""
    return float(_he().keyed_output(_CP.iP_triple))


def _check_subcritical(p: float) -> None:
    pc, pt = critical_pressure(), lowest_saturation_pressure()
    if not (pt <= p < pc):
        raise ValueError(f"helium saturation needs {pt:.6g} Pa (CoolProp's lowest, at the lambda "
                         f"point) <= p < p_c = {pc:.6g} Pa, got p = {p!r} Pa")


def saturation_temperature(p: float) -> float:
    """Boiling temperature [K] of helium at pressure ``p`` [Pa] (the 4 K station's temperature
    with liquid in it at the exhaust pressure; the note: "about 2.5 K at 0.1 atmospheres ... to
    5.2 K at 2.2 atmospheres", 4.2 K at 1 atm)."""
    _check_subcritical(p)
    a = _he()
    a.update(_CP.PQ_INPUTS, p, 1.0)
    return a.T()


@dataclass(frozen=True)
class Saturation:
    """Saturated liquid and vapour at one pressure (SI)."""
    p: float
    T: float
    h_liquid: float
    h_vapour: float
    rho_liquid: float
    rho_vapour: float
    cp_vapour: float

    @property
    def latent_heat(self) -> float:
        """h_vapour - h_liquid [J/kg] (the note: 20.6 J/g at 4.2 K)."""
        return self.h_vapour - self.h_liquid


def saturation(p: float) -> Saturation:
    """Saturated states of helium at ``p`` [Pa] (two PQ flashes)."""
    _check_subcritical(p)
    a = _he()
    a.update(_CP.PQ_INPUTS, p, 0.0)
    T, hl, rl = a.T(), a.hmass(), a.rhomass()
    a.update(_CP.PQ_INPUTS, p, 1.0)
    return Saturation(p, T, hl, a.hmass(), rl, a.rhomass(), a.cpmass())


# -- the J-T valve: isentropic nozzle (eq. 39-47) -------------------------------------------------

@dataclass(frozen=True)
class NozzleThroat:
    """The state at the throat of an isentropic nozzle fed from rest at (p0, T0).

    ``mass_flux`` rho v [kg/(m2 s)]; ``p``, ``T``, ``rho``, ``h`` the throat state; ``velocity`` v;
    ``speed_of_sound`` c (NaN in the two-phase region); ``quality`` vapour mass fraction (NaN for a
    single phase); ``choked`` False when the largest flux lies at the exhaust pressure (then the
    flow is not sonic and depends on the exhaust pressure)."""
    mass_flux: float
    p: float
    T: float
    rho: float
    h: float
    velocity: float
    speed_of_sound: float
    quality: float
    choked: bool
    evaluations: int = 0


def _isentrope_floor(s0: float, p0: float) -> float:
    """Lowest pressure [Pa] on the isentrope s0 that stays above CoolProp's helium range (2.1768 K,
    the lambda point): the pressure at T = Tmin + 5 mK, or 1e-6 p0."""
    a = _he()
    floor = 1e-6 * p0
    try:
        a.update(_CP.SmassT_INPUTS, s0, a.Tmin() + 0.005)
        floor = max(floor, a.p())
    except ValueError:
        pass
    return floor


def isentropic_nozzle(p0: float, T0: float, p_out: float = 0.0, xatol: float = 1e-6) -> NozzleThroat:
    """Throat of a nozzle fed with helium at rest at (p0 [Pa], T0 [K]), by the note's isentropic
    nozzle method (eq. 39-47).

    Along the isentrope s = s(p0, T0) the energy equation (eq. 41) gives the velocity
    v = sqrt(2 (h0 - h(p, s0))) and continuity (eq. 39) the area per unit mass flow 1/(rho v); the
    throat (dA = 0, where eq. 47 puts v = c) is the largest mass flux rho v.  It is found with
    ``scipy.optimize.minimize_scalar(method="bounded")`` on the pressure between
    max(p_out, the isentrope's lowest pressure in CoolProp's range) and p0, to ``xatol`` p0 (the
    flux is flat at its maximum: its relative error is of order xatol**2).  Each evaluation is one
    CoolProp pressure-entropy flash (equilibrium two-phase states included).
    """
    from scipy.optimize import minimize_scalar

    if not (p0 > 0.0 and T0 > 0.0 and math.isfinite(p0) and math.isfinite(T0)):
        raise ValueError(f"nozzle inlet needs p0 > 0 and T0 > 0, got p0={p0!r} Pa, T0={T0!r} K")
    a = _he()
    a.update(_CP.PT_INPUTS, p0, T0)
    s0, h0 = a.smass(), a.hmass()
    p_lo = max(p_out, _isentrope_floor(s0, p0))
    if not p_lo < p0:
        raise ValueError(f"exhaust pressure {p_out!r} Pa is not below the inlet pressure {p0!r} Pa")
    PS = _CP.PSmass_INPUTS
    count = [0]

    def neg_flux(p: float) -> float:
        count[0] += 1
        try:
            a.update(PS, p, s0)
        except ValueError:
            return 0.0
        dh = h0 - a.hmass()
        return -a.rhomass() * math.sqrt(2.0 * dh) if dh > 0.0 else 0.0

    # the flux is unimodal along the isentrope (it rises from 0 at p0 to the throat, then falls):
    # if it still rises toward the exhaust pressure, the largest flux is there (not choked; the
    # bounded method would creep toward that bound in ~30 evaluations)
    choked = True
    if p_out > 0.0 and p_out >= p_lo and neg_flux(p_lo) <= neg_flux(p_lo + 1e-6 * (p0 - p_lo)):
        p, choked = p_lo, False
    else:
        res = minimize_scalar(neg_flux, bounds=(p_lo, p0), method="bounded",
                              options={"xatol": xatol * p0})
        p = float(res.x)
    g = -neg_flux(p)
    q = a.Q()
    two_phase = 0.0 <= q <= 1.0
    c = math.nan if two_phase else a.speed_sound()
    return NozzleThroat(g, p, a.T(), a.rhomass(), a.hmass(), math.sqrt(max(2.0 * (h0 - a.hmass()), 0.0)),
                        c, q if two_phase else math.nan, choked, count[0])


def choked_mass_flux(p0: float, T0: float, p_out: float = 0.0) -> float:
    """Largest mass flux [kg/(m2 s)] of helium from rest at (p0 [Pa], T0 [K]) through a nozzle
    discharging at ``p_out`` [Pa] (0: into vacuum, the pure choked flux) -- eq. 39-47, see
    :func:`isentropic_nozzle`.  Ideal-gas limit: p0 sqrt(gamma/(R T0)) (2/(gamma+1))^((gamma+1)/
    (2(gamma-1)))."""
    return isentropic_nozzle(p0, T0, p_out).mass_flux


def jt_mass_flow(p0: float, T0: float, throat_area: float, p_out: float = 0.0) -> float:
    """Mass flow [kg/s] through a J-T valve of throat area ``throat_area`` [m2] fed at (p0, T0):
    area x :func:`choked_mass_flux` (the note's sonic nozzle, Fig. 12)."""
    return throat_area * choked_mass_flux(p0, T0, p_out)


# -- tables ------------------------------------------------------------------------------------------

def _hermite_slope(x0, x1, y0, y1, m0, m1, x):
    d = x1 - x0
    t = (x - x0) / d
    t2 = t * t
    return ((6.0 * t2 - 6.0 * t) * y0 / d + (3.0 * t2 - 4.0 * t + 1.0) * m0
            + (-6.0 * t2 + 6.0 * t) * y1 / d + (3.0 * t2 - 2.0 * t) * m1)


class Isobar:
    """h(T) and T(h) of helium on one isobar, tabulated once: ``n`` nodes spaced geometrically in
    T from ``T_lo`` (or, below the critical pressure, the saturated vapour at T_sat(p)) to ``T_hi``;
    cubic Hermite interpolation with the exact cp (dh/dT) as slope, so h, cp and their inverse come
    without CoolProp calls.  Below p_c the isobar is the vapour branch only (T >= T_sat); above
    it the whole fluid from ``T_lo``.  Checked against CoolProp in ``tests/test_jt_stage.py``
    (relative error of h below 1e-6 of its span at the default 400 nodes)."""

    def __init__(self, p: float, T_lo: float = T_TABLE_MIN, T_hi: float = T_TABLE_MAX, n: int = 400):
        a = _he()
        self.p = float(p)
        self.subcritical = p < critical_pressure()
        self.sat = saturation(p) if self.subcritical else None
        if self.sat is not None:
            T_lo = self.sat.T
        self.T_lo, self.T_hi = float(T_lo), float(T_hi)
        self._l0 = math.log(T_lo)
        self._dl = math.log(T_hi / T_lo) / (n - 1)
        self._inv_dl = 1.0 / self._dl
        Ts = [T_lo * math.exp(k * self._dl) for k in range(n)]
        Ts[-1] = T_hi
        hs, cps = [], []
        for k, T in enumerate(Ts):
            if k == 0 and self.sat is not None:
                hs.append(self.sat.h_vapour)
                cps.append(self.sat.cp_vapour)
                continue
            if self.subcritical:
                a.specify_phase(_CP.iphase_gas)
            try:
                a.update(_CP.PT_INPUTS, p, T)
            finally:
                if self.subcritical:
                    a.unspecify_phase()
            hs.append(a.hmass())
            cps.append(a.cpmass())
        self.Ts, self.hs, self.cps = Ts, hs, cps
        self.n = n

    def _index(self, T: float) -> int:
        i = int((math.log(T) - self._l0) * self._inv_dl)
        return 0 if i < 0 else (self.n - 2 if i > self.n - 2 else i)

    def in_range(self, T: float) -> bool:
        return self.T_lo * (1.0 - 1e-12) <= T <= self.T_hi

    def h(self, T: float) -> float:
        """Specific enthalpy [J/kg] at T [K] (clamped to the table: check :meth:`in_range`)."""
        if T <= self.T_lo:
            return self.hs[0]
        if T >= self.T_hi:
            return self.hs[-1]
        i = int((math.log(T) - self._l0) * self._inv_dl)
        if i > self.n - 2:
            i = self.n - 2
        Ts, hs, cps = self.Ts, self.hs, self.cps
        T0 = Ts[i]
        d = Ts[i + 1] - T0
        t = (T - T0) / d
        t2 = t * t
        t3 = t2 * t
        return ((2.0 * t3 - 3.0 * t2 + 1.0) * hs[i] + (t3 - 2.0 * t2 + t) * d * cps[i]
                + (-2.0 * t3 + 3.0 * t2) * hs[i + 1] + (t3 - t2) * d * cps[i + 1])

    def cp(self, T: float) -> float:
        """dh/dT [J/(kg K)] of the interpolant at T [K]."""
        T = min(max(T, self.T_lo), self.T_hi)
        i = self._index(T)
        Ts, hs, cps = self.Ts, self.hs, self.cps
        return _hermite_slope(Ts[i], Ts[i + 1], hs[i], hs[i + 1], cps[i], cps[i + 1], T)

    def T(self, h: float) -> float:
        """Temperature [K] at specific enthalpy h [J/kg]: cubic Hermite in h through the same nodes
        with slope 1/cp (the inverse of :meth:`h` to within the table's own accuracy, about 1e-6 K;
        checked in the tests).  Outside the table: ValueError."""
        hs = self.hs
        if not (hs[0] <= h <= hs[-1]):
            raise ValueError(f"helium h = {h:.6g} J/kg outside the {self.p:.6g} Pa isobar table "
                             f"({hs[0]:.6g} to {hs[-1]:.6g} J/kg, {self.T_lo:.4g}-{self.T_hi:.4g} K)")
        i = bisect.bisect_right(hs, h) - 1
        if i > self.n - 2:
            i = self.n - 2
        Ts, cps = self.Ts, self.cps
        h0 = hs[i]
        d = hs[i + 1] - h0
        t = (h - h0) / d
        t2 = t * t
        t3 = t2 * t
        return ((2.0 * t3 - 3.0 * t2 + 1.0) * Ts[i] + (t3 - 2.0 * t2 + t) * d / cps[i]
                + (-2.0 * t3 + 3.0 * t2) * Ts[i + 1] + (t3 - t2) * d / cps[i + 1])


class RangeExtremes:
    """Minimum and maximum of a fixed list over index ranges in O(1) (sparse tables)."""

    def __init__(self, values: list):
        self.lo = [list(values)]
        self.hi = [list(values)]
        n, k = len(values), 1
        while 2 * k <= n:
            plo, phi = self.lo[-1], self.hi[-1]
            self.lo.append([min(plo[i], plo[i + k]) for i in range(n - 2 * k + 1)])
            self.hi.append([max(phi[i], phi[i + k]) for i in range(n - 2 * k + 1)])
            k *= 2

    def min(self, i0: int, i1: int) -> float:
        """min(values[i0:i1]) (i1 > i0)."""
        k = (i1 - i0).bit_length() - 1
        row = self.lo[k]
        a, b = row[i0], row[i1 - (1 << k)]
        return a if a < b else b

    def max(self, i0: int, i1: int) -> float:
        """max(values[i0:i1]) (i1 > i0)."""
        k = (i1 - i0).bit_length() - 1
        row = self.hi[k]
        a, b = row[i0], row[i1 - (1 << k)]
        return a if a > b else b


class ChokedFlowTable:
    """The J-T valve's mass flux G(T0) [kg/(m2 s)] at fixed inlet pressure ``p0`` and exhaust
    pressure ``p_out``, tabulated from :func:`isentropic_nozzle` on ``n`` nodes geometric in T0
    over [T_lo, T_hi]; interpolated as ln G against ln T0 by a monotone cubic (PCHIP slopes, so
    the kink where the throat leaves the bubble point for the sonic point is not overshot).  In
    the gas ln G is nearly linear in ln T0 (G ~ T0**-1/2).  Building costs ~1-6 ms per node
    (about 0.3 s at the default 120 nodes); a look-up ~1 us."""

    def __init__(self, p0: float, p_out: float, T_lo: float = T_FLOW_MIN,
                 T_hi: float = T_TABLE_MAX, n: int = 120):
        from scipy.interpolate import PchipInterpolator

        self.p0, self.p_out = float(p0), float(p_out)
        self.T_lo, self.T_hi, self.n = float(T_lo), float(T_hi), n
        self._l0 = math.log(T_lo)
        self._dl = math.log(T_hi / T_lo) / (n - 1)
        self._inv_dl = 1.0 / self._dl
        xs = [self._l0 + k * self._dl for k in range(n)]
        throats = [isentropic_nozzle(p0, math.exp(x), p_out) for x in xs]
        ys = [math.log(t.mass_flux) for t in throats]
        slopes = PchipInterpolator(xs, ys).derivative()(xs)
        self.xs, self.ys, self.ms = xs, ys, [float(m) for m in slopes]
        #: throat pressure [Pa] at the nodes (diagnostic)
        self.p_throat = [t.p for t in throats]
        self.choked = [t.choked for t in throats]

    def __call__(self, T0: float) -> float:
        """Mass flux [kg/(m2 s)] at inlet temperature T0 [K] (clamped to the table's range)."""
        x = math.log(self.T_lo if T0 < self.T_lo else (self.T_hi if T0 > self.T_hi else T0))
        i = int((x - self._l0) * self._inv_dl)
        i = 0 if i < 0 else (self.n - 2 if i > self.n - 2 else i)
        xs, ys, ms = self.xs, self.ys, self.ms
        x0 = xs[i]
        d = xs[i + 1] - x0
        t = (x - x0) / d
        t2 = t * t
        t3 = t2 * t
        return math.exp((2.0 * t3 - 3.0 * t2 + 1.0) * ys[i] + (t3 - 2.0 * t2 + t) * d * ms[i]
                        + (-2.0 * t3 + 3.0 * t2) * ys[i + 1] + (t3 - t2) * d * ms[i + 1])


_ISOBARS: dict[float, Isobar] = {}
_CHOKED: dict[tuple[float, float], ChokedFlowTable] = {}


def isobar(p: float) -> Isobar:
    """The cached :class:`Isobar` at ``p`` [Pa]."""
    key = float(p)
    tab = _ISOBARS.get(key)
    if tab is None:
        tab = _ISOBARS[key] = Isobar(key)
    return tab


def choked_flow_table(p0: float, p_out: float) -> ChokedFlowTable:
    """The cached :class:`ChokedFlowTable` at (p0, p_out) [Pa]."""
    key = (float(p0), float(p_out))
    tab = _CHOKED.get(key)
    if tab is None:
        tab = _CHOKED[key] = ChokedFlowTable(*key)
    return tab


# -- the J-T loop ------------------------------------------------------------------------------------

DEFINITIONS = ("pinch", "note")


@dataclass
class LoopState:
    """Steady state of the J-T loop (Fig. 10, Table 12): ``T``, ``h``, ``p`` of points 0-10 (lists
    indexed by the point number; SI), the heat rejected to the 77 K and 15 K stations
    (``heat_77`` = mdot (h1 - h2), ``heat_15`` = mdot (h3 - h4)), the refrigeration at the 4 K
    station ``capacity`` = mdot (h7 - h6), the note's loss terms ``loss_X3`` (eq. 37,
    mdot (1 - E3)(h(p_low, T4) - h7)) and ``loss_X2`` (eq. 38, mdot (1 - E2)(h(p_low, T2) - h8)),
    the vapour fraction after the valve ``quality_6`` (NaN if not two-phase), ``mdot`` [kg/s]."""
    mdot: float
    T: list
    h: list
    p: list
    heat_77: float
    heat_15: float
    capacity: float
    loss_X3: float
    loss_X2: float
    quality_6: float
    definition: str
    approximation: int
    extra: dict = field(default_factory=dict)

    def H(self, i: int, offset: float = 0.0) -> float:
        """Enthalpy flow mdot (h_i + offset) [W] of point i (the note's "H (J)" at its mass flow)."""
        return self.mdot * (self.h[i] + offset)


class LoopPressureError(ValueError):
    """A pressure the J-T loop cannot run at; ``which`` names it: ``"p_high"`` (the supply) or
    ``"p_low"`` (the exhaust)."""

    def __init__(self, which: str, message: str):
        super().__init__(message)
        self.which = which


class JTLoop:
    """The J-T loop of Fig. 10 at fixed supply ``p_high`` and exhaust ``p_low`` pressures [Pa]:
    the two isobar tables, the exchanger duty, the valve's flow table (built on first use), and the
    steady-state solution.  ``p_high`` must be supercritical (the note: 20 atm) and ``p_low``
    subcritical (liquid forms at the 4 K station)."""

    def __init__(self, p_high: float = P_HIGH_NOTE, p_low: float = P_LOW_NOTE):
        pc = critical_pressure()
        if not p_high > 1.05 * pc:
            raise LoopPressureError("p_high", f"supply pressure {p_high:.6g} Pa must exceed 1.05 p_c = {1.05 * pc:.6g} Pa "
                             "(a supercritical J-T supply, as the note's 20 atm)")
        p_min = lowest_saturation_pressure()
        if not p_min <= p_low < 0.99 * pc:
            raise LoopPressureError("p_low", f"exhaust pressure {p_low:.6g} Pa must lie between {p_min:.6g} Pa "
                             f"(the lowest of CoolProp's helium saturation line) and 0.99 p_c = "
                             f"{0.99 * pc:.6g} Pa (liquid must form at the 4 K station)")
        self.p_high, self.p_low = float(p_high), float(p_low)
        self.hp = isobar(p_high)
        self.lp = isobar(p_low)
        self.sat = self.lp.sat
        if self.sat.T < T_FLOW_MIN:
            raise LoopPressureError("p_low", f"exhaust pressure {p_low:.6g} Pa boils helium at {self.sat.T:.4g} K, below "
                             f"the {T_FLOW_MIN} K the valve's flow table starts at (0.1 atm: 2.50 K)")
        # D(T) = h_low(T) - h_high(T) at the exhaust isobar's nodes (the isothermal J-T enthalpy
        # difference, the pinch analysis' only T-dependent term)
        hp = self.hp
        self._D = [hl - hp.h(T) for T, hl in zip(self.lp.Ts, self.lp.hs)]
        self._D_range = RangeExtremes(self._D)
        self._flow = None

    # -- the valve --------------------------------------------------------------------------------
    def flow_table(self) -> ChokedFlowTable:
        if self._flow is None:
            self._flow = choked_flow_table(self.p_high, self.p_low)
        return self._flow

    def mass_flux(self, T5: float) -> float:
        """The valve's mass flux [kg/(m2 s)] at J-T inlet temperature T5 [K] (table)."""
        return self.flow_table()(T5)

    # -- exchangers -------------------------------------------------------------------------------
    def _range_D(self, Ta: float, Tb: float, want_min: bool) -> float:
        """min (or max) of D over the exhaust isobar's nodes strictly inside (Ta, Tb); +-inf if
        none."""
        lp = self.lp
        if Ta < lp.T_lo:
            Ta = lp.T_lo
        if not Tb > Ta:
            return math.inf if want_min else -math.inf
        Ts = lp.Ts
        i0 = lp._index(Ta) + 1                 # first node above Ta (nodes ascend)
        if Tb >= Ts[-1]:
            i1 = lp.n - 1
        else:
            i1 = lp._index(Tb) + 1             # nodes i0 .. i1-1 lie below Tb ...
            if Ts[i1 - 1] >= Tb:               # ... up to rounding of the index
                i1 -= 1
        if i1 <= i0:
            return math.inf if want_min else -math.inf
        return self._D_range.min(i0, i1) if want_min else self._D_range.max(i0, i1)

    def exchanger_duty(self, E: float, hA: float, TA: float, hB: float, TB: float,
                       definition: str = "pinch") -> float:
        """Heat [J/kg of either stream, equal flows] a counterflow exchanger of effectiveness E
        passes from the supply stream A (p_high; inlet hA, TA) to the exhaust stream B (p_low;
        inlet hB, TB); negative when B is the warmer.  ``definition`` "note" (eq. 35-38: E times
        the cold stream's enthalpy rise to the warm inlet temperature) or "pinch" (E times the
        largest feasible duty between the real isobars; see the module docstring)."""
        hp, lp = self.hp, self.lp
        if TA >= TB:      # A warm
            if definition == "note":
                return E * (lp.h(TA) - hB)
            q_hot = hA - hp.h(TB) if TB >= hp.T_lo else math.inf     # pinch at the cold end
            q_cold = lp.h(TA) - hB                                    # pinch at the warm end
            q_mid = (hA - hB) + self._range_D(TB, TA, True)          # pinch inside
            return E * min(q_hot, q_cold, q_mid)
        # B warm (e.g. a 4 K station warmer than the 15 K station during cool-down)
        if definition == "note":
            return -E * (hp.h(TB) - hA)
        q_hot = hB - lp.h(TA) if TA >= lp.T_lo else math.inf
        q_cold = hp.h(TB) - hA
        q_mid = (hB - hA) - self._range_D(TA, TB, False)
        return -E * min(q_hot, q_cold, q_mid)

    # -- the loop ---------------------------------------------------------------------------------
    def state6(self, h6: float) -> tuple[float, float]:
        """(T, quality) after the valve at enthalpy h6 on the exhaust isobar (quality NaN above the
        saturated vapour; T = T_sat in the two-phase region)."""
        sat = self.sat
        if h6 <= sat.h_vapour:
            return sat.T, (h6 - sat.h_liquid) / sat.latent_heat
        return self.lp.T(h6), math.nan

    def solve(self, mdot: float | None = None, *, throat_area: float | None = None,
              T_supply: float = 300.0, T_77: float = 77.0, T_15: float = 15.0,
              T_load: float | None = None, h_load_out: float | None = None,
              E1: float = 0.96, E2: float = 0.96, E3: float = 0.96,
              definition: str = "pinch", approximation: int = 2) -> LoopState:
        """Steady state of the loop (Table 12 layout).

        ``mdot`` [kg/s] given, or ``throat_area`` [m2]: then mdot is the valve's flow at the J-T
        inlet state 5 (Fig. 12, 13).  Stations at ``T_77``, ``T_15``; supply at ``T_supply``.  The
        stream leaves the 4 K station (point 7) as vapour at ``T_load`` (default: saturated vapour
        at T_sat(p_low), a station holding liquid), or with enthalpy ``h_load_out`` if given (a
        wet return from an overflowing pot).

        ``approximation`` 2 (the note's "second approximation", exact): X3, X2, X1 in turn, each
        with its real inlets.  ``approximation`` 1 (the note's "first approximation"): the cold
        outlets 8, 9, 10 set at the warm inlet temperatures T4, T2, T0 (the note's underlined
        entries), the warm outlets 1, 3 from eq. 35, 36 with them, and state 5 from the energy
        balance of X3 with those ends (h5 = h4 - (h8 - h7)), so the 4 K capacity is H8 - H4, the
        note's "4.44 W if E3 = 1.0".

        Capacity: mdot (h7 - h6) with h6 = h5 -- eq. 50 when the "note" definition is used:
        Q_L = [H7 (1 - E3) - H4 + E3 H8] mdot.
        """
        if definition not in DEFINITIONS:
            raise ValueError(f"definition {definition!r} is not one of {DEFINITIONS}")
        hp, lp, sat = self.hp, self.lp, self.sat
        T = [math.nan] * 11
        h = [math.nan] * 11
        p = [self.p_high] * 6 + [self.p_low] * 5
        T[0], h[0] = T_supply, hp.h(T_supply)
        T[2], h[2] = T_77, hp.h(T_77)
        T[4], h[4] = T_15, hp.h(T_15)
        if h_load_out is not None:
            h[7] = h_load_out
            T[7] = sat.T if h_load_out <= sat.h_vapour else lp.T(h_load_out)
        else:
            T[7] = sat.T if T_load is None else max(T_load, sat.T)
            h[7] = lp.h(T[7])
        if approximation == 1:
            T[8], h[8] = T[4], lp.h(T[4])
            T[9], h[9] = T[2], lp.h(T[2])
            T[10], h[10] = T[0], lp.h(T[0])
            h[5] = h[4] - (h[8] - h[7])
            h[3] = h[2] - E2 * (h[9] - h[8])              # eq. 36
            h[1] = h[0] - E1 * (h[10] - h[9])             # eq. 35
        elif approximation == 2:
            q3 = self.exchanger_duty(E3, h[4], T[4], h[7], T[7], definition)
            h[5], h[8] = h[4] - q3, h[7] + q3
            T[8] = lp.T(h[8]) if h[8] > sat.h_vapour else sat.T
            q2 = self.exchanger_duty(E2, h[2], T[2], h[8], T[8], definition)
            h[3], h[9] = h[2] - q2, h[8] + q2
            T[9] = lp.T(h[9]) if h[9] > sat.h_vapour else sat.T
            q1 = self.exchanger_duty(E1, h[0], T[0], h[9], T[9], definition)
            h[1], h[10] = h[0] - q1, h[9] + q1
            T[10] = lp.T(h[10]) if h[10] > sat.h_vapour else sat.T
        else:
            raise ValueError("approximation must be 1 or 2")
        T[1], T[3] = hp.T(h[1]), hp.T(h[3])
        T[5] = hp.T(h[5]) if h[5] >= hp.hs[0] else math.nan
        h[6] = h[5]
        T[6], x6 = self.state6(h[6]) if h[6] >= sat.h_liquid else (math.nan, math.nan)
        if mdot is None:
            if throat_area is None:
                raise ValueError("give mdot or throat_area")
            # NaN when X3 ("note" definition) cools the supply below the table (below 2.2 K)
            mdot = throat_area * self.mass_flux(T[5]) if T[5] == T[5] else math.nan
        loss_X3 = mdot * (1.0 - E3) * (lp.h(T[4]) - h[7])
        loss_X2 = mdot * (1.0 - E2) * (lp.h(T[2]) - h[8])
        return LoopState(mdot, T, h, p, mdot * (h[1] - h[2]), mdot * (h[3] - h[4]),
                         mdot * (h[7] - h[6]), loss_X3, loss_X2, x6, definition, approximation)

    def capacity(self, T_load: float, throat_area: float, T_15: float = 15.0, E3: float = 0.96,
                 definition: str = "pinch") -> tuple[float, float, float]:
        """Refrigeration [W] available at a 4 K station at ``T_load`` [K] (Fig. 13, eq. 50), with
        the valve's flow at the J-T inlet temperature that X3 gives: returns (capacity, mdot, T5).
        The stream leaves the station as vapour at T_load (saturated at T_sat(p_low) and below).
        NaNs when the "note" definition cools the supply below the tables (2.2 K): infeasible."""
        T7 = max(T_load, self.sat.T)
        h7 = self.lp.h(T7)
        h4 = self.hp.h(T_15)
        h5 = h4 - self.exchanger_duty(E3, h4, T_15, h7, T7, definition)
        if h5 < self.hp.hs[0]:      # "note" definition: X3 cools the supply below 2.2 K
            return math.nan, math.nan, math.nan
        T5 = self.hp.T(h5)
        mdot = throat_area * self.mass_flux(T5)
        return mdot * (h7 - h5), mdot, T5


_LOOPS: dict[tuple[float, float], JTLoop] = {}


def jt_loop_model(p_high: float = P_HIGH_NOTE, p_low: float = P_LOW_NOTE) -> JTLoop:
    """The cached :class:`JTLoop` at (p_high, p_low) [Pa]."""
    key = (float(p_high), float(p_low))
    loop = _LOOPS.get(key)
    if loop is None:
        loop = _LOOPS[key] = JTLoop(*key)
    return loop


def jt_loop(mdot: float | None = MDOT_NOTE, *, p_high: float = P_HIGH_NOTE, p_low: float = P_LOW_NOTE,
            **kwargs) -> LoopState:
    """Steady state of the J-T loop of Fig. 10 (Table 12; eq. 35-38, 50): see :meth:`JTLoop.solve`
    for the keyword arguments.  Defaults: the note's 0.32 g/s, 20 atm / 1 atm, 300/77/15 K,
    E1 = E2 = E3 = 0.96, the "pinch" definition, the second approximation."""
    return jt_loop_model(p_high, p_low).solve(mdot, **kwargs)


def capacity_eq50(mdot: float, h4: float, h7: float, h8: float, E3: float) -> float:
    """Eq. 50: Q_L = [h7 (1 - E3) - h4 + E3 h8] mdot [W] (h [J/kg], mdot [kg/s])."""
    return (h7 * (1.0 - E3) - h4 + E3 * h8) * mdot


def throat_area_for(mdot: float, p0: float = P_HIGH_NOTE, T0: float = 4.2, p_out: float = P_LOW_NOTE) -> float:
    """Throat area [m2] that passes ``mdot`` [kg/s] at the inlet state (p0, T0) -- the note's
    "J-T valve designed to give a mass flow rate of 0.32 gm/sec" at about 4.2 K."""
    return mdot / choked_mass_flux(p0, T0, p_out)
