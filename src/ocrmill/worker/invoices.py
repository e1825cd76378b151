"""Invoice work in a worker process: splitting uploaded documents into pages, and recognising pages.

A page is fetched (this server's own image, or its `pageUrl` through the URL guard), cleaned up and
recognised once (pipeline.invoice_page), analysed (invoices.analyse), and stored with its OCR result
for the job's outputs. A failed page is tried again after a back-off until the retry limit. Once every
page of a job is done, the job is queued once more (service.invoices.refresh_job) and a worker writes its
searchable PDF and text from the pages' stored OCR; only then is the job completed. A page made from an
uploaded PDF's page that has its own text is that PDF page in the outputs (its content and text as they
are), and the PDF an e-invoice was read from gives the job's PDF its embedded files (the XML, and the documents
it refers to) with their relationships. The files come from the file store (the data folder, or S3: fetched
into this process's scratch folder, which each piece of work empties when done) and results go back into it.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import shutil
import time
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, overload

from PIL import ExifTags, Image
from sqlalchemy.orm import Session

from ocrmill.config import Settings
from ocrmill.domain.document import Box, Document, page_from_dict, page_to_dict
from ocrmill.domain.options import JobOptions
from ocrmill.errors import InputError, NotFound, OcrmillError, ServiceUnavailable, described
from ocrmill.invoices.analyse import PageAnalysis, analyse_page, apply_corrections, blocks_api
from ocrmill.invoices.model import Symbol, box_to_api
from ocrmill.pipeline.engine import EnginePool
from ocrmill.pipeline.invoice_page import RecognisedPage, open_page_image, recognise_page
from ocrmill.pipeline.pages import InputFile, PageRef, Raster, enumerate_pages, load_raster
from ocrmill.pipeline.pdftext import own_text_page
from ocrmill.pipeline.run import page_base
from ocrmill.service.auth.principal import Principal
from ocrmill.service.invoices.jobs import (
    image_name,
    job_folder,
    new_page,
    ocr_name,
    output_name,
    outputs_signature,
    page_search_text,
    refresh_job,
)
from ocrmill.service.invoices.query import stamp
from ocrmill.service.invoices.schema import PageIn
from ocrmill.store import invoices as repo
from ocrmill.store.db import Database, utcnow
from ocrmill.store.files import FileStore, new_run, scratch_dir, settle_run
from ocrmill.writers.base import PageBase, WriteContext

log = logging.getLogger("ocrmill.worker")

# Which uploaded PDF's page each page image of a job was made from: {"0001.png": ["invoices/<job>/source/001.pdf",
# 0], ...}, written when the upload is split (an image upload's pages are not in it).
PAGES_MADE_FROM = "source/pages.json"
_IMAGE = re.compile(r"([0-9a-f]{24})/images/(\d{4}\.png)")


@dataclass
class InvoiceWork:
    settings: Settings
    db: Database
    files: FileStore
    engines: EnginePool
    worker_id: str
    ocr_gate: AbstractContextManager[object] | None = None

    def claim(self) -> tuple[str, str] | None:
        """("split" or "outputs", job id) or ("page", page id) taken by this worker, or None when nothing waits."""
        with self.db.write() as session:
            now = utcnow()
            job_id = repo.claim_job_task(session=session, worker_id=self.worker_id, now=now)
            if job_id is not None:
                job = repo.get_job(session=session, job_id=job_id)
                task = str(job.doc.get("_task", "split")) if job else "split"
                refresh_job(session, job_id)
                return task, job_id
            page_id = repo.claim_page(session=session, worker_id=self.worker_id, now=now)
            if page_id is None:
                return None
            page = repo.get_page(session=session, page_id=page_id)
            if page is not None:
                # the job row is locked before the page's second update in this transaction: that update's
                # foreign-key check takes a share lock on the job row, and two transactions holding one and
                # both wanting refresh_job's FOR UPDATE deadlock (PostgreSQL)
                repo.get_job(session=session, job_id=page.job_id, for_update=True)
                page.doc = page.doc | {"status": "processing", "startedAt": stamp(now), "errorLog": ""}
                refresh_job(session, page.job_id)
            return "page", page_id

    def run(self, kind: str, item_id: str) -> None:
        if kind == "split":
            self.split(item_id)
        elif kind == "outputs":
            self.write_outputs(item_id)
        else:
            self.process(item_id)

    # -- splitting -------------------------------------------------------------------------------------------

    def split(self, job_id: str) -> None:
        with self.db.read() as session:
            job = repo.get_job(session=session, job_id=job_id)
            sources = list(job.doc.get("_sources", [])) if job else []
        if job is None:
            return
        error, einvoice, einvoice_file = "", None, ""
        pages: list[str] = []  # the page images' names
        try:
            pages, einvoice, einvoice_file = self._split_waiting(job_id, sources)
        except OcrmillError as e:
            error = e.message
        except Exception as e:  # a bug of ours still ends the job with a description
            log.exception("invoice job %s: splitting failed", job_id)
            error = described(e, "splitting the document")
        with self.db.write() as session:
            job = repo.get_job(session=session, job_id=job_id, for_update=True)
            if job is None:  # deleted meanwhile: the page images written since are removed too
                self.files.delete_prefix(job_folder(job_id))
                return
            if error:
                job.doc = job.doc | {"errorLog": error, "_splitError": True}
            else:
                if einvoice is not None:
                    job.doc = job.doc | {"eInvoice": einvoice, "_eInvoiceFile": einvoice_file}
                prefix = f"{self.settings.api_prefix}/v1/ocr-invoice-jobs/{job_id}/images/"
                owner = Principal(name=job.user_name, is_admin=False)
                for number, name in enumerate(pages, start=1):
                    session.add(new_page(PageIn(job=job_id, pageNumber=number, pageUrl=prefix + name), owner))
            repo.finish_job_task(session=session, job_id=job_id)
            session.flush()
            refresh_job(session, job_id)
        log.info("invoice job %s: %s", job_id, f"failed: {error}" if error else f"split into {len(pages)} page(s)")

    def _split_waiting(self, job_id: str, sources: list[str]) -> tuple[list[str], dict[str, Any] | None, str]:
        """The split, done again after 1, 2, 4 ... s (heartbeats go on) while the object store is away, for up to
        store_wait_seconds: a store restarting or overloaded for a moment does not fail the job. Each try writes
        the same names, so what a failed one stored is replaced."""
        deadline = time.monotonic() + self.settings.store_wait_seconds
        pause = 1.0
        while True:
            try:
                return self._split_files(job_id, sources)
            except ServiceUnavailable as e:
                if time.monotonic() + pause > deadline:
                    raise
                log.warning("invoice job %s: splitting waits %.0f s for the object store: %s", job_id, pause, e.message)
                time.sleep(pause)
                pause = min(2 * pause, 15.0)

    def _split_files(self, job_id: str, sources: list[str]) -> tuple[list[str], dict[str, Any] | None, str]:
        """The pages' image files written (their names in images/, with source/pages.json: which PDF page each
        was made from, for the job's outputs), the e-invoice and the upload it was read from."""
        scratch = scratch_dir(self.settings, f"invoice-split-{job_id}")
        try:
            return self._split_in(scratch, job_id, sources)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _split_in(self, scratch: Path, job_id: str, sources: list[str]) -> tuple[list[str], dict[str, Any] | None, str]:
        """The uploads fetched into `scratch`, split there, each page image put into the store."""
        inputs = [
            InputFile(self._fetch(name, scratch / "input"), Path(name).suffix.lstrip(".").upper()) for name in sources
        ]
        refs = enumerate_pages(
            inputs,
            max_pages=self.settings.max_pages,
            max_pixels=self.settings.max_image_pixels,
            render_dpi=self.settings.invoice_render_dpi,
        )
        einvoice, einvoice_file = None, ""
        for name, item in zip(sources, inputs, strict=True):
            if item.ext == "PDF" and einvoice is None:
                einvoice, einvoice_file = _einvoice(item.path), name
        images = scratch / "images"
        images.mkdir()
        stored = dict(zip((item.path for item in inputs), sources, strict=True))
        made_from: dict[str, tuple[str, int]] = {}
        frames = Counter(ref.file for ref in refs)
        names = []
        for number, ref in enumerate(refs, start=1):
            raster = load_raster(
                ref,
                render_dpi=self.settings.invoice_render_dpi,
                max_pixels=self.settings.max_image_pixels,
                coloured_text=True,  # text printed in a light colour is read
            )
            kind = _kept_as_is(ref.file) if ref.kind == "image" and frames[ref.file] == 1 else None
            if kind is not None:
                # the upload is the page image as it is: no PNG encoded here and decoded again for the page (a
                # 10 Mpx photo: 0.3 s and 0.1 s of CPU), and the page is read from the very pixels uploaded
                names.append(f"{number:04d}.{kind}")
                self.files.put_file(image_name(job_id, names[-1]), ref.file)
            else:
                names.append(f"{number:04d}.png")
                raster.image.save(images / names[-1], format="PNG", dpi=(round(raster.dpi), round(raster.dpi)))
                self.files.put_file(image_name(job_id, names[-1]), images / names[-1])
                (images / names[-1]).unlink()
            if ref.kind == "pdf":
                made_from[names[-1]] = (stored[ref.file], ref.index)
        self.files.put_bytes(f"invoices/{job_id}/{PAGES_MADE_FROM}", json.dumps(made_from).encode())
        return names, einvoice, einvoice_file if einvoice is not None else ""

    # -- pages -----------------------------------------------------------------------------------------------

    def process(self, page_id: str) -> None:
        with self.db.read() as session:
            page = repo.get_page(session=session, page_id=page_id)
            if page is None:
                return
            doc, job_id, number, retries = dict(page.doc), page.job_id, page.page_number, page.retry_count
            job = repo.get_job(session=session, job_id=job_id)
            auto_retry = bool(job.doc.get("autoRetry", True)) if job else False
        started = time.monotonic()
        try:
            update, engine = self._recognise(job_id, page_id, doc, number)
            error = ""
        except OcrmillError as e:
            update, engine, error = {}, {}, e.message
            transient = bool(getattr(e, "transient", not isinstance(e, InputError)))
        except Exception as e:
            log.exception("invoice page %s failed", page_id)
            update, engine, error = {}, {}, described(e, "processing the page")
            transient = True
        elapsed = round((time.monotonic() - started) * 1000)
        with self.db.write() as session:
            page = repo.get_page(session=session, page_id=page_id)
            if page is None or page.worker_id != self.worker_id:  # deleted, or given to another worker
                if page is None:
                    self._remove_leftovers(session, job_id, page_id)
                return
            now = utcnow()
            page.worker_id, page.heartbeat = "", None
            if error:
                retry = auto_retry and transient and retries < self.settings.invoice_max_retries
                page.status = "pending" if retry else "failed"
                if retry:
                    page.retry_count = retries + 1
                    page.not_before = now + timedelta(seconds=self.settings.invoice_retry_seconds * 2**retries)
                page.doc = page.doc | {
                    "status": page.status,
                    "errorLog": error,
                    "retryCount": page.retry_count,
                    "processingTime": elapsed,
                    "completedAt": None if retry else stamp(now),
                    "updatedAt": stamp(now),
                }
            else:
                page.status = "completed"
                page.engine = engine
                merged = page.doc | update
                merged["extractedFields"] = apply_corrections(
                    engine["fields"], merged.get("annotations", []), page=page.page_number
                )
                page.doc = merged | {
                    "status": "completed",
                    "processingTime": elapsed,
                    "completedAt": stamp(now),
                    "errorLog": "",
                    "updatedAt": stamp(now),
                }
            page.search_text = page_search_text(page.doc)
            page.updated_at = now
            session.flush()
            refresh_job(session, page.job_id)
        log.info(
            "invoice page %s of job %s %s in %d ms", number, job_id, f"failed: {error}" if error else "done", elapsed
        )

    def _remove_leftovers(self, session: Session, job_id: str, page_id: str) -> None:
        """The files written for a page that was deleted (or whose job was) while it was recognised."""
        try:
            if repo.get_job(session=session, job_id=job_id) is None:
                self.files.delete_prefix(job_folder(job_id))
                return
            for suffix in ("png", "json"):
                self.files.discard(ocr_name(job_id, page_id, suffix))
        except OcrmillError as e:  # the store away: the rows are gone all the same
            log.error("invoice page %s: its files were left in the store: %s", page_id, e.message)

    def _recognise(
        self, job_id: str, page_id: str, doc: dict[str, Any], number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        data = self._image_bytes(str(doc["pageUrl"]))
        if data[:5] == b"%PDF-":
            data = self._pdf_page_image(job_id, page_id, data)
        image, dpi, properties = open_page_image(data, max_pixels=self.settings.max_image_pixels)
        with self.ocr_gate or nullcontext():
            seen = recognise_page(
                image,
                dpi,
                engines=self.engines,
                langs=list(self.settings.invoice_languages),
                number=number,
                tessdata=self.engines.tessdata,
            )
        symbols = _symbols(seen)
        analysis = analyse_page(seen.page, number=number, symbols=symbols, alternates=seen.alternates)
        raster = io.BytesIO()
        seen.image.save(raster, format="PNG", dpi=(round(seen.dpi), round(seen.dpi)))
        self.files.put_bytes(ocr_name(job_id, page_id, "png"), raster.getvalue())
        self.files.put_bytes(ocr_name(job_id, page_id, "json"), json.dumps(page_to_dict(seen.page)).encode())
        in_source = functools.partial(_in_source, seen)
        given = bool(doc.get("pageTypeGiven"))
        update = {
            "pageType": doc.get("pageType") if given else analysis.page_type,
            "imageProperties": properties.to_api(),
            "preprocessing": seen.preprocessing.to_api(),
            "ocrResults": in_source(_ocr_results(seen.page, analysis, symbols)),
            "tableData": in_source([cell.to_api() for cell in analysis.table.cells]),
            "qualityScore": analysis.quality,
        }
        engine = {
            "fields": in_source({name: f.to_api() for name, f in analysis.fields.items()}),
            "lineItems": in_source([item.to_api() for item in analysis.table.items]),
            "checks": [c.to_api() for c in analysis.checks],
        }
        return update, engine

    def _pdf_page_image(self, job_id: str, page_id: str, data: bytes) -> bytes:
        """A one-page PDF given as a page's URL, rendered as the page image (a longer PDF is a job's upload)."""
        scratch = scratch_dir(self.settings, f"invoice-page-{page_id}")
        work = scratch / "page.pdf"
        try:
            work.write_bytes(data)
            refs = enumerate_pages(
                [InputFile(work, "PDF")],
                max_pages=self.settings.max_pages,
                max_pixels=self.settings.max_image_pixels,
                render_dpi=self.settings.invoice_render_dpi,
            )
            if len(refs) != 1:
                raise InputError(f"pageUrl is a PDF of {len(refs)} pages: upload it as an invoice job instead.")
            raster = load_raster(
                refs[0],
                render_dpi=self.settings.invoice_render_dpi,
                max_pixels=self.settings.max_image_pixels,
                coloured_text=True,
            )
            out = io.BytesIO()
            raster.image.save(out, format="PNG", dpi=(round(raster.dpi), round(raster.dpi)))
            return out.getvalue()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _image_bytes(self, url: str) -> bytes:
        prefix = f"{self.settings.api_prefix}/v1/ocr-invoice-jobs/"
        if url.startswith(prefix):
            data = None if ".." in url else self.files.read_bytes("invoices/" + url[len(prefix) :])
            if data is None:
                raise InputError(f"The page image {url} is gone.")
            return data
        from ocrmill.pipeline.fetch import FetchLimits, fetch  # the URL guard

        fetched = fetch(
            url,
            limits=FetchLimits(
                max_bytes=self.settings.fetch_max_bytes,
                timeout_seconds=self.settings.fetch_timeout_seconds,
                max_redirects=self.settings.fetch_max_redirects,
                allow=tuple(self.settings.fetch_allow),
            ),
        )
        return fetched.data

    # -- the job's outputs -----------------------------------------------------------------------------------

    def write_outputs(self, job_id: str) -> None:
        """The searchable PDF and the text of a job whose pages are all done, from their stored OCR."""
        with self.db.read() as session:
            completed = [p for p in repo.page_summaries(session=session, job_id=job_id) if p.status == "completed"]
            signature = outputs_signature(completed)
            # each page's URL says whether its image was made from an uploaded PDF's page (the whole documents
            # are read here, once for the outputs, not on every page change as the summaries are)
            urls = {page.id: str(page.doc.get("pageUrl", "")) for page in repo.pages_of(session=session, job_id=job_id)}
            pages = [(p.id, urls.get(p.id, "")) for p in completed]
            job = repo.get_job(session=session, job_id=job_id)
            einvoice_file = str(job.doc.get("_eInvoiceFile") or "") if job is not None else ""
        error = ""
        run = new_run()  # the outputs are stored apart, and become the job's with the commit below
        try:
            self._write_outputs(job_id, run, pages, einvoice_file)
        except Exception as e:  # the job still completes, with its JSON, and says why PDF and text are missing
            log.exception("invoice job %s: writing the outputs failed", job_id)
            error = f"The PDF and text outputs could not be written: {described(e, 'writing them')}"
        with self.db.write() as session:
            job = repo.get_job(session=session, job_id=job_id, for_update=True)
            # a worker frozen past the heartbeat timeout finds the task given to another: its outputs are not the job's
            holds = job is not None and job.worker_id == self.worker_id
            if job is not None and holds:
                outputs = ["json"] if error else ["json", "pdf", "txt"]
                job.doc = job.doc | {
                    "_outputsFor": signature,
                    "_task": "",
                    "outputs": outputs,
                    "_outputsError": error,
                    "_outputsRun": "" if error else run,
                }
                repo.finish_job_task(session=session, job_id=job_id)
                session.flush()
                refresh_job(session, job_id)
        settle_run(self.files, job_folder(job_id).rstrip("/"), run, won=holds and not error, ended=holds)

    def _write_outputs(self, job_id: str, run: str, pages: list[tuple[str, str]], einvoice_file: str) -> None:
        """`pages` (id, pageUrl) in page order. A page whose image was made from an uploaded PDF's page with its
        own text is that page as it is, its text the PDF's own; every other page is the image it was recognised
        on with its OCR as the text. The e-invoice's upload gives its embedded files (for as long as the job
        has the e-invoice, whichever of its pages are left)."""
        from ocrmill.writers import WRITERS

        scratch = scratch_dir(self.settings, f"invoice-outputs-{job_id}")
        work = scratch / "work"
        made_from: dict[str, dict[str, tuple[str, int]]] = {}
        fetched: dict[str, Path | None] = {}
        try:
            work.mkdir()
            doc, bases = Document(), []
            options = JobOptions(PdfOutput=True, TxtOutput=True)
            for index, (page_id, url) in enumerate(pages):
                source = self._made_from(url, made_from, scratch, fetched)
                own = own_text_page(source, dpi=self.settings.invoice_render_dpi) if source is not None else None
                if source is not None and own is not None:
                    page, base = own, PageBase(source.file, source.index)
                else:
                    stored = self.files.read_bytes(ocr_name(job_id, page_id, "json"))
                    if stored is None:
                        raise NotFound(f"The OCR of page {index + 1} is missing from the file store.")
                    page = page_from_dict(json.loads(stored))
                    raster = self.files.fetch(ocr_name(job_id, page_id, "png"), scratch)
                    with Image.open(raster) as im:
                        image = im.copy()
                    ref = PageRef(raster, "image", 0, index)
                    base = page_base(ref, Raster(image, page.dpi, True, True), options, work)
                page.number, page.source_index = index + 1, index
                bases.append(base)
                doc.pages.append(page)
            carried = self._fetch(einvoice_file, scratch, missing_ok=True) if einvoice_file else None
            ctx = WriteContext(
                options=options,
                work_dir=work,
                bases=bases,
                doc=doc,
                embedded_files_of=[carried] if carried is not None else [],
            )
            for ext in ("pdf", "txt"):
                WRITERS[ext].write(doc, ctx, work / f"result.{ext}")
            for ext in ("pdf", "txt"):  # each is whole in the store or absent (LocalFiles: copied, then renamed)
                self.files.put_file(output_name(job_id, ext, run=run), work / f"result.{ext}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @overload
    def _fetch(self, name: str, scratch: Path) -> Path: ...
    @overload
    def _fetch(self, name: str, scratch: Path, *, missing_ok: bool) -> Path | None: ...
    def _fetch(self, name: str, scratch: Path, *, missing_ok: bool = False) -> Path | None:
        """The stored file `name` as a local file (the store's own with LocalFiles, a copy in `scratch` else);
        None when there is no such file and `missing_ok`."""
        try:
            path = self.files.fetch(name, scratch)
        except NotFound:
            path = None
        if path is None or not path.is_file():
            if missing_ok:
                return None
            raise InputError(f"The file {name.rsplit('/', 1)[-1]} is missing from the file store.")
        return path

    def _made_from(
        self,
        url: str,
        known: dict[str, dict[str, tuple[str, int]]],
        scratch: Path,
        fetched: dict[str, Path | None],
    ) -> PageRef | None:
        """The uploaded PDF's page that the page image at `url` was made from, when it is such an image of this
        server (of this job or another) and the upload is still there. `known`: the jobs' source/pages.json;
        `fetched`: the uploads fetched into `scratch` so far."""
        prefix = f"{self.settings.api_prefix}/v1/ocr-invoice-jobs/"
        found = _IMAGE.fullmatch(url[len(prefix) :]) if url.startswith(prefix) else None
        if found is None:
            return None
        job_id, image = found[1], found[2]
        if job_id not in known:
            listing = self.files.read_bytes(f"invoices/{job_id}/{PAGES_MADE_FROM}")
            known[job_id] = json.loads(listing) if listing is not None else {}
        made = known[job_id].get(image)
        if made is None:
            return None
        if made[0] not in fetched:  # each upload fetched once, however many of its pages there are
            fetched[made[0]] = self._fetch(made[0], scratch, missing_ok=True)
        source = fetched[made[0]]
        return PageRef(source, "pdf", int(made[1]), 0) if source is not None else None


def _kept_as_is(path: Path) -> str | None:
    """The extension ("jpg" or "png") of a one-frame JPEG or PNG whose pixels need no normalising (no EXIF turn,
    alpha or palette; mode 1, L or RGB: pages.normalise_image would leave them as they are), else None.
    Raster.transformed cannot tell: Pillow's exif_transpose returns a copy even when there is nothing to turn."""
    with Image.open(path) as im:
        kinds = {"JPEG": "jpg", "PNG": "png"}
        if im.format not in kinds or im.mode not in ("1", "L", "RGB") or getattr(im, "n_frames", 1) != 1:
            return None
        if "transparency" in im.info or im.getexif().get(ExifTags.Base.Orientation, 1) != 1:
            return None
        return kinds[im.format]


def _in_source(seen: RecognisedPage, data: Any) -> Any:
    """`data` (API documents) with every boundingBox in the pixels of the page image the client gave, not of
    the raster the page was recognised on (enlarged, turned, straightened)."""
    if isinstance(data, list):
        return [_in_source(seen, item) for item in data]
    if not isinstance(data, dict):
        return data
    out = {key: _in_source(seen, value) for key, value in data.items()}
    box = data.get("boundingBox")
    if isinstance(box, dict):
        x, y = int(box["x"]), int(box["y"])
        out["boundingBox"] = box_to_api(seen.source_box(Box(x, y, x + int(box["width"]), y + int(box["height"]))))
    return out


def _symbols(seen: RecognisedPage) -> list[Symbol]:
    """The barcodes on the recognised raster (a payment QR code gives the IBAN and the amount due exactly)."""
    from ocrmill.domain.barcodes import BarcodeType
    from ocrmill.pipeline.barcodes import BOTH, read_barcodes  # zxing-cpp: imported on first use

    found = read_barcodes(seen.image, page_no=seen.page.number, filter_bits=0, direction=BOTH)
    return [
        Symbol(code.value, BarcodeType(code.type).name, Box(code.x, code.y, code.x + code.width, code.y + code.height))
        for code in found
    ]


def _ocr_results(page: Any, analysis: PageAnalysis, symbols: list[Symbol]) -> dict[str, Any]:
    words = page.words()
    return {
        "text": page.text(),
        "confidence": round(analysis.confidence, 4),
        "words": [
            {"text": w.text, "confidence": round(w.confidence / 100, 4), "boundingBox": box_to_api(w.box)}
            for w in words
        ],
        "blocks": blocks_api(page, analysis.table, symbols),
    }


def _einvoice(path: Path) -> dict[str, Any] | None:
    from ocrmill.invoices.einvoice import read_einvoice

    try:
        found = read_einvoice(path)
    except OcrmillError as e:
        log.warning("embedded e-invoice of %s not readable: %s", path, e.message)
        return None
    if found is None:
        return None
    return {
        "format": found.format,
        "profile": found.profile,
        "typeCode": found.type_code,
        "fields": {name: f.to_api() for name, f in found.fields.items()},
        "lineItems": [item.to_api() for item in found.items],
    }
