"""Fast real-gas properties on CoolProp's low-level ``AbstractState`` API.

Every public method of :class:`Gas` keeps to the cheap density-temperature update
(``DmassT_INPUTS``, about 1 µs) and solves for the wanted variable by Newton iteration with
analytic derivatives of the Helmholtz equation of state; the expensive CoolProp flashes
(``DmassUmass``, ``HmassP``, ``PT``) are only a fallback when Newton does not converge (for
example inside the two-phase dome).  ``PropsSI`` is never used: it rebuilds a state per call.
A density-temperature update whose inputs are those of the state already held is skipped (the
state is the same, so the results are too).

**Tabular backends.**  ``Gas(fluid, "HEOS")`` (the default) evaluates the Helmholtz equation
of state at every call.  ``Gas(fluid, "BICUBIC&HEOS")`` and ``Gas(fluid, "TTSE&HEOS")`` also
hold one of CoolProp's tables of it (bicubic interpolation, or a Taylor expansion about the
nearest node, built from HEOS once and cached on disk under ``~/.CoolProp``).  A table is fast
where HEOS is slow, for pressure-temperature inputs (0.3 µs against HEOS's 6 µs flash or 5 µs
density Newton), and is used for exactly those: :meth:`Gas.rho_from_p_T`, :meth:`Gas.h_pT`,
:meth:`Gas.cp_pT` and the Newton loop of :meth:`Gas.T_from_p_h`, inside the *table domain*
(:meth:`Gas.in_table`) where its accuracy was measured.  Everything else is HEOS, bit for bit
the HEOS backend's result for the same inputs:

* density-temperature evaluations (:meth:`Gas.props_rho_T`, :meth:`Gas.T_from_rho_u`,
  :meth:`Gas.T_isentropic_rho`, :meth:`Gas.gamma`): a table saves little there (HEOS 1.2 µs an
  update; a table's cp, cv and derivatives cost more to read than HEOS's), its entropy is
  coarse (0.03 J/(kg K) in nitrogen at 100 K), and outside its domain it returns wrong values
  without an error;
* the gas constant and the temperature limits (a table has no gas constant);
* every flash a table does not support, a table Newton that does not converge, and every state
  outside the table domain or outside the table.

The table domain keeps clear of the saturation line and the critical point, where the tables'
interpolation fails (it returns liquid densities for superheated vapour without an error):
p from 1.2 p_triple to 100 p_c and, below p_c, T >= 1.25 T_sat(p) (T_sat from the
Clausius-Clapeyron line through the triple and critical points), at and above p_c
T >= 1.5 T_c; helium from 50 K only.  Measured there against HEOS (BICUBIC&HEOS): nitrogen,
argon and neon densities within 3e-4 (relative) and enthalpies within 6 mK x cp; in the
screw-Brayton range (nitrogen 0.3-1.5 atm, 100-400 K; ``tests/test_gas_backend.py``)
densities within 7e-5 and T(p, h) within 1 mK.  TTSE&HEOS is about ten times coarser.

All quantities are SI: p [Pa], T [K], rho [kg/m3], h, u [J/kg], s, cp, cv [J/(kg K)].
Any state CoolProp rejects, or a non-physical input, raises :class:`FluidStateError` with a
one-line message naming the fluid and the inputs.

CoolProp is imported by the first :class:`Gas` built (importing it costs about 1.6 s), not with
this module.
"""
from __future__ import annotations

import math

from cryocosim.errors import ModelError
from cryocosim.variables import Parameter

_ALIASES = {
    "nitrogen": "Nitrogen", "n2": "Nitrogen",
    "argon": "Argon", "ar": "Argon",
    "neon": "Neon", "ne": "Neon",
    "helium": "Helium", "he": "Helium",
}
#: fluid names accepted by actors' ``fluid`` parameter (the canonical lower-case spellings)
FLUIDS = ("nitrogen", "argon", "neon", "helium")

#: CoolProp backends accepted by ``Gas`` and by actors' ``property_backend`` parameter
BACKENDS = ("HEOS", "BICUBIC&HEOS", "TTSE&HEOS")

#: Newton stopping rule of T_from_p_h on a table: residual |h - h*| < TABLE_TOL_H max(1, |h*|)
#: (1e-9: the Newton error, below 1e-6 K, stays far below the table's own, 5e-6 to 1e-3 K for
#: bicubic over the screw-Brayton range), or a step in T below TABLE_STEP_T [K]: an interpolated
#: h(p, T) can jump at a cell boundary, and where the root sits on a jump Newton oscillates
#: across it with steps of (jump / cp); the iteration then ends within the table's accuracy.
#: HEOS keeps its own rule (1e-10, no step rule), so HEOS results stay what they were.
TABLE_TOL_H = 1e-9
TABLE_STEP_T = {"BICUBIC&HEOS": 1e-3, "TTSE&HEOS": 1e-2}

