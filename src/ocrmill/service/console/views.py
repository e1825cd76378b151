"""What the web console needs that the two APIs do not offer in one call: who is signed in, the dashboard's
figures, a paged job list, a job's progress, and the page viewer's images and words.

Nothing here knows about HTTP; routes.console calls it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocrmill.domain.document import page_from_dict
from ocrmill.domain.options import JobOptions
from ocrmill.domain.status import JobStatus
from ocrmill.errors import Forbidden, NotFound
from ocrmill.invoices.model import FIELD_NAMES
from ocrmill.service.auth.principal import Principal
from ocrmill.service.console.options import option_descriptions
from ocrmill.service.ocrjobs.folders import FolderService
from ocrmill.service.ocrjobs.jobs import JobService, JobView
from ocrmill.service.ocrjobs.search import JobSearch
from ocrmill.service.server import ServerInfo
from ocrmill.store import jobs as repo
from ocrmill.store.files import Download, FileStore, outputs_folder, page_name

STATUS_NAMES = {int(s): s.name.lower() for s in JobStatus}
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class JobListQuery:
    statuses: list[int]
    created_from: datetime | None
    created_to: datetime | None
    correlation_id: str
    user_name: str
    limit: int
    offset: int
    words: str = ""  # a text search (service.ocrjobs.search): the best matches first, the other filters left out


class ConsoleService:
    def __init__(
        self, *, jobs: JobService, folders: FolderService, server: ServerInfo, search: JobSearch, auth_enabled: bool
    ) -> None:
        self.jobs = jobs
        self.search = search
        self.folders = folders
        self.server = server
        self.auth_enabled = auth_enabled

    # -- who and what ---------------------------------------------------------------------------

    def me(self, who: Principal) -> dict[str, Any]:
        return {
            "name": who.name,
            "admin": who.is_admin,
            "rights": {
                "enumFolders": who.is_admin or who.can_enum_folders,
                "postFolders": who.is_admin or who.can_post_folders,
            },
            "auth": self.auth_enabled,
            "server": self.server.settings.server_name,
        }

    def options(self) -> dict[str, Any]:
        return option_descriptions(
            max_retention_days=self.jobs.settings.max_retention_days,
            installed_languages=self.jobs.installed_languages,
        )

    @staticmethod
    def invoice_fields() -> list[str]:
        return list(FIELD_NAMES)

    # -- the dashboard --------------------------------------------------------------------------

    def overview(self, who: Principal) -> dict[str, Any]:
        """serverload and stats (server-wide, as the API gives them), the caller's jobs per status, and
        the OCR folders with their counters when the caller may list them (else null)."""
        where = repo.JobFilter(user_name=who.owner_filter, is_template=False)
        with self.jobs.db.read() as session:
            counts = repo.count_by_status(session=session, where=where)
        may_list = who.is_admin or who.can_enum_folders
        return {
            "serverLoad": self.server.load(),
            "stats": self.server.stats(),
            "jobsByStatus": {name: counts.get(value, 0) for value, name in STATUS_NAMES.items()},
            "folders": self.folders.listing(who) if may_list else None,
        }

    # -- jobs -----------------------------------------------------------------------------------

    def job_list(self, who: Principal, q: JobListQuery) -> dict[str, Any]:
        """Jobs newest first, filtered and paged; admins may filter by user, others see only their own."""
        if q.user_name and not who.is_admin and q.user_name != who.name:
            raise Forbidden("Only administrators can list the jobs of other users.")
        limit = max(1, min(q.limit, MAX_PAGE_SIZE))
        if q.words:
            return self._found(who, q.words, limit=limit, offset=max(0, q.offset))
        where = repo.JobFilter(
            user_name=who.owner_filter if who.owner_filter is not None else (q.user_name or None),
            is_template=False,
            statuses=q.statuses,
            correlation_ids=[q.correlation_id] if q.correlation_id else [],
            created_from=q.created_from,
            created_to=q.created_to,
        )
        with self.jobs.db.read() as session:
            total = repo.count_jobs(session=session, where=where)
            found = repo.newest_jobs(session=session, where=where, limit=limit, offset=max(0, q.offset))
            items = [self.summary(job) for job in found]
        return {"items": items, "total": total, "limit": limit, "offset": max(0, q.offset)}

    def _found(self, who: Principal, words: str, *, limit: int, offset: int) -> dict[str, Any]:
        results = self.search.search(who, words, limit=limit, offset=offset)
        items = [self.summary(f.job) | {"snippet": f.snippet, "snippetField": f.field} for f in results.found]
        found = {"items": items, "total": results.total, "limit": limit, "offset": offset}
        return found | ({"more": True} if results.more else {})  # more match than were ranked: "of 1000+"

    def progress(self, who: Principal, job_id: int) -> dict[str, Any]:
        return self.summary(self.jobs.get(who, job_id))

    def summary(self, job: JobView) -> dict[str, Any]:
        """A job as a row of the list: what it is, where it stands, pages done of pages in all."""
        done, total = self._pages_done(job)
        return {
            "id": job.id,
            "status": job.status,
            "statusName": STATUS_NAMES.get(job.status, str(job.status)),
            "descr": str(job.options.get("Descr", "")),
            "correlationId": job.correlation_id,
            "userName": job.user_name,
            "sourceName": job.source_name,
            "created": _iso(job.created),
            "finished": _iso(job.finished),
            "pages": job.number_of_pages,
            "pagesDone": done,
            "pagesTotal": total,
            "outputs": list(job.outputs or []),
            "error": job.error_description,
        }

    def _pages_done(self, job: JobView) -> tuple[int, int]:
        if job.status == JobStatus.CONVERTED:
            return job.number_of_pages, job.number_of_pages
        if job.status == JobStatus.CONVERTING:
            return self.jobs.files.read_progress(job.id) or (0, 0)
        return 0, 0

    # -- the page viewer ------------------------------------------------------------------------

    def pages(self, who: Principal, job_id: int) -> list[dict[str, Any]]:
        """The pages a converted job kept for the viewer: number and size of the recognised raster."""
        run = self.jobs.get(who, job_id).output_run  # NotFound unless the caller may see the job
        files = self.jobs.files
        result = []
        for name in files.names(f"{outputs_folder(job_id, run)}/pages"):
            stem, _, suffix = name.rsplit("/", 1)[-1].partition(".")
            if suffix == "json" and len(stem) == 4 and stem.isdigit():
                width, height = _page_size(files, name)
                result.append({"number": int(stem), "width": width, "height": height})
        return result

    def page_image(self, who: Principal, job_id: int, number: int) -> Download:
        run = self.jobs.get(who, job_id).output_run  # NotFound unless the caller may see the job
        found = self.jobs.files.download(page_name(job_id, number, "jpg", run=run), media_type="image/jpeg")
        if found is None:
            raise NotFound(f"Job {job_id} has no picture of page {number}.")
        return found

    def page_words(self, who: Principal, job_id: int, number: int) -> dict[str, Any]:
        """The page's words with boxes ([left, top, right, bottom] in raster pixels), confidences 0..1, their line
        and paragraph and whether the job's outputs have them (MinConfidence, Word.kept: the writers' own rule),
        and the page's text as the outputs have it (lines, paragraphs separated by a blank line)."""
        job = self.jobs.get(who, job_id)
        min_confidence = JobOptions.from_dict(job.options).MinConfidence
        stored = self.jobs.files.read_bytes(page_name(job_id, number, "json", run=job.output_run))
        if stored is None:
            raise NotFound(f"Job {job_id} has no page {number}.")
        page = page_from_dict(json.loads(stored))
        words: list[dict[str, Any]] = []
        line_no = paragraph_no = 0
        for block in page.blocks:
            for paragraph in block.paragraphs:
                for line in paragraph.lines:
                    for word in line.words:
                        words.append(
                            {
                                "text": word.text,
                                "box": [word.box.left, word.box.top, word.box.right, word.box.bottom],
                                "confidence": round(word.confidence / 100, 4),
                                "kept": word.kept(min_confidence),
                                "line": line_no,
                                "paragraph": paragraph_no,
                            }
                        )
                    line_no += 1
                paragraph_no += 1
        return {
            "number": page.number,
            "width": page.width,
            "height": page.height,
            "dpi": page.dpi,
            "minConfidence": min_confidence / 100,
            "words": words,
            "text": page.text(min_confidence),
        }


_SIZE = re.compile(rb'"width":\s*(\d+),\s*"height":\s*(\d+)')


def _page_size(files: FileStore, name: str) -> tuple[int, int]:
    """width and height from the head of a page's JSON (they come first), without parsing all its words."""
    found = _SIZE.search(files.read_bytes(name, limit=512) or b"")
    if found:
        return int(found[1]), int(found[2])
    data = json.loads(files.read_bytes(name) or b"{}")
    return int(data.get("width", 0)), int(data.get("height", 0))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone().isoformat()
