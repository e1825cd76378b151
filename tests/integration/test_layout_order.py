"""Tables and columns in reading order in every output, over real Tesseract from `ocrmill ocr`, on pages the test
renders (DejaVu, Debian's fonts-dejavu-core): a ruled table's cells come row by row, each cell apart (a line of its
own in hOCR and ALTO, a tab-separated cell in TXT), its words spaced as printed ("13 A", which Tesseract reads
"13A" across a row); the PDF text layer holds the same words; a two-column page reads column by column."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree, html
from PIL import Image, ImageDraw, ImageFont

from tests.consumers import pdf_words
from tests.harness import OCRMILL

SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
# A parts list as old catalogues print it: part numbers and the plates they are on, two pairs of columns, ruled
HEADER = ("Part", "Table", "Part", "Table")
ROWS = [
    (str(n), f"{13 + n % 2} {'AB'[n // 2 % 2]}", str(80 + n), f"{14 - n % 2} {'BA'[n // 3 % 2]}") for n in range(1, 9)
]
LEFT = (
    "alpha river stone garden window",
    "morning paper letter station bread",
    "silver market harbour meadow lamp",
    "winter orchard candle bridge field",
    "copper valley forest basket cloud",
    "island mirror pocket ladder wheel",
)
RIGHT = (
    "yellow tunnel castle rabbit spoon",
    "purple engine feather kettle road",
    "orange carpet saddle violin tower",
    "golden button hammer pillow lake",
    "scarlet wagon pencil blanket hill",
    "crimson marble ribbon bottle sand",
)


def render_table(target: Path) -> Path:
    """A 300 dpi page with a ruled table of four columns (rules between the columns and above and below the
    header), 42 px figures (10 pt) with a narrow space before the letter, as printed."""
    image = Image.new("L", (2480, 1600), 255)
    draw = ImageDraw.Draw(image)
    body, head = ImageFont.truetype(str(SERIF), 42), ImageFont.truetype(str(BOLD), 36)
    edges = [300, 700, 1250, 1650, 2200]
    bottom = 290 + 70 * len(ROWS) + 40
    draw.line((edges[0], 200, edges[-1], 200), fill=0, width=5)
    draw.line((edges[0], 290, edges[-1], 290), fill=0, width=3)
    draw.line((edges[0], bottom, edges[-1], bottom), fill=0, width=5)
    for x in edges[1:-1]:
        draw.line((x, 200, x, bottom), fill=0, width=3)
    for x, text in zip(edges, HEADER, strict=False):
        draw.text((x + 100, 225), text, font=head, fill=0)
    for r, row in enumerate(ROWS):
        for x, text in zip(edges, row, strict=False):
            draw.text((x + 150, 320 + 70 * r), text, font=body, fill=0)
    image.save(target, dpi=(300, 300))
    return target


def render_columns(target: Path) -> Path:
    """A 300 dpi page of two columns of prose, 36 px (8.6 pt), lines side by side at the same heights."""
    image = Image.new("L", (2480, 1600), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(SERIF), 36)
    for i, (left, right) in enumerate(zip(LEFT, RIGHT, strict=True)):
        draw.text((250, 250 + 60 * i), left, font=font, fill=0)
        draw.text((1290, 250 + 60 * i), right, font=font, fill=0)
    image.save(target, dpi=(300, 300))
    return target


def ocr(image: Path, out: Path) -> dict[str, Path]:
    settings = ["HocrOutput=true", "TxtOutput=true", "XmlOutput=true", "PdfOutput=true"]
    done = subprocess.run(
        [OCRMILL, "ocr", str(image), "--out", str(out), *(f"--set={s}" for s in settings)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return {p.suffix.lstrip("."): p for p in out.iterdir()}


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("table")
    yield ocr(render_table(folder / "table.png"), folder / "out")


@pytest.fixture(scope="module")
def columns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("columns")
    yield ocr(render_columns(folder / "columns.png"), folder / "out")


def hocr_lines(path: Path) -> list[str]:
    lines = html.fromstring(path.read_bytes()).xpath("//*[@class='ocr_line']")
    return [" ".join(str(w.text_content()) for w in ln.xpath(".//*[@class='ocrx_word']")) for ln in lines]


def alto_lines(path: Path) -> list[str]:
    root = etree.parse(str(path))
    return [" ".join(s.get("CONTENT", "") for s in line.iter(f"{ALTO}String")) for line in root.iter(f"{ALTO}TextLine")]


def runs(lines: list[str], expected: list[str]) -> bool:
    """Whether `expected` stands in `lines` one after the other."""
    return any(lines[i : i + len(expected)] == expected for i in range(len(lines) - len(expected) + 1))


# the rows of the table whose first cell Tesseract reads for certain (a lone "5" it may leave out)
FIRST_ROWS = [cell for row in ROWS[:4] for cell in row]


def test_hocr_has_a_line_per_cell_row_by_row(table: dict[str, Path]) -> None:
    lines = hocr_lines(table["hocr"])
    assert runs(lines, list(HEADER)), lines
    assert runs(lines, FIRST_ROWS), lines


def test_alto_has_a_line_per_cell_row_by_row(table: dict[str, Path]) -> None:
    lines = alto_lines(table["xml"])
    assert runs(lines, FIRST_ROWS), lines


def test_txt_has_the_rows_with_their_cells_apart(table: dict[str, Path]) -> None:
    rows = table["txt"].read_text().splitlines()
    for row in ROWS[:4]:
        assert "\t".join(row) in rows, rows


def pdf_raw_words(pdf: Path) -> list[str]:
    """The text layer's words in the order its content stream has them (`pdftotext -raw`), as a screen reader
    and a viewer's select-all take them."""
    done = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_pdf_text_layer_has_the_words_in_the_same_order(table: dict[str, Path]) -> None:
    assert pdf_raw_words(table["pdf"]) == " ".join(hocr_lines(table["hocr"])).split()
    assert {w for w, _x, _y in pdf_words(table["pdf"])} >= {"13", "14", "A", "B"}


