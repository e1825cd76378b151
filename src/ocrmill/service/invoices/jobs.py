"""The invoice service: invoice jobs and pages as resources, and the job's aggregate of its pages.

Routes call this; nothing here knows about HTTP. A job made from an upload keeps its files under
invoices/<job id>/source/ and is split into pages by a worker (rendering runs native code, which stays
out of the API process); its pages' images are then invoices/<job id>/images/NNNN.png (NNNN.jpg or .png: a
one-page JPEG or PNG upload kept as it is), served by the API at the page's `pageUrl`. Every file of a job
(uploads, page images, page OCR, outputs) is in the file store (store.files: the data folder or S3) under
invoices/<job id>/, named by the functions below; deleting the job deletes that folder.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ocrmill.config import Settings
from ocrmill.errors import (
    BadRequest,
    Conflict,
    FetchError,
    FetchTooLarge,
    InvalidProperty,
    NotFound,
    OcrmillError,
    Unprocessable,
    UnsupportedMediaType,
)
from ocrmill.invoices.analyse import apply_corrections, apply_item_corrections, item_target, merge_job, normalise_item
from ocrmill.service import webhooks
from ocrmill.service.auth.principal import Principal
from ocrmill.service.invoices.query import JOB_FIELDS, PAGE_FIELDS, ListQuery, stamp
from ocrmill.service.invoices.schema import ID_PATTERN, AnnotationIn, JobIn, PageIn, validated
from ocrmill.store import invoices as repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.files import Download, FileStore
from ocrmill.store.tables import InvoiceJob, InvoicePage

log = logging.getLogger("ocrmill.invoices")

UPLOAD_TYPES = {"PDF", "PNG", "JPG", "JPEG", "TIF", "TIFF", "BMP", "GIF", "HEIC", "HEIF", "WEBP"}
OUTPUTS = ("pdf", "txt", "json")
_KINDS_PAGE = {name: kind.kind for name, kind in PAGE_FIELDS.items()}
_KINDS_JOB = {name: kind.kind for name, kind in JOB_FIELDS.items()}
# a job's page images: NNNN.png / .jpg split from its uploads, <24 hex digits>.<ext> stored from data: URLs
IMAGE_NAME = re.compile(r"(?:\d{4}\.(?:png|jpg)|[0-9a-f]{24}\.[a-z]{3,4})")
DATA_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/tiff": "tif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "application/pdf": "pdf",
}


def new_id() -> str:
    """24 hex digits, time first (as MongoDB's ObjectId, which the clients' ids look like)."""
    return f"{int(time.time()):08x}{secrets.token_hex(8)}"


@dataclass(frozen=True)
class Upload:
    filename: str
    ext: str  # upper case
    chunks: AsyncIterator[bytes]


class InvoiceService:
    def __init__(
        self, *, settings: Settings, db: Database, files: FileStore, wake_workers: Callable[[], None] = lambda: None
    ) -> None:
        self.settings = settings
        self.db = db
        self.files = files
        self.wake_workers = wake_workers
        self.images_prefix = f"{settings.api_prefix}/v1/ocr-invoice-jobs/"

    # -- jobs ------------------------------------------------------------------------------------------------

    def create_job(self, who: Principal, body: object) -> dict[str, Any]:
        spec = self._job_spec(body)
        with self.db.write() as session:
            job = _new_job(who, spec, files=[])
            repo.add_job(session=session, job=job)
            return job.doc

    async def create_job_from_upload(self, who: Principal, uploads: list[Upload], body: object) -> dict[str, Any]:
        spec = self._job_spec(body)
        if not uploads:
            raise BadRequest("file: the multipart body has no file part")
        job_id = new_id()
        saved: list[dict[str, Any]] = []
        budget = self.settings.max_upload_bytes
        try:
            for number, upload in enumerate(uploads, start=1):
                if upload.ext not in UPLOAD_TYPES:
                    raise UnsupportedMediaType(f"file {number} ({upload.filename or 'no name'}): not a PDF or image")
                name = source_name(job_id, number, upload.ext)
                size = await self.files.save_stream(name, upload.chunks, limit=budget)
                budget -= size
                if size == 0:
                    raise BadRequest(f"file {number} ({upload.filename or 'no name'}): empty")
                saved.append(
                    {"name": upload.filename or f"{number:03d}.{upload.ext.lower()}", "path": name, "size": size}
                )
        except BaseException:
            self._remove(job_folder(job_id))
            raise
        with self.db.write() as session:
            job = _new_job(who, spec, files=saved, job_id=job_id)
            job.split_pending = True
            job.doc = job.doc | {"_task": "split"}
            repo.add_job(session=session, job=job)
            doc = job.doc
        self.wake_workers()
        return doc

    def list_jobs(self, who: Principal, query: ListQuery) -> tuple[list[dict[str, Any]], int]:
        return self._list(InvoiceJob, _KINDS_JOB, who, query)

    def get_job(self, who: Principal, job_id: str) -> dict[str, Any]:
        with self.db.read() as session:
            return self._job(session, who, job_id).doc

    def replace_job(self, who: Principal, job_id: str, body: object) -> dict[str, Any]:
        spec = self._job_spec(body)
        with self.db.write() as session:
            # locked: the new document is made from the current one, which a worker may be refreshing
            job = self._job(session, who, job_id, for_update=True)
            job.doc = {k: v for k, v in job.doc.items() if k != "callbackUrl"} | {
                "name": spec.name,
                "metadata": spec.metadata,
                "autoRetry": spec.autoRetry,
                **({"callbackUrl": spec.callbackUrl} if spec.callbackUrl else {}),
                "updatedAt": stamp(utcnow()),
            }
            job.updated_at = utcnow()
            job.search_text = job_search_text(job.doc)
            return job.doc

    def _job_spec(self, body: object) -> JobIn:
        spec = validated(JobIn, body)
        if spec.callbackUrl:
            try:
                webhooks.guard(spec.callbackUrl, self.settings, name="callbackUrl")
            except InvalidProperty as e:
                raise Unprocessable("callbackUrl", e.message.removeprefix("callbackUrl: ")) from None
        return spec

    def delete_job(self, who: Principal, job_id: str) -> dict[str, Any]:
        with self.db.write() as session:
            job = self._job(session, who, job_id)
            doc, removed = job.doc, job.id
            repo.delete_job(session=session, job=job, user=who.name)
        self._remove(job_folder(removed))
        return doc

    def job_document(self, who: Principal, job_id: str) -> dict[str, Any]:
        """The JSON result: the job with its pages."""
        with self.db.read() as session:
            job = self._job(session, who, job_id)
            pages = [page.doc for page in repo.pages_of(session=session, job_id=job.id)]
            return job.doc | {"pages": pages}

    def output(self, who: Principal, job_id: str, ext: str, *, media_type: str, filename: str) -> Download:
        """The job's PDF or text output from the file store (a local file, chunks, or a presigned URL)."""
        ext = ext.lower()
        if ext not in ("pdf", "txt"):
            raise NotFound(f"There is no {ext!r} output; outputs: {', '.join(OUTPUTS)}.")
        doc = self.get_job(who, job_id)
        found = None
        if ext in doc.get("outputs", []):
            name = output_name(doc["_id"], ext, run=str(doc.get("_outputsRun", "")))
            found = self.files.download(name, filename=filename, media_type=media_type)
        if found is None:
            raise BadRequest(f"The job's {ext.upper()} output is not ready: the job is {doc['status']}.")
        return found

    def image(self, who: Principal, job_id: str, name: str, *, media_type: str) -> Download:
        if not IMAGE_NAME.fullmatch(name):
            raise NotFound("No such page image.")
        doc = self.get_job(who, job_id)
        found = self.files.download(image_name(doc["_id"], name), media_type=media_type)
        if found is None:
            raise NotFound("No such page image.")
        return found

    # -- pages -----------------------------------------------------------------------------------------------

    def list_pages(self, who: Principal, query: ListQuery) -> tuple[list[dict[str, Any]], int]:
        return self._list(InvoicePage, _KINDS_PAGE, who, query)

    def get_page(self, who: Principal, page_id: str) -> dict[str, Any]:
        with self.db.read() as session:
            return self._page(session, who, page_id).doc

    def create_page(self, who: Principal, body: object) -> dict[str, Any]:
        spec = self._stored_data_url(who, validated(PageIn, body))
        with self.db.write() as session:
            # the job is locked before the page is inserted: the insert's foreign-key check takes a share lock on
            # the job row, and two transactions that both hold one and then want refresh_job's FOR UPDATE deadlock
            job = self._job(session, who, spec.job, what="job", for_update=True)
            self._check_url(session, who, spec.pageUrl)
            if repo.page_number_taken(session=session, job_id=job.id, number=spec.pageNumber):
                raise Conflict(f"pageNumber: job {job.id} already has a page {spec.pageNumber}")
            check_item_corrections(spec, engine_items=[], stored=[])
            page = new_page(spec, who)
            session.add(page)
            session.flush()
            refresh_job(session, job.id)
            doc = page.doc
        self.wake_workers()
        return doc

    def replace_page(self, who: Principal, page_id: str, body: object) -> dict[str, Any]:
        """PUT: the writable properties replaced. A new pageUrl recognises the page again; annotations are
        applied to the extracted fields at once (corrections on top of what the engine found)."""
        spec = self._stored_data_url(who, validated(PageIn, body))
        with self.db.write() as session:
            # locked: the new document is made from the current one, which a worker may be writing
            page = self._page(session, who, page_id, for_update=True)
            old_job = page.job_id
            job = self._job(session, who, spec.job, what="job")
            if repo.page_number_taken(session=session, job_id=job.id, number=spec.pageNumber, except_id=page.id):
                raise Conflict(f"pageNumber: job {job.id} already has a page {spec.pageNumber}")
            check_item_corrections(
                spec, engine_items=page.engine.get("lineItems", []), stored=page.doc.get("annotations", [])
            )
            redo = spec.pageUrl != page.doc.get("pageUrl")
            if redo:
                self._check_url(session, who, spec.pageUrl)
            page.job_id = job.id
            page.page_number = spec.pageNumber
            doc = _page_document(page, spec, who, previous=page.doc)
            if redo:
                doc |= unprocessed_page()
                page.status, page.retry_count, page.engine, page.not_before = "pending", 0, {}, None
                # a worker still recognising the old image must not write its result over the new one
                page.worker_id, page.heartbeat = "", None
            doc["extractedFields"] = apply_corrections(
                page.engine.get("fields", {}), doc["annotations"], page=spec.pageNumber
            )
            page.doc = doc
            page.updated_at = utcnow()
            page.search_text = page_search_text(doc)
            session.flush()
            refresh_job(session, job.id)
            if old_job != job.id:
                refresh_job(session, old_job)
            result = page.doc
        if redo:
            self.wake_workers()
        return result

    def delete_page(self, who: Principal, page_id: str) -> dict[str, Any]:
        with self.db.write() as session:
            page = self._page(session, who, page_id)
            doc, job_id = page.doc, page.job_id
            session.delete(page)
            session.flush()
            refresh_job(session, job_id)
        for suffix in ("png", "json"):  # its OCR result, kept for the job's outputs
            self._remove(ocr_name(job_id, page_id.lower(), suffix))
        return doc

    def _remove(self, name: str) -> None:
        """A deleted job's folder or page's file gone from the store; the store away: logged, the row is gone."""
        try:
            if name.endswith("/"):
                self.files.delete_prefix(name)
            else:
                self.files.discard(name)
        except OcrmillError as e:
            log.error("the files %s of a deleted invoice job or page were left in the store: %s", name, e.message)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _list(
        self, model: type[InvoiceJob] | type[InvoicePage], kinds: Mapping[str, str], who: Principal, query: ListQuery
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of documents the caller may see, and how many there are in all."""
        with self.db.read() as session:
            rows, total = repo.list_documents(
                session=session, model=model, query=query, owner=who.owner_filter, kinds=kinds
            )
            return [row.doc for row in rows], total

    def _job(
        self, session: Session, who: Principal, job_id: str, *, what: str = "", for_update: bool = False
    ) -> InvoiceJob:
        job = (
            repo.get_job(session=session, job_id=job_id.lower(), for_update=for_update)
            if ID_PATTERN.match(job_id.lower())
            else None
        )
        if job is None or (who.owner_filter is not None and job.user_name != who.owner_filter):
            raise NotFound(f"{what + ': ' if what else ''}invoice job {job_id!r} not found")
        return job

    def _page(self, session: Session, who: Principal, page_id: str, *, for_update: bool = False) -> InvoicePage:
        page = (
            repo.get_page(session=session, page_id=page_id.lower(), for_update=for_update)
            if ID_PATTERN.match(page_id.lower())
            else None
        )
        if page is not None and who.owner_filter is not None:
            owner = repo.get_job(session=session, job_id=page.job_id)
            page = page if owner is not None and owner.user_name == who.owner_filter else None
        if page is None:
            raise NotFound(f"invoice job page {page_id!r} not found")
        return page

    def _stored_data_url(self, who: Principal, spec: PageIn) -> PageIn:
        """A data: pageUrl decoded (an image over fetch_max_mb: 413) and kept as a file of the job, as an upload's
        page images are, named by its content; the page's pageUrl is then that image's, so the database never
        holds the data (a page listing would carry it every time)."""
        if spec.pageUrl[:5].lower() != "data:":
            return spec
        job_id = self.get_job(who, spec.job)["_id"]  # an unknown job is refused before anything is written
        from ocrmill.pipeline.fetch import FetchLimits, fetch  # a data: URL is decoded, never fetched

        try:
            image = fetch(spec.pageUrl, limits=FetchLimits(max_bytes=self.settings.fetch_max_bytes))
        except FetchTooLarge as e:
            raise FetchTooLarge(f"pageUrl: {e.message} (fetch_max_mb)") from None
        except FetchError as e:
            raise Unprocessable("pageUrl", e.message) from None
        name = f"{hashlib.sha256(image.data).hexdigest()[:24]}.{DATA_EXTENSIONS.get(image.content_type, 'bin')}"
        if not self.files.exists(image_name(job_id, name)):
            self.files.put_bytes(image_name(job_id, name), image.data)
        return spec.model_copy(update={"pageUrl": f"{self.images_prefix}{job_id}/images/{name}"})

    def _check_url(self, session: Session, who: Principal, url: str) -> None:
        """http(s) and data URLs are checked when fetched (pipeline.fetch); a URL of this server's own page
        images must name an image of a job the caller may see."""
        local = self.local_image(url)
        if local is not None:
            self._job(session, who, local[0], what="pageUrl")
            if not self.files.exists(image_name(local[0], local[1])):
                raise Unprocessable("pageUrl", "no such page image on this server")
            return
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ("http", "https", "data"):
            raise Unprocessable("pageUrl", "must be an http(s):// or data: URL, or an image of this server")
        if scheme != "data" and not re.match(r"^https?://[^/\s?#]+", url, re.IGNORECASE):
            raise Unprocessable("pageUrl", "not a valid URL")

    def local_image(self, url: str) -> tuple[str, str] | None:
        """(job id, image name) when `url` is one of this server's page images (a path, as the server
        stores it)."""
        if not url.startswith(self.images_prefix):
            return None
        match = re.fullmatch(rf"([0-9a-f]{{24}})/images/({IMAGE_NAME.pattern})", url[len(self.images_prefix) :])
        return (match[1], match[2]) if match else None


# -- the names of a job's files in the store ---------------------------------------------------------------------


def job_folder(job_id: str) -> str:
    return f"invoices/{job_id}/"


def source_name(job_id: str, number: int, ext: str) -> str:
    """An uploaded document."""
    return f"invoices/{job_id}/source/{number:03d}.{ext.lower()}"


def image_name(job_id: str, name: str) -> str:
    """A page image (split from an upload, or stored from a data: URL), served at the page's pageUrl."""
    return f"invoices/{job_id}/images/{name}"


