"""Thermal conductivity k(T) [W/(m K)] of cryogenic structural metals and its integral.

Source: NIST cryogenic material properties database, trc.nist.gov/cryogenics/materials
(E. D. Marquardt, J. P. Le, R. Radebaugh, "Cryogenic material properties database", 11th Int.
Cryocooler Conf., 2000), curve fits as published there, T in K, k in W/(m K):

* OFHC copper, one fit per residual resistivity ratio RRR = 50, 100, 150, 300, 500
  (page "OFHC Copper"), valid 4-300 K::

      log10 k = (a + c T^0.5 + e T + g T^1.5 + i T^2) / (1 + b T^0.5 + d T + f T^1.5 + h T^2)

* 304 stainless steel (page "304 Stainless"), valid 1-300 K, and brass UNS C26000 (70/30
  cartridge brass; page "Brass"), valid 5-110 K::

      log10 k = sum_n  c_n (log10 T)^n

The coefficients are in ``NIST_COPPER``, ``NIST_SS304`` and ``NIST_BRASS`` below, written as
published.

Copper grades.  The NIST copper fit is parameterised by RRR, not by grade; each commercial grade
is given the RRR it typically has (our choice, stated here and in ``GRADES``):

* ``etp`` — electrolytic tough-pitch copper (UNS C11000, 0.02-0.04 % oxygen): RRR 50, the
  lowest NIST curve and the usual figure for commercial tough-pitch copper;
* ``ofhc`` — oxygen-free high-conductivity copper (UNS C10200): RRR 100;
* ``copper_rrr50`` ... ``copper_rrr500``: the NIST curves by RRR, for a material whose RRR is
  known.  The spread between grades is large (RRR 30-300 depending on cold work and anneal), and
  it matters only below ~60 K: above 77 K the five curves agree within 6 %.

Materials of NRAO EDTN 203 (J. R. Fisher 1979, seed 002) without a NIST fit:

* ``brass``: the NIST C26000 fit up to 110 K; above 110 K (our extension, not NIST's) k rises
  linearly to 120 W/(m K) at 293.15 K, the Copper Development Association's room-temperature
  value for C26000, and is held there.  The note's brass is free-cutting (leaded) brass, C36000,
  115 W/(m K) at room temperature.
* ``coin_silver_note``: 30 x the 304 stainless curve.  That is the note's own guess (sec. 2.3.1:
  "let us take the stainless steel curve and multiply its conductivities by 30"), kept only to
  rebuild its pump waveguide; it is not a measured property.

Outside the fits' ranges (our extension): below the lowest fitted temperature k is taken
proportional to T (electronic conduction with a constant residual resistivity, the
Wiedemann-Franz limit of a metal); above 300 K k is held at its 300 K value (copper falls ~2 %
and 304 stainless rises ~6 % from 300 to 400 K in handbook tables, so this is good to a few per
cent).  The model is defined on ``T_MIN``-``T_MAX`` = 1-400 K; outside, ``ValueError``.

Conductivity integral.  theta(T) = int_{T_MIN}^{T} k dT [W/m] is tabulated once per material
on a 0.02 K grid (5-point Gauss-Legendre on each cell, exact to round-off for these smooth
fits) and interpolated by cubic Hermite polynomials that use theta and its exact derivative k at
the nodes (error ~ h^4 k'''/384, below 1e-9 relative).  ``integral(T1, T2)`` is the
conductivity integral of NRAO EDTN 203 eqs. 21-23; a scalar evaluation costs ~1 us.

``NOTE_TABLE4`` holds the note's Table 4 total integrals (from its Fig. 2 curves, W/cm);
``table4_comparison()`` sets ours beside them.
"""
from __future__ import annotations

import bisect
import math
from typing import Callable

import numpy as np

T_MIN = 1.0
T_MAX = 400.0
_H = 0.02
_N = int(round((T_MAX - T_MIN) / _H)) + 1
_T_FIT_MAX = 300.0

