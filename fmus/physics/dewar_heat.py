"""Heat loads in a cryogenic dewar: radiation, rarefied-gas conduction, solid conduction.

The equations are those of J. R. Fisher, "Typical heat loads in a cryogenic receiver dewar and a
discussion of the refrigerator principles of operation", NRAO Electronics Division Technical
Note 203 (1979), sections 1-3 (seed 002, "the note"); equation numbers below are the note's.
Everything here is SI: K, W, m, m2, Pa.

Radiation (sec. 1.1, after Fishenden & Saunders 1950).  Net exchange between two grey, diffuse
surfaces, H = sigma A E_eff (T1^4 - T2^4) (eq. 1), with the effective emissivity of parallel
plates (eq. 2), coaxial cylinders (eq. 3) or concentric spheres (eq. 4) referred to the area A
of the inner surface; a cavity radiates from its aperture with the higher emissivity of eq. 5;
floating shields (eqs. 6-13) are radiation resistances 1/E_eff in series.  sigma is the
Stefan-Boltzmann constant, 5.670e-8 W/(m2 K4) (CODATA; ``SIGMA``).  The note prints
5.46e-13 W/(cm2 K4) in eqs. 1-3 and 10 and uses it in sec. 2.1 and 3.2; that is 5.46e-9 in SI,
10.4 times smaller than sigma (eq. 4 prints 5.46e-12).  ``NOTE_SIGMA`` reproduces the note's
arithmetic; every default here uses ``SIGMA``.

Rarefied gas (sec. 1.2).  In the free-molecular regime (mean free path, eq. 14, much longer than
the gap) the heat flux is H = K a P (T2 - T1) (eq. 17) with, from kinetic theory (Knudsen;
R. B. Scott, *Cryogenic Engineering*, 1959; Corruccini, Vacuum 7-8 (1959) 19),

    K = (gamma + 1)/(gamma - 1) * sqrt(R / (8 pi M T_gauge))    [W/(m2 Pa K)]

where P is the pressure read by a gauge at T_gauge (room temperature).  This reproduces the
note's K = 2.8e-2 (He), 5.9e-2 (H2), 1.6e-2 (N2, air) W/(cm2 torr K) within 2.5 % (air is the
farthest: the note gives it nitrogen's value).  Eq. 16 as the note writes it,
a n c_mean m C_v dT / 4, counts each molecule's energy as C_v T and gives 2/(gamma+1) of K (0.75
for helium): the molecules that cross a gap carry on average 2 k T of translational energy (the
flux favours fast ones), not 3 k T/2, hence C_v + R/2 per mole.

Solids (sec. 1.3, 2.3).  H = (A/L) int_{T1}^{T2} k dT (eq. 21), radial H per unit length
2 pi/ln(r2/r1) int k dT (eq. 22), a composite (plated) section is its layers in parallel
(eq. 23: R = L (T2 - T1) / sum_n A_n int k_n dT), sections in series carry one heat flow and
their joint temperatures are found by root finding on the conductivity integrals (the note
iterates by hand, Tables 5-7); a member heat-sunk at intermediate stations is a :class:`Line`.
Conductivities: :mod:`cryocosim.fmus.properties.conductivity`.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from scipy.optimize import brentq

from ..properties.conductivity import T_MAX, T_MIN, Conductor, conductor

#: Stefan-Boltzmann constant (CODATA 2018, exact SI), W/(m2 K4)
SIGMA = 5.670374419e-8
#: the note's radiation constant, 5.46e-13 W/(cm2 K4) = 5.46e-9 W/(m2 K4) (see module docstring)
NOTE_SIGMA = 5.46e-9
#: 1 torr in Pa
TORR = 101325.0 / 760.0
#: molar gas constant J/(mol K), Boltzmann constant J/K (exact SI)
R_GAS = 8.31446261815324
K_BOLTZMANN = 1.380649e-23


# -- radiation ------------------------------------------------------------------------------------
def _check_e(*es: float) -> None:
    for e in es:
        if not (0.0 <= e <= 1.0):
            raise ValueError(f"emissivity {e!r} outside 0-1")


def emissivity_plates(e1: float, e2: float) -> float:
    """Effective emissivity of two parallel plates, E1 E2 / (E1 + E2 - E1 E2) (eq. 2).

    E2 = 1 gives E1; E1 = E2 = E << 1 gives ~E/2, not E^2 (the note's remark after eq. 2)."""
    _check_e(e1, e2)
    den = e1 + e2 - e1 * e2
    return e1 * e2 / den if den > 0.0 else 0.0


def emissivity_cylinders(e_inner: float, e_outer: float, r_inner: float, r_outer: float) -> float:
    """Effective emissivity of long coaxial cylinders, referred to the inner cylinder's area:
    E1 E2 / (E2 + E1 (1 - E2) r1/r2) (eq. 3; diffuse reflection)."""
    _check_e(e_inner, e_outer)
    if not (0.0 < r_inner <= r_outer):
        raise ValueError("need 0 < r_inner <= r_outer")
    den = e_outer + e_inner * (1.0 - e_outer) * r_inner / r_outer
    return e_inner * e_outer / den if den > 0.0 else 0.0


def emissivity_spheres(e_inner: float, e_outer: float, r_inner: float, r_outer: float) -> float:
    """Effective emissivity of concentric spheres, referred to the inner sphere's area:
    E1 E2 / (E2 + E1 (1 - E2) (r1/r2)^2) (eq. 4)."""
    _check_e(e_inner, e_outer)
    if not (0.0 < r_inner <= r_outer):
        raise ValueError("need 0 < r_inner <= r_outer")
    den = e_outer + e_inner * (1.0 - e_outer) * (r_inner / r_outer) ** 2
    return e_inner * e_outer / den if den > 0.0 else 0.0


def cavity_emissivity(e: float, wall_fraction: float) -> float:
    """Apparent emissivity of the aperture of a spherical cavity, E / (1 - f (1 - E)) (eq. 5),
    where f = s / (4 pi r^2) is the cavity's inner wall area s as a fraction of the whole sphere
    (f = 1/2 for a hemisphere: E = 0.1 gives 0.18, the note's example)."""
    _check_e(e)
    if not (0.0 <= wall_fraction < 1.0):
        raise ValueError("wall_fraction must be in [0, 1)")
    return e / (1.0 - wall_fraction * (1.0 - e))


def radiation(area: float, T1: float, T2: float, emissivity: float, sigma: float = SIGMA) -> float:
    """Net radiated power from surface 1 at T1 to surface 2 at T2, W:
    sigma A E (T1^4 - T2^4) (eq. 1; with an effective emissivity from eqs. 2-5 for two surfaces).
    """
    return sigma * area * emissivity * (T1**4 - T2**4)


@dataclass(frozen=True)
class ShieldResult:
    """Result of :func:`floating_shields` (eqs. 6-13): heat flux q [W/m2] from wall 1 to wall 2,
    the shields' equilibrium temperatures [K] from wall 1's side (eqs. 9, 12), and the effective
    emissivity of the stack (q = sigma E (T1^4 - T2^4))."""

    q: float
    temperatures: tuple[float, ...]
    emissivity: float


def floating_shields(T1: float, T2: float, e1: float, e2: float,
                     shields: Sequence[float | tuple[float, float]] = (),
                     sigma: float = SIGMA) -> ShieldResult:
    """Radiation between two parallel walls through floating (radiation-only) shields
    (eqs. 6-13).

    ``shields``: one entry per shield from wall 1's side, either its emissivity (both faces) or
    a pair (face toward wall 1, face toward wall 2).  Each gap is a radiation resistance
    1/E_eff (eq. 2) and the flux is the same through every gap (eqs. 6-7), so

        q = sigma (T1^4 - T2^4) / sum_gaps 1/E_eff

    and each shield sits where its two gaps carry that flux.  With E1 = E3 = 1 one shield of
    emissivity E2 gives q = sigma E2 (T1^4 - T3^4)/2 and T2^4 = (T1^4 + T3^4)/2 (eqs. 9-10); with
    equal emissivities everywhere N shields divide the flux by N + 1.  (Eqs. 11-13 take
    E_eff(E, E) = E/2; this function uses eq. 2 exactly: E/(2 - E).)
    """
    faces = [(s, s) if isinstance(s, (int, float)) else (float(s[0]), float(s[1]))
             for s in shields]
    left = [e1] + [f[1] for f in faces]     # each gap's face on wall 1's side
    right = [f[0] for f in faces] + [e2]    # and on wall 2's side
    resist = []
    for a, b in zip(left, right):
        e = emissivity_plates(a, b)
        if e == 0.0:
            return ShieldResult(0.0, tuple(float("nan") for _ in faces), 0.0)
        resist.append(1.0 / e)
    total = sum(resist)
    q = sigma * (T1**4 - T2**4) / total
    temps = []
    t4 = T1**4
    for r in resist[:-1]:
        t4 -= q * r / sigma
        temps.append(t4 ** 0.25 if t4 > 0.0 else 0.0)
    return ShieldResult(q, tuple(temps), 1.0 / total)


# -- rarefied gas -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gas:
    """A residual gas: molar mass M [kg/mol] and ratio of specific heats gamma (they fix K of
    eq. 17), collision diameter s [m] (eq. 14's "two times a molecular radius")."""

    name: str
    molar_mass: float
    gamma: float
    diameter: float


#: residual gases: molar masses (IUPAC), gamma of the ideal gas at room temperature (5/3 for the
#: monatomic gases, 7/5 for N2 and air, 1.405 for normal H2 at 300 K), kinetic diameters (Hirschfelder,
#: Curtiss & Bird 1954)
GASES = {
    "helium": Gas("helium", 4.002602e-3, 5.0 / 3.0, 2.18e-10),
    "hydrogen": Gas("hydrogen", 2.01588e-3, 1.405, 2.74e-10),
    "neon": Gas("neon", 20.1797e-3, 5.0 / 3.0, 2.60e-10),
    "nitrogen": Gas("nitrogen", 28.0134e-3, 1.4, 3.75e-10),
    "air": Gas("air", 28.9647e-3, 1.4, 3.72e-10),
    "argon": Gas("argon", 39.948e-3, 5.0 / 3.0, 3.64e-10),
}
#: the note's K of eq. 17 in W/(cm2 torr K), for comparison
NOTE_K = {"helium": 2.8e-2, "hydrogen": 5.9e-2, "nitrogen": 1.6e-2, "air": 1.6e-2}


def _gas(gas: str | Gas) -> Gas:
    if isinstance(gas, Gas):
        return gas
    try:
        return GASES[str(gas).strip().lower()]
    except KeyError:
        raise ValueError(f"unknown gas {gas!r} (known: {', '.join(GASES)})") from None


def free_molecular_coefficient(gas: str | Gas = "helium", T_gauge: float = 300.0) -> float:
    """K of eq. 17 in SI, W/(m2 Pa K): (gamma+1)/(gamma-1) sqrt(R/(8 pi M T_gauge)), the
    free-molecular heat flux per unit accommodation coefficient, pressure and temperature
    difference, for a pressure read at T_gauge (see the module docstring; eq. 16 with C_v alone
    gives 2/(gamma+1) of it)."""
    g = _gas(gas)
    return (g.gamma + 1.0) / (g.gamma - 1.0) * math.sqrt(R_GAS / (8.0 * math.pi * g.molar_mass
                                                                  * T_gauge))


def eq16_coefficient(gas: str | Gas = "helium", T_gauge: float = 300.0) -> float:
    """Eq. 16 taken literally, a n c_mean m C_v / 4 per unit a, P and dT: C_v/(4 k T) *
    sqrt(8 k T/(pi m)) * m = sqrt(R/(2 pi M T))/(gamma - 1), W/(m2 Pa K).  For comparison only."""
    g = _gas(gas)
    return math.sqrt(R_GAS / (2.0 * math.pi * g.molar_mass * T_gauge)) / (g.gamma - 1.0)


def gas_conduction(area: float, T_hot: float, T_cold: float, pressure: float,
                   accommodation: float = 0.5, gas: str | Gas = "helium",
                   T_gauge: float = 300.0) -> float:
    """Free-molecular gas conduction from the surface at T_hot to the one at T_cold, W:
    K a P A (T_hot - T_cold) (eq. 17), P in Pa as read by a gauge at T_gauge.  Linear in P; valid
    while the mean free path (:func:`mean_free_path`) exceeds the gap."""
    if pressure < 0.0 or not (0.0 <= accommodation <= 1.0):
        raise ValueError("need pressure >= 0 and 0 <= accommodation <= 1")
    return free_molecular_coefficient(gas, T_gauge) * accommodation * pressure * area * (T_hot - T_cold)


def overall_accommodation(a_inner: float, a_outer: float, area_inner: float,
                          area_outer: float) -> float:
    """Overall accommodation coefficient of an inner surface inside an outer one (Knudsen;
    Corruccini 1959): a1 a2 / (a2 + a1 (1 - a2) A1/A2), the analogue of eq. 3 for molecules.
    The note uses a single a (0.5) for the pair."""
    den = a_outer + a_inner * (1.0 - a_outer) * area_inner / area_outer
    return a_inner * a_outer / den if den > 0.0 else 0.0


def mean_free_path(pressure: float, T: float = 273.15, gas: str | Gas | None = None,
                   diameter: float = 2e-10) -> float:
    """Mean free path l = 1/(n pi s^2), n = P/(k T) (eq. 14, as the note writes it, without the
    1/sqrt(2) of Maxwell's speed distribution), m.  ``diameter`` s defaults to the note's
    2e-8 cm; a ``gas`` gives its own.  At 273 K and 1 torr the note's eq. 15 reads 2.16e-4 m."""
    s = _gas(gas).diameter if gas is not None else diameter
    n = pressure / (K_BOLTZMANN * T)
    return 1.0 / (n * math.pi * s * s)


# -- solid conduction -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layer:
    """One conductor of a section: material (a :mod:`conductivity` name) and cross-section
    area [m2].  Layers of one section conduct in parallel (a plated waveguide wall): one term
    A_n int k_n dT of eq. 23."""

    material: str
    area: float

    def __post_init__(self):
        if not (self.area >= 0.0):
            raise ValueError(f"layer area must be >= 0, got {self.area!r}")
        conductor(self.material)  # fail early on an unknown material


@dataclass(frozen=True)
class Section:
    """A uniform length of conductor made of one or more parallel ``layers`` (eq. 23).

    ``potential(T)`` = sum_n A_n theta_n(T) / L [W] is the section's conductance integral, so
    the heat flow from end a to end b is potential(T_a) - potential(T_b) (eq. 21 for one layer,
    the numerator of eq. 23 for several)."""

    length: float
    layers: tuple[Layer, ...]
    _cond: tuple[tuple[Conductor, float], ...] = field(init=False, repr=False, compare=False)
    _p_max: float = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not (self.length > 0.0):
            raise ValueError(f"section length must be > 0, got {self.length!r}")
        layers = tuple(self.layers)
        if not layers:
            raise ValueError("a section needs at least one layer")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "_cond", tuple((conductor(l.material), l.area / self.length)
                                                for l in layers))
        object.__setattr__(self, "_p_max", self.potential(T_MAX))

    @classmethod
    def of(cls, length: float, *layers: tuple[str, float]) -> "Section":
        """``Section.of(0.05, ("stainless_304", 7.87e-6), ("etp", 4e-8))``."""
        return cls(length, tuple(Layer(m, a) for m, a in layers))

    def potential(self, T: float) -> float:
        """sum_n (A_n/L) theta_n(T), W (theta from 1 K)."""
        return sum(c._theta1(T) * g for c, g in self._cond)

    def conductance(self, T: float) -> float:
        """d potential/dT = sum_n A_n k_n(T)/L, W/K (the local conductance)."""
        return sum(c._k1(T) * g for c, g in self._cond)

    def heat(self, T_a: float, T_b: float) -> float:
        """Heat flow from end a to end b, W (eqs. 21, 23)."""
        return self.potential(T_a) - self.potential(T_b)

    def resistance(self, T_a: float, T_b: float) -> float:
        """Thermal resistance L (T_a - T_b) / sum A_n int k_n dT, K/W (eq. 23)."""
        q = self.heat(T_a, T_b)
        if T_a == T_b or q == 0.0:
            return 1.0 / self.conductance(T_a)
        return (T_a - T_b) / q

    def shares(self, T_a: float, T_b: float) -> tuple[float, ...]:
        """Fraction of the heat carried by each layer (the note's "% carried in the steel")."""
        if T_a == T_b:
            parts = [c._k1(T_a) * g for c, g in self._cond]
        else:
            parts = [c.integral(T_b, T_a) * g for c, g in self._cond]
        tot = sum(parts)
        return tuple(p / tot for p in parts) if tot else tuple(0.0 for _ in parts)

    def _pk(self, T: float) -> tuple[float, float]:
        """(potential(T), conductance(T)) in one pass."""
        p = g = 0.0
        for c, w in self._cond:
            th, k = c._theta_k1(T)
            p += th * w
            g += k * w
        return p, g

    def _invert(self, y: float, lo: float, p_lo: float, g_lo: float,
                guess: float | None = None) -> float:
        """The temperature T >= lo with potential(T) = y, given potential and conductance at lo
        (the potential is monotone): Newton's method kept inside a shrinking bracket (bisection
        when a step leaves it), to |step| < 1e-12 T; capped at the table's top T_MAX (returned
        when y is beyond it).  It starts from ``guess`` where that lies inside the bracket (a
        nearby solution: the last march's), else from the tangent at lo."""
        if y >= self._p_max:
            return T_MAX
        if y <= p_lo:
            return lo
        a, b = lo, T_MAX
        T = guess if guess is not None and a < guess < b else lo + (y - p_lo) / g_lo
        if not (a < T < b):
            T = 0.5 * (a + b)
        for _ in range(100):
            p, g = self._pk(T)
            f = p - y
            if f > 0.0:
                b = T
            elif f < 0.0:
                a = T
            else:
                return T
            Tn = T - f / g
            if not (a < Tn < b):
                Tn = 0.5 * (a + b)
            if abs(Tn - T) <= 1e-12 * T or b - a <= 1e-12 * b:
                return Tn
            T = Tn
        return T


