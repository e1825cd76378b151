"""pipeline.rules: a vertical rule Tesseract read as "|" leaves the page; a bar set as a character stays."""

from __future__ import annotations

from PIL import Image, ImageDraw

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word
from ocrmill.pipeline.rules import drop_rules


def _page(*lines: list[Word]) -> Page:
    made = [Line(box=Box(0, 0, 1, 1), words=words) for words in lines]
    block = Block(box=Box(0, 0, 1, 1), paragraphs=[Paragraph(box=Box(0, 0, 1, 1), lines=made)])
    return Page(number=1, width=1000, height=600, dpi=300, blocks=[block])


def _image() -> tuple[Image.Image, Box, Box]:
    """A rule from y=100 to y=500 at x=400 (a table's), and a bar as tall as its line at x=700 (a separator)."""
    image = Image.new("L", (1000, 600), 255)
    draw = ImageDraw.Draw(image)
    draw.line((400, 100, 400, 500), fill=0, width=3)
    draw.line((700, 300, 700, 340), fill=0, width=3)
    return image, Box(397, 300, 404, 340), Box(697, 300, 704, 340)


def test_a_rule_read_as_a_bar_leaves_the_page_and_a_separator_stays() -> None:
    image, rule, separator = _image()
    words = [
        Word("Profile", Box(250, 300, 380, 340), 95),
        Word("|", rule, 60),
        Word("To", Box(420, 300, 470, 340), 95),
        Word("TEL", Box(600, 300, 680, 340), 95),
        Word("|", separator, 80),
        Word("FAX", Box(720, 300, 800, 340), 95),
    ]
    page = _page(words)
    assert drop_rules(page, image) == 1
    assert [w.text for w in page.words()] == ["Profile", "To", "TEL", "|", "FAX"]


def test_a_rule_at_a_table_edge_runs_on_one_side_only() -> None:
    """In the first row the rule runs on below the word only (above it the table ends): still a rule."""
    image, _, _ = _image()
    page = _page([Word("|", Box(397, 100, 404, 140), 50)], [Word("text", Box(500, 200, 600, 240), 95)])
    assert drop_rules(page, image) == 1
    assert [w.text for w in page.words()] == ["text"]
    assert len(page.blocks[0].paragraphs[0].lines) == 1  # the line the rule leaves empty is gone


def test_a_page_without_bars_is_left_as_it_is() -> None:
    image, _, _ = _image()
    page = _page([Word("I", Box(397, 300, 404, 340), 90)])  # a capital I on the rule is a letter Tesseract read
    assert drop_rules(page, image) == 0
    assert [w.text for w in page.words()] == ["I"]
