"""Calibrations as knots: a raw score mapped to the share right at that score, linear between the knots fitted by
isotonic regression (the bench's scripts fit them; word confidences, invoice fields and line items ship theirs)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

Knots = Sequence[tuple[float, float]]  # (raw, calibrated), both increasing


def interpolate(knots: Knots, x: float) -> float:
    """Linear between knots, flat beyond the first and the last; `x` itself where there are none. The knots
    around `x` are found by bisection (a page's words are calibrated a thousand times and more)."""
    if not knots:
        return x
    if x <= knots[0][0]:
        return knots[0][1]
    at = bisect.bisect_left(knots, x, key=_raw)  # the first knot at or beyond x: the one before it is below x
    if at == len(knots):
        return knots[-1][1]
    (x0, y0), (x1, y1) = knots[at - 1], knots[at]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _raw(knot: tuple[float, float]) -> float:
    return knot[0]
