"""pipeline.rules: a vertical rule Tesseract read as "|", or a crossing of rules read as a character, leaves the page;
a bar set as a character and letters stay."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from ocrmill.domain.document import Block, Box, Line, Page, Paragraph, Word, union
from ocrmill.pipeline.rules import drop_rules


def _page(*lines: list[Word]) -> Page:
    made = [Line(box=union(w.box for w in words), words=words) for words in lines]
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
    """In the first row the rule runs on below the word only (above it the table ends): still a rule. So is its
    foot where the table's last rule meets it, read "_|"; a line to write on, read "____", stays."""
    image, _, _ = _image()
    ImageDraw.Draw(image).line((600, 538, 700, 538), fill=0, width=3)
    page = _page(
        [Word("|", Box(397, 100, 404, 140), 50)],
        [Word("text", Box(500, 200, 600, 240), 95)],
        [Word("_|", Box(380, 460, 404, 502), 40)],
        [Word("Name:", Box(500, 500, 590, 540), 95), Word("____", Box(600, 530, 700, 540), 60)],
    )
    assert drop_rules(page, image) == 2
    assert [w.text for w in page.words()] == ["text", "Name:", "____"]
    assert len(page.blocks[0].paragraphs[0].lines) == 2  # the lines the rules leave empty are gone


def test_where_rules_cross_a_character_read_there_leaves_and_letters_stay() -> None:
    """Where a scan's rules meet, Tesseract (or the look at ink it left out, pipeline.unread) reads a piece of the
    crossing as a "T" or a "4": the rule runs on above and below it. A letter beside the rule, or under the
    crossing rule, has white above it and stays; so does a word of letters, and a piece of a letter's stroke read
    as a letter: the stroke stays within its line."""
    image, _, _ = _image()
    ImageDraw.Draw(image).line((100, 300, 900, 300), fill=0, width=3)  # a row's rule across the column's
    draw = ImageDraw.Draw(image)
    draw.line((610, 501, 640, 501), fill=0, width=3)  # a faint receipt's "T", its stem's foot read as an "i"
    draw.line((625, 501, 625, 540), fill=0, width=3)
    page = _page(
        [Word("T", Box(390, 290, 410, 330), 85), Word("1", Box(420, 305, 430, 340), 90)],
        [Word("I", Box(560, 400, 567, 440), 90)],
        [Word("Il", Box(395, 400, 412, 440), 90)],
        [Word("GS", Box(560, 500, 600, 540), 90), Word("i", Box(623, 530, 628, 538), 40)],
    )
    assert drop_rules(page, image) == 1
    assert [w.text for w in page.words()] == ["1", "I", "Il", "GS", "i"]


def test_a_letter_whose_box_reaches_the_letter_above_stays() -> None:
    """The recogniser's box of a letter it split off ("13B" read "13" "B") may reach up into the letter above: ink
    in every row above it, but no one line of it through the letter's place."""
    image = Image.new("L", (400, 300), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    for top in (60, 110):
        draw.text((100, top), "B", font=font, fill=0)
    upper, lower = draw.textbbox((100, 60), "B", font=font), draw.textbbox((100, 110), "B", font=font)
    box = Box(lower[0], upper[3] - 2, lower[2], lower[3])
    assert box.top - box.height // 2 >= upper[1]  # every row of the half height above it is in the letter above
    page = _page([Word("B", box, 80)])
    assert drop_rules(page, image) == 0


def test_a_page_without_rules_is_left_as_it_is() -> None:
    image = Image.new("L", (1000, 600), 255)
    ImageDraw.Draw(image).text((100, 100), "I am | here", fill=0)
    page = _page([Word("I", Box(100, 100, 104, 111), 90), Word("|", Box(130, 100, 132, 112), 90)])
    assert drop_rules(page, image) == 0
    assert [w.text for w in page.words()] == ["I", "|"]
