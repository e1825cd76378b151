"""What the client returns: the server's JSON documents, each wrapped in a small typed view. `raw` is the whole
document as the server sent it (every ownOCR property, every invoice key); the properties name the parts a client
usually needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from ocrmill.domain.options import OUTPUT_FLAGS
from ocrmill.domain.status import JobStatus

T = TypeVar("T")

ProgressCallback = Callable[[int, int], None]
"""Called while waiting, with (pages done, pages in all); `total` is 0 until the server knows it."""

FINISHED = (JobStatus.CONVERTED, JobStatus.ERROR)
INVOICE_FINISHED = ("completed", "failed")


class Polled(Protocol):
    """What a wait looks at: a job's state, its pages (done, in all) and whether it is over."""

    @property
    def state(self) -> str: ...

    @property
    def pages(self) -> tuple[int, int]: ...

    @property
    def finished(self) -> bool: ...


@dataclass(frozen=True)
class Job:
    """An ownOCR job (or template) as `info` shows it."""

    raw: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.raw["Id"])

    @property
    def status(self) -> JobStatus:
        return JobStatus(int(self.raw["Status"]))

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def guid(self) -> str:
        return str(self.raw.get("Guid", ""))

    @property
    def number_of_pages(self) -> int:
        return int(self.raw.get("NumberOfPages", 0))

    @property
    def error_description(self) -> str:
        return str(self.raw.get("ErrorDescription") or "")

    @property
    def descr(self) -> str:
        return str(self.raw.get("Descr") or "")

    @property
    def correlation_id(self) -> str:
        return str(self.raw.get("CorrelationId") or "")

    @property
    def outputs(self) -> list[str]:
        """The extensions of the outputs the job asks for ("pdf", "txt", ...), which `download` serves once it
        is Converted."""
        return [ext for ext, flag in OUTPUT_FLAGS.items() if self.raw.get(flag)]


@dataclass(frozen=True)
class JobProgress:
    """Where a job stands: its status and pages done of pages in all (0 of 0 before it is converting)."""

    status: JobStatus
    done: int
    total: int

    @property
    def state(self) -> str:
        return self.status.name.lower()

    @property
    def pages(self) -> tuple[int, int]:
        return self.done, self.total

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True)
class InvoiceField:
    name: str
    value: str  # as printed (or as the e-invoice XML says)
    normalized: str  # dates as YYYY-MM-DD, amounts as 1234.50, ...
    confidence: float  # 0..1
    page_number: int
    source: str  # "ocr", "zugferd", "factur-x", "xrechnung", "correction"
    bounding_box: dict[str, Any] | None

    @classmethod
    def from_api(cls, name: str, doc: dict[str, Any]) -> InvoiceField:
        return cls(
            name=name,
            value=str(doc.get("value", "")),
            normalized=str(doc.get("normalized", "")),
            confidence=float(doc.get("confidence", 0)),
            page_number=int(doc.get("pageNumber") or 0),
            source=str(doc.get("source", "")),
            bounding_box=doc.get("boundingBox"),
        )


def _fields(doc: dict[str, Any]) -> dict[str, InvoiceField]:
    found = doc.get("extractedFields") or {}
    return {name: InvoiceField.from_api(name, value) for name, value in found.items() if isinstance(value, dict)}


@dataclass(frozen=True)
class InvoiceJob:
    """An invoice job: its status, progress and the fields merged from its pages."""

    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.raw["_id"])

    @property
    def status(self) -> str:
        """pending, processing, completed or failed."""
        return str(self.raw.get("status", ""))

    @property
    def state(self) -> str:
        return self.status

    @property
    def finished(self) -> bool:
        return self.status in INVOICE_FINISHED

    @property
    def pages(self) -> tuple[int, int]:
        """Pages done (completed or failed) and pages in all."""
        return self.pages_done, self.page_count

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def page_count(self) -> int:
        return int(self.raw.get("pageCount") or 0)

    @property
    def pages_done(self) -> int:
        return int(self.raw.get("pagesCompleted") or 0) + int(self.raw.get("pagesFailed") or 0)

    @property
    def error_log(self) -> str:
        return str(self.raw.get("errorLog") or "")

    @property
    def fields(self) -> dict[str, InvoiceField]:
        return _fields(self.raw)

    @property
    def line_items(self) -> list[dict[str, Any]]:
        return list(self.raw.get("lineItems") or [])

    @property
    def quality_score(self) -> float:
        return float(self.raw.get("qualityScore") or 0)

    @property
    def outputs(self) -> list[str]:
        """What `download_invoice` serves now: json always, pdf and txt once the job is completed."""
        return list(self.raw.get("outputs") or [])


@dataclass(frozen=True)
class InvoicePage:
    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.raw["_id"])

    @property
    def job_id(self) -> str:
        return str(self.raw.get("job", ""))

    @property
    def page_number(self) -> int:
        return int(self.raw.get("pageNumber") or 0)

    @property
    def status(self) -> str:
        """pending, processing, completed or failed."""
        return str(self.raw.get("status", ""))

    @property
    def text(self) -> str:
        return str((self.raw.get("ocrResults") or {}).get("text", ""))

    @property
    def fields(self) -> dict[str, InvoiceField]:
        return _fields(self.raw)


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One page of a list: its items and how many match in all."""

    items: list[T]
    total: int


@dataclass(frozen=True)
class Token:
    """An API token as listed (never its secret)."""

    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.raw["name"])

    @property
    def read_only(self) -> bool:
        return bool(self.raw.get("readOnly"))

    @property
    def expires(self) -> str | None:
        return self.raw.get("expires")

    @property
    def expired(self) -> bool:
        return bool(self.raw.get("expired"))

    @property
    def secret(self) -> str:
        """The token itself: only in what `create_token` returns (the server keeps a hash of it)."""
        return str(self.raw.get("token", ""))
