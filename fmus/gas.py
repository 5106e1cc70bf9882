"""Fast real-gas properties on CoolProp's low-level ``AbstractState`` API.

Every public method of :class:`Gas` keeps to the cheap density-temperature update
(``DmassT_INPUTS``, about 2 µs) and solves for the wanted variable by Newton iteration with
analytic derivatives of the Helmholtz equation of state; the expensive CoolProp flashes
(``DmassUmass``, ``HmassP``, ``PT``) are only a fallback when Newton does not converge (for
example inside the two-phase dome).  ``PropsSI`` is never used: it rebuilds a state per call.

All quantities are SI: p [Pa], T [K], rho [kg/m3], h, u [J/kg], s, cp, cv [J/(kg K)].
Any state CoolProp rejects, or a non-physical input, raises :class:`FluidStateError` with a
one-line message naming the fluid and the inputs.
"""
from __future__ import annotations

import math

import CoolProp.CoolProp as CP

from cryocosim.errors import ModelError

_ALIASES = {
    "nitrogen": "Nitrogen", "n2": "Nitrogen",
    "argon": "Argon", "ar": "Argon",
    "neon": "Neon", "ne": "Neon",
    "helium": "Helium", "he": "Helium",
}
#: fluid names accepted by actors' ``fluid`` parameter (the canonical lower-case spellings)
FLUIDS = ("nitrogen", "argon", "neon", "helium")

_MAX_NEWTON = 20


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


def _fmt(**inputs: float) -> str:
    units = {"rho": "kg/m3", "T": "K", "p": "Pa", "h": "J/kg", "u": "J/kg", "s": "J/(kg K)",
             "rho2": "kg/m3", "s1": "J/(kg K)"}
    return ", ".join(f"{k}={v:.6g} {units.get(k, '')}".rstrip() for k, v in inputs.items())


