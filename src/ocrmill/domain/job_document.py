"""A job's status document, the ownOCR JSON shape: PascalCase, every documented property present, .NET-style dates.
The API answers it and webhooks deliver it; the jobs table keeps each job's rendered (jobs.document, migration 0010),
so that a listing sends stored text instead of rendering thousands of jobs. A change to what this renders therefore
comes with a migration that renders the stored documents again, or sets them NULL (a listing renders a job whose
document is NULL itself).

`job` is anything with a job's attributes: the ORM object or a row of the jobs table."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ocrmill.domain.options import JobOptions

UNSET_DATE = "0001-01-01T00:00:00"


def iso(value: datetime | None) -> str:
    """ISO 8601 in the server's local time with its offset, or the .NET default for unset dates."""
    return UNSET_DATE if value is None else value.astimezone().isoformat()


def job_json(job: Any) -> str:
    """The document as JSON text, exactly as the API's JSONResponse renders it."""
    return json.dumps(job_public(job), ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


def job_public(job: Any) -> dict[str, Any]:
    options = JobOptions.stored(job.options)
    ordered: dict[str, Any] = {
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
        "Descr": options["Descr"],
        "ErrorDescription": job.error_description,
        "FileUploaded": job.file_uploaded,
        "CorrelationId": options["CorrelationId"],
    }
    for name in _BODY:
        ordered[name] = options[name]
    ordered["DetectBarcodes"] = options["DetectBarcodes"]
    ordered["Barcodes"] = list(job.barcodes or [])
    for name in _BARCODE_TAIL[1:]:
        ordered[name] = options[name]
    if ordered["DeleteBlankPages"]:
        # an ocrmill addition to the document's shape, only in jobs that ask for DeleteBlankPages:
        # the source pages (1-based) left out as blank, so that no page disappears without trace
        ordered["RemovedPages"] = list(job.removed_pages or [])
    if not options["SecondReading"]:  # an ocrmill addition too: shown in the jobs that switch it off
        ordered["SecondReading"] = False
    if options["HocrOutput"]:  # and the hOCR output, in the jobs that ask for it
        ordered["HocrOutput"] = True
    if options["CallbackUrl"]:  # and the job's own webhook URL, in the jobs that have one
        ordered["CallbackUrl"] = options["CallbackUrl"]
    return ordered


# The example job ends with these, with the read-only Barcodes after DetectBarcodes.
_BARCODE_TAIL = (
    "DetectBarcodes",
    "BarcodeFilter",
    "BarcodeDirection",
    "DeleteBlankPages",
    "BlankPagesMaxNoise",
)
# the options in the document's order between CorrelationId and the barcode tail (the ocrmill additions are
# shown only where a job departs from their defaults, above)
_BODY = tuple(
    name
    for name in JobOptions().to_dict()
    if name not in ("Descr", "CorrelationId", "SecondReading", "HocrOutput", "CallbackUrl", *_BARCODE_TAIL)
)
