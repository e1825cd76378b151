"""The snippet of a search hit (service.ocrjobs.search.snippet): the line of the text, description or correlation id
that holds the most of the query's words (as words or their starts), ties to the earlier field and line; the first
line with any word when none holds one."""

from __future__ import annotations

import pytest

from ocrmill.service.ocrjobs.search import snippet
from ocrmill.store.search import Hit, words


def hit(body: str = "", descr: str = "", correlation_id: str = "") -> Hit:
    return Hit(job_id=1, score=1.0, descr=descr, correlation_id=correlation_id, body=body)


@pytest.mark.parametrize(
    ("found", "wanted", "expected"),
    [
        (hit("one okapi\nokapi and zebra\nzebra"), ["okapi", "zebra"], ("Text", "okapi and zebra")),
        (hit("okapi\n  okapi again  "), ["okapi"], ("Text", "okapi")),  # a tie: the earlier line
        (hit("an okapi", descr="okapi zebra"), ["okapi", "zebra"], ("Descr", "okapi zebra")),
        (hit("an okapi", descr="okapi"), ["okapi"], ("Text", "an okapi")),  # a tie: the earlier field
        (hit("\n  \nfirst words\nsecond"), ["kudu"], ("Text", "first words")),  # no line holds it
        (hit("", correlation_id="order-42"), ["42"], ("CorrelationId", "order-42")),
        (hit("bazookapi\nokapis here"), ["okapi"], ("Text", "okapis here")),  # a word's start, not its middle
        (hit("nothing\nDIE STRASSE"), words("Straße"), ("Text", "DIE STRASSE")),  # casefolded: ß is ss
        (hit("nothing\nStraße 1"), words("STRASSE"), ("Text", "Straße 1")),
    ],
)
def test_the_snippet_is_the_line_with_the_most_of_the_words(
    found: Hit, wanted: list[str], expected: tuple[str, str]
) -> None:
    assert snippet(found, wanted) == expected
