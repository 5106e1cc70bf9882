"""Specific heat and enthalpy of cryogenic structural materials.

Source: NIST cryogenic material properties database (trc.nist.gov/cryogenics/materials),
specific-heat curve fits, valid 4-300 K:

    log10(cp) = sum_i  c_i * (log10 T)**i,     cp in J/(kg K), T in K.

Checked at 300 K against handbook values (copper 385, 304 stainless 477, 6061-T6 aluminium
897 J/(kg K)): the copper fit gives 389 (+1.1 %), the 304 fit 469 (-1.6 %), both inside the
fits' stated error and used as published.  The 6061-T6 fit gives 954 (+6.3 %; NIST states a
5 % curve-fit error) and runs 2-6 % above pure-aluminium tables from 50 K up, so it is
multiplied by a correction factor that is 1 up to 20 K and falls linearly to 897/953.86 at
300 K (this module's own correction, not NIST's).  Result: 20 K 8.85, 77 K 344, 100 K 484,
200 K 803, 300 K 897 J/(kg K) (pure-Al tables: 8.9, 336, 481, 797, 897).

Above 300 K cp is held at its 300 K value (the fits are not valid there; the true cp rises
a few per cent by 600 K).  The models are valid 4-600 K; outside, ``ValueError``.

Enthalpy h(T) [J/kg] (zero at 4 K) is tabulated once per material on a uniform 0.02 K grid by
trapezoidal integration of cp; ``h`` and ``T_from_h`` interpolate that one table linearly in
both directions, so they are exact inverses of each other (up to rounding).
"""
from __future__ import annotations

import numpy as np

T_MIN = 4.0
T_MAX = 600.0
_T_FIT_MAX = 300.0
_DT = 0.02

_COEFFS = {
    "copper": (-1.91844, -0.15973, 8.61013, -18.996, 21.9661, -12.7328, 3.54322, -0.3797),
    "stainless_304": (22.0061, -127.5528, 303.647, -381.0098, 274.0328, -112.9212, 24.7593,
                      -2.239153),
    "aluminium_6061": (46.6467, -314.292, 866.662, -1298.3, 1162.27, -637.795, 210.351,
                       -38.3094, 2.96344),
}
_AL_300_HANDBOOK = 897.0

#: canonical material names
MATERIALS = ("copper", "stainless_304", "aluminium_6061")

_ALIASES = {
    "copper": "copper", "cu": "copper", "ofhc": "copper", "ofhc_copper": "copper",
    "stainless_304": "stainless_304", "ss304": "stainless_304", "304": "stainless_304",
    "stainless": "stainless_304", "stainless_steel": "stainless_304",
    "stainless_steel_304": "stainless_304", "304_stainless": "stainless_304",
    "aluminium_6061": "aluminium_6061", "aluminum_6061": "aluminium_6061",
    "al6061": "aluminium_6061", "al_6061": "aluminium_6061", "6061": "aluminium_6061",
    "6061-t6": "aluminium_6061", "6061_t6": "aluminium_6061", "aluminium": "aluminium_6061",
    "aluminum": "aluminium_6061",
}


def _fit(name: str, T):
    x = np.log10(T)
    c = _COEFFS[name]
    y = np.zeros_like(x)
    for ci in reversed(c):
        y = y * x + ci
    return 10.0**y


def _cp_raw(name: str, T):
    """cp [J/(kg K)] on arrays, T already inside [T_MIN, T_MAX]."""
    Tc = np.minimum(T, _T_FIT_MAX)
    cp = _fit(name, Tc)
    if name == "aluminium_6061":
        k = 1.0 - _AL_300_HANDBOOK / float(_fit(name, np.array(_T_FIT_MAX)))
        cp = cp * (1.0 - k * np.clip((Tc - 20.0) / (_T_FIT_MAX - 20.0), 0.0, 1.0))
    return cp


class Material:
    """A solid's specific heat cp(T), enthalpy h(T) and its inverse (NIST cryogenic fits).

    ``name``: copper (OFHC), stainless_304, aluminium_6061 (6061-T6), or an alias such as
    ``cu``, ``ss304``, ``al6061``.  Methods accept floats or numpy arrays, T in K, h in J/kg.
    """

    _tables: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __init__(self, name: str):
        key = str(name).strip().lower()
        if key not in _ALIASES:
            raise ValueError(f"unknown material {name!r} (known: {', '.join(MATERIALS)})")
        self.name = _ALIASES[key]
        if self.name not in Material._tables:
            n = int(round((T_MAX - T_MIN) / _DT)) + 1
            T = np.linspace(T_MIN, T_MAX, n)
            cp = _cp_raw(self.name, T)
            h = np.concatenate(([0.0], np.cumsum(0.5 * (cp[1:] + cp[:-1]) * np.diff(T))))
            Material._tables[self.name] = (T, h)
        self._T, self._h = Material._tables[self.name]
        self.h_max = float(self._h[-1])

    def _check_T(self, T):
        Ta = np.asarray(T, dtype=float)
        if not np.all((Ta >= T_MIN) & (Ta <= T_MAX)):
            bad = Ta[~((Ta >= T_MIN) & (Ta <= T_MAX))].ravel()[0] if Ta.ndim else float(Ta)
            raise ValueError(f"{self.name}: T={bad:g} K outside the valid range "
                             f"{T_MIN:g}-{T_MAX:g} K")
        return Ta

    def cp(self, T):
        """Specific heat [J/(kg K)] at T [K]."""
        Ta = self._check_T(T)
        out = _cp_raw(self.name, Ta)
        return float(out) if Ta.ndim == 0 else out

    def h(self, T):
        """Specific enthalpy [J/kg] relative to 0 at 4 K."""
        Ta = self._check_T(T)
        out = np.interp(Ta, self._T, self._h)
        return float(out) if Ta.ndim == 0 else out

    def T_from_h(self, h):
        """Temperature [K] at specific enthalpy h [J/kg] (exact inverse of :meth:`h`)."""
        ha = np.asarray(h, dtype=float)
        if not np.all((ha >= 0.0) & (ha <= self.h_max)):
            bad = ha[~((ha >= 0.0) & (ha <= self.h_max))].ravel()[0] if ha.ndim else float(ha)
            raise ValueError(f"{self.name}: h={bad:g} J/kg outside the valid range "
                             f"0-{self.h_max:g} J/kg ({T_MIN:g}-{T_MAX:g} K)")
        out = np.interp(ha, self._h, self._T)
        return float(out) if ha.ndim == 0 else out

    def __repr__(self) -> str:
        return f"Material({self.name!r})"

