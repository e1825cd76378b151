"""A Python client of an ocrmill server: the ownOCR job API, the invoice API and the user's API tokens, blocking
(`Client`) or asyncio (`AsyncClient`), on httpx.

    with Client("http://localhost:8080", token="ocm_...") as ocr:
        job = ocr.submit("scan.pdf", PdfOutput=True, TxtOutput=True)
        job = ocr.wait(job.id, on_progress=lambda done, total: print(f"{done}/{total} pages"))
        ocr.download_outputs(job, "out", stem="scan")
"""

from __future__ import annotations

from typing import Protocol

from ocrmill.client.aio import AsyncClient
from ocrmill.client.calls import ListQuery
from ocrmill.client.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ClientError,
    ConflictError,
    ConnectionFailed,
    JobFailed,
    NotFoundError,
    NotScheduled,
    PayloadTooLargeError,
    PermissionDeniedError,
    ServerError,
    TooManyRequestsError,
    UnprocessableError,
    UnsupportedMediaTypeError,
    WaitTimeout,
)
from ocrmill.client.models import (
    InvoiceField,
    InvoiceJob,
    InvoicePage,
    Job,
    JobProgress,
    Listing,
    ProgressCallback,
    Token,
)
from ocrmill.client.sync import Client
from ocrmill.domain.status import JobStatus


class Bar(Protocol):
    """What a progress bar needs to follow a wait (a tqdm bar has it)."""

    total: float | None
    n: float

    def update(self, n: float | None = ...) -> bool | None: ...


def bar_progress(bar: Bar) -> ProgressCallback:
    """A wait's on_progress that moves a progress bar: `ocr.wait(job.id, on_progress=bar_progress(tqdm()))`."""

    def follow(done: int, total: int) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    return follow


__all__ = [
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Bar",
    "Client",
    "ClientError",
    "ConflictError",
    "ConnectionFailed",
    "InvoiceField",
    "InvoiceJob",
    "InvoicePage",
    "Job",
    "JobFailed",
    "JobProgress",
    "JobStatus",
    "ListQuery",
    "Listing",
    "NotFoundError",
    "NotScheduled",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProgressCallback",
    "ServerError",
    "Token",
    "TooManyRequestsError",
    "UnprocessableError",
    "UnsupportedMediaTypeError",
    "WaitTimeout",
    "bar_progress",
]
