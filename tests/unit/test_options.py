"""JobOptions.merged: a client's JSON body onto job options; languages.parse: the RecognitionLanguages value."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from ocrmill.domain import languages
from ocrmill.domain.options import OUTPUT_FLAGS, JobOptions
from ocrmill.errors import BadRequest, InvalidProperty, NoOutput, UnknownProperty

MAX_DAYS = 30
BOOL_FIELDS = [f.name for f in dataclasses.fields(JobOptions) if isinstance(f.default, bool)]
STR_FIELDS = [f.name for f in dataclasses.fields(JobOptions) if isinstance(f.default, str)]

# (property, lowest valid, highest valid) as the API document gives them.
RANGES: list[tuple[str, float, float]] = [
    ("PdfConformance", 0, 6),
    ("BWCompression", 0, 1),
    ("ColorCompression", 0, 3),
    ("MinConfidence", 0, 100),
    ("NrOfOCRThreads", 1, 32),
    ("RenderResolution", 50, 300),
    ("RenderQuality", 1, 100),
    ("BarcodeFilter", 0, 0x3FF),
    ("BarcodeDirection", 1, 3),
    ("RetentionDays", 1, MAX_DAYS),
]


def merged(body: dict[str, Any], base: JobOptions | None = None, max_days: int = MAX_DAYS) -> JobOptions:
    return (base or JobOptions()).merged(body, max_retention_days=max_days)


def refused(body: dict[str, Any], name: str, max_days: int = MAX_DAYS) -> InvalidProperty:
    with pytest.raises(InvalidProperty) as caught:
        merged(body, max_days=max_days)
    assert caught.value.name == name
    assert isinstance(caught.value, BadRequest)  # the API answers 400
    assert caught.value.message.startswith(f"{name}:"), caught.value.message
    return caught.value


# -- defaults -------------------------------------------------------------------------------------


def test_defaults_are_the_documents() -> None:
    o = JobOptions()
    assert o.Autostart is True
    assert o.PdfOutput is True
    assert not any(getattr(o, flag) for flag in OUTPUT_FLAGS.values() if flag != "PdfOutput")
    assert (o.PdfConformance, o.BWCompression, o.ColorCompression) == (0, 0, 1)
    assert o.RecognitionLanguages == "English"
    assert (o.MinConfidence, o.NrOfOCRThreads, o.RenderResolution, o.RenderQuality) == (60, 2, 200, 60)
    assert (o.BarcodeFilter, o.BarcodeDirection) == (0, 3)
    assert o.BlankPagesMaxNoise == 0.5
    assert o.Descr == o.CorrelationId == o.PdfTitle == ""
    assert o.RemoveWhiteSpaceRegions is False and o.DetectBarcodes is False


def test_empty_body_changes_nothing() -> None:
    base = JobOptions(Descr="x", MinConfidence=10)
    assert merged({}, base) == base


# -- names ----------------------------------------------------------------------------------------


def test_names_are_case_insensitive() -> None:
    o = merged({"minconfidence": 10, "PDFOUTPUT": False, "txtOutput": True, "rEcOgNiTiOnLaNgUaGeS": "German"})
    assert o.MinConfidence == 10
    assert o.PdfOutput is False
    assert o.TxtOutput is True
    assert o.RecognitionLanguages == "German"


def test_read_only_names_are_ignored_whatever_their_value() -> None:
    base = JobOptions(Descr="keep")
    body = {
        "Id": 5,
        "Status": 3,
        "Guid": "96ebb3f4-48d7-4580-9c02-dfe4d430a2c6",
        "Barcodes": [{"PageNo": 1}],
        "NumberOfPages": "many",
        "IsTemplate": "not a bool",
        "FileUploaded": None,
        "Created": 12,
        "removedpages": [2],
        "USERNAME": "mallory",
    }
    assert merged(body, base) == base


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"PdfOutptu": True}, "PdfOutptu: not a job property (neither in the ownOCR document nor an ocrmill addition)"
                              "; did you mean PdfOutput?"),
        ({"Descr": "x", "Whatever": 1}, "Whatever: not a job property"),
        ({"Id": 1, "Bogus": None}, "Bogus: not a job property"),
    ],
)  # fmt: skip
def test_unknown_names_are_refused_naming_them(body: dict[str, Any], message: str) -> None:
    with pytest.raises(UnknownProperty) as caught:
        merged(body)
    assert caught.value.http_status == 400
    assert caught.value.message.startswith(message), caught.value.message


def test_an_error_names_the_property_as_documented_not_as_sent() -> None:
    refused({"minconfidence": 1000}, "MinConfidence")


def test_merged_returns_a_new_object_and_keeps_other_options() -> None:
    base = JobOptions(Descr="base", TxtOutput=True, MinConfidence=10)
    new = merged({"Descr": "new"}, base)
    assert new is not base
    assert base.Descr == "base"
    assert (new.Descr, new.TxtOutput, new.MinConfidence) == ("new", True, 10)


def test_a_failed_merge_changes_nothing() -> None:
    base = JobOptions(MinConfidence=10)
    with pytest.raises(InvalidProperty):
        base.merged({"MinConfidence": 20, "RenderResolution": 1}, max_retention_days=MAX_DAYS)
    assert base.MinConfidence == 10


# -- booleans -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BOOL_FIELDS)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        ("True", True),
        ("FALSE", False),
        (" true ", True),
    ],
)
def test_booleans_and_string_booleans(name: str, value: Any, expected: bool) -> None:
    o = merged({name: value}, JobOptions(**{"EpubOutput": True, name: not expected}))  # never without output
    assert getattr(o, name) is expected


@pytest.mark.parametrize("value", [1, 0, "yes", "1", "", None, 1.0, [], {}])
def test_a_boolean_refuses_other_values(value: Any) -> None:
    refused({"TxtOutput": value}, "TxtOutput")


# -- strings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STR_FIELDS)
def test_strings(name: str) -> None:
    value = {"RecognitionLanguages": "English", "CallbackUrl": "https://example.com/hook?a=Grüße"}.get(
        name, "Grüße, 世界"
    )
    assert getattr(merged({name: value}), name) == value


@pytest.mark.parametrize(
    "value", ["example.com/hook", "ftp://example.com/", "http://", "http:///path", "https://user@example.com/", " x"]
)
def test_a_callback_url_is_an_http_url_with_a_host(value: str) -> None:
    refused({"CallbackUrl": value}, "CallbackUrl")


def test_a_callback_url_is_at_most_2000_characters() -> None:
    refused({"CallbackUrl": "https://example.com/" + "a" * 1981}, "CallbackUrl")
    assert merged({"CallbackUrl": ""}).CallbackUrl == ""


def test_a_null_string_is_empty() -> None:
    assert merged({"Descr": None}, JobOptions(Descr="x")).Descr == ""


@pytest.mark.parametrize("value", [5, 1.5, True, ["a"], {"a": 1}])
def test_a_string_refuses_other_types(value: Any) -> None:
    refused({"CorrelationId": value}, "CorrelationId")


# -- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "lo", "hi"), RANGES)
def test_integer_bounds_are_inclusive(name: str, lo: float, hi: float) -> None:
    for value in (lo, hi):
        result = getattr(merged({name: value}), name)
        assert result == value
        assert type(result) is int


@pytest.mark.parametrize(("name", "lo", "hi"), RANGES)
def test_integers_out_of_range_are_refused(name: str, lo: float, hi: float) -> None:
    for value in (lo - 1, hi + 1, -(10**12), 10**12):
        error = refused({name: value}, name)
        assert str(int(value)) in error.message


def test_retention_days_are_bound_by_the_servers_maximum() -> None:
    assert merged({"RetentionDays": 7}, max_days=7).RetentionDays == 7
    refused({"RetentionDays": 8}, "RetentionDays", max_days=7)
    assert merged({"RetentionDays": 365}, max_days=365).RetentionDays == 365
    refused({"RetentionDays": 0}, "RetentionDays", max_days=365)
    assert "7" in refused({"RetentionDays": 31}, "RetentionDays", max_days=7).message


def test_integers_from_whole_floats_and_numeric_strings() -> None:
    o = merged({"MinConfidence": 70.0, "RenderResolution": "150", "NrOfOCRThreads": " 4 "})
    assert (o.MinConfidence, o.RenderResolution, o.NrOfOCRThreads) == (70, 150, 4)
    assert all(type(v) is int for v in (o.MinConfidence, o.RenderResolution, o.NrOfOCRThreads))


@pytest.mark.parametrize("value", [1.5, "1.5", "abc", "", True, False, None, [1], {"v": 1}, math.nan, math.inf])
def test_an_integer_refuses_other_values(value: Any) -> None:
    refused({"MinConfidence": value}, "MinConfidence")


@pytest.mark.parametrize("name", ["MinConfidence", "BarcodeFilter", "RetentionDays", "BlankPagesMaxNoise"])
def test_a_number_too_large_for_a_float_is_refused(name: str) -> None:
    """JSON integers have no size limit; 10**400 is out of range, not a crash."""
    refused({name: 10**400}, name)
    refused({name: -(10**400)}, name)


@pytest.mark.parametrize(("value", "expected"), [(0.01, 0.01), (100, 100.0), (2, 2.0), ("0.75", 0.75), (50.5, 50.5)])
def test_the_float_option(value: Any, expected: float) -> None:
    result = merged({"BlankPagesMaxNoise": value}).BlankPagesMaxNoise
    assert result == expected
    assert type(result) is float


@pytest.mark.parametrize("value", [0.0099, 0, -1, 100.001, "x", True, None, math.nan, -math.inf])
def test_the_float_option_refuses_bad_values(value: Any) -> None:
    refused({"BlankPagesMaxNoise": value}, "BlankPagesMaxNoise")


# -- outputs --------------------------------------------------------------------------------------


def test_outputs_default_is_pdf() -> None:
    assert JobOptions().outputs() == ["pdf"]


def test_outputs_in_the_documents_order() -> None:
    every = merged({flag: True for flag in OUTPUT_FLAGS.values()})
    assert every.outputs() == ["pdf", "txt", "docx", "xml", "rtf", "odt", "mht", "epub", "hocr"]  # then additions
    assert merged({"PdfOutput": False, "EpubOutput": True, "TxtOutput": True}).outputs() == ["txt", "epub"]


@pytest.mark.parametrize("body", [{"PdfOutput": False}, {flag: False for flag in OUTPUT_FLAGS.values()}])
def test_a_job_without_any_output_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(NoOutput) as caught:
        merged(body)
    assert caught.value.http_status == 400
    assert caught.value.message.startswith("The job asks for no output at all: set at least one of PdfOutput")
    assert merged({"TxtOutput": True}, base=JobOptions(PdfOutput=False)).outputs() == ["txt"]


def test_stored_options_round_trip() -> None:
    o = merged({"Descr": "d", "TxtOutput": True, "BlankPagesMaxNoise": 3, "RetentionDays": 5})
    assert JobOptions.from_dict(o.to_dict()) == o
    assert JobOptions.from_dict({**o.to_dict(), "Removed": 1}) == o


# -- languages.parse ------------------------------------------------------------------------------

INSTALLED = {"eng", "deu", "fra", "chi_sim", "por"}


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("English", ["eng"]),
        ("english", ["eng"]),
        ("ENGLISH", ["eng"]),
        ("English,German", ["eng", "deu"]),
        ("English;German", ["eng", "deu"]),
        ("German; English , French", ["deu", "eng", "fra"]),
        ("English;German;", ["eng", "deu"]),
        (";English;;", ["eng"]),
        ("English;english;ENGLISH", ["eng"]),
        ("French,German,French", ["fra", "deu"]),
        ("ChineseSimplified", ["chi_sim"]),
        ("Chinese Simplified", ["chi_sim"]),
        ("Chinese", ["chi_sim"]),
        ("Portuguese", ["por"]),
        ("Portugese", ["por"]),
        ("deu", ["deu"]),
        ("eng;German", ["eng", "deu"]),
    ],
)
def test_parse(value: str, codes: list[str]) -> None:
    assert languages.parse(value, installed=INSTALLED) == codes


@pytest.mark.parametrize("value", ["Klingon", "English;Klingon", "Elvish,German", "en"])
def test_parse_refuses_unknown_languages(value: str) -> None:
    with pytest.raises(InvalidProperty) as caught:
        languages.parse(value, installed=INSTALLED)
    assert caught.value.name == "RecognitionLanguages"
    assert caught.value.message.startswith("RecognitionLanguages:")


@pytest.mark.parametrize("value", ["Japanese", "English;Italian", "ita"])
def test_parse_refuses_languages_that_are_not_installed(value: str) -> None:
    with pytest.raises(InvalidProperty) as caught:
        languages.parse(value, installed=INSTALLED)
    assert caught.value.name == "RecognitionLanguages"
    assert "not installed" in caught.value.message


@pytest.mark.parametrize("value", ["", " ", ";", " , ; "])
def test_parse_refuses_a_value_that_names_no_language(value: str) -> None:
    with pytest.raises(InvalidProperty) as caught:
        languages.parse(value, installed=INSTALLED)
    assert caught.value.name == "RecognitionLanguages"


def test_english_names_are_sorted_and_skip_non_languages() -> None:
    assert languages.english_names(["fra", "osd", "eng", "equ", "deu"]) == ["English", "French", "German"]
    assert languages.english_names([]) == []


def _older_and_newer(options: dict[str, Any]) -> list[dict[str, Any]]:
    """Stored options as an older version wrote them (an option missing) and a newer one (an option we do not know)."""
    older = {k: v for k, v in options.items() if k != "HocrOutput"}
    return [older, options | {"FutureOption": 3}, dict(reversed(options.items()))]


def test_to_dict_is_asdict() -> None:
    options = JobOptions(Descr="a «b»", TxtOutput=True, BlankPagesMaxNoise=2.5, RenderQuality=80)
    assert options.to_dict() == dataclasses.asdict(options)
    assert list(options.to_dict()) == [f.name for f in dataclasses.fields(JobOptions)]


def test_stored_options_read_as_from_dict_reads_them() -> None:
    written = JobOptions(Descr="x", CorrelationId="y", DocxOutput=True, SecondReading=False).to_dict()
    assert JobOptions.stored(written) == JobOptions.from_dict(written).to_dict()
    for stored in _older_and_newer(written):
        expected = JobOptions.from_dict(stored).to_dict()
        assert JobOptions.stored(stored) == expected
        assert list(JobOptions.stored(stored)) == list(expected)  # the document's order, whatever the stored order