#: NIST OFHC copper fits by RRR: (a, b, c, d, e, f, g, h, i), valid 4-300 K
NIST_COPPER = {
    50: (1.8743, -0.41538, -0.6018, 0.13294, 0.26426, -0.0219, -0.051276, 0.0014871, 0.003723),
    100: (2.2154, -0.47461, -0.88068, 0.13871, 0.29505, -0.02043, -0.04831, 0.001281, 0.003207),
    150: (2.3797, -0.4918, -0.98615, 0.13942, 0.30475, -0.019713, -0.046897, 0.0011969,
          0.0029988),
    300: (1.357, 0.3981, 2.669, -0.1346, -0.6683, 0.01342, 0.05773, 0.0002147, 0.0),
    500: (2.8075, -0.54074, -1.2777, 0.15362, 0.36444, -0.02105, -0.051727, 0.0012226,
          0.0030964),
}
#: NIST 304 stainless steel: log10 k = sum c_n (log10 T)^n, valid 1-300 K
NIST_SS304 = (-1.4087, 1.3982, 0.2543, -0.6260, 0.2334, 0.4256, -0.4658, 0.1650, -0.0199)
#: NIST brass (UNS C26000): log10 k = sum c_n (log10 T)^n, valid 5-110 K
NIST_BRASS = (0.021035, -1.01835, 4.54083, -5.03374, 3.20536, -1.12933, 0.174057, -0.0038151)
#: room-temperature conductivity of C26000 brass, W/(m K) at 293.15 K (Copper Development
#: Association), the end of our linear extension of the NIST brass fit above 110 K
BRASS_ROOM = 120.0
_BRASS_FIT_MAX = 110.0
_BRASS_ROOM_T = 293.15

#: copper grade -> RRR used for it (see the module docstring)
GRADES = {"etp": 50, "ofhc": 100}


def _copper_fit(rrr: int) -> Callable[[np.ndarray], np.ndarray]:
    a, b, c, d, e, f, g, h, i = NIST_COPPER[rrr]

    def k(T):
        s = np.sqrt(T)
        return 10.0 ** ((a + c * s + e * T + g * T * s + i * T * T)
                        / (1.0 + b * s + d * T + f * T * s + h * T * T))
    return k


def _loglog_fit(coeffs) -> Callable[[np.ndarray], np.ndarray]:
    def k(T):
        x = np.log10(T)
        y = np.zeros_like(x)
        for cn in reversed(coeffs):
            y = y * x + cn
        return 10.0 ** y
    return k


def _extend(fit, t_lo: float, t_hi: float = _T_FIT_MAX):
    """k ~ T below t_lo, the fit on [t_lo, t_hi], k held above t_hi."""
    k_lo = float(fit(np.array(t_lo)))

    def k(T):
        T = np.asarray(T, dtype=float)
        Tc = np.clip(T, t_lo, t_hi)
        return np.where(T < t_lo, k_lo * T / t_lo, fit(Tc))
    return k


def _brass(T):
    T = np.asarray(T, dtype=float)
    fit = _loglog_fit(NIST_BRASS)
    k5 = float(fit(np.array(5.0)))
    k110 = float(fit(np.array(_BRASS_FIT_MAX)))
    slope = (BRASS_ROOM - k110) / (_BRASS_ROOM_T - _BRASS_FIT_MAX)
    Tc = np.clip(T, 5.0, _BRASS_FIT_MAX)
    return np.where(T < 5.0, k5 * T / 5.0,
                    np.where(T <= _BRASS_FIT_MAX, fit(Tc),
                             np.minimum(k110 + slope * (T - _BRASS_FIT_MAX), BRASS_ROOM)))


_ss304 = _extend(_loglog_fit(NIST_SS304), 1.0)


def _coin_silver_note(T):
    return 30.0 * _ss304(T)


_DEFS: dict[str, tuple[Callable, str]] = {
    **{f"copper_rrr{r}": (_extend(_copper_fit(r), 4.0),
                          f"copper, RRR {r} (NIST OFHC copper fit)") for r in NIST_COPPER},
    "stainless_304": (_ss304, "304 stainless steel (NIST fit)"),
    "brass": (_brass, "brass C26000 (NIST fit to 110 K, linear to 120 W/(m K) at 293 K)"),
    "coin_silver_note": (_coin_silver_note, "coin silver as guessed by NRAO EDTN 203: "
                                            "30 x 304 stainless"),
}