#: table domain (see the module docstring): T >= _SUPERHEAT T_sat(p) below p_c, T >= _T_SUPER T_c
#: at and above it, p within [_P_LOW p_triple, _P_HIGH p_c], and a fluid's own floor [K]
_SUPERHEAT, _T_SUPER, _P_LOW, _P_HIGH = 1.25, 1.5, 1.2, 100.0
_TABLE_T_FLOOR = {"Helium": 50.0}

_MAX_NEWTON = 20

# CoolProp and its constants, bound by _coolprop() when the first Gas is built
CP = None
_DmassT = _PT = _HmassP = _DmassUmass = _DmassSmass = _iP = _iDmass = _iT = None
_AS = None  # CoolProp.AbstractState: its methods (umass, cvmass...) are passed to _newton_T


def _coolprop():
    """Import CoolProp (once) and bind the input-pair and parameter constants used here."""
    global CP, _AS, _DmassT, _PT, _HmassP, _DmassUmass, _DmassSmass, _iP, _iDmass, _iT
    if CP is None:
        import CoolProp.CoolProp as cp

        _AS = cp.AbstractState
        _DmassT, _PT, _HmassP = cp.DmassT_INPUTS, cp.PT_INPUTS, cp.HmassP_INPUTS
        _DmassUmass, _DmassSmass = cp.DmassUmass_INPUTS, cp.DmassSmass_INPUTS
        _iP, _iDmass, _iT = cp.iP, cp.iDmass, cp.iT
        CP = cp
    return CP


class FluidStateError(ModelError):
    """A fluid state outside CoolProp's range, or a non-physical input (one-line message)."""


def canonical_fluid(name: str) -> str:
    """The CoolProp name of a fluid given as nitrogen/N2, argon/Ar, neon/Ne, helium/He."""
    key = str(name).strip().lower()
    try:
        return _ALIASES[key]
    except KeyError:
        raise FluidStateError(
            f"unknown fluid {name!r} (known: nitrogen/N2, argon/Ar, neon/Ne, helium/He)") from None


def canonical_backend(name: str) -> str:
    """``"HEOS"``, ``"BICUBIC&HEOS"`` or ``"TTSE&HEOS"`` (case-insensitive, spaces ignored)."""
    key = "".join(str(name).split()).upper()
    if key in BACKENDS:
        return key
    raise FluidStateError(f"unknown property backend {name!r} (known: {', '.join(BACKENDS)})")


def _fmt(**inputs: float) -> str:
    units = {"rho": "kg/m3", "T": "K", "p": "Pa", "h": "J/kg", "u": "J/kg", "s": "J/(kg K)",
             "rho2": "kg/m3", "s1": "J/(kg K)"}
    return ", ".join(f"{k}={v:.6g} {units.get(k, '')}".rstrip() for k, v in inputs.items())


