"""Every writable job property of the ownOCR document: its type, default and range.

Field names are the API's PascalCase names, so the table below is the contract itself.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ocrmill.errors import InvalidProperty, NoOutput, UnknownProperty


def _opt(default: Any, lo: float | None = None, hi: float | None = None) -> Any:
    return field(default=default, metadata={"lo": lo, "hi": hi})


@dataclass(frozen=True)
class JobOptions:
    Descr: str = _opt("")
    CorrelationId: str = _opt("")
    Autostart: bool = _opt(True)
    RetentionDays: int = _opt(0, 1, None)  # 0 means "the server's maximum"; resolved on create
    PdfOutput: bool = _opt(True)
    TxtOutput: bool = _opt(False)
    DocxOutput: bool = _opt(False)
    XmlOutput: bool = _opt(False)
    RtfOutput: bool = _opt(False)
    OdtOutput: bool = _opt(False)
    MhtOutput: bool = _opt(False)
    EpubOutput: bool = _opt(False)
    PdfConformance: int = _opt(0, 0, 6)
    PdfTitle: str = _opt("")
    PdfSubject: str = _opt("")
    PdfAuthor: str = _opt("")
    PdfKeywords: str = _opt("")
    BWCompression: int = _opt(0, 0, 1)
    ColorCompression: int = _opt(1, 0, 3)
    Deskew: bool = _opt(False)
    DeskewAdjustPaperSize: bool = _opt(False)
    AutoOrientation: bool = _opt(False)
    ClearBorder: bool = _opt(False)
    DeleteBorder: bool = _opt(False)
    Despeckle: bool = _opt(False)
    RemoveColorNoise: bool = _opt(False)
    RemoveHalftone: bool = _opt(False)
    RemoveHolePunch: bool = _opt(False)
    Binarize: bool = _opt(False)
    ImproveText: bool = _opt(False)
    RecognitionLanguages: str = _opt("English")
    MinConfidence: int = _opt(60, 0, 100)
    NrOfOCRThreads: int = _opt(2, 1, 32)
    FastMode: bool = _opt(False)
    RemoveWhiteSpaceRegions: bool = _opt(False)
    IntelligentPDFProcessing: bool = _opt(False)
    RenderResolution: int = _opt(200, 50, 300)
    RenderQuality: int = _opt(60, 1, 100)
    DetectBarcodes: bool = _opt(False)
    BarcodeFilter: int = _opt(0, 0, 0x3FF)
    BarcodeDirection: int = _opt(3, 1, 3)
    DeleteBlankPages: bool = _opt(False)
    BlankPagesMaxNoise: float = _opt(0.5, 0.01, 100)
    # ocrmill's addition (not in the ownOCR document): lines Tesseract is unsure of read again by PP-OCR
    # (pipeline.second_reading); false reads every page once. In a job's JSON only when switched off
    SecondReading: bool = _opt(True)
    # ocrmill's addition: the hOCR output (writers.hocr), download/<id>/hocr. In a job's JSON only when asked for
    HocrOutput: bool = _opt(False)
    # ocrmill's addition: an http(s) URL that gets the job.converted or job.error webhook of this job (signed with
    # the owner's callback secret, service.webhooks). In a job's JSON only when set
    CallbackUrl: str = _opt("")

    def to_dict(self) -> dict[str, Any]:
        # every option is a str, int, float or bool: a shallow copy is asdict's answer at a tenth of its cost
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobOptions:
        """From stored data: names are exact, unknown names (from older versions) are dropped."""
        known = {k: v for k, v in data.items() if k in _FIELDS}
        return cls(**known)

    @staticmethod
    def stored(data: dict[str, Any]) -> dict[str, Any]:
        """What from_dict(data).to_dict() gives, without building the dataclass when `data` (as stored since it
        was written by to_dict) already names every option: the job listings render thousands of jobs."""
        if tuple(data) == _NAMES:
            return data
        return JobOptions.from_dict(data).to_dict()

    def merged(self, body: dict[str, Any], *, max_retention_days: int) -> JobOptions:
        """These options updated from a client's JSON body: names matched case-insensitively, the read-only
        members of a job's JSON ignored (clients post back the job they read), values validated
        (InvalidProperty names the property; UnknownProperty a name that is no job property at all). NoOutput
        when the result asks for no output file."""
        changes: dict[str, Any] = {}
        for key, value in body.items():
            name = _BY_LOWER.get(str(key).lower())
            if name is None:
                if str(key).lower() not in _READ_ONLY_LOWER:
                    raise UnknownProperty(str(key), _suggestion(str(key)))
                continue
            changes[name] = _coerce(name, value, max_retention_days=max_retention_days)
        result = dataclasses.replace(self, **changes)
        if not result.outputs():
            raise NoOutput()
        return result

    def outputs(self) -> list[str]:
        """Extensions of the result files this job asks for, in the document's order."""
        return [ext for ext, flag in OUTPUT_FLAGS.items() if getattr(self, flag)]


