"""The asyncio client: ocrmill.client.calls' operations driven with httpx.AsyncClient (the same operations as
the blocking Client, method for method)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
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
CHUNK = 1 << 20


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    """A file's bytes, read off the event loop."""
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, CHUNK):
            yield chunk


class AsyncClient:
    """The asyncio twin of ocrmill.client.Client: the same arguments and methods, awaited."""

    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        auth: tuple[str, str] | None = None,
        api_prefix: str = "/api",
        timeout: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        options = client_options(server, token=token, auth=auth, api_prefix=api_prefix, timeout=timeout)
        self.http = httpx.AsyncClient(transport=transport, **options)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def run(self, op: Op[T]) -> T:
        """Drives one operation of ocrmill.client.calls to its result."""
        try:
            step = next(op)
            while True:
                if isinstance(step, Sleep):
                    await asyncio.sleep(step.seconds)
                    step = op.send(None)
                else:
                    step = op.send(await self._send(step))
        except StopIteration as done:
            return cast(T, done.value)
        finally:
            op.close()

    async def _send(self, call: Call) -> Reply:
        with contextlib.ExitStack() as files:
            args = request_args(call)
            if call.upload:
                args["content"] = _chunks(call.upload)
                args["headers"] = upload_headers(call, call.upload)
            if call.parts:
                args["files"] = file_parts(call, lambda path: files.enter_context(path.open("rb")))
            try:
                if call.save_to:
                    return await self._save(call, args, call.save_to)
                response = await self.http.request(call.method, call.path, **args)
            except httpx.TransportError as e:
                raise unreachable(e, call, self.http) from e
            return reply(response, response.content)

    async def _save(self, call: Call, args: dict[str, Any], target: Path) -> Reply:
        async with self.http.stream(call.method, call.path, **args) as response:
            if response.status_code >= 400:
                return reply(response, await response.aread())
            with part_file(target) as out:
                async for chunk in response.aiter_bytes():
                    out.write(chunk)
            return reply(response, b"")

    # -- ownOCR jobs ----------------------------------------------------------------------------------------

    async def create(self, options: Mapping[str, Any] | None = None, **more: Any) -> Job:
        """A job with these properties (PascalCase names as in the ownOCR document; Autostart is on by default)."""
        return await self.run(calls.create({**(options or {}), **more}))

    async def create_template(self, options: Mapping[str, Any] | None = None, **more: Any) -> Job:
        return await self.run(calls.create({**(options or {}), **more}, template=True))

    async def create_from_template(self, template_id: int) -> Job:
        return await self.run(calls.create_from_template(template_id))

    async def set_options(self, job_id: int, options: Mapping[str, Any] | None = None, **more: Any) -> Job:
        return await self.run(calls.set_options(job_id, {**(options or {}), **more}))

    async def upload(self, job_id: int, file: Path | str | bytes, *, ext: str | None = None) -> Job:
        return await self.run(calls.upload(job_id, file, ext=ext))

    async def submit(
        self, files: Iterable[Path | str] | Path | str, options: Mapping[str, Any] | None = None, **more: Any
    ) -> Job:
        """One job of the files (a folder: its files in name order), scheduled."""
        paths = [files] if isinstance(files, Path | str) else files
        return await self.run(calls.submit(paths, {**(options or {}), **more}))

    async def schedule(self, job_id: int) -> Job:
        return await self.run(calls.schedule(job_id))

    async def cancel(self, job_id: int) -> Job:
        return await self.run(calls.cancel(job_id))

    async def delete(self, job_id: int) -> Job:
        return await self.run(calls.delete(job_id))

    async def info(self, job_id: int) -> Job:
        return await self.run(calls.info(job_id))

    async def status(self, job_id: int) -> JobStatus:
        return await self.run(calls.status(job_id))

    async def progress(self, job_id: int) -> JobProgress:
        return await self.run(calls.progress(job_id))

    async def wait(
        self,
        job_id: int,
        *,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        raise_on_error: bool = True,
    ) -> Job:
        """The job once Converted; JobFailed if it ends in Error (unless raise_on_error=False), WaitTimeout after
        `timeout` seconds. `on_progress(pages_done, pages_total)` is called at each poll."""
        return await self.run(
            calls.wait(job_id, on_progress=on_progress, timeout=timeout, raise_on_error=raise_on_error)
        )

    async def download(self, job_id: int, ext: str, *, to: Path | str | None = None) -> bytes:
        """An output's bytes; with `to`, streamed into that file instead (and b"" returned)."""
        return await self.run(calls.download(job_id, ext, to=to))

    async def download_outputs(self, job: Job, folder: Path | str, *, stem: str | None = None) -> list[Path]:
        """Every output of a converted job as <stem>.<ext> in `folder` (stem: the job's id)."""
        return await self.run(calls.download_outputs(job, folder, stem=stem))

    async def query(self, filters: Mapping[str, Any] | None = None, **more: Any) -> list[Job]:
        """Jobs by IdList, StatusList, GuidList, CorrelationIdList, UserName, IsTemplate, CreatedFrom, CreatedTo."""
        return await self.run(calls.query({**(filters or {}), **more}))

    async def jobs(self, *, status: JobStatus | int | None = None, templates: bool = False) -> list[Job]:
        return await self.run(calls.jobs(status=status, templates=templates))

    async def server_value(self, action: str) -> Any:
        """version, name, nameversion, languages, supportedexts, count, runningcount, serverload, stats, guid."""
        return await self.run(calls.server_value(action))

    # -- OCR folders ----------------------------------------------------------------------------------------

    async def folders(self) -> list[dict[str, Any]]:
        return await self.run(calls.folders())

    async def folder(self, folder_id: str) -> dict[str, Any]:
        return await self.run(calls.folder(folder_id))

    async def post_to_folder(
        self, folder_id: str, file: Path | str, *, name: str | None = None, unique: bool = True
    ) -> str:
        """A file into an OCR folder's input (its watcher makes the job); the name it was stored under."""
        return await self.run(calls.post_to_folder(folder_id, file, name=name, unique=unique))

    # -- invoice jobs ---------------------------------------------------------------------------------------

    async def create_invoice_job(
        self,
        files: Iterable[Path | str] | Path | str = (),
        *,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> InvoiceJob:
        """An invoice job of the files (PDF or images; a folder: its files); without files, an empty one."""
        paths = [files] if isinstance(files, Path | str) else files
        return await self.run(calls.create_invoice_job(paths, name=name, metadata=metadata))

    async def invoice_job(self, job_id: str) -> InvoiceJob:
        return await self.run(calls.invoice_job(job_id))

    async def invoice_jobs(self, **query: Unpack[ListQuery]) -> Listing[InvoiceJob]:
        return await self.run(calls.invoice_jobs(calls.list_params(query)))

    async def replace_invoice_job(self, job_id: str, body: Mapping[str, Any]) -> InvoiceJob:
        return await self.run(calls.replace_invoice_job(job_id, body))

    async def delete_invoice_job(self, job_id: str) -> InvoiceJob:
        return await self.run(calls.delete_invoice_job(job_id))

    async def wait_invoice_job(
        self,
        job_id: str,
        *,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        raise_on_error: bool = True,
    ) -> InvoiceJob:
        """The invoice job once completed; JobFailed if it failed (unless raise_on_error=False)."""
        op = calls.wait_invoice_job(job_id, on_progress=on_progress, timeout=timeout, raise_on_error=raise_on_error)
        return await self.run(op)

    async def download_invoice(self, job_id: str, ext: str, *, to: Path | str | None = None) -> bytes:
        """pdf, txt or json; with `to`, streamed into that file instead (and b"" returned)."""
        return await self.run(calls.download_invoice(job_id, ext, to=to))

    async def add_invoice_page(self, job_id: str, page_number: int, page_url: str, **more: Any) -> InvoicePage:
        return await self.run(calls.add_invoice_page(job_id, page_number, page_url, **more))

    async def invoice_page(self, page_id: str) -> InvoicePage:
        return await self.run(calls.invoice_page(page_id))

    async def invoice_pages(self, **query: Unpack[ListQuery]) -> Listing[InvoicePage]:
        return await self.run(calls.invoice_pages(calls.list_params(query)))

    async def replace_invoice_page(self, page_id: str, body: Mapping[str, Any]) -> InvoicePage:
        return await self.run(calls.replace_invoice_page(page_id, body))

    async def delete_invoice_page(self, page_id: str) -> InvoicePage:
        return await self.run(calls.delete_invoice_page(page_id))

    # -- API tokens -----------------------------------------------------------------------------------------

    async def create_token(self, name: str, *, read_only: bool = False, expires_days: int | None = None) -> Token:
        """A new token of the signed-in user; its `secret` is shown this once."""
        return await self.run(calls.create_token(name, read_only=read_only, expires_days=expires_days))

    async def tokens(self) -> list[Token]:
        return await self.run(calls.tokens())

    async def revoke_token(self, name: str) -> None:
        await self.run(calls.revoke_token(name))

    # -- webhooks: their methods go here (issue 19 part 1) --------------------------------------------------