class Gas:
    """Real-gas properties of one pure fluid (CoolProp Helmholtz-energy equation of state;
    ``backend`` one of :data:`BACKENDS`, a table of it for pressure-temperature inputs).

    Holds a HEOS ``CoolProp.AbstractState`` (and the table's); not thread-safe, one instance
    per actor.
    """

    def __init__(self, fluid: str, backend: str = "HEOS"):
        self.fluid = canonical_fluid(fluid)
        self.name = self.fluid.lower()
        self.backend = canonical_backend(backend)
        cp = _coolprop()
        try:
            self._as = cp.AbstractState("HEOS", self.fluid)
            self._tab = None if self.backend == "HEOS" else cp.AbstractState(self.backend, self.fluid)
        except ValueError as exc:
            raise FluidStateError(f"{self.name}: cannot build CoolProp {self.backend} state "
                                  f"({_one_line(exc)})") from None
        heos = self._as
        self.Tmin = float(heos.Tmin())
        self.Tmax = float(heos.Tmax())
        self.R = float(heos.gas_constant() / heos.molar_mass())
        # the DmassT inputs the HEOS state holds (NaN: none, or another kind of state)
        self._rho_at = self._T_at = math.nan
        #: evaluations that ended on a HEOS flash (a Newton that did not converge) or, with a
        #: table, on HEOS although in the table domain (state outside the table, table Newton
        #: not converged or converged outside the domain)
        self.fallbacks = 0
        if self._tab is not None:
            p_t, T_t = heos.trivial_keyed_output(cp.iP_triple), heos.Ttriple()
            self.Tc, self.pc = heos.T_critical(), heos.p_critical()
            # Clausius-Clapeyron through the triple and critical points: ln p = a - b / T_sat
            self._cc_b = math.log(self.pc / p_t) / (1.0 / T_t - 1.0 / self.Tc)
            self._cc_a = math.log(self.pc) + self._cc_b / self.Tc
            self._tab_p = (_P_LOW * p_t, _P_HIGH * self.pc)
            self._tab_T = (max(_TABLE_T_FLOOR.get(self.fluid, 0.0), self.Tmin), self.Tmax)
            self._tab_step = TABLE_STEP_T[self.backend]

    # -- helpers ------------------------------------------------------------------------
    def _fail(self, what: str, **inputs: float) -> FluidStateError:
        return FluidStateError(f"{self.name} {what}: {_fmt(**inputs)}")

    def _check_T(self, T_value: float, **inputs: float) -> None:
        if not (self.Tmin <= T_value <= self.Tmax):  # also catches NaN
            raise self._fail("state outside CoolProp's range", **inputs)

    def in_table(self, p: float, T: float) -> bool:
        """Whether (p [Pa], T [K]) lies in the table domain (always False for HEOS)."""
        if self._tab is None:
            return False
        p_lo, p_hi = self._tab_p
        T_lo, T_hi = self._tab_T
        if not (p_lo <= p <= p_hi and T_lo <= T <= T_hi):  # also NaN
            return False
        if p >= self.pc:
            return T >= _T_SUPER * self.Tc
        return T >= _SUPERHEAT * self._cc_b / (self._cc_a - math.log(p))

    def _table_pT(self, p: float, T: float):
        """The table's state at (p, T) in the table domain, else None (then HEOS serves)."""
        if not self.in_table(p, T):
            return None
        try:
            self._tab.update(_PT, p, T)
        except ValueError:
            self.fallbacks += 1
            return None
        return self._tab

    def dh_du_at_rho_T(self, rho: float, T: float) -> float:
        """(dh/du) at constant density [1] at (rho [kg/m3], T [K]): 1 + (dp/dT)_rho / (rho c_v);
        gamma for an ideal gas."""
        a = self.at_rho_T(rho, T)
        return 1.0 + a.first_partial_deriv(_iP, _iT, _iDmass) / (rho * a.cvmass())

    def at_rho_T(self, rho: float, T: float):
        """The HEOS state at density rho [kg/m3] and temperature T [K], to read properties
        from (``.p()``, ``.hmass()``, ``.cpmass()``, ...); valid until the next call on this Gas.
        No update when the state already holds (rho, T)."""
        a = self._as
        if rho == self._rho_at and T == self._T_at:
            return a
        if not (rho > 0.0) or not math.isfinite(rho):
            raise self._fail("state outside CoolProp's range", rho=rho, T=T)
        self._check_T(T, rho=rho, T=T)
        try:
            a.update(_DmassT, rho, T)
        except ValueError:
            self._rho_at = math.nan
            raise self._fail("state outside CoolProp's range", rho=rho, T=T) from None
        self._rho_at, self._T_at = rho, T
        return a

    def _flash(self, pair: int, a: float, b: float, **inputs: float):
        """CoolProp's own flash on the HEOS state (the fallback of every Newton loop)."""
        self._rho_at = math.nan
        self.fallbacks += 1
        if not (math.isfinite(a) and math.isfinite(b)):
            raise self._fail("state outside CoolProp's range", **inputs)
        st = self._as
        try:
            st.update(pair, a, b)
        except ValueError:
            raise self._fail("state outside CoolProp's range", **inputs) from None
        self._check_T(st.T(), **inputs)
        return st

    # -- properties -----------------------------------------------------------------------
    def props_rho_T(self, rho: float, T: float) -> tuple[float, float, float, float, float, float]:
        """``(p, h, s, cp, cv, u)`` at density rho [kg/m3] and temperature T [K]."""
        a = self.at_rho_T(rho, T)
        return a.p(), a.hmass(), a.smass(), a.cpmass(), a.cvmass(), a.umass()

    def gamma(self, rho: float, T: float) -> float:
        """Ratio of specific heats cp/cv [1] at (rho, T)."""
        a = self.at_rho_T(rho, T)
        return a.cpmass() / a.cvmass()

    def _start_T(self, T_guess: float) -> float:
        return T_guess if (math.isfinite(T_guess) and self.Tmin <= T_guess <= self.Tmax) else 300.0

    def _newton_T(self, pair: int, fixed: float, value, slope, target: float, T: float, tol: float,
                  slope_over_T: bool = False) -> float | None:
        """Newton on T with the other update input ``fixed`` (the argument order of the update is
        (fixed, T) for DmassT_INPUTS and (p, T) for PT_INPUTS alike): f = value(state) - target,
        df/dT = slope(state) (divided by T when ``slope_over_T``: ds/dT = cv/T).  ``value`` and
        ``slope`` are AbstractState methods (umass, cvmass...).  Returns T, or None when Newton does
        not converge (the caller then falls back to CoolProp's own flash); a converged
        density-temperature state is remembered so an update at the same (rho, T) is skipped."""
        Tmin, Tmax = self.Tmin, self.Tmax
        a = self._as
        self._rho_at = math.nan
        try:
            for _ in range(_MAX_NEWTON):
                a.update(pair, fixed, T)
                f = value(a) - target
                if abs(f) < tol:
                    if pair == _DmassT:
                        self._rho_at, self._T_at = fixed, T
                    return T
                d = slope(a)
                T_new = T - f / (d / T if slope_over_T else d)
                if not math.isfinite(T_new):
                    return None
                T = min(max(T_new, Tmin), Tmax)
        except ValueError:
            pass
        return None

    def T_from_rho_u(self, rho: float, u: float, T_guess: float) -> float:
        """Temperature [K] at density rho [kg/m3] and specific internal energy u [J/kg].

        Newton on T with (du/dT)_rho = cv; fallback to CoolProp's DmassUmass flash.
        The state is left at (rho, T) when Newton converges.
        """
        if not (rho > 0.0) or not math.isfinite(u):
            raise self._fail("state outside CoolProp's range", rho=rho, u=u)
        T = self._newton_T(_DmassT, rho, _AS.umass, _AS.cvmass, u, self._start_T(T_guess),
                           1e-10 * max(1.0, abs(u)))
        if T is not None:
            return T
        return self._flash(_DmassUmass, rho, u, rho=rho, u=u).T()

    def rho_from_p_T(self, p: float, T: float, rho_guess: float | None = None) -> float:
        """Density [kg/m3] at pressure p [Pa] and temperature T [K].

        The table in its domain; else Newton on rho with (dp/drho)_T from an ideal-gas first
        guess (the HEOS state is then left at (rho, T)), and the PT flash if that fails.
        """
        if self._tab is not None:
            st = self._table_pT(p, T)
            if st is not None:
                return st.rhomass()
        return self._heos_rho(p, T, rho_guess)

    def _heos_rho(self, p: float, T: float, rho_guess: float | None = None) -> float:
        """rho_from_p_T on the HEOS state."""
        if not (p > 0.0) or not math.isfinite(p):
            raise self._fail("state outside CoolProp's range", p=p, T=T)
        self._check_T(T, p=p, T=T)
        rho = rho_guess if (rho_guess is not None and rho_guess > 0.0) else p / (self.R * T)
        a = self._as
        tol = 1e-11 * p
        self._rho_at = math.nan
        try:
            for _ in range(_MAX_NEWTON):
                a.update(_DmassT, rho, T)
                dp = a.p() - p
                if abs(dp) < tol:
                    self._rho_at, self._T_at = rho, T
                    return rho
                dpdrho = a.first_partial_deriv(_iP, _iDmass, _iT)
                if not (dpdrho > 0.0):
                    break
                rho_new = rho - dp / dpdrho
                rho = rho_new if rho_new > 0.0 else 0.5 * rho
        except ValueError:
            pass
        return self._flash(_PT, p, T, p=p, T=T).rhomass()

    def h_pT(self, p: float, T: float) -> float:
        """Specific enthalpy [J/kg] at p [Pa], T [K]."""
        if self._tab is not None:
            st = self._table_pT(p, T)
            if st is not None:
                return st.hmass()
        return self.at_rho_T(self._heos_rho(p, T), T).hmass()

    def cp_pT(self, p: float, T: float) -> float:
        """Specific heat at constant pressure [J/(kg K)] at p [Pa], T [K]."""
        if self._tab is not None:
            st = self._table_pT(p, T)
            if st is not None:
                return st.cpmass()
        return self.at_rho_T(self._heos_rho(p, T), T).cpmass()

    def _table_T_from_p_h(self, p: float, h: float, T: float) -> float:
        """Newton on T with the table's PT updates (rule TABLE_TOL_H, TABLE_STEP_T); the root
        if it converges inside the table domain, else NaN."""
        tab, tol, step = self._tab, TABLE_TOL_H * max(1.0, abs(h)), self._tab_step
        Tmin, Tmax = self.Tmin, self.Tmax
        try:
            for _ in range(_MAX_NEWTON):
                tab.update(_PT, p, T)
                f = tab.hmass() - h
                if abs(f) < tol:
                    break
                T_new = T - f / tab.cpmass()
                if not math.isfinite(T_new):
                    return math.nan
                if abs(T_new - T) < step:
                    T = T_new
                    break
                T = min(max(T_new, Tmin), Tmax)
            else:
                return math.nan
        except ValueError:
            return math.nan
        return T if self.in_table(p, T) else math.nan

    def T_from_p_h(self, p: float, h: float, T_guess: float) -> float:
        """Temperature [K] at pressure p [Pa] and specific enthalpy h [J/kg].

        Newton on T with PT updates and cp (on the table if the root lies in its domain), then
        the HmassP flash, which also covers the two-phase region (where T is the saturation
        temperature).
        """
        if not (p > 0.0) or not math.isfinite(h):
            raise self._fail("state outside CoolProp's range", p=p, h=h)
        T = self._start_T(T_guess)
        if self._tab is not None and self._tab_p[0] <= p <= self._tab_p[1]:
            T_tab = self._table_T_from_p_h(p, h, T)
            if T_tab == T_tab:  # not NaN
                return T_tab
            if self.in_table(p, T):
                self.fallbacks += 1
        T = self._newton_T(_PT, p, _AS.hmass, _AS.cpmass, h, T, 1e-10 * max(1.0, abs(h)))
        if T is not None:
            return T
        return self._flash(_HmassP, h, p, p=p, h=h).T()

    def T_isentropic_rho(self, rho2: float, s1: float, T_guess: float) -> float:
        """Temperature [K] at density rho2 [kg/m3] with entropy s1 [J/(kg K)].

        Newton on T at fixed density, (ds/dT)_rho = cv/T; fallback to the DmassSmass flash.
        The state is left at (rho2, T) when Newton converges.
        """
        if not (rho2 > 0.0) or not math.isfinite(s1):
            raise self._fail("state outside CoolProp's range", rho2=rho2, s1=s1)
        T = self._newton_T(_DmassT, rho2, _AS.smass, _AS.cvmass, s1, self._start_T(T_guess),
                           1e-12 * max(1.0, abs(s1)) + 1e-12, slope_over_T=True)
        if T is not None:
            return T
        return self._flash(_DmassSmass, rho2, s1, rho2=rho2, s1=s1).T()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


