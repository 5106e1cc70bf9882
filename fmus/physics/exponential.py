"""The phi-functions of an exact step of a first-order linear equation with inputs held over
the step, ``J dw/dt = A - k w``: with x = k t / J,

    w(t)              = w0 exp(-x) + (A t / J) phi1(x)
    int_0^t w ds      = t (w0 phi1(x) + (A t / J) phi2(x))

and, for w(s) = w0 + D (1 - exp(-x s/t))/x, int_0^t w^2 ds = t (w0^2 + 2 w0 D phi2(x) +
D^2 chi(x)).  Each is written so that it keeps full precision as x -> 0 (no friction, no
load), where the closed forms cancel.  Used by the shaft (``fmus/shaft.py``: friction) and the
turbine's rotor (``fmus/turbine.py``: load and jet torque).
"""
from __future__ import annotations

import math


def phi1(x: float) -> float:
    """(1 - exp(-x)) / x, well conditioned for small x (1 at x = 0)."""
    return -math.expm1(-x) / x if x > 0.0 else 1.0


def phi2(x: float) -> float:
    """(x - 1 + exp(-x)) / x**2 (1/2 at x = 0), by its series where the formula cancels."""
    if x < 1e-2:
        return 0.5 - x / 6.0 + x * x / 24.0 - x**3 / 120.0 + x**4 / 720.0
    return (x + math.expm1(-x)) / (x * x)


def chi(x: float) -> float:
    """(x - 2 (1 - e^-x) + (1 - e^-2x)/2) / x**3 (1/3 at x = 0): with w(s) = w0 + D (1 -
    e^-(x s/t))/x, the integral of w**2 over [0, t] is t (w0**2 + 2 w0 D phi2(x) + D**2 chi(x)).
    Below x = 1/4, where the formula cancels, its series sum_n (-1)^n (2 - 2^(n-1))/n! x^(n-3),
    n = 3..14 (relative error below 1e-14)."""
    if x < 0.25:
        total, term = 0.0, 1.0 / 6.0          # term = (-x)^(n-3) / n!
        for n in range(3, 15):
            total += (2.0 ** (n - 1) - 2.0) * term   # (-1)^n (2 - 2^(n-1)) = (-1)^(n-3) (2^(n-1) - 2)
            term *= -x / (n + 1)
        return total
    return (x - 2.0 * -math.expm1(-x) + 0.5 * -math.expm1(-2.0 * x)) / (x**3)
