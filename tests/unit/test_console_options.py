"""The console's description of the job properties is generated from domain.options and covers all of them."""

from __future__ import annotations

import dataclasses

from ocrmill.domain.options import JobOptions
from ocrmill.service.console.options import DESCRIPTIONS, GROUPS, option_descriptions


def _all(description: dict[str, object]) -> dict[str, dict[str, object]]:
    groups = description["groups"]
    assert isinstance(groups, list)
    return {o["name"]: o | {"group": g["id"]} for g in groups for o in g["options"]}


def test_every_job_property_is_described_once_in_a_known_group() -> None:
    names = [f.name for f in dataclasses.fields(JobOptions)]
    assert sorted(DESCRIPTIONS) == sorted(names)
    assert {group for group, _, _ in DESCRIPTIONS.values()} <= {key for key, _ in GROUPS}
    options = _all(option_descriptions(max_retention_days=30, installed_languages={"eng", "deu"}))
    assert list(options) == [n for key, _ in GROUPS for n in names if DESCRIPTIONS[n][0] == key]


def test_types_defaults_and_ranges_come_from_the_contract() -> None:
    options = _all(option_descriptions(max_retention_days=7, installed_languages={"eng", "deu", "osd"}))
    assert (options["PdfOutput"]["type"], options["PdfOutput"]["default"], options["PdfOutput"]["group"]) == (
        "bool",
        True,
        "outputs",
    )
    assert (options["MinConfidence"]["type"], options["MinConfidence"]["min"], options["MinConfidence"]["max"]) == (
        "int",
        0,
        100,
    )
    assert options["BlankPagesMaxNoise"]["type"] == "float" and options["BlankPagesMaxNoise"]["default"] == 0.5
    assert options["RetentionDays"]["default"] == 7 and options["RetentionDays"]["max"] == 7
    assert options["PdfConformance"]["type"] == "enum"
    assert [c["value"] for c in options["PdfConformance"]["choices"]] == list(range(7))  # type: ignore[attr-defined]
    assert options["BarcodeFilter"]["type"] == "flags"
    assert [c["value"] for c in options["BarcodeFilter"]["choices"]] == [1 << i for i in range(10)]  # type: ignore[attr-defined]
    assert options["RecognitionLanguages"]["choices"] == [  # installed recognition languages only, not osd
        {"value": "English", "label": "English"},
        {"value": "German", "label": "German"},
    ]
