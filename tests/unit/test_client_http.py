"""ocrmill.client.http.base_url: the API's root from a server address as users write it."""

from __future__ import annotations

import pytest

from ocrmill.client.http import base_url


@pytest.mark.parametrize(
    ("address", "prefix", "expected"),
    [
        ("http://h:8080", "/api", "http://h:8080/api"),
        ("http://h:8080/", "/api", "http://h:8080/api"),
        ("http://h:8080/api", "/api", "http://h:8080/api"),
        ("http://h:8080/api/ocrjobs/", "/api", "http://h:8080/api"),  # as ownOCR clients are configured
        ("https://proxy.example/ocr", "/api", "https://proxy.example/ocr/api"),
        ("http://h:8080", "/", "http://h:8080"),
        ("http://h:8080/ocrjobs", "", "http://h:8080"),
    ],
)
def test_base_url(address: str, prefix: str, expected: str) -> None:
    assert base_url(address, prefix) == expected