#: the ``property_backend`` parameter of every actor with a ``fluid`` parameter (placed among its
#: ``variables``; ``[defaults] property_backend = "BICUBIC&HEOS"`` sets it on all of them)
PROPERTY_BACKEND_PARAMETER = Parameter(
    "property_backend", "1", "HEOS",
    "CoolProp backend of the fluid properties: HEOS (the equation of state), or BICUBIC&HEOS, "
    "TTSE&HEOS (its tables for pressure-temperature inputs where checked; faster)",
    choices=BACKENDS)


def gas_for(actor, fluid: str | None = None) -> Gas:
    """The :class:`Gas` of an actor's ``fluid`` and ``property_backend`` parameters; a bad name is
    a ParameterError naming the actor and the parameter."""
    from cryocosim.errors import ParameterError

    fluid = actor.fluid if fluid is None else fluid
    backend = getattr(actor, "property_backend", "HEOS")
    try:
        canonical_fluid(fluid)
    except FluidStateError as exc:
        raise ParameterError.of(actor.name, "fluid", f": {exc}") from None
    try:
        return Gas(fluid, backend)
    except FluidStateError as exc:
        raise ParameterError.of(actor.name, "property_backend", f": {exc}") from None


def stream_toward(gas: Gas, mdot: float, p: float, T_in: float, T_wall: float, UA: float) -> tuple[float, float]:
    """Outlet (T, h) of a gas stream exchanging with a wall at uniform ``T_wall`` (eps-NTU, C_r = 0):
    eps = 1 - exp(-UA/(mdot cp)), T_out = T_in + eps (T_wall - T_in), h_out = h(p, T_out);
    cp at the inlet state.  ``mdot`` must be positive."""
    cp = gas.cp_pT(p, T_in)
    eps = -math.expm1(-UA / (mdot * cp))
    T_out = T_in + eps * (T_wall - T_in)
    return T_out, gas.h_pT(p, T_out)
