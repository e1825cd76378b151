"""Every client operation once, free of I/O: a generator that yields the HTTP calls (and pauses) it needs and
gets their replies sent back, returning its result. `Client` drives them with httpx.Client and time.sleep,
`AsyncClient` with httpx.AsyncClient and asyncio.sleep, so the two cannot drift apart.

Paths are relative to the server's API prefix (`/api` by default)."""

from __future__ import annotations

import functools
import json
import mimetypes
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict, TypeVar
from urllib.parse import quote

from ocrmill.client.errors import JobFailed, NotScheduled, WaitTimeout
from ocrmill.client.models import (
    InvoiceJob,
    InvoicePage,
    Job,
    JobProgress,
    Listing,
    Polled,
    ProgressCallback,
    Token,
)
from ocrmill.domain.status import SUPPORTED_EXTENSIONS, JobStatus

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: Mapping[str, str | int] | None = None
    json: Any = None
    upload: Path | None = None  # the body is this file, streamed
    content: bytes | None = None  # the body is these bytes
    parts: tuple[Path, ...] = ()  # multipart/form-data: each file as a `file` part ...
    fields: Mapping[str, str] = field(default_factory=dict)  # ... beside these fields
    save_to: Path | None = None  # the answer's body streamed into this file (atomically)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Reply:
    status: int
    content: bytes  # empty when the body went to Call.save_to
    headers: Mapping[str, str]

    def json(self) -> Any:
        return json.loads(self.content)


Step = Call | Sleep
Op = Generator[Step, Reply | None, T]

POLL_FIRST = 0.2  # seconds between polls while waiting: short at first, growing to POLL_MAX
POLL_MAX = 2.0


def media_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def input_files(paths: Iterable[Path | str]) -> list[Path]:
    """The files to send: each file as given, each folder's files of a supported type in name order (not its
    subfolders)."""
    found: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            found += sorted(p for p in item.iterdir() if p.is_file() and p.suffix[1:].upper() in SUPPORTED_EXTENSIONS)
        else:
            found.append(item)
    return found


def _q(segment: str) -> str:
    """A value as one path segment (a token's name may hold blanks, ? or #)."""
    return quote(segment, safe="")


def _call(call: Call) -> Generator[Step, Reply | None, Reply]:
    reply = yield call
    assert reply is not None, "the driver answers every Call"
    return reply


def _sleep(seconds: float) -> Generator[Step, Reply | None, None]:
    yield Sleep(seconds)


def _json(call: Call) -> Generator[Step, Reply | None, Any]:
    return (yield from _call(call)).json()


def _data(call: Call) -> Generator[Step, Reply | None, Any]:
    """The `data` of the invoice API's envelope."""
    return (yield from _json(call))["data"]


# -- ownOCR jobs ------------------------------------------------------------------------------------------------

JOBS = "/ocrjobs"


def create(options: Mapping[str, Any], *, template: bool = False) -> Op[Job]:
    return Job((yield from _json(Call("POST", f"{JOBS}/{'createtemplate' if template else 'create'}", json=options))))


def create_from_template(template_id: int) -> Op[Job]:
    return Job((yield from _json(Call("POST", f"{JOBS}/createfromtemplate/{template_id}"))))


def set_options(job_id: int, options: Mapping[str, Any]) -> Op[Job]:
    return Job((yield from _json(Call("POST", f"{JOBS}/setoptions/{job_id}", json=options))))


def upload(job_id: int, file: Path | str | bytes, *, ext: str | None = None) -> Op[Job]:
    """One file (or its bytes, with `ext`) appended to a job in status Created; its type from `ext` or the
    file's extension."""
    if isinstance(file, bytes):
        if not ext:
            raise ValueError("uploading bytes needs ext= (pdf, tif, png, ...)")
        call = Call("POST", f"{JOBS}/uploadext/{job_id}/{_q(ext)}", content=file)
    else:
        path = Path(file)
        ext = ext or path.suffix.lstrip(".")
        if not ext:
            raise ValueError(f"{path} has no extension to tell its type by: give ext= (pdf, tif, png, ...)")
        call = Call("POST", f"{JOBS}/uploadext/{job_id}/{_q(ext)}", upload=path)
    return Job((yield from _json(call)))


def _action(action: str, job_id: int) -> Op[Job]:
    return Job((yield from _json(Call("POST", f"{JOBS}/{action}/{job_id}"))))


def schedule(job_id: int) -> Op[Job]:
    return (yield from _action("schedule", job_id))


def cancel(job_id: int) -> Op[Job]:
    return (yield from _action("cancel", job_id))


def delete(job_id: int) -> Op[Job]:
    return Job((yield from _json(Call("DELETE", f"{JOBS}/delete/{job_id}"))))


def info(job_id: int) -> Op[Job]:
    return Job((yield from _json(Call("GET", f"{JOBS}/info/{job_id}"))))


def status(job_id: int) -> Op[JobStatus]:
    return JobStatus(int((yield from _json(Call("GET", f"{JOBS}/status/{job_id}")))))