@dataclass(frozen=True)
class ChainSolution:
    """A solved :class:`Chain`: ``heat`` [W] from end 1 to end 2, ``temperatures`` [K] at the
    ends and joints (end 1, joints..., end 2), ``resistances`` [K/W] of the sections (eq. 23),
    ``shares`` per section of the heat carried by each layer (these two computed when first
    read: a time-stepping model needs only the heat and the temperatures)."""

    heat: float
    temperatures: tuple[float, ...]
    sections: tuple[Section, ...] = field(repr=False, compare=False)

    def _pairs(self):
        return zip(self.sections, self.temperatures[:-1], self.temperatures[1:])

    @functools.cached_property
    def resistances(self) -> tuple[float, ...]:
        return tuple(s.resistance(a, b) for s, a, b in self._pairs())

    @functools.cached_property
    def shares(self) -> tuple[tuple[float, ...], ...]:
        return tuple(s.shares(a, b) for s, a, b in self._pairs())


class Chain:
    """Sections in series, listed from end 1 to end 2 (a waveguide run of several types).

    :meth:`solve` finds the one heat flow Q and the joint temperatures for fixed end
    temperatures: marching from the colder end, each section's far temperature follows from
    potential_i(T_far) = potential_i(T_near) + Q (a safeguarded Newton inversion of the monotone
    conductivity integral), and Q is the root of T_far_end(Q) - T_hot, bracketed by 0 and the
    smallest single-section capacity min_i [potential_i(T_hot) - potential_i(T_cold)]: by
    Newton's method with the exact derivative, kept inside the bracket, or by
    ``scipy.optimize.brentq`` (``method="brentq"``, and the fallback); both agree to ~1e-15.
    Exact for temperature-dependent k: every section carries Q and every joint satisfies both of
    its sections' integrals (where the note's hand iteration of Tables 5-7 is heading; its
    Table 5 had not converged).  About 0.2 ms for four sections from a cold start, 0.1 ms from
    the last step's solution (``guess``).
    """

    def __init__(self, sections: Sequence[Section]):
        self.sections = tuple(sections)
        if not self.sections:
            raise ValueError("a chain needs at least one section")

    def _march(self, Q: float, T_cold: float, order: Sequence[Section],
               guesses: Sequence[float] | None = None) -> list[float]:
        """The temperatures from the cold end for heat flow Q (``guesses``: the far temperature
        of each section from a nearby march, where the inversions start)."""
        temps = [T_cold]
        T = T_cold
        for i, s in enumerate(order):
            p, g = s._pk(T)
            T = s._invert(p + Q, T, p, g, guesses[i] if guesses else None)
            temps.append(T)
        return temps

    def _march_dq(self, Q: float, T_cold: float, order: Sequence[Section],
                  far: list[float]) -> tuple[float, float]:
        """The far end's temperature for heat flow Q and its derivative d T_far / d Q:
        dT_(i+1)/dQ = (G_i(T_i) dT_i/dQ + 1) / G_i(T_(i+1)), G the local conductance.
        ``far`` holds each section's far temperature: where its inversion starts (the last
        march's, or a guess), and it is overwritten with this march's."""
        T, dT = T_cold, 0.0
        for i, s in enumerate(order):
            p, g = s._pk(T)
            Tn = s._invert(p + Q, T, p, g, far[i])
            if Tn >= T_MAX:
                return T_MAX, math.inf
            dT = (g * dT + 1.0) / s.conductance(Tn)
            far[i] = T = Tn
        return T, dT

    def _heat_flow(self, T_hot: float, T_cold: float, order: Sequence[Section],
                   method: str = "newton", guess: tuple[float, Sequence[float]] | None = None
                   ) -> tuple[float, list[float] | None]:
        """The heat flow Q for which the march from T_cold ends at T_hot, and the march's
        temperatures from T_cold at that Q (None where they are still to be marched: brentq).

        ``newton``: Newton's method on T_far(Q) - T_hot with the exact derivative, kept inside
        the bracket [0, q_max] (bisection when a step leaves it), from ``guess`` = (Q, far
        temperatures) of a nearby solution where its Q lies in the bracket, else from the Q
        that is exact for sections of one composition, 1/sum_i 1/(potential_i(T_hot) -
        potential_i(T_cold)); each march's inversions start from the previous march's
        temperatures; converged when a step changes Q by < 1e-12 relative.  ``brentq`` (and the
        fallback after 100 Newton steps): ``scipy.optimize.brentq`` on the same function."""
        caps = [s.heat(T_hot, T_cold) for s in order]
        q_max = min(caps)
        if method == "newton":
            lo, hi = 0.0, q_max
            if guess is not None and 0.0 < guess[0] < q_max:   # solve() checked its length
                Q, far = guess[0], list(guess[1])
            else:
                Q, far = 1.0 / sum(1.0 / c for c in caps), [None] * len(order)
            for _ in range(100):
                T_far, d = self._march_dq(Q, T_cold, order, far)
                g = T_far - T_hot
                if g == 0.0:
                    return Q, [T_cold, *far]
                if g < 0.0:
                    lo = Q
                else:
                    hi = Q
                Qn = Q - g / d if math.isfinite(d) and d > 0.0 else 0.5 * (lo + hi)
                if not (lo < Qn < hi):
                    Qn = 0.5 * (lo + hi)
                if abs(Qn - Q) <= 1e-12 * Q or hi - lo <= 1e-15 * q_max:
                    # Q is within the tolerance of the root and its march is complete (it did
                    # not reach T_MAX): return it with that march's temperatures, consistent
                    # with Q to round-off, rather than march again for Qn
                    return (Q, [T_cold, *far]) if math.isfinite(d) else (Qn, None)
                Q = Qn
        elif method != "brentq":
            raise ValueError(f"unknown method {method!r}")

        def g(Q):
            return self._march(Q, T_cold, order)[-1] - T_hot

        return brentq(g, 0.0, q_max, xtol=1e-15 * q_max, rtol=1e-15, maxiter=200), None

    def solve(self, T1: float, T2: float, method: str = "newton",
              guess: ChainSolution | None = None) -> ChainSolution:
        """Heat flow from end 1 (at T1) to end 2 (at T2) and the joint temperatures.
        ``method``: "newton" (safeguarded, the default) or "brentq" (see :meth:`_heat_flow`).
        ``guess``: a solution of this chain at nearby end temperatures (the last step's), where
        Newton's method starts; the answer is the same root to the solver's tolerance (1e-12
        relative), reached in fewer iterations."""
        for T in (T1, T2):
            if not (T_MIN <= T <= T_MAX):
                raise ValueError(f"end temperature {T:g} K outside {T_MIN:g}-{T_MAX:g} K")
        secs = self.sections
        if T1 == T2:
            Q, temps = 0.0, [T1] * (len(secs) + 1)
        elif len(secs) == 1:
            Q, temps = secs[0].heat(T1, T2), [T1, T2]
        else:
            hot_first = T1 > T2
            T_hot, T_cold = (T1, T2) if hot_first else (T2, T1)
            # march from the cold end toward the hot end
            order = tuple(reversed(secs)) if hot_first else secs
            start = None
            if guess is not None and len(guess.temperatures) == len(secs) + 1 and guess.heat != 0.0 \
                    and (guess.heat > 0.0) == hot_first:
                joints = guess.temperatures[-2::-1] if hot_first else guess.temperatures[1:]
                start = (abs(guess.heat), joints)
            Q, temps = self._heat_flow(T_hot, T_cold, order, method, start)
            if temps is None:
                temps = self._march(Q, T_cold, order)
            temps[-1] = T_hot
            if hot_first:
                temps.reverse()
            else:
                Q = -Q
        return ChainSolution(Q, tuple(temps), secs)

    def heat(self, T1: float, T2: float) -> float:
        """Heat flow from end 1 to end 2, W."""
        return self.solve(T1, T2).heat


