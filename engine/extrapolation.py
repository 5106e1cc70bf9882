"""Inputs as polynomials over a communication step, from the last communication points.

An input held constant over a step (order 0, a zero-order hold) makes a coupling error of first
order in the step.  Given the last ``k + 1`` values a producer published — ``(t_i, v_i)``, newest
first — the polynomial of degree ``k`` through them continues the signal over the consumer's step:
order 1 extrapolates linearly, order 2 quadratically (Busch 2016, *Continuous approximation
techniques for co-simulation methods: Analysis of numerical stability and local error*, ZAMM 96;
the polynomial extrapolation of coupling variables of Arnold, Clauß and Schierz, and of MasterSim's
"constant/linear/quadratic extrapolation" option).  Where the value at the end of the step is
already known — Gauss–Seidel, where the producer stepped first, and iterated coupling, where it is
the Newton iterate — the polynomial goes through it: interpolation, not extrapolation.

A consumer that can integrate its inputs over the step (``Actor.input_order`` >= 1, an FMU with
``canInterpolateInputs``) receives the polynomial as the value at the start of its step and the
first and second time derivatives there (FMI 2.0's ``fmi2SetRealInputDerivatives``); with a
linearly varying flow a volume's mass is then exact.  The coupling error becomes of order
``k + 1`` in the step (tested in ``tests/test_coupling_order.py``).

Times are ticks (ints); the results are per second (``tps`` ticks per second).
"""
from __future__ import annotations


def taylor(points, t: int, tps: int) -> tuple[float, float, float]:
    """``(u(t), du/dt, d2u/dt2)`` at tick ``t`` [value, per s, per s^2] of the polynomial through
    ``points`` — one to three ``(tick, value)`` pairs of distinct ticks (Newton's divided
    differences).  One point: a constant."""
    n = len(points)
    if n == 1:
        return float(points[0][1]), 0.0, 0.0
    (ta, a), (tb, b) = points[0], points[1]
    xa, xb = (ta - t) / tps, (tb - t) / tps
    f_ab = (a - b) / (xa - xb)
    if n == 2:
        return a - f_ab * xa, f_ab, 0.0
    tc, c = points[2]
    xc = (tc - t) / tps
    f_bc = (b - c) / (xb - xc)
    f_abc = (f_ab - f_bc) / (xa - xc)
    # p(x) = a + f_ab (x - xa) + f_abc (x - xa)(x - xb), at x = 0
    return (a - f_ab * xa + f_abc * xa * xb, f_ab - f_abc * (xa + xb), 2.0 * f_abc)


def value_at(points, t: int) -> float:
    """The polynomial through ``points`` (``(tick, value)``, distinct ticks) at tick ``t``: the
    extrapolation a step's coupling error is measured against."""
    u, d1, d2 = taylor(points, t, 1)
    return u


def shift(coeffs: tuple[float, float, float], dt: float) -> tuple[float, float, float]:
    """The Taylor coefficients ``(u, u', u'')`` of a polynomial of degree <= 2 moved ``dt`` s on
    (a sub-step inside a step of held polynomial inputs)."""
    u, d1, d2 = coeffs
    return u + dt * (d1 + 0.5 * dt * d2), d1 + dt * d2, d2
