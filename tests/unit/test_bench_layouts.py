"""bench.layouts: the drawn layout pages are the same for a seed and new for another."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bench.layouts import layout_pages, scanned_pages
from PIL import Image, ImageChops


def test_a_seed_draws_the_same_pages_and_another_seed_new_ones(tmp_path: Path) -> None:
    first = layout_pages(tmp_path / "a", count=2, seed=5)
    again = layout_pages(tmp_path / "b", count=2, seed=5)
    other = layout_pages(tmp_path / "c", count=2, seed=6)
    assert [name for name, _, _ in first] == ["columns-5-00", "table-5-01"]
    for (_, image, reference), (_, image_again, reference_again), (_, image_other, reference_other) in zip(
        first, again, other, strict=True
    ):
        assert reference == reference_again and reference != reference_other
        with Image.open(image) as a, Image.open(image_again) as b, Image.open(image_other) as c:
            assert ImageChops.difference(a, b).getbbox() is None
            assert ImageChops.difference(a, c).getbbox() is not None
            assert a.size == (2480, 3508) and round(a.info["dpi"][0]) == 300


def test_a_table_page_reads_a_sentence_then_its_rows(tmp_path: Path) -> None:
    (_, _, reference) = layout_pages(tmp_path, count=2, seed=5)[1]
    sentence, header, *rows = reference.splitlines()
    assert 1 <= len(sentence.split()) <= 12  # the first line of a 12-word sentence
    assert 3 <= len(header.split()) <= 12 and 8 <= len(rows) <= 25  # 3-6 head cells of 1-2 words; the rows
    assert all(len(row.split()) >= 3 for row in rows)  # a cell in each of 3 or more columns


def test_a_scanned_page_is_the_drawn_one_askew_grey_and_noisy_and_the_same_for_a_seed(tmp_path: Path) -> None:
    first = scanned_pages(tmp_path / "a", count=2, seed=5)
    again = scanned_pages(tmp_path / "b", count=2, seed=5)
    drawn = layout_pages(tmp_path / "c", count=2, seed=5)
    for (name, image, reference), (_, image_again, _), (drawn_name, _, drawn_reference) in zip(
        first, again, drawn, strict=True
    ):
        assert name == f"{drawn_name}-scan" and reference == drawn_reference and image.suffix == ".jpg"
        with Image.open(image) as a, Image.open(image_again) as b:
            assert ImageChops.difference(a, b).getbbox() is None
            dpi = round(a.info["dpi"][0])
            assert dpi in (200, 300) and a.width > 2480 * dpi / 300  # turned with its corners kept: wider
            histogram = a.histogram()
            paper = max(range(256), key=histogram.__getitem__)
            assert 205 <= paper <= 250 and sum(1 for n in histogram if n) > 100  # greyish paper, noise


def test_a_bilevel_scan_is_the_grey_scan_in_black_and_white_as_a_g4_tiff(tmp_path: Path) -> None:
    grey = scanned_pages(tmp_path / "a", count=2, seed=5)
    bilevel = scanned_pages(tmp_path / "b", count=2, seed=5, bilevel=True)
    for (name, image, reference), (grey_name, grey_image, grey_reference) in zip(bilevel, grey, strict=True):
        assert name == grey_name.replace("-scan", "-bw") and reference == grey_reference and image.suffix == ".tif"
        with Image.open(image) as bw, Image.open(grey_image) as scan:
            assert bw.mode == "1" and bw.info["compression"] == "group4" and bw.size == scan.size
            assert bw.info["dpi"] == scan.info["dpi"]
            ink = 1 - np.asarray(bw, dtype=float).mean()
            assert 0.005 < ink < 0.2  # text on paper: the paper white, the ink black
