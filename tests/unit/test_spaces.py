"""Spaces Tesseract left out (pipeline.spaces): a real page's "Document1" read as "Document 1" by the real engine,
a figure's gap inside a number kept whole, and only readings of the same characters, as sure, taken."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word
from ocrmill.pipeline import spaces
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.languages import tessdata_dir

FILING = "ocr-scribe-benchmark/img/filing_01.png"  # its header: "Case 1:13-cv-01317-TWT-ECS Document 1 Filed ..."


@pytest.fixture(scope="module")
def engines() -> EnginePool:
    return EnginePool(tessdata_dir(None))


def header(data: Path) -> Image.Image:
    with Image.open(data / FILING) as im:
        return im.convert("L").crop((0, 0, im.width, 120))


def test_a_word_run_together_is_read_apart(data: Path, engines: EnginePool) -> None:
    page = engines.recognize(["eng"], header(data), dpi=300, number=1, source_index=0)
    texts = [w.text for w in page.words()]
    assert texts[:6] == ["Case", "1:13-cv-01317-TWT-ECS", "Document", "1", "Filed", "04/22/13"]
    document, one = page.words()[2:4]
    assert document.box.right <= one.box.left  # each in its own place, for the text layer
    assert one.box.width < document.box.width / 3


def test_without_it_tesseract_runs_them_together(
    data: Path, engines: EnginePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case the module is for still happens with this Tesseract (else the test above proves nothing)."""
    monkeypatch.setattr("ocrmill.pipeline.engine.respace", lambda *args: 0)
    page = engines.recognize(["eng"], header(data), dpi=300, number=1, source_index=0)
    assert "Document1" in [w.text for w in page.words()]


def page_of(words: list[Word]) -> Page:
    line = Line(box=Box(0, 0, 400, 40), words=words)
    return Page(number=1, width=400, height=40, dpi=300, source_index=0,
                blocks=[Block(box=line.box, paragraphs=[Paragraph(box=line.box, lines=[line])])])  # fmt: skip


def drawn() -> Image.Image:
    """Eight words on a line of 40 px, the last two (ab cd) drawn as one box of Tesseract's with a space's gap."""
    image = Image.new("L", (400, 40), 255)
    draw = ImageDraw.Draw(image)
    for left in (10, 50, 90, 130, 170, 210, 300, 340):
        draw.rectangle((left, 10, left + 20, 30), fill=0)
    return image


def spaced_words() -> list[Word]:
    return [
        Word(t, Box(x, 10, x + 20, 30), 90)
        for t, x in zip(("aa", "bb", "cc", "dd", "ee", "ff"), range(10, 250, 40), strict=True)
    ]


def test_only_the_same_characters_apart_are_taken() -> None:
    joined = Word("abcd", Box(300, 10, 360, 30), 90)
    calls: list[tuple[int, int]] = []

    def reading(text: list[str], confidence: float = 92) -> spaces.Reader:
        def read(crop: Image.Image) -> list[Word]:
            calls.append(crop.size)
            return [Word(t, Box(20 + 40 * i, 20, 40 + 40 * i, 40), confidence) for i, t in enumerate(text)]

        return read

    page = page_of([*spaced_words(), joined])
    assert spaces.respace(page, drawn(), reading(["abcl", "d"])) == 0  # a character otherwise: not taken
    assert spaces.respace(page, drawn(), reading(["ab", "cd"], 89)) == 0  # less sure than the word (90)
    assert page.words()[-1] is joined
    assert spaces.respace(page, drawn(), reading(["ab", "cd"])) == 1
    assert [w.text for w in page.words()][-2:] == ["ab", "cd"]
    ab, cd = page.words()[-2:]
    assert ab.box.left >= 300 and cd.box.right <= 360 and ab.box.right <= cd.box.left
    assert calls == [(80, 40)] * 3  # the word alone, on a margin of paper


def test_a_word_without_a_wide_gap_or_of_figures_is_not_read_again() -> None:
    image = drawn()
    ImageDraw.Draw(image).rectangle((300, 10, 360, 30), fill=0)  # no gap inside the last word now

    def read(crop: Image.Image) -> list[Word]:
        raise AssertionError("read again")

    assert spaces.respace(page_of([*spaced_words(), Word("abcd", Box(300, 10, 360, 30), 90)]), image, read) == 0
    assert spaces.respace(page_of([*spaced_words(), Word("1211", Box(300, 10, 360, 30), 90)]), drawn(), read) == 0
    assert spaces.respace(page_of([Word("abcd", Box(300, 10, 360, 30), 90)]), drawn(), read) == 0  # no spaces


def test_joinable() -> None:
    assert spaces.joinable("Document1") and spaces.joinable("TaxCode")
    assert not spaces.joinable("1,211") and not spaces.joinable("a") and not spaces.joinable("東京都")
    assert not spaces.joinable("שלום")
    assert np.isclose(spaces.typical_space([page_of(spaced_words()).blocks[0].paragraphs[0].lines[0]]) or 0, 0.5)
