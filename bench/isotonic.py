"""Isotonic regression by pool-adjacent-violators, shared by the calibrations the bench fits (invoice fields in
bench.train_invoices, word confidences in bench.word_calibration, line items in bench.invoice_tables), and the
reliability table that checks them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any


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


def reliability(pairs: Sequence[tuple[float, int]], buckets: Sequence[float]) -> list[dict[str, Any]]:
    """(confidence, right 0/1) pairs in buckets (their edges, increasing): per bucket how many and the share right."""
    rows = []
    for low, high in itertools.pairwise(buckets):
        inside = [right for confidence, right in pairs if low <= confidence < high]
        share = sum(inside) / len(inside) if inside else 0.0
        rows.append({"from": low, "to": min(high, 1.0), "n": len(inside), "right": round(share, 4)})
    return rows
