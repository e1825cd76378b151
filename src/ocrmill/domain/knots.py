"""Calibrations as knots: a raw score mapped to the share right at that score, linear between the knots fitted by
isotonic regression (the bench's scripts fit them; word confidences, invoice fields and line items ship theirs)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

Knots = Sequence[tuple[float, float]]  # (raw, calibrated), both increasing


def interpolate(knots: Knots, x: float) -> float:
    """Linear between knots, flat beyond the first and the last; `x` itself where there are none."""
    if not knots:
        return x
    if x <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(knots):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 > x0 else y1
    return knots[-1][1]