OUTPUT_FLAGS: dict[str, str] = {
    "pdf": "PdfOutput",
    "txt": "TxtOutput",
    "docx": "DocxOutput",
    "xml": "XmlOutput",
    "rtf": "RtfOutput",
    "odt": "OdtOutput",
    "mht": "MhtOutput",
    "epub": "EpubOutput",
    "hocr": "HocrOutput",
}

# The read-only members of a job's JSON (the document's "read only" properties, and the ocrmill addition
# RemovedPages that api.schemas.job_public shows): accepted in a body and ignored.
READ_ONLY: tuple[str, ...] = (
    "Id", "TemplateId", "Guid", "Status", "ErrorDescription", "Created", "Modified", "Finished", "Scheduled",
    "Started", "NumberOfPages", "IsTemplate", "UserName", "FileUploaded", "Barcodes", "RemovedPages",
)  # fmt: skip

_FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(JobOptions)}
_NAMES = tuple(_FIELDS)
_BY_LOWER: dict[str, str] = {name.lower(): name for name in _FIELDS}
_READ_ONLY_LOWER = frozenset(name.lower() for name in READ_ONLY)
_TYPES: dict[str, type] = {name: type(f.default) for name, f in _FIELDS.items()}
# a string property's longest value
MAX_TEXT: dict[str, int] = {
    name: 2000 if name == "CallbackUrl" else 4000 for name, kind in _TYPES.items() if kind is str
}
# what the address guard can check (service.webhooks resolves and checks the host when the job is made)
CALLBACK_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^/\s?#@]+([/?#]\S*)?$"
CALLBACK_URL = re.compile(CALLBACK_URL_PATTERN)


def _suggestion(key: str) -> str | None:
    """The writable property `key` is most likely a misspelling of, if any is close."""
    close = difflib.get_close_matches(key.lower(), _BY_LOWER, n=1, cutoff=0.75)
    return _BY_LOWER[close[0]] if close else None


def _coerce(name: str, value: Any, *, max_retention_days: int) -> Any:
    kind = _TYPES[name]
    meta = _FIELDS[name].metadata
    if value is None:
        if kind is str:
            return ""
        raise InvalidProperty(name, "must not be null")
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise InvalidProperty(name, f"must be true or false, not {value!r}")
    if kind is str:
        if not isinstance(value, str):
            raise InvalidProperty(name, f"must be a string, not {value!r}")
        if len(value) > MAX_TEXT[name]:
            raise InvalidProperty(name, f"must be at most {MAX_TEXT[name]} characters long")
        if name == "CallbackUrl" and value and not CALLBACK_URL.match(value):
            raise InvalidProperty(name, "must be an http:// or https:// URL with a host name")
        return value
    number = _number(name, value, integer=kind is int)
    lo, hi = meta["lo"], meta["hi"]
    if name == "RetentionDays":
        hi = max_retention_days
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise InvalidProperty(name, f"must be between {_fmt(lo)} and {_fmt(hi)}, not {_fmt(number)}")
    return number


def _number(name: str, value: Any, *, integer: bool) -> float | int:
    what = "an integer" if integer else "a number"
    if isinstance(value, bool):
        raise InvalidProperty(name, f"must be {what}, not {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidProperty(name, f"must be {what}, not {value!r}") from None
    if not isinstance(value, int | float):
        raise InvalidProperty(name, f"must be {what}, not {value!r}")
    if isinstance(value, int) and abs(value) > 2**53:
        raise InvalidProperty(name, f"{value} is out of range")
    if not math.isfinite(value):
        raise InvalidProperty(name, f"must be {what}, not {value!r}")
    if integer:
        if value != int(value):
            raise InvalidProperty(name, f"must be {what}, not {value!r}")
        return int(value)
    return float(value)


def _fmt(value: float | None) -> str:
    if value is None:
        return "unbounded"
    return str(int(value)) if float(value).is_integer() else str(value)


# The image clean-up options, in the order the pipeline applies them (pipeline.cleanup.chain).
CLEANUP_OPTIONS = (
    "RemoveColorNoise", "RemoveHalftone", "AutoOrientation", "Deskew", "DeleteBorder", "ClearBorder",
    "RemoveHolePunch", "Despeckle", "ImproveText", "Binarize",
)  # fmt: skip