def radial_conduction(length: float, r_inner: float, r_outer: float, material: str,
                      T_inner: float, T_outer: float) -> float:
    """Heat flow from the inner to the outer surface of a cylindrical shell of the given length,
    W: 2 pi L / ln(r2/r1) int_{T_outer}^{T_inner} k dT (eq. 22 times L; eq. 20 for constant k).
    """
    if not (0.0 < r_inner < r_outer):
        raise ValueError("need 0 < r_inner < r_outer")
    return 2.0 * math.pi * length / math.log(r_outer / r_inner) * conductor(material).integral(
        T_outer, T_inner)


# -- members with intercepts --------------------------------------------------------------------
@dataclass(frozen=True)
class Intercept:
    """A point of a :class:`Line` heat-sunk to ``station`` (as the note's output and input guides
    are at 77 K, sec. 2.3.2-2.3.3): directly (``link`` None: the point is at the station's
    temperature) or through a ``link`` chain from the point to the station (a copper strap, a
    bolted joint; eqs. 21-23 again)."""

    station: str
    link: Chain | None = None


@dataclass(frozen=True)
class LineSolution:
    """A solved :class:`Line`: heat into each station [W] (the ends too: the warm end's entry is
    negative, the heat it gives; the note's "net load on the 77 K stage", sec. 2.3.2, is the
    intercept's entry), the temperatures of its anchor points [K] and each chain's solution."""

    heat: dict[str, float]
    anchor_temperatures: tuple[float, ...]
    chains: tuple[ChainSolution, ...]