def progress(job_id: int) -> Op[JobProgress]:
    """Status and pages done (the console API's progress, an ocrmill addition)."""
    found = yield from _json(Call("GET", f"/console/jobs/{job_id}/progress"))
    return JobProgress(JobStatus(int(found["status"])), int(found["pagesDone"]), int(found["pagesTotal"]))


def submit(files: Iterable[Path | str], options: Mapping[str, Any] | None = None) -> Op[Job]:
    """One job of the files (a folder: its files in name order), their pages in that order, then scheduled."""
    paths = input_files(files)
    if not paths:
        raise ValueError("nothing to submit: no files (a folder's files of a supported type) given")
    job = yield from create({**(options or {}), "Autostart": False})  # several uploads need it off
    for path in paths:
        yield from upload(job.id, path)
    return (yield from schedule(job.id))


def wait(
    job_id: int,
    *,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
    raise_on_error: bool = True,
) -> Op[Job]:
    """The job once Converted (or Error: JobFailed, unless raise_on_error is off), polling its progress."""
    look = functools.partial(progress, job_id)
    yield from _poll(look, f"job {job_id}", on_progress=on_progress, timeout=timeout)
    job = yield from info(job_id)
    if job.status == JobStatus.ERROR and raise_on_error:
        raise JobFailed(f"job {job_id} failed: {job.error_description or 'no description'}", job=job)
    return job


P = TypeVar("P", bound=Polled)


def _poll(
    look: Callable[[], Op[P]], what: str, *, on_progress: ProgressCallback | None, timeout: float | None
) -> Op[P]:
    """`look()` again and again, less often as time goes on, until what it sees is finished."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = POLL_FIRST
    while True:
        now = yield from look()
        if on_progress:
            on_progress(*now.pages)
        if now.finished:
            return now
        if now.state == "created":
            raise NotScheduled(f"{what} is Created, not scheduled: it will not finish until it is")
        if deadline is not None and time.monotonic() + pause > deadline:
            raise WaitTimeout(f"{what} is still {now.state} after {timeout:g} s")
        yield from _sleep(pause)
        pause = min(POLL_MAX, pause * 1.5)


def download(job_id: int, ext: str, *, to: Path | str | None = None) -> Op[bytes]:
    """A converted job's output: its bytes, or, with `to`, written there (atomically) and b"" returned."""
    reply = yield from _call(Call("GET", f"{JOBS}/download/{job_id}/{_q(ext)}", save_to=Path(to) if to else None))
    return reply.content


