"""domain.knots.interpolate: linear between knots, flat beyond them, found by bisection."""

from __future__ import annotations

import itertools
import random

from ocrmill.domain.knots import Knots, interpolate


def _scanned(knots: Knots, x: float) -> float:
    """The knots read one pair after another (what interpolate did before it bisected)."""
    if not knots:
        return x
    if x <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(knots):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 > x0 else y1
    return knots[-1][1]


def test_bisection_reads_the_knots_as_a_scan_does() -> None:
    rng = random.Random(5)
    for _ in range(300):
        count = rng.randrange(8)
        xs = sorted(rng.choice([rng.uniform(0, 100), float(rng.randrange(0, 100, 10))]) for _ in range(count))
        ys = sorted(rng.uniform(0, 1) for _ in xs)
        knots = list(zip(xs, ys, strict=True))  # repeated raw values among them (isotonic blocks can share one)
        for x in [*xs, *(rng.uniform(-10, 110) for _ in range(20))]:
            assert interpolate(knots, x) == _scanned(knots, x), (knots, x)


def test_flat_beyond_the_knots_and_linear_between() -> None:
    knots = [(10.0, 0.2), (20.0, 0.4), (20.0, 0.6), (40.0, 1.0)]
    assert interpolate(knots, 0.0) == 0.2
    assert interpolate(knots, 15.0) == 0.30000000000000004
    assert interpolate(knots, 20.0) == 0.4  # the first knot at 20
    assert interpolate(knots, 30.0) == 0.8
    assert interpolate(knots, 50.0) == 1.0
    assert interpolate([], 7.0) == 7.0
