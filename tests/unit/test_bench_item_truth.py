"""bench.invoice_tables' item truth from e-invoice XML: the product description beside its name, and line totals
that include VAT (some ZUGFeRD 1.0 generators) taken without it, as the printed table shows them."""

from __future__ import annotations

from bench.invoice_tables import zugferd_truth
from bench.invoices import zugferd


def _truth(name: str) -> list[tuple[tuple[str, ...], str | None]]:
    sample = next(s for s in zugferd() if s.name == name)
    return [(t.names, t.amount) for t in zugferd_truth(sample)]


def test_gross_line_totals_are_taken_without_their_vat() -> None:
    # The XML's lines say 171.20, 376.04 and 23.80 (they add up to the grand total 571.04); printed: net.
    assert [a for _, a in _truth("MustangGnuaccountingBeispielRE-20140703_502")] == ["160.00", "316.00", "20.00"]


def test_net_line_totals_are_kept_and_descriptions_follow_names() -> None:
    truth = _truth("MustangGnuaccountingBeispielRE-20201121_508")
    assert truth[0] == (("Design (hours)", "Of a sample invoice"), "160.00")
    assert all(len(names) == 1 for names, _ in _truth("EN16931_Einfach"))  # no descriptions there


def test_small_calibration_blocks_are_pooled() -> None:
    """bench.invoice_tables' item calibration: a block of 5 right of 5 would promise 1.0; it is pooled."""
    from bench.invoice_tables import MIN_BLOCK, pooled

    out = pooled([(0.3, 0.2, 30), (0.9, 0.8, 50), (0.99, 1.0, 5)])
    assert [n for *_, n in out] == [30, 55] and all(n >= MIN_BLOCK for *_, n in out)
    assert abs(out[-1][1] - (0.8 * 50 + 5) / 55) < 1e-6 and out[0][1] < out[-1][1]
    assert pooled([(0.1, 0.0, 3), (0.5, 0.5, 40)])[0][2] == 43  # the lowest into the one above
