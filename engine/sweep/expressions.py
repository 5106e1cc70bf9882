"""The expression language of a sweep spec: :mod:`cryocosim.expr`'s (the language of a scenario's
``[derived]``), its errors raised as :class:`SweepError`."""
from __future__ import annotations

from .. import expr
from .limits import SweepError


class Expr(expr.Expr):
    """An expression of a sweep spec (:class:`cryocosim.expr.Expr`, errors as :class:`SweepError`):
    arithmetic over the point's values, and for scenario sweeps the reductions of recorded
    series (``min(load.T)``, ``mean(motor.power, last = '10 min')``, ``at(load.T, '5 min')``; a
    series left unreduced counts by its final value).  Quantities with units (``300 K``) are
    numbers in SI."""

    error = SweepError