def ocr_name(job_id: str, page_id: str, suffix: str) -> str:
    """A recognised page's raster ("png") and OCR ("json"), for the job's outputs."""
    return f"invoices/{job_id}/ocr/{page_id}.{suffix}"


def output_name(job_id: str, ext: str, *, run: str) -> str:
    """The job's PDF or text output as `run` wrote it (the job document's _outputsRun); run "": written before
    runs had names."""
    return f"invoices/{job_id}/runs/{run}/result.{ext}" if run else f"invoices/{job_id}/output/result.{ext}"


# -- documents -------------------------------------------------------------------------------------------------


def _new_job(who: Principal, spec: JobIn, *, files: list[dict[str, Any]], job_id: str = "") -> InvoiceJob:
    now = utcnow()
    job = InvoiceJob(
        id=job_id or new_id(),
        user_name=who.name,
        status="pending",
        split_pending=False,
        worker_id="",
        created_at=now,
        updated_at=now,
    )
    job.doc = {
        "_id": job.id,
        "name": spec.name,
        "status": "pending",
        "progress": 0,
        "fileName": files[0]["name"] if files else "",
        "files": [{"name": f["name"], "size": f["size"]} for f in files],
        "pageCount": 0,
        "pagesCompleted": 0,
        "pagesFailed": 0,
        "extractedFields": {},
        "lineItems": [],
        "checks": [],
        "qualityScore": 0,
        "source": "ocr",
        "eInvoice": None,
        "outputs": [],
        "errorLog": "",
        "processingTime": 0,
        "startedAt": None,
        "completedAt": None,
        "createdBy": who.name,
        "autoRetry": spec.autoRetry,
        **({"callbackUrl": spec.callbackUrl} if spec.callbackUrl else {}),  # an ocrmill addition, when given
        "metadata": spec.metadata,
        "createdAt": stamp(now),
        "updatedAt": stamp(now),
    }
    job.search_text = job_search_text(job.doc)
    # where the uploaded files are, for the worker that splits them (not part of the document)
    job.doc["_sources"] = [f["path"] for f in files]
    return job