def download_outputs(job: Job, folder: Path | str, *, stem: str | None = None) -> Op[list[Path]]:
    """Every output the job asked for, as `<stem>.<ext>` in `folder` (stem: the job's id)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    written = []
    for ext in job.outputs:
        target = Path(folder) / f"{stem or job.id}.{ext}"
        yield from download(job.id, ext, to=target)
        written.append(target)
    return written


def query(filters: Mapping[str, Any]) -> Op[list[Job]]:
    """Jobs by IdList, StatusList, GuidList, CorrelationIdList, UserName, IsTemplate, CreatedFrom, CreatedTo."""
    return [Job(j) for j in (yield from _json(Call("POST", f"{JOBS}/query", json=dict(filters))))]


def jobs(*, status: JobStatus | int | None = None, templates: bool = False) -> Op[list[Job]]:
    path = "templates" if templates else "all" if status is None else f"allbystatus/{int(status)}"
    return [Job(j) for j in (yield from _json(Call("GET", f"{JOBS}/{path}")))]


def server_value(action: str) -> Op[Any]:
    """A scalar or list action: version, name, languages, supportedexts, count, runningcount, serverload, ..."""
    return (yield from _json(Call("GET", f"{JOBS}/{action}")))


# -- OCR folders ------------------------------------------------------------------------------------------------


def folders() -> Op[list[dict[str, Any]]]:
    """The OCR folder definitions with their counters (a right of the user: enum folders)."""
    return list((yield from _json(Call("GET", f"{JOBS}/folders"))))


def folder(folder_id: str) -> Op[dict[str, Any]]:
    return dict((yield from _json(Call("GET", f"{JOBS}/folder/{_q(folder_id)}"))))


def post_to_folder(folder_id: str, file: Path | str, *, name: str | None = None, unique: bool = True) -> Op[str]:
    """A file into an OCR folder's input, where its watcher makes a job of it; the name it was stored under
    (`unique`: a new name rather than overwriting a file of that name)."""
    path = Path(file)
    disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name or path.name)}"}
    call = Call(
        "POST", f"{JOBS}/{'postfolderu' if unique else 'postfolder'}/{_q(folder_id)}", upload=path, headers=disposition
    )
    return str((yield from _json(call)))


# -- invoice jobs -----------------------------------------------------------------------------------------------

INVOICES = "/v1/ocr-invoice-jobs"
PAGES = "/v1/ocr-invoice-job-pages"


def create_invoice_job(
    files: Iterable[Path | str] = (), *, name: str | None = None, metadata: Mapping[str, Any] | None = None
) -> Op[InvoiceJob]:
    """An invoice job of the files (PDF or images; a folder: its files), recognised at once; without files,
    an empty job whose pages are added with add_invoice_page."""
    paths = tuple(input_files(files))
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if metadata is not None:
        body["metadata"] = dict(metadata)
    if paths:
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        return InvoiceJob((yield from _data(Call("POST", INVOICES, parts=paths, fields=form))))
    return InvoiceJob((yield from _data(Call("POST", INVOICES, json=body))))


def invoice_job(job_id: str) -> Op[InvoiceJob]:
    return InvoiceJob((yield from _data(Call("GET", f"{INVOICES}/{_q(job_id)}"))))


def replace_invoice_job(job_id: str, body: Mapping[str, Any]) -> Op[InvoiceJob]:
    return InvoiceJob((yield from _data(Call("PUT", f"{INVOICES}/{_q(job_id)}", json=dict(body)))))


def delete_invoice_job(job_id: str) -> Op[InvoiceJob]:
    return InvoiceJob((yield from _data(Call("DELETE", f"{INVOICES}/{_q(job_id)}"))))


class ListQuery(TypedDict, total=False):
    """A list's paging, order and conditions (the invoice API's query parameters)."""

    limit: int  # 1-100, default 50
    offset: int
    sort: str  # a field's name, default createdAt
    order: Literal["asc", "desc"]  # default desc
    filter: Mapping[str, Any]  # field conditions: {"status": "completed", "pageCount": {"$gte": 2}}
    search: str  # words in the text fields


def list_params(query: ListQuery) -> dict[str, str | int]:
    params: dict[str, str | int] = {k: v for k, v in query.items() if k != "filter" and isinstance(v, str | int)}
    if "filter" in query:
        params["filter"] = json.dumps(dict(query["filter"]))
    return params


def _listed(call: Call) -> Generator[Step, Reply | None, tuple[list[dict[str, Any]], int]]:
    body = yield from _json(call)
    return list(body["data"]), int(body["total"])


def invoice_jobs(params: Mapping[str, str | int]) -> Op[Listing[InvoiceJob]]:
    items, total = yield from _listed(Call("GET", INVOICES, params=params))
    return Listing([InvoiceJob(d) for d in items], total)


def wait_invoice_job(
    job_id: str,
    *,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
    raise_on_error: bool = True,
) -> Op[InvoiceJob]:
    """The invoice job once completed (or failed: JobFailed, unless raise_on_error is off)."""
    look = functools.partial(invoice_job, job_id)
    job = yield from _poll(look, f"invoice job {job_id}", on_progress=on_progress, timeout=timeout)
    if job.status == "failed" and raise_on_error:
        raise JobFailed(f"invoice job {job_id} failed: {job.error_log or 'no description'}", job=job)
    return job


def download_invoice(job_id: str, ext: str, *, to: Path | str | None = None) -> Op[bytes]:
    """An invoice job's output (pdf, txt or json): its bytes, or, with `to`, written there and b"" returned."""
    call = Call("GET", f"{INVOICES}/{_q(job_id)}/download/{_q(ext)}", save_to=Path(to) if to else None)
    return (yield from _call(call)).content


def add_invoice_page(job_id: str, page_number: int, page_url: str, **more: Any) -> Op[InvoicePage]:
    """A page of an invoice job from a URL (http(s), data:, or an image this server holds)."""
    body = {"job": job_id, "pageNumber": page_number, "pageUrl": page_url, **more}
    return InvoicePage((yield from _data(Call("POST", PAGES, json=body))))


def invoice_page(page_id: str) -> Op[InvoicePage]:
    return InvoicePage((yield from _data(Call("GET", f"{PAGES}/{_q(page_id)}"))))


def replace_invoice_page(page_id: str, body: Mapping[str, Any]) -> Op[InvoicePage]:
    return InvoicePage((yield from _data(Call("PUT", f"{PAGES}/{_q(page_id)}", json=dict(body)))))


def delete_invoice_page(page_id: str) -> Op[InvoicePage]:
    return InvoicePage((yield from _data(Call("DELETE", f"{PAGES}/{_q(page_id)}"))))


def invoice_pages(params: Mapping[str, str | int]) -> Op[Listing[InvoicePage]]:
    items, total = yield from _listed(Call("GET", PAGES, params=params))
    return Listing([InvoicePage(d) for d in items], total)


# -- API tokens (the signed-in user's) --------------------------------------------------------------------------

TOKENS = "/console/tokens"


def create_token(name: str, *, read_only: bool = False, expires_days: int | None = None) -> Op[Token]:
    body = {"name": name, "readOnly": read_only, "expiresDays": expires_days}
    return Token((yield from _json(Call("POST", TOKENS, json=body))))


def tokens() -> Op[list[Token]]:
    return [Token(t) for t in (yield from _json(Call("GET", TOKENS)))]


def revoke_token(name: str) -> Op[None]:
    yield from _call(Call("DELETE", f"{TOKENS}/{_q(name)}"))


# -- webhooks: their operations go here (issue 19 part 1) -------------------------------------------------------
