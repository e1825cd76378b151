from __future__ import annotations

import random
import time

import pytest

from tests.metrics import bag_cer, bag_error, cer, levenshtein, levenshtein_reference, normalise, word_bag


def test_levenshtein_matches_the_textbook_programme() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        a = "".join(rng.choice("abcä ") for _ in range(rng.randint(0, 70)))
        b = "".join(rng.choice("abcä ") for _ in range(rng.randint(0, 70)))
        assert levenshtein(a, b) == levenshtein_reference(a, b), (a, b)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("", "abc", 3), ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("a" * 100, "a" * 100, 0)],
)
def test_levenshtein_known_values(a: str, b: str, distance: int) -> None:
    assert levenshtein(a, b) == distance
    assert levenshtein(b, a) == distance


def test_levenshtein_is_fast_on_page_sized_texts() -> None:
    rng = random.Random(1)
    a = "".join(rng.choice("abcdefghij klmnop") for _ in range(20_000))
    b = "".join(rng.choice("abcdefghij klmnop") for _ in range(20_000))
    started = time.monotonic()
    distance = levenshtein(a, b)
    assert time.monotonic() - started < 5
    assert 0 < distance <= 20_000


def test_cer_ignores_whitespace_layout_only() -> None:
    assert normalise("  a\n\n b\f c\t") == "a b c"
    assert cer("hello world", "hello\n\n  world\n") == 0
    assert cer("hello world", "hello wrld") == pytest.approx(1 / 11)
    assert cer("abc", "") == 1
    assert cer("", "") == 0


def test_word_bag_ignores_order_but_not_words() -> None:
    assert bag_error("the quick brown fox", "fox brown\nquick the") == 0
    score = word_bag("a b c d", "a b x")
    assert (score.matched, score.precision, score.recall) == (2, 2 / 3, 2 / 4)
    assert score.f1 == pytest.approx(4 / 7)
    assert bag_error("a b", "c d") == 1
    assert bag_error("a a b", "a b") == pytest.approx(1 - 4 / 5)  # multisets: the second "a" is missing


def test_bag_cer_counts_characters_of_unmatched_words() -> None:
    assert bag_cer("the quick fox", "fox the quick") == 0
    assert bag_cer("the quick fox", "fox quikc the") == pytest.approx(2 / 13)
    assert bag_cer("ab", "") == 1