def new_page(spec: PageIn, who: Principal) -> InvoicePage:
    """A pending page as `spec` describes it (created through the API, or by splitting an upload)."""
    now = utcnow()
    page = InvoicePage(
        id=new_id(),
        job_id=spec.job,
        page_number=spec.pageNumber,
        status="pending",
        engine={},
        retry_count=0,
        worker_id="",
        created_at=now,
        updated_at=now,
    )
    page.doc = _page_document(page, spec, who)
    page.search_text = page_search_text(page.doc)
    return page


def unprocessed_page() -> dict[str, Any]:
    return {
        "status": "pending",
        "preprocessing": {
            "enhanced": False,
            "deskewed": False,
            "denoised": False,
            "binarized": False,
            "rotationAngle": 0,
        },
        "ocrResults": {"text": "", "confidence": 0, "words": [], "blocks": []},
        "extractedFields": {},
        "tableData": [],
        "processingTime": 0,
        "startedAt": None,
        "completedAt": None,
        "errorLog": "",
        "retryCount": 0,
        "qualityScore": 0,
    }


def _page_document(
    page: InvoicePage, spec: PageIn, who: Principal, *, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    now = stamp(utcnow())
    base = previous or (
        {"_id": page.id, "createdAt": stamp(page.created_at), "pageType": None, "imageProperties": None}
        | unprocessed_page()
    )
    annotations = []
    for note in spec.annotations:
        annotations.append(_annotation(note, who, now))
    given_type = spec.pageType
    doc = dict(base)
    doc.update(
        {
            "job": page.job_id,
            "pageNumber": spec.pageNumber,
            "pageUrl": spec.pageUrl,
            "pageType": given_type or base.get("pageType") or "content",
            "pageTypeGiven": given_type is not None,
            "imageProperties": spec.imageProperties.model_dump() if spec.imageProperties else base["imageProperties"],
            "annotations": annotations,
            "metadata": spec.metadata,
            "updatedAt": now,
        }
    )
    if doc["imageProperties"] is None:
        doc["imageProperties"] = {"width": 0, "height": 0, "dpi": 0, "colorSpace": "rgb", "format": "", "size": 0}
    return _ordered(doc)


def check_item_corrections(spec: PageIn, *, engine_items: list[dict[str, Any]], stored: list[dict[str, Any]]) -> None:
    """A line-item annotation's value must parse as its column's (a quantity, an amount), and it must name an
    item the engine found on the page; one posted back as the page has it is kept whatever the engine reads
    now (a page recognised again may list fewer items: the annotation then has no effect until removed)."""
    kept = {(a.get("field"), a.get("text")) for a in stored}
    for position, note in enumerate(spec.annotations):
        target = item_target(note.field or "")
        if target is None:
            continue
        index, column = target
        try:
            normalise_item(column, note.text)
        except ValueError as e:
            raise Unprocessable(f"annotations.{position}.text", f"{note.field}: {e}") from None
        if index >= len(engine_items) and (note.field, note.text) not in kept:
            count = len(engine_items)
            has = f"{count} line items (lineItems[0] to lineItems[{count - 1}])" if count else "no line items"
            raise Unprocessable(f"annotations.{position}.field", f"{note.field}: page {spec.pageNumber} has {has}")


def _annotation(note: AnnotationIn, who: Principal, now: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": note.type,
        "text": note.text,
        "coordinates": note.coordinates.model_dump() if note.coordinates else None,
        "createdBy": note.createdBy if note.createdBy is not None else who.name,
        "createdAt": stamp(note.createdAt) if note.createdAt else now,
    }
    if note.field:
        out["field"] = note.field
    return out


PAGE_KEYS = (
    "_id",
    "job",
    "pageNumber",
    "pageUrl",
    "status",
    "pageType",
    "imageProperties",
    "preprocessing",
    "ocrResults",
    "extractedFields",
    "tableData",
    "processingTime",
    "startedAt",
    "completedAt",
    "errorLog",
    "retryCount",
    "qualityScore",
    "annotations",
    "metadata",
    "createdAt",
    "updatedAt",
)


def _ordered(doc: dict[str, Any]) -> dict[str, Any]:
    """The document's own key order (the example's), then anything of ours."""
    return {k: doc[k] for k in PAGE_KEYS if k in doc} | {k: v for k, v in doc.items() if k not in PAGE_KEYS}


def page_search_text(doc: dict[str, Any]) -> str:
    parts = [str(doc.get("pageType", "")), str(doc.get("status", "")), str(doc.get("errorLog", ""))]
    parts.append(str(doc.get("ocrResults", {}).get("text", "")))
    parts += [str(f.get("value", "")) for f in doc.get("extractedFields", {}).values()]
    parts += [str(a.get("text", "")) for a in doc.get("annotations", [])]
    parts += [str(v) for v in doc.get("metadata", {}).values() if isinstance(v, str | int | float)]
    return " ".join(parts).lower()


def job_search_text(doc: dict[str, Any], page_texts: list[str] | None = None) -> str:
    parts = [str(doc.get(k, "")) for k in ("name", "status", "fileName", "errorLog", "createdBy")]
    parts += [str(f.get("name", "")) for f in doc.get("files", [])]
    parts += [str(f.get("value", "")) for f in doc.get("extractedFields", {}).values()]
    parts += [str(i.get("description", "")) for i in doc.get("lineItems", [])]
    parts += [str(v) for v in doc.get("metadata", {}).values() if isinstance(v, str | int | float)]
    parts += page_texts or []
    return " ".join(parts).lower()


# -- the job's aggregate ---------------------------------------------------------------------------------------


def refresh_job(session: Session, job_id: str) -> InvoiceJob | None:
    """The job's status, progress and merged result from its pages; in the caller's transaction."""
    job = repo.get_job(session=session, job_id=job_id, for_update=True)
    if job is None:
        return None
    pages = repo.page_summaries(session=session, job_id=job_id)
    done = [p for p in pages if p.status in ("completed", "failed")]
    completed = [p for p in pages if p.status == "completed"]
    doc = dict(job.doc)
    if job.split_pending and doc.get("_task") == "split":
        status = "processing" if job.worker_id else "pending"
    elif doc.get("_splitError") and not pages:
        status = "failed"
    elif not pages:
        status = "pending"
    elif len(done) < len(pages):
        status = "processing" if any(p.status != "pending" for p in pages) or done else "pending"
    elif not completed:
        status = "failed"
    elif doc.get("_outputsFor") == outputs_signature(completed):
        status = "completed"
    else:  # every page done: a worker writes the searchable PDF and the text, then the job is completed
        status = "processing"
        if not job.split_pending:
            job.split_pending, job.worker_id = True, ""
            doc["_task"] = "outputs"
    einvoice = doc.get("eInvoice") or {}
    merged = merge_job(
        [(p.page_number, p.fields, apply_item_corrections(p.line_items, p.annotations)) for p in completed],
        einvoice=einvoice.get("fields"),
        einvoice_items=einvoice.get("lineItems"),
        ocr_confidence_mean=sum(p.confidence for p in completed) / len(completed) if completed else 0,
    )
    if einvoice:
        doc["eInvoice"] = einvoice | {"agreement": merged.agreement}
    started = [p.started for p in pages if p.started]
    finished = [p.completed for p in done if p.completed]
    failed = [p for p in pages if p.status == "failed"]
    doc.update(
        status=status,
        progress=round(100 * len(done) / len(pages)) if pages else 0,
        pageCount=len(pages),
        pagesCompleted=len(completed),
        pagesFailed=len(failed),
        extractedFields=merged.fields if completed or einvoice else {},
        lineItems=merged.line_items,
        checks=[c.to_api() for c in merged.checks],
        qualityScore=merged.quality if completed else 0,
        source=einvoice.get("format", "ocr") if einvoice else "ocr",
        processingTime=sum(p.processing_time for p in done),
        startedAt=min(started) if started else doc.get("startedAt"),
        completedAt=max(finished) if status in ("completed", "failed") and finished else None,
        updatedAt=stamp(utcnow()),
    )
    if not doc.get("_splitError"):
        problems = [f"page {p.page_number}: {p.error}" for p in failed]
        doc["errorLog"] = "; ".join([*problems, doc.get("_outputsError") or ""][: len(problems) + 1]).strip("; ")
    # json is rendered on request, from the database; pdf and txt once a worker has written them
    doc["outputs"] = sorted(set(doc.get("outputs", [])) | {"json"}) if status == "completed" else ["json"]
    job.doc = doc
    ended = status != job.status and status in ("completed", "failed")
    if status != job.status:
        reason = doc.get("errorLog", "") if status == "failed" else ""
        repo.note_status(session=session, job_id=job.id, old=job.status, new=status, reason=reason)
    job.status = status
    job.updated_at = utcnow()
    if ended:  # the webhook outbox, in the caller's transaction
        webhooks.invoice_job_ended(
            session=session,
            job_id=job.id,
            user_name=job.user_name,
            status=status,
            document=public_job(doc),
            callback_url=str(doc.get("callbackUrl") or ""),
        )
    job.search_text = job_search_text(doc, [p.text for p in completed])
    return job


def outputs_signature(completed: list[repo.PageSummary]) -> str:
    """Which page results a job's outputs were written from (they are written again when this changes)."""
    parts = sorted(f"{p.id}:{p.page_number}:{p.completed}" for p in completed)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def public_job(doc: dict[str, Any]) -> dict[str, Any]:
    """The job as the API shows it: without the keys the server keeps for itself (leading underscore,
    except _id)."""
    return {k: v for k, v in doc.items() if k == "_id" or not k.startswith("_")}


def public_page(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "pageTypeGiven"}


def release_invoice_work(
    db: Database, settings: Settings, *, page_ids: list[str], job_ids: list[str], reason: str
) -> None:
    """Pages and splits whose worker died: back to the queue, or failed once they used their retries (a
    page) or attempts (a split: a document that kills its worker every time must not kill them all)."""
    with db.write() as session:
        now = utcnow()
        touched: set[str] = set()
        for page_id in page_ids:
            page = repo.get_page(session=session, page_id=page_id)
            if page is None:
                continue
            retry = page.retry_count < settings.invoice_max_retries
            page.worker_id, page.heartbeat = "", None
            page.status = "pending" if retry else "failed"
            page.retry_count += 1 if retry else 0
            page.doc = page.doc | {
                "status": page.status,
                "errorLog": f"The page's worker stopped: {reason}.",
                "retryCount": page.retry_count,
                "completedAt": None if retry else stamp(now),
                "updatedAt": stamp(now),
            }
            touched.add(page.job_id)
        for job_id in job_ids:
            job = repo.get_job(session=session, job_id=job_id, for_update=True)
            if job is None:
                continue
            attempts = int(job.doc.get("_splitAttempts", 0)) + 1
            job.worker_id, job.heartbeat = "", None
            job.doc = job.doc | {"_splitAttempts": attempts}
            if attempts >= settings.max_attempts:
                job.split_pending = False
                job.doc = job.doc | {
                    "errorLog": f"Splitting the document stopped its worker: {reason}.",
                    "_splitError": True,
                }
            touched.add(job_id)
        session.flush()
        for job_id in touched:
            refresh_job(session, job_id)