class Line:
    """A member (support, coax, waveguide) from one station to another, heat-sunk at
    intermediate stations (sec. 2.3.2-2.3.3; each piece by eqs. 21-23): ``anchors`` are station names or :class:`Intercept` s, ``chains[i]``
    joins anchors i and i+1 (sections listed from anchor i to anchor i+1).

    :meth:`heat_flows` gives the heat into every station; their sum is zero (the member stores
    nothing).  With ideal intercepts each chain is solved alone between fixed temperatures; an
    intercept through a link has an unknown temperature found, with its neighbours', by
    nonlinear Gauss-Seidel: ``brentq`` on each such node's heat balance (monotone in its own
    temperature and bracketed by the temperatures around it) until no node moves by more than
    1e-9 K.
    """

    def __init__(self, anchors: Sequence[str | Intercept], chains: Sequence[Chain]):
        self.anchors = tuple(a if isinstance(a, Intercept) else Intercept(a) for a in anchors)
        self.chains = tuple(chains)
        if len(self.chains) != len(self.anchors) - 1 or not self.chains:
            raise ValueError("a line needs n anchors and n - 1 chains (n >= 2)")
        for end in (self.anchors[0], self.anchors[-1]):
            if end.link is not None:
                raise ValueError("the end anchors of a line must be stations (no link)")

    @property
    def stations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.station for a in self.anchors))

    def solve(self, temperatures: Mapping[str, float],
              guess: LineSolution | None = None) -> LineSolution:
        """Heat into each station for the station temperatures given (K).  ``guess``: this
        line's solution at nearby temperatures (the last step's), where the chains' Newton
        iterations and the intercepts' temperatures start (see :meth:`Chain.solve`)."""
        T = [float(temperatures[a.station]) for a in self.anchors]
        free = [i for i, a in enumerate(self.anchors) if a.link is not None]
        if guess is not None and len(guess.chains) != len(self.chains):
            guess = None                       # another line's solution: start cold
        if guess is not None:
            for i in free:
                T[i] = guess.anchor_temperatures[i]
        if free:
            for _ in range(500):
                moved = 0.0
                for i in free:
                    st = float(temperatures[self.anchors[i].station])
                    link = self.anchors[i].link
                    lo, hi = min(T[i - 1], T[i + 1], st), max(T[i - 1], T[i + 1], st)

                    def balance(x, i=i, st=st, link=link):
                        return (self.chains[i - 1].heat(T[i - 1], x) - self.chains[i].heat(x, T[i + 1])
                                - link.heat(x, st))
                    if hi - lo < 1e-12:
                        x = lo
                    else:
                        x = brentq(balance, lo, hi, xtol=1e-12, rtol=1e-15)
                    moved = max(moved, abs(x - T[i]))
                    T[i] = x
                if moved < 1e-9:
                    break
            else:
                raise RuntimeError("intercept temperatures did not converge")
        sols = tuple(c.solve(a, b, guess=guess.chains[i] if guess is not None else None)
                     for i, (c, a, b) in enumerate(zip(self.chains, T[:-1], T[1:])))
        heat: dict[str, float] = {s: 0.0 for s in self.stations}
        heat[self.anchors[0].station] -= sols[0].heat
        heat[self.anchors[-1].station] += sols[-1].heat
        for i in range(1, len(self.anchors) - 1):
            a = self.anchors[i]
            into = sols[i - 1].heat - sols[i].heat
            heat[a.station] += into   # through the link, if any: the node stores nothing
        return LineSolution(heat, tuple(T), sols)

    def heat_flows(self, temperatures: Mapping[str, float]) -> dict[str, float]:
        """Heat into each station, W (negative: heat given by that station)."""
        return self.solve(temperatures).heat
