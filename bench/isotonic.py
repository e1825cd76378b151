"""Isotonic regression by pool-adjacent-violators, shared by the calibrations the bench fits (invoice fields in
bench.train_invoices, word confidences in bench.word_calibration)."""

from __future__ import annotations

from collections.abc import Sequence


def isotonic_blocks(raw: Sequence[float], right: Sequence[int]) -> list[tuple[float, float, int]]:
    """Pool-adjacent-violators: the blocks (mean raw, share right, size) of the best increasing fit."""
    order = sorted(range(len(raw)), key=lambda i: raw[i])
    blocks: list[list[float]] = []  # [sum raw, sum right, count]
    for i in order:
        blocks.append([raw[i], float(right[i]), 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            for j in range(3):
                blocks[-1][j] += last[j]
    return [(round(b[0] / b[2], 6), round(b[1] / b[2], 6), int(b[2])) for b in blocks]