_ALIASES = {
    "etp": f"copper_rrr{GRADES['etp']}", "etp_copper": f"copper_rrr{GRADES['etp']}",
    "c11000": f"copper_rrr{GRADES['etp']}", "tough_pitch": f"copper_rrr{GRADES['etp']}",
    "ofhc": f"copper_rrr{GRADES['ofhc']}", "ofhc_copper": f"copper_rrr{GRADES['ofhc']}",
    "c10200": f"copper_rrr{GRADES['ofhc']}", "copper": f"copper_rrr{GRADES['ofhc']}",
    "ss304": "stainless_304", "stainless": "stainless_304", "stainless_steel": "stainless_304",
    "304": "stainless_304", "c26000": "brass", "coin_silver": "coin_silver_note",
    **{name: name for name in _DEFS},
}

#: canonical names of the conductors
CONDUCTORS = tuple(_DEFS)

# 5-point Gauss-Legendre nodes and weights on [0, 1]
_GL_X, _GL_W = np.polynomial.legendre.leggauss(5)
_GL_X = 0.5 * (_GL_X + 1.0)
_GL_W = 0.5 * _GL_W


class Conductor:
    """Thermal conductivity k(T) of one material and its integral theta(T) = int_{1 K}^T k dT.

    ``name``: a canonical name (``CONDUCTORS``) or an alias (``etp``, ``ofhc``, ``ss304``...).
    ``k``, ``theta`` accept floats or arrays; ``integral(T1, T2)`` = theta(T2) - theta(T1), the
    conductivity integral of NRAO EDTN 203 eqs. 21-23, W/m.
    """

    _tables: dict[str, tuple[list, list, np.ndarray, np.ndarray]] = {}

    def __init__(self, name: str):
        key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
        if key not in _ALIASES:
            raise ValueError(f"unknown conductor {name!r} (known: {', '.join(CONDUCTORS)}; "
                             "aliases etp, ofhc, ss304, coin_silver)")
        self.name = _ALIASES[key]
        self._k, self.description = _DEFS[self.name]
        if self.name not in Conductor._tables:
            T = T_MIN + _H * np.arange(_N)
            cells = T[:-1, None] + _H * _GL_X[None, :]
            inc = _H * (self._k(cells) @ _GL_W)
            theta = np.concatenate(([0.0], np.cumsum(inc)))
            k = self._k(T)
            Conductor._tables[self.name] = (theta.tolist(), k.tolist(), theta, k)
        self._theta_l, self._k_l, self._theta_a, self._k_a = Conductor._tables[self.name]

    # -- scalar fast path ---------------------------------------------------------------------
    def _theta_k1(self, T: float, slope: bool = True) -> tuple[float, float]:
        """(theta(T), k(T)) of the table's cubic Hermite interpolant, in one pass: theta from
        theta and its slope k at the two nodes of T's cell; k = d theta/dT of that cubic (k at
        the nodes and within ~h^3 |d3k/dT3| between them: the derivative consistent with theta,
        for Newton's method).  ``slope=False``: theta alone (and 0.0 for k)."""
        if not (T_MIN <= T <= T_MAX):
            raise ValueError(f"{self.name}: T={T:g} K outside {T_MIN:g}-{T_MAX:g} K")
        x = (T - T_MIN) / _H
        j = int(x)
        if j >= _N - 1:
            j = _N - 2
        s = x - j
        y0, y1 = self._theta_l[j], self._theta_l[j + 1]
        k0, k1 = self._k_l[j], self._k_l[j + 1]
        s2 = s * s
        s3 = s2 * s
        th = ((2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * (k0 * _H)
              + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * (k1 * _H))
        if not slope:
            return th, 0.0
        k = ((6 * s2 - 6 * s) * (y0 - y1) / _H + (3 * s2 - 4 * s + 1) * k0
             + (3 * s2 - 2 * s) * k1)
        return th, k

    def _theta1(self, T: float) -> float:
        """theta(T) of the interpolant (:meth:`_theta_k1`)."""
        return self._theta_k1(T, False)[0]

    def _k1(self, T: float) -> float:
        """d theta/dT of the interpolant (:meth:`_theta_k1`)."""
        return self._theta_k1(T)[1]

    # -- public -------------------------------------------------------------------------------
    def k(self, T):
        """Thermal conductivity [W/(m K)] at T [K]."""
        Ta = np.asarray(T, dtype=float)
        if not np.all((Ta >= T_MIN) & (Ta <= T_MAX)):
            raise ValueError(f"{self.name}: T outside {T_MIN:g}-{T_MAX:g} K")
        out = self._k(Ta)
        return float(out) if Ta.ndim == 0 else out

    def theta(self, T):
        """theta(T) = int_{T_MIN}^{T} k dT [W/m]."""
        if isinstance(T, (float, int)):
            return self._theta1(float(T))
        Ta = np.asarray(T, dtype=float)
        if not np.all((Ta >= T_MIN) & (Ta <= T_MAX)):
            raise ValueError(f"{self.name}: T outside {T_MIN:g}-{T_MAX:g} K")
        x = (Ta - T_MIN) / _H
        j = np.minimum(x.astype(int), _N - 2)
        s = x - j
        y0, y1 = self._theta_a[j], self._theta_a[j + 1]
        m0, m1 = self._k_a[j] * _H, self._k_a[j + 1] * _H
        out = ((2 * s**3 - 3 * s**2 + 1) * y0 + (s**3 - 2 * s**2 + s) * m0
               + (-2 * s**3 + 3 * s**2) * y1 + (s**3 - s**2) * m1)
        return float(out) if Ta.ndim == 0 else out

    def integral(self, T1: float, T2: float) -> float:
        """int_{T1}^{T2} k dT [W/m] (negative when T2 < T1)."""
        return self._theta1(float(T2)) - self._theta1(float(T1))

    def mean_k(self, T1: float, T2: float) -> float:
        """Mean conductivity over [T1, T2], W/(m K)."""
        if T1 == T2:
            return self.k(float(T1))
        return self.integral(T1, T2) / (T2 - T1)

    def __repr__(self) -> str:
        return f"Conductor({self.name!r})"


_cache: dict[str, Conductor] = {}


def conductor(name: str) -> Conductor:
    """The (cached) :class:`Conductor` called ``name`` (``note_*``: :class:`NoteConductor`;
    ``constant:<k>``: :class:`ConstantConductor`, k in W/(m K))."""
    c = _cache.get(name)
    if c is None:
        key = str(name)
        c = (NoteConductor(key) if key.startswith("note_")
             else ConstantConductor(key) if key.startswith("constant:") else Conductor(key))
        _cache[name] = c
        _cache[c.name] = c
    return c


# -- NRAO EDTN 203 Table 4 ----------------------------------------------------------------------
#: Table 4 of the note, "Total integrals": int k dT in W/cm over (T1, T2), from its Fig. 2
#: curves, by the note's column: Elect. T.P. copper, O.F.H.C., free-cut brass, stainless steel.
#: ((Te)Cu, the fifth column, has no NIST counterpart and is not compared.)
NOTE_TABLE4 = {
    "etp": {(4.2, 20): 144.0, (4.2, 77): 700.0, (4.2, 300): 1652.5, (20, 77): 556.0,
            (20, 300): 1508.5, (77, 300): 952.5},
    "ofhc": {(4.2, 20): 93.3, (4.2, 77): 569.3, (4.2, 300): 1494.8, (20, 77): 476.0,
             (20, 300): 1401.5, (77, 300): 925.5},
    "brass": {(4.2, 20): 1.066, (4.2, 77): 16.60, (4.2, 300): 175.30, (20, 77): 15.53,
              (20, 300): 174.29, (77, 300): 158.76},
    "stainless_304": {(4.2, 20): 0.167, (4.2, 77): 3.02, (4.2, 300): 30.11, (20, 77): 2.85,
                      (20, 300): 29.94, (77, 300): 27.09},
}
#: the note's Table 4 interval entries (W/cm) for its four columns, by temperature interval
NOTE_TABLE4_INTERVALS = {
    "bounds": (4.2, 5, 6, 8, 10, 12, 14, 16, 18, 20, 25, 30, 35, 40, 50, 60, 70, 77, 80, 90, 100,
               120, 150, 200, 250, 300),
    "etp": (2.9, 4.3, 11.0, 14.4, 17.4, 20.0, 23.0, 25.0, 26.0, 70.0, 72.5, 67.5, 63.0, 100.0,
            80.0, 63.0, 40.0, 16.5, 50.0, 47.0, 90.0, 129.0, 210.0, 205.0, 205.0),
    "ofhc": (1.8, 2.7, 7.0, 8.8, 11.0, 13.0, 14.6, 16.4, 18.0, 52.0, 56.0, 56.0, 54.0, 90.0, 72.0,
             58.0, 38.0, 15.5, 48.0, 46.0, 86.0, 125.0, 205.0, 200.0, 200.0),
    "brass": (0.018, 0.029, 0.076, 0.092, 0.126, 0.15, 0.165, 0.19, 0.22, 0.70, 0.85, 1.00,
              1.08, 2.70, 3.10, 3.50, 2.60, 1.20, 4.20, 4.30, 9.80, 16.20, 31.0, 42.0, 50.0),
    "stainless_304": (0.0026, 0.0039, 0.0106, 0.015, 0.019, 0.023, 0.026, 0.031, 0.036, 0.110,
                      0.130, 0.165, 0.19, 0.48, 0.58, 0.68, 0.52, 0.24, 0.85, 0.90, 2.00, 3.45,
                      6.25, 6.60, 6.80),
}


class ConstantConductor(Conductor):
    """A temperature-independent conductivity, ``conductor("constant:16.3")`` (W/(m K)): the
    constant-k limit of eqs. 19-20, or a material known by one mean value."""

    def __init__(self, name: str):
        try:
            value = float(str(name).split(":", 1)[1])
        except (IndexError, ValueError):
            raise ValueError(f"bad constant conductor {name!r} (use 'constant:<k in W/(m K)>')") from None
        if not (value > 0.0 and math.isfinite(value)):
            raise ValueError(f"constant conductivity must be positive and finite, got {value!r}")
        self.name = f"constant:{value:g}"
        self.description = f"constant k = {value:g} W/(m K)"
        self.value = value

    def _k(self, T):
        return np.full_like(np.asarray(T, dtype=float), self.value)

    def _check(self, T: float) -> None:
        if not (T_MIN <= T <= T_MAX):
            raise ValueError(f"{self.name}: T={T:g} K outside {T_MIN:g}-{T_MAX:g} K")

    def _theta1(self, T: float) -> float:
        self._check(T)
        return self.value * (T - T_MIN)

    def _k1(self, T: float) -> float:
        self._check(T)
        return self.value

    def _theta_k1(self, T: float) -> tuple[float, float]:
        return self._theta1(T), self._k1(T)

    def theta(self, T):
        if isinstance(T, (float, int)):
            return self._theta1(float(T))
        Ta = np.asarray(T, dtype=float)
        if not np.all((Ta >= T_MIN) & (Ta <= T_MAX)):
            raise ValueError(f"{self.name}: T outside {T_MIN:g}-{T_MAX:g} K")
        return self.value * (Ta - T_MIN)

    def __repr__(self) -> str:
        return f"ConstantConductor({self.value!r})"


class NoteConductor(Conductor):
    """The note's own conductivity data, for rebuilding its arithmetic (not a property model):
    k constant over each Table 4 interval (the interval's integral / its width), so theta is the
    table's cumulative integral interpolated linearly, as one reads the table by hand.

    Names: ``note_etp``, ``note_ofhc``, ``note_brass``, ``note_stainless_304`` (Table 4's
    columns) and ``note_coin_silver`` (30 x ``note_stainless_304``, the note's sec. 2.3.1
    guess).  Outside 4.2-300 K: k ~ T below, constant above (as :class:`Conductor`)."""

    _COLUMNS = {"note_etp": ("etp", 1.0), "note_ofhc": ("ofhc", 1.0),
                "note_brass": ("brass", 1.0), "note_stainless_304": ("stainless_304", 1.0),
                "note_coin_silver": ("stainless_304", 30.0)}

    def __init__(self, name: str):
        key = str(name).strip().lower()
        if key not in self._COLUMNS:
            raise ValueError(f"unknown note conductor {name!r} (known: {', '.join(self._COLUMNS)})")
        column, factor = self._COLUMNS[key]
        self.name = key
        self.description = f"NRAO EDTN 203 Table 4, column {column}" + (
            f" x {factor:g}" if factor != 1.0 else "")
        b = [float(x) for x in NOTE_TABLE4_INTERVALS["bounds"]]
        v = [factor * 100.0 * x for x in NOTE_TABLE4_INTERVALS[column]]  # W/cm -> W/m
        self._b = b
        self._kb = [vi / (b1 - b0) for vi, b0, b1 in zip(v, b[:-1], b[1:])]
        k0 = self._kb[0]
        th = [k0 * (b[0] ** 2 - T_MIN**2) / (2.0 * b[0])]   # k = k0 T / 4.2 K below 4.2 K
        for vi in v:
            th.append(th[-1] + vi)
        self._thb = th

    def _k(self, T):
        return np.vectorize(self._k1, otypes=[float])(T)

    def _theta1(self, T: float) -> float:
        if not (T_MIN <= T <= T_MAX):
            raise ValueError(f"{self.name}: T={T:g} K outside {T_MIN:g}-{T_MAX:g} K")
        b = self._b
        if T < b[0]:
            return self._kb[0] * (T * T - T_MIN**2) / (2.0 * b[0])
        if T >= b[-1]:
            return self._thb[-1] + self._kb[-1] * (T - b[-1])
        j = bisect.bisect_right(b, T) - 1
        return self._thb[j] + self._kb[j] * (T - b[j])

    def _k1(self, T: float) -> float:
        if not (T_MIN <= T <= T_MAX):
            raise ValueError(f"{self.name}: T={T:g} K outside {T_MIN:g}-{T_MAX:g} K")
        b = self._b
        if T < b[0]:
            return self._kb[0] * T / b[0]
        if T >= b[-1]:
            return self._kb[-1]
        return self._kb[bisect.bisect_right(b, T) - 1]

    def _theta_k1(self, T: float) -> tuple[float, float]:
        return self._theta1(T), self._k1(T)

    def theta(self, T):
        if isinstance(T, (float, int)):
            return self._theta1(float(T))
        return np.vectorize(self._theta1, otypes=[float])(T)

    def __repr__(self) -> str:
        return f"NoteConductor({self.name!r})"


def note_integral(column: str, T1: float, T2: float) -> float:
    """int_{T1}^{T2} k dT [W/m] read from the note's Table 4 intervals (column ``etp``, ``ofhc``,
    ``brass``, ``stainless_304``), as the note reads it: the cumulative integral interpolated
    linearly between the table's bounds.  For rebuilding the note's arithmetic only."""
    return conductor(f"note_{column}").integral(T1, T2)


#: the conductor set beside each Table 4 column
TABLE4_CONDUCTORS = {"etp": "etp", "ofhc": "ofhc", "brass": "brass",
                     "stainless_304": "stainless_304"}


def table4_comparison() -> list[dict]:
    """Rows (column, T1, T2, note [W/cm], ours [W/cm], difference [%]) of Table 4's totals."""
    rows = []
    for column, entries in NOTE_TABLE4.items():
        c = conductor(TABLE4_CONDUCTORS[column])
        for (t1, t2), note in entries.items():
            ours = c.integral(t1, t2) / 100.0
            rows.append(dict(column=column, conductor=c.name, T1=t1, T2=t2, note=note, ours=ours,
                             diff_percent=100.0 * (ours / note - 1.0)))
    return rows


def copper_line_excess(grade: str = "etp", T_hot: float = 300.0, T_cold: float = 4.2) -> float:
    """int_{T_cold}^{T_hot} k dT / (k(T_hot) (T_hot - T_cold)): how much more heat a uniform
    line carries than its warm-end conductivity predicts (NRAO EDTN 203 sec. 1.3: "about 40 %
    higher" for tough-pitch copper between 300 K and 4.2 K)."""
    c = conductor(grade)
    return c.integral(T_cold, T_hot) / (c.k(T_hot) * (T_hot - T_cold))