def test_two_columns_read_column_by_column(columns: dict[str, Path]) -> None:
    expected = [*LEFT, *RIGHT]
    assert runs(hocr_lines(columns["hocr"]), expected)
    assert runs(alto_lines(columns["xml"]), expected)
    text = columns["txt"].read_text()
    assert text.index(LEFT[-1]) < text.index(RIGHT[0])
    assert pdf_raw_words(columns["pdf"]) == " ".join(expected).split()


def test_a_scanned_grid_table_reads_without_pieces_of_its_rules(tmp_path: Path) -> None:
    """A table ruled on every row and column, scanned (bench.layouts: 200 dpi, turned, blurred, JPEG). Where the
    scan's rules cross, Tesseract and the look at the ink it left out (pipeline.unread) read pieces of the
    crossings as "T", "4" or "1" (pipeline.rules takes them out): the text has the table's rows and no line
    besides, each row with its cells apart."""
    from bench.layouts import scanned_pages

    name, image, reference = scanned_pages(tmp_path / "pages", count=2, seed=7)[1]
    assert name == "table-7-01-scan"
    rows = reference.splitlines()[1:]
    assert len(rows) == 18 and all(len(row.split()) >= 4 for row in rows)
    lines = [line for line in ocr(image, tmp_path / "out")["txt"].read_text().splitlines() if line.strip()]
    assert len(lines) == 1 + len(rows), lines  # the sentence over the table, then its rows
    assert all(line.count("\t") == 3 for line in lines[1:]), lines


def test_a_scanned_table_of_words_alone_reads_row_by_row(tmp_path: Path) -> None:
    """A table of three columns of short phrases without a figure or a rule, scanned (bench.layouts), which
    Tesseract reads column by column: each row is a line of the text with its cells apart (domain.layout
    _word_grid), not the columns one after the other."""
    from bench.layouts import scanned_pages

    name, image, reference = scanned_pages(tmp_path / "pages", count=4, seed=17)[3]
    assert name == "table-17-03-scan"
    rows = reference.splitlines()[1:]
    assert len(rows) == 26
    lines = [line for line in ocr(image, tmp_path / "out")["txt"].read_text().splitlines() if line.strip()]
    assert len(lines) == 1 + len(rows), lines  # the sentence over the table, then its rows
    assert all(line.count("\t") == 2 for line in lines[1:]), lines
    # row by row: each line's words are its row's (a word or two may be misread; a column's would share none)
    assert sum(set(line.split()) <= set(row.split()) for line, row in zip(lines[1:], rows, strict=True)) >= 24


def test_a_column_of_figures_tesseract_takes_for_vertical_text_is_read(tmp_path: Path) -> None:
    """A black-and-white scan of a table (bench.layouts) where Tesseract's layout takes a column's last four figures,
    stacked one under the other, for a block of vertical text and reads them as one word ("BYR"): the block is read
    again as horizontal lines (Engine._read_upright), and the figures are in their rows."""
    from bench.layouts import scanned_pages

    name, image, reference = scanned_pages(tmp_path / "pages", count=12, seed=15, bilevel=True)[11]
    assert name == "table-15-11-bw"
    figures = (("46", "07/01/2019"), ("343", "03/11/2018"), ("80", "02/05/2012"))
    assert all(f"{date} {figure} " in reference for figure, date in figures)  # the premise: the page's rows
    lines = ocr(image, tmp_path / "out")["txt"].read_text().splitlines()
    for figure, date in figures:
        (line,) = [line for line in lines if date in line]
        assert line.split("\t")[2] == figure, line
