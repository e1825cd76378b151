"""A job's status document, the ownOCR JSON shape: PascalCase, every documented property present, .NET-style dates.
The API answers it and webhooks deliver it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from ocrmill.domain.options import JobOptions
from ocrmill.store.tables import Job

# A job read for display: the ORM object, or a row with the same attribute names.
JobView = Job | Row[Any]

UNSET_DATE = "0001-01-01T00:00:00"


def iso(value: datetime | None) -> str:
    """ISO 8601 in the server's local time with its offset, or the .NET default for unset dates."""
    return UNSET_DATE if value is None else value.astimezone().isoformat()


def job_public(job: JobView) -> dict[str, Any]:
    options = JobOptions.from_dict(job.options).to_dict()
    head: dict[str, Any] = {
        "Status": job.status,
        "Id": job.id,
        "TemplateId": job.template_id,
        "Guid": job.guid,
        "Created": iso(job.created),
        "Modified": iso(job.modified),
        "Finished": iso(job.finished),
        "Scheduled": iso(job.scheduled),
        "Started": iso(job.started),
        "NumberOfPages": job.number_of_pages,
        "IsTemplate": job.is_template,
        "UserName": job.user_name,
        "Descr": options.pop("Descr"),
        "ErrorDescription": job.error_description,
        "FileUploaded": job.file_uploaded,
        "CorrelationId": options.pop("CorrelationId"),
    }
    second_reading, hocr = options.pop("SecondReading"), options.pop("HocrOutput")
    callback = options.pop("CallbackUrl")
    body = {k: v for k, v in options.items() if k not in _BARCODE_TAIL}
    tail = {k: options[k] for k in _BARCODE_TAIL}
    tail["Barcodes"] = list(job.barcodes or [])
    ordered = head | body | {k: tail[k] for k in ("DetectBarcodes", "Barcodes", *_BARCODE_TAIL[1:])}
    if ordered["DeleteBlankPages"]:
        # an ocrmill addition to the document's shape, only in jobs that ask for DeleteBlankPages:
        # the source pages (1-based) left out as blank, so that no page disappears without trace
        ordered["RemovedPages"] = list(job.removed_pages or [])
    if not second_reading:  # an ocrmill addition too: shown in the jobs that switch it off
        ordered["SecondReading"] = False
    if hocr:  # and the hOCR output, in the jobs that ask for it
        ordered["HocrOutput"] = True
    if callback:  # and the job's own webhook URL, in the jobs that have one
        ordered["CallbackUrl"] = callback
    return ordered


# The example job ends with these, with the read-only Barcodes after DetectBarcodes.
_BARCODE_TAIL = (
    "DetectBarcodes",
    "BarcodeFilter",
    "BarcodeDirection",
    "DeleteBlankPages",
    "BlankPagesMaxNoise",
)
