"""The ownOCR-compatible job API. Thin: parse, call the service, shape the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from email.message import Message
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ocrmill.api.deps import CurrentUser, Folders, Jobs, Search, Server
from ocrmill.api.downloads import stored_response
from ocrmill.api.openapi import raises
from ocrmill.api.schemas import JOB_OPTIONS_BODY, JOB_QUERY_BODY, SEARCH_RESULTS, file_body, job_public, search_answer
from ocrmill.api.streaming import job_array
from ocrmill.api.uploads import check_length, ext_of_part, ext_of_type, file_part, json_body, read_part
from ocrmill.domain import languages
from ocrmill.domain.options import OUTPUT_FLAGS
from ocrmill.domain.status import SUPPORTED_EXTENSIONS, JobStatus
from ocrmill.errors import (
    BadRequest,
    Forbidden,
    InputError,
    JobStateError,
    NoOutput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from ocrmill.service.auth.principal import Principal
from ocrmill.service.ocrjobs.bundles import Bundle
from ocrmill.service.ocrjobs.folders import FolderService
from ocrmill.service.ocrjobs.jobs import JobQuery, JobService, JobView
from ocrmill.service.ocrjobs.search import MAX_LIMIT, MAX_QUERY, MAX_WORDS, WORD_PATTERN
from ocrmill.service.server import version

router = APIRouter()

MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "txt": "text/plain; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xml": "application/xml",
    "rtf": "application/rtf",
    "odt": "application/vnd.oasis.opendocument.text",
    "mht": "multipart/related",
    "epub": "application/epub+zip",
    "hocr": "application/xhtml+xml",
}

# Path parameters documented as their canonical values; the routes answer others themselves (415, 404 or 400, each
# with a message that names the possible values), so FastAPI is not asked to check them.
UploadExt = Annotated[
    str, Path(json_schema_extra={"enum": [e for ext in SUPPORTED_EXTENSIONS for e in (ext, ext.lower())]})
]
ResultExt = Annotated[str, Path(json_schema_extra={"enum": [e for ext in OUTPUT_FLAGS for e in (ext, ext.upper())]})]
StatusValue = Annotated[str, Path(json_schema_extra={"enum": [str(int(s)) for s in JobStatus]})]

# The errors of these routes beyond those their kind implies (api.openapi)
UPLOAD = raises(JobStateError, InputError, PayloadTooLarge, UnsupportedMediaType)
FOLDER_UPLOAD = raises(BadRequest, Forbidden, PayloadTooLarge, UnsupportedMediaType)
DOWNLOAD = raises(JobStateError, BadRequest) | {
    200: {"description": "The result file", "content": {media: {"schema": {}} for media in MEDIA_TYPES.values()}}
}
BUNDLE = raises(JobStateError) | {
    200: {"description": "Every output of the job in one ZIP", "content": {"application/zip": {"schema": {}}}}
}
SET_OPTIONS: dict[str, Any] = {"requestBody": {"required": True} | JOB_OPTIONS_BODY}
FILENAME_HEADER = r'^attachment; filename="[A-Za-z0-9_-][A-Za-z0-9_. -]{0,100}"$'
# the file name is the header's (or the multipart part's); the folder's filters decide the type
POST_FOLDER: dict[str, Any] = {
    "requestBody": file_body(typed=False),
    "parameters": [
        {
            "name": "Content-Disposition",
            "in": "header",
            "required": True,
            "description": "the file's name (the multipart file part's name is used when the body is one)",
            "schema": {"type": "string", "pattern": FILENAME_HEADER},
        }
    ],
}


def _job(job: JobView) -> JSONResponse:
    return JSONResponse(job_public(job))


MAX_ID = 2**31 - 1  # ids are 32-bit integers in every database


def is_id(value: str) -> bool:
    """Plain ASCII digits within the id range: anything else names no job."""
    return value.isascii() and value.isdigit() and int(value) <= MAX_ID


def _id(value: str, what: str = "job") -> int:
    if not is_id(value):
        raise NotFound(f"There is no {what} with id {value!r}.")
    return int(value)


async def _json_object(request: Request, *, required: bool = False) -> dict[str, Any]:
    body = await json_body(request)
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


# -- jobs ---------------------------------------------------------------------------------------


@router.post("/create", openapi_extra={"requestBody": JOB_OPTIONS_BODY}, responses=raises(NoOutput))
async def create(request: Request, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return _job(jobs.create(who, await _json_object(request)))


@router.post("/createtemplate", openapi_extra={"requestBody": JOB_OPTIONS_BODY}, responses=raises(NoOutput))
async def create_template(request: Request, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return _job(jobs.create(who, await _json_object(request), template=True))


@router.post("/createfromtemplate/{template_id}", responses=raises(BadRequest))
def create_from_template(template_id: str, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return _job(jobs.create_from_template(who, _id(template_id, "template")))


@router.post("/setoptions/{job_id}", openapi_extra=SET_OPTIONS, responses=raises(JobStateError, NoOutput))
async def set_options(job_id: str, request: Request, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return _job(jobs.set_options(who, _id(job_id), await _json_object(request, required=True)))


@router.post("/upload/{job_id}", openapi_extra={"requestBody": file_body(typed=True)}, responses=UPLOAD)
async def upload(job_id: str, request: Request, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    """The type from the Content-Type of the body, or of the multipart file part."""
    return await _upload(job_id, None, request, jobs, who)


@router.post("/upload/{job_id}/{ext}", openapi_extra={"requestBody": file_body(typed=False)}, responses=UPLOAD)
@router.post("/uploadext/{job_id}/{ext}", openapi_extra={"requestBody": file_body(typed=False)}, responses=UPLOAD)
async def upload_ext(job_id: str, ext: UploadExt, request: Request, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    """The type from the extension in the URL."""
    return await _upload(job_id, ext, request, jobs, who)


async def _upload(job_id: str, ext: str | None, request: Request, jobs: JobService, who: Principal) -> JSONResponse:
    check_length(request, jobs.settings.max_upload_bytes)
    content_type = request.headers.get("content-type", "")
    chunks: AsyncIterator[bytes]
    if content_type.lower().startswith("multipart/form-data"):
        part = await file_part(request)
        ext = ext or ext_of_part(part)
        chunks = read_part(part)
    else:
        ext = ext or ext_of_type(content_type)
        chunks = request.stream()
    return _job(await jobs.upload(who, _id(job_id), ext, chunks))


@router.post("/schedule/{job_id}", responses=raises(JobStateError))
def schedule(job_id: str, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return _job(jobs.schedule(who, _id(job_id)))


# status and info are what clients poll: served on the event loop (one indexed read of one row),
# without the thread pool's hand-off.
@router.get("/status/{job_id}")
async def status(job_id: str, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return JSONResponse(jobs.get(who, _id(job_id)).status)


@router.get("/info/{job_id}")
async def info(job_id: str, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return _job(jobs.get(who, _id(job_id)))


@router.get("/download/{job_id}/zip", responses=BUNDLE)
def download_zip(job_id: str, jobs: Jobs, who: CurrentUser) -> StreamingResponse:
    """ocrmill addition: every output of a Converted job in one ZIP (`<id>.pdf`, `<id>.txt`, ...), streamed."""
    number = _id(job_id)
    bundle = Bundle([(f"{number}.{ext}", found) for ext, found in jobs.results(who, number)])
    headers = {"Content-Disposition": f'attachment; filename="{number}.zip"'}
    return StreamingResponse(iter(bundle), media_type="application/zip", headers=headers)


@router.get("/download/{job_id}/{ext}", responses=DOWNLOAD)
@router.get("/status/{job_id}/{ext}", responses=DOWNLOAD)
def download(job_id: str, ext: ResultExt, jobs: Jobs, who: CurrentUser) -> Response:
    number = _id(job_id)
    if ext.strip().lower() == "zip":  # ZIP in capitals, which the route above does not match
        return download_zip(job_id, jobs, who)
    ext = ext.strip().lstrip(".").lower()
    media_type = MEDIA_TYPES.get(ext, "application/octet-stream")
    found = jobs.result(who, number, ext, media_type=media_type)
    return stored_response(found, media_type=media_type, filename=f"{number}.{ext}")


@router.post("/cancel/{job_id}", responses=raises(JobStateError))
def cancel(job_id: str, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return _job(jobs.cancel(who, _id(job_id)))


@router.delete("/delete/{job_id}", responses=raises(JobStateError))
@router.post("/delete/{job_id}", responses=raises(JobStateError))
def delete(job_id: str, jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return _job(jobs.delete(who, _id(job_id)))


@router.post("/query", openapi_extra={"requestBody": JOB_QUERY_BODY})
async def query(request: Request, jobs: Jobs, who: CurrentUser) -> StreamingResponse:
    return await run_in_threadpool(job_array, jobs.query(who, _job_query(await _json_object(request))))


@router.get("/search", responses=SEARCH_RESULTS)
def search(
    finder: Search,
    who: CurrentUser,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY,
            json_schema_extra={"pattern": WORD_PATTERN},  # stated; the search refuses it, saying why
            description=f"words (letters or digits), each to be found; at most {MAX_WORDS} different ones",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """An ocrmill addition: the jobs (not templates) whose recognised text, description or correlation id hold every
    word of q (as a word or the start of one), best match first, each with the line that matched. Users see only
    their own jobs."""
    return Response(search_answer(finder.search(who, q, limit=limit, offset=offset)), media_type="application/json")


@router.get("/templates")
def templates(jobs: Jobs, who: CurrentUser) -> StreamingResponse:
    return job_array(jobs.jobs(who, templates=True))


@router.get("/count")
def count(jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return JSONResponse(jobs.count(who))


@router.get("/runningcount")
def running_count(jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return JSONResponse(jobs.count(who, status=int(JobStatus.CONVERTING)))


@router.get("/all")
def all_jobs(jobs: Jobs, who: CurrentUser) -> StreamingResponse:
    return job_array(jobs.jobs(who))


@router.get("/allbystatus/{status_value}", responses=raises(BadRequest))
def all_by_status(status_value: StatusValue, jobs: Jobs, who: CurrentUser) -> StreamingResponse:
    try:
        wanted = JobStatus(int(status_value))
    except ValueError:
        raise BadRequest(f"Unknown status {status_value!r}; possible: 0, 1, 2, 3, 4.") from None
    return job_array(jobs.jobs(who, status=int(wanted)))


# -- OCR folders --------------------------------------------------------------------------------


@router.get("/folders", responses=raises(Forbidden))
def folders(folders: Folders, who: CurrentUser) -> JSONResponse:
    return JSONResponse(folders.listing(who))


@router.get("/folder/{folder_id}", responses=raises(Forbidden))
def folder(folder_id: str, folders: Folders, who: CurrentUser) -> JSONResponse:
    return JSONResponse(folders.info(who, folder_id))


@router.post("/postfolder/{folder_id}", openapi_extra=POST_FOLDER, responses=FOLDER_UPLOAD)
async def post_folder(folder_id: str, request: Request, folders: Folders, who: CurrentUser) -> JSONResponse:
    """The file under its Content-Disposition name, overwriting a file of that name."""
    return await _post_folder(folder_id, request, folders, who, unique=False)


@router.post("/postfolderu/{folder_id}", openapi_extra=POST_FOLDER, responses=FOLDER_UPLOAD)
async def post_folder_unique(folder_id: str, request: Request, folders: Folders, who: CurrentUser) -> JSONResponse:
    """The file under its Content-Disposition name, or a unique variant of it."""
    return await _post_folder(folder_id, request, folders, who, unique=True)


async def _post_folder(
    folder_id: str, request: Request, folders: FolderService, who: Principal, *, unique: bool
) -> JSONResponse:
    limit = folders.settings.max_upload_bytes
    check_length(request, limit)
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        part = await file_part(request)
        filename, data = part.filename or "", await part.read()
    else:
        filename = _disposition_name(request.headers.get("content-disposition", ""))
        data = await request.body()
    if len(data) > limit:
        raise PayloadTooLarge.over(limit)
    if not filename:
        raise BadRequest("Name the file in the Content-Disposition header (filename=...).")
    if not data:
        raise BadRequest("The posted file is empty.")
    return JSONResponse(await run_in_threadpool(folders.post, who, folder_id, filename, data, unique=unique))


def _disposition_name(header: str) -> str:
    """filename* (RFC 6266/5987) or filename of a Content-Disposition header."""
    message = Message()
    message["content-disposition"] = header
    return str(message.get_filename() or "")


# -- other functions ----------------------------------------------------------------------------


@router.get("/languages")
def recognition_languages(jobs: Jobs, who: CurrentUser) -> JSONResponse:
    return JSONResponse(languages.english_names(sorted(jobs.installed_languages)))


@router.get("/version")
def server_version(who: CurrentUser) -> JSONResponse:
    return JSONResponse(version())


@router.get("/test")
def test(who: CurrentUser) -> JSONResponse:
    return JSONResponse(True)


@router.get("/name")
def name(server: Server, who: CurrentUser) -> JSONResponse:
    return JSONResponse(server.settings.server_name)


@router.get("/nameversion")
def name_version(server: Server, who: CurrentUser) -> JSONResponse:
    return JSONResponse(f"{server.settings.server_name} {version()}")


@router.get("/stats")
def stats(server: Server, who: CurrentUser) -> JSONResponse:
    return JSONResponse(server.stats())


@router.get("/serverload")
def server_load(server: Server, who: CurrentUser) -> JSONResponse:
    return JSONResponse(server.load())


@router.get("/guid")
def guid(server: Server, who: CurrentUser) -> JSONResponse:
    return JSONResponse(server.guid)


@router.get("/supportedexts")
def supported_exts(who: CurrentUser) -> JSONResponse:
    return JSONResponse(list(SUPPORTED_EXTENSIONS))


# -- helpers ------------------------------------------------------------------------------------


_QUERY_MEMBERS = {
    "idlist": "IdList",
    "statuslist": "StatusList",
    "guidlist": "GuidList",
    "correlationidlist": "CorrelationIdList",
    "username": "UserName",
    "istemplate": "IsTemplate",
    "createdfrom": "CreatedFrom",
    "createdto": "CreatedTo",
}


def _job_query(body: dict[str, Any]) -> JobQuery:
    members = {_QUERY_MEMBERS[k.lower()]: v for k, v in body.items() if k.lower() in _QUERY_MEMBERS}

    def items(name: str, kind: type) -> list[Any]:
        value = members.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
            raise BadRequest(f"{name}: must be an array of {'integers' if kind is int else 'strings'}.")
        return value

    def when(name: str) -> datetime | None:
        value = members.get(name)
        if value is None or value == "":
            return None
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest(f"{name}: {value!r} is not an ISO 8601 date.") from None
        return moment if moment.tzinfo else moment.astimezone()

    is_template = members.get("IsTemplate")
    if is_template is not None and not isinstance(is_template, bool):
        raise BadRequest("IsTemplate: must be true or false.")
    user_name = members.get("UserName")
    if user_name is not None and not isinstance(user_name, str):
        raise BadRequest("UserName: must be a string.")
    return JobQuery(
        ids=[i if 0 <= i <= MAX_ID else -1 for i in items("IdList", int)],  # -1 matches no job
        statuses=items("StatusList", int),
        guids=items("GuidList", str),
        correlation_ids=items("CorrelationIdList", str),
        user_name=user_name or None,
        is_template=is_template,
        created_from=when("CreatedFrom"),
        created_to=when("CreatedTo"),
    )