class Gas:
    """Real-gas properties of one pure fluid (CoolProp Helmholtz-energy equation of state).

    Holds a single ``CoolProp.AbstractState``; not thread-safe, one instance per actor.
    """

    def __init__(self, fluid: str, backend: str = "HEOS"):
        self.fluid = canonical_fluid(fluid)
        self.name = self.fluid.lower()
        try:
            self._as = CP.AbstractState(backend, self.fluid)
        except ValueError as exc:
            raise FluidStateError(f"{self.name}: cannot build CoolProp state ({_one_line(exc)})") from None
        self.Tmin = float(self._as.Tmin())
        self.Tmax = float(self._as.Tmax())
        self.R = float(self._as.gas_constant() / self._as.molar_mass())

    # -- helpers ------------------------------------------------------------------------
    def _fail(self, what: str, **inputs: float) -> FluidStateError:
        return FluidStateError(f"{self.name} {what}: {_fmt(**inputs)}")

    def _check_T(self, T_value: float, **inputs: float) -> None:
        if not (self.Tmin <= T_value <= self.Tmax):  # also catches NaN
            raise self._fail("state outside CoolProp's range", **inputs)

    def _update_rho_T(self, rho: float, T: float) -> None:
        if not (rho > 0.0) or not math.isfinite(rho):
            raise self._fail("state outside CoolProp's range", rho=rho, T=T)
        self._check_T(T, rho=rho, T=T)
        try:
            self._as.update(CP.DmassT_INPUTS, rho, T)
        except ValueError:
            raise self._fail("state outside CoolProp's range", rho=rho, T=T) from None

    def _flash(self, pair: int, a: float, b: float, **inputs: float) -> None:
        if not (math.isfinite(a) and math.isfinite(b)):
            raise self._fail("state outside CoolProp's range", **inputs)
        try:
            self._as.update(pair, a, b)
        except ValueError:
            raise self._fail("state outside CoolProp's range", **inputs) from None
        self._check_T(self._as.T(), **inputs)

    # -- properties -----------------------------------------------------------------------
    def props_rho_T(self, rho: float, T: float) -> tuple[float, float, float, float, float, float]:
        """``(p, h, s, cp, cv, u)`` at density rho [kg/m3] and temperature T [K]."""
        self._update_rho_T(rho, T)
        a = self._as
        return a.p(), a.hmass(), a.smass(), a.cpmass(), a.cvmass(), a.umass()

    def gamma(self, rho: float, T: float) -> float:
        """Ratio of specific heats cp/cv [1] at (rho, T)."""
        self._update_rho_T(rho, T)
        return self._as.cpmass() / self._as.cvmass()

    def _newton_T(self, inputs: int, fixed: float, residual, T_guess: float, tol: float):
        """Newton on T with the other update input ``fixed``: ``residual(a, T)`` returns
        (f, df/dT) after ``a.update(inputs, ...)``.  Returns T, or None when it does not converge
        (the caller then falls back to CoolProp's own flash).  The argument order of the update is
        (fixed, T) for DmassT_INPUTS and (p, T) for PT_INPUTS alike."""
        T = T_guess if (math.isfinite(T_guess) and self.Tmin <= T_guess <= self.Tmax) else 300.0
        a = self._as
        try:
            for _ in range(_MAX_NEWTON):
                a.update(inputs, fixed, T)
                f, dfdT = residual(a, T)
                if abs(f) < tol:
                    return T
                T_new = T - f / dfdT
                if not math.isfinite(T_new):
                    return None
                T = min(max(T_new, self.Tmin), self.Tmax)
        except ValueError:
            pass
        return None

    def T_from_rho_u(self, rho: float, u: float, T_guess: float) -> float:
        """Temperature [K] at density rho [kg/m3] and specific internal energy u [J/kg].

        Newton on T with (du/dT)_rho = cv; fallback to CoolProp's DmassUmass flash.
        """
        if not (rho > 0.0) or not math.isfinite(u):
            raise self._fail("state outside CoolProp's range", rho=rho, u=u)
        T = self._newton_T(CP.DmassT_INPUTS, rho, lambda a, T: (a.umass() - u, a.cvmass()),
                           T_guess, 1e-10 * max(1.0, abs(u)))
        if T is not None:
            return T
        self._flash(CP.DmassUmass_INPUTS, rho, u, rho=rho, u=u)
        return self._as.T()

    def rho_from_p_T(self, p: float, T: float, rho_guess: float | None = None) -> float:
        """Density [kg/m3] at pressure p [Pa] and temperature T [K].

        Newton on rho with (dp/drho)_T; ideal-gas first guess; fallback to the PT flash.
        """
        if not (p > 0.0) or not math.isfinite(p):
            raise self._fail("state outside CoolProp's range", p=p, T=T)
        self._check_T(T, p=p, T=T)
        rho = rho_guess if (rho_guess is not None and rho_guess > 0.0) else p / (self.R * T)
        a = self._as
        tol = 1e-11 * p
        try:
            for _ in range(_MAX_NEWTON):
                a.update(CP.DmassT_INPUTS, rho, T)
                dp = a.p() - p
                if abs(dp) < tol:
                    return rho
                dpdrho = a.first_partial_deriv(CP.iP, CP.iDmass, CP.iT)
                if not (dpdrho > 0.0):
                    break
                rho_new = rho - dp / dpdrho
                rho = rho_new if rho_new > 0.0 else 0.5 * rho
        except ValueError:
            pass
        self._flash(CP.PT_INPUTS, p, T, p=p, T=T)
        return a.rhomass()

    def h_pT(self, p: float, T: float) -> float:
        """Specific enthalpy [J/kg] at p [Pa], T [K]."""
        rho = self.rho_from_p_T(p, T)
        self._update_rho_T(rho, T)
        return self._as.hmass()

    def T_from_p_h(self, p: float, h: float, T_guess: float) -> float:
        """Temperature [K] at pressure p [Pa] and specific enthalpy h [J/kg].

        Newton on T with PT updates and cp; fallback to the HmassP flash, which also covers
        the two-phase region (where T is the saturation temperature).
        """
        if not (p > 0.0) or not math.isfinite(h):
            raise self._fail("state outside CoolProp's range", p=p, h=h)
        T = self._newton_T(CP.PT_INPUTS, p, lambda a, T: (a.hmass() - h, a.cpmass()),
                           T_guess, 1e-10 * max(1.0, abs(h)))
        if T is not None:
            return T
        self._flash(CP.HmassP_INPUTS, h, p, p=p, h=h)
        return self._as.T()

    def T_isentropic_rho(self, rho2: float, s1: float, T_guess: float) -> float:
        """Temperature [K] at density rho2 [kg/m3] with entropy s1 [J/(kg K)].

        Newton on T at fixed density, (ds/dT)_rho = cv/T; fallback to the DmassSmass flash.
        """
        if not (rho2 > 0.0) or not math.isfinite(s1):
            raise self._fail("state outside CoolProp's range", rho2=rho2, s1=s1)
        T = self._newton_T(CP.DmassT_INPUTS, rho2, lambda a, T: (a.smass() - s1, a.cvmass() / T),
                           T_guess, 1e-12 * max(1.0, abs(s1)) + 1e-12)
        if T is not None:
            return T
        self._flash(CP.DmassSmass_INPUTS, rho2, s1, rho2=rho2, s1=s1)
        return self._as.T()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def gas_for(actor, fluid: str) -> Gas:
    """The :class:`Gas` of an actor's ``fluid`` parameter; a bad name is a ParameterError naming the actor."""
    from cryocosim.errors import ParameterError

    try:
        return Gas(fluid)
    except FluidStateError as exc:
        raise ParameterError(f"actor '{actor.name}': parameter 'fluid': {exc}") from None


def stream_toward(gas: Gas, mdot: float, p: float, T_in: float, T_wall: float, UA: float) -> tuple[float, float]:
    """Outlet (T, h) of a gas stream exchanging with a wall at uniform ``T_wall`` (eps-NTU, C_r = 0):
    eps = 1 - exp(-UA/(mdot cp)), T_out = T_in + eps (T_wall - T_in), h_out = h(p, T_out);
    cp at the inlet state.  ``mdot`` must be positive."""
    cp = gas.props_rho_T(gas.rho_from_p_T(p, T_in), T_in)[3]
    eps = -math.expm1(-UA / (mdot * cp))
    T_out = T_in + eps * (T_wall - T_in)
    return T_out, gas.h_pT(p, T_out)
