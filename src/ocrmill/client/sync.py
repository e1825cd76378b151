"""The blocking client: ocrmill.client.calls' operations driven with httpx.Client."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, Unpack, cast

import httpx

from ocrmill.client import calls
from ocrmill.client.calls import Call, ListQuery, Op, Reply, Sleep
from ocrmill.client.http import client_options, file_parts, part_file, reply, request_args, unreachable, upload_headers
from ocrmill.client.models import InvoiceJob, InvoicePage, Job, JobProgress, Listing, ProgressCallback, Token
from ocrmill.domain.status import JobStatus

T = TypeVar("T")


class Client:
    """An ocrmill server's two APIs. `server` is its address (http://host:8080); `token` an API token, or
    `auth` a (user, password) pair for Basic authentication. Errors raise ocrmill.client.errors' exceptions."""

    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        auth: tuple[str, str] | None = None,
        api_prefix: str = "/api",
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        options = client_options(server, token=token, auth=auth, api_prefix=api_prefix, timeout=timeout)
        self.http = httpx.Client(transport=transport, **options)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def run(self, op: Op[T]) -> T:
        """Drives one operation of ocrmill.client.calls to its result."""
        try:
            step = next(op)
            while True:
                answer = self._pause(step) if isinstance(step, Sleep) else self._send(step)
                step = op.send(answer)
        except StopIteration as done:
            return cast(T, done.value)
        finally:
            op.close()

    @staticmethod
    def _pause(step: Sleep) -> None:
        time.sleep(step.seconds)

    def _send(self, call: Call) -> Reply:
        with contextlib.ExitStack() as files:
            args = request_args(call)
            if call.upload:
                args["content"] = files.enter_context(call.upload.open("rb"))
                args["headers"] = upload_headers(call, call.upload)
            if call.parts:
                args["files"] = file_parts(call, lambda path: files.enter_context(path.open("rb")))
            try:
                if call.save_to:
                    return self._save(call, args, call.save_to)
                response = self.http.request(call.method, call.path, **args)
            except httpx.TransportError as e:
                raise unreachable(e, call, self.http) from e
            return reply(response, response.content)

    def _save(self, call: Call, args: dict[str, Any], target: Path) -> Reply:
        with self.http.stream(call.method, call.path, **args) as response:
            if response.status_code >= 400:
                return reply(response, response.read())
            with part_file(target) as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
            return reply(response, b"")

    # -- ownOCR jobs ----------------------------------------------------------------------------------------

    def create(self, options: Mapping[str, Any] | None = None, **more: Any) -> Job:
        """A job with these properties (PascalCase names as in the ownOCR document; Autostart is on by default)."""
        return self.run(calls.create({**(options or {}), **more}))

    def create_template(self, options: Mapping[str, Any] | None = None, **more: Any) -> Job:
        return self.run(calls.create({**(options or {}), **more}, template=True))

    def create_from_template(self, template_id: int) -> Job:
        return self.run(calls.create_from_template(template_id))

    def set_options(self, job_id: int, options: Mapping[str, Any] | None = None, **more: Any) -> Job:
        return self.run(calls.set_options(job_id, {**(options or {}), **more}))

    def upload(self, job_id: int, file: Path | str | bytes, *, ext: str | None = None) -> Job:
        return self.run(calls.upload(job_id, file, ext=ext))

    def submit(
        self, files: Iterable[Path | str] | Path | str, options: Mapping[str, Any] | None = None, **more: Any
    ) -> Job:
        """One job of the files (a folder: its files in name order), scheduled."""
        paths = [files] if isinstance(files, Path | str) else files
        return self.run(calls.submit(paths, {**(options or {}), **more}))

    def schedule(self, job_id: int) -> Job:
        return self.run(calls.schedule(job_id))

    def cancel(self, job_id: int) -> Job:
        return self.run(calls.cancel(job_id))

    def delete(self, job_id: int) -> Job:
        return self.run(calls.delete(job_id))

    def info(self, job_id: int) -> Job:
        return self.run(calls.info(job_id))

    def status(self, job_id: int) -> JobStatus:
        return self.run(calls.status(job_id))

    def progress(self, job_id: int) -> JobProgress:
        return self.run(calls.progress(job_id))

    def wait(
        self,
        job_id: int,
        *,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        raise_on_error: bool = True,
    ) -> Job:
        """The job once Converted; JobFailed if it ends in Error (unless raise_on_error=False), WaitTimeout after
        `timeout` seconds. `on_progress(pages_done, pages_total)` is called at each poll."""
        return self.run(calls.wait(job_id, on_progress=on_progress, timeout=timeout, raise_on_error=raise_on_error))

    def download(self, job_id: int, ext: str, *, to: Path | str | None = None) -> bytes:
        """An output's bytes; with `to`, streamed into that file instead (and b"" returned)."""
        return self.run(calls.download(job_id, ext, to=to))

    def download_outputs(self, job: Job, folder: Path | str, *, stem: str | None = None) -> list[Path]:
        """Every output of a converted job as <stem>.<ext> in `folder` (stem: the job's id)."""
        return self.run(calls.download_outputs(job, folder, stem=stem))

    def query(self, filters: Mapping[str, Any] | None = None, **more: Any) -> list[Job]:
        """Jobs by IdList, StatusList, GuidList, CorrelationIdList, UserName, IsTemplate, CreatedFrom, CreatedTo."""
        return self.run(calls.query({**(filters or {}), **more}))

    def jobs(self, *, status: JobStatus | int | None = None, templates: bool = False) -> list[Job]:
        return self.run(calls.jobs(status=status, templates=templates))

    def server_value(self, action: str) -> Any:
        """version, name, nameversion, languages, supportedexts, count, runningcount, serverload, stats, guid."""
        return self.run(calls.server_value(action))

    # -- OCR folders ----------------------------------------------------------------------------------------

    def folders(self) -> list[dict[str, Any]]:
        return self.run(calls.folders())

    def folder(self, folder_id: str) -> dict[str, Any]:
        return self.run(calls.folder(folder_id))

    def post_to_folder(self, folder_id: str, file: Path | str, *, name: str | None = None, unique: bool = True) -> str:
        """A file into an OCR folder's input (its watcher makes the job); the name it was stored under."""
        return self.run(calls.post_to_folder(folder_id, file, name=name, unique=unique))

    # -- invoice jobs ---------------------------------------------------------------------------------------

    def create_invoice_job(
        self,
        files: Iterable[Path | str] | Path | str = (),
        *,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> InvoiceJob:
        """An invoice job of the files (PDF or images; a folder: its files); without files, an empty one."""
        paths = [files] if isinstance(files, Path | str) else files
        return self.run(calls.create_invoice_job(paths, name=name, metadata=metadata))

    def invoice_job(self, job_id: str) -> InvoiceJob:
        return self.run(calls.invoice_job(job_id))

    def invoice_jobs(self, **query: Unpack[ListQuery]) -> Listing[InvoiceJob]:
        return self.run(calls.invoice_jobs(calls.list_params(query)))

    def replace_invoice_job(self, job_id: str, body: Mapping[str, Any]) -> InvoiceJob:
        return self.run(calls.replace_invoice_job(job_id, body))

    def delete_invoice_job(self, job_id: str) -> InvoiceJob:
        return self.run(calls.delete_invoice_job(job_id))

    def wait_invoice_job(
        self,
        job_id: str,
        *,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        raise_on_error: bool = True,
    ) -> InvoiceJob:
        """The invoice job once completed; JobFailed if it failed (unless raise_on_error=False)."""
        op = calls.wait_invoice_job(job_id, on_progress=on_progress, timeout=timeout, raise_on_error=raise_on_error)
        return self.run(op)

    def download_invoice(self, job_id: str, ext: str, *, to: Path | str | None = None) -> bytes:
        """pdf, txt or json; with `to`, streamed into that file instead (and b"" returned)."""
        return self.run(calls.download_invoice(job_id, ext, to=to))

    def add_invoice_page(self, job_id: str, page_number: int, page_url: str, **more: Any) -> InvoicePage:
        return self.run(calls.add_invoice_page(job_id, page_number, page_url, **more))

    def invoice_page(self, page_id: str) -> InvoicePage:
        return self.run(calls.invoice_page(page_id))

    def invoice_pages(self, **query: Unpack[ListQuery]) -> Listing[InvoicePage]:
        return self.run(calls.invoice_pages(calls.list_params(query)))

    def replace_invoice_page(self, page_id: str, body: Mapping[str, Any]) -> InvoicePage:
        return self.run(calls.replace_invoice_page(page_id, body))

    def delete_invoice_page(self, page_id: str) -> InvoicePage:
        return self.run(calls.delete_invoice_page(page_id))

    # -- API tokens -----------------------------------------------------------------------------------------

    def create_token(self, name: str, *, read_only: bool = False, expires_days: int | None = None) -> Token:
        """A new token of the signed-in user; its `secret` is shown this once."""
        return self.run(calls.create_token(name, read_only=read_only, expires_days=expires_days))

    def tokens(self) -> list[Token]:
        return self.run(calls.tokens())

    def revoke_token(self, name: str) -> None:
        self.run(calls.revoke_token(name))

    # -- webhooks: their methods go here (issue 19 part 1) --------------------------------------------------
