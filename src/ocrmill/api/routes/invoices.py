"""The OCR invoice API: invoice jobs and their pages as resources. Thin: parse, call the service, wrap
the answer in the document's envelope ({"success": true, "data": ..., "total": N})."""

from __future__ import annotations

import json
import mimetypes
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from ocrmill.api.deps import CurrentUser, Invoices
from ocrmill.api.downloads import stored_response
from ocrmill.api.openapi import raises
from ocrmill.api.uploads import check_length, ext_of_part, json_body, read_part
from ocrmill.errors import (
    BadRequest,
    Conflict,
    FetchTooLarge,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
)
from ocrmill.service.invoices.jobs import InvoiceService, Upload, public_job, public_page
from ocrmill.service.invoices.query import (
    JOB_FIELDS,
    MAX_INTEGER,
    MAX_OFFSET,
    PAGE_FIELDS,
    FieldType,
    ListQuery,
    parse_list,
)
from ocrmill.service.invoices.schema import JobIn, PageIn

router = APIRouter()


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its local "$defs" references replaced by the definitions (OpenAPI would resolve
    "#/$defs/..." against its own document)."""
    if isinstance(schema, list):
        return [_inlined(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
    return {key: _inlined(value, defs) for key, value in schema.items() if key != "$defs"}


def _body(model: type[BaseModel], *, upload: bool = False) -> dict[str, Any]:
    """OpenAPI's description of a body the route reads itself (validation is the service's)."""
    schema = model.model_json_schema()
    content: dict[str, Any] = {"application/json": {"schema": _inlined(schema, schema.get("$defs", {}))}}
    if upload:
        content["multipart/form-data"] = {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": MAX_FILES},
                    "name": schema["properties"]["name"],
                    "callbackUrl": schema["properties"]["callbackUrl"],
                    "metadata": {"type": "object", "description": "a JSON object"},
                },
                "required": ["file"],
                "additionalProperties": False,
            },
            "encoding": {"metadata": {"contentType": "application/json"}},
        }
    return {"requestBody": {"required": True, "content": content}}


MAX_FILES = 100
JOB_BODY = _body(JobIn, upload=True)
JOB_JSON_BODY = _body(JobIn)
PAGE_BODY = _body(PageIn)
OUTPUTS = ("pdf", "txt", "json")
OutputExt = Annotated[str, Path(json_schema_extra={"enum": [e for ext in OUTPUTS for e in (ext, ext.upper())]})]

# The errors of these routes beyond those their kind implies (api.openapi)
JOB_UPLOAD = raises(PayloadTooLarge, UnsupportedMediaType, Unprocessable)
PAGE_WRITE = raises(NotFound, PayloadTooLarge, FetchTooLarge, Conflict, Unprocessable)
DOWNLOAD = raises(BadRequest) | {
    200: {
        "description": "The output",
        "content": {
            media: {"schema": {}} for media in ("application/pdf", "text/plain; charset=utf-8", "application/json")
        },
    }
}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/tiff", "application/octet-stream")
IMAGE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The page image", "content": {media: {"schema": {}} for media in IMAGE_TYPES}}
}


_SCALARS: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer", "minimum": -MAX_INTEGER, "maximum": MAX_INTEGER},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "id": {"type": "string"},
    "string": {"type": "string"},
}


def filter_schema(fields: dict[str, FieldType]) -> dict[str, Any]:
    """What service.invoices.query.parse_filter accepts."""
    properties: dict[str, Any] = {}
    for name, field in fields.items():
        scalar = _SCALARS[field.kind] | ({"enum": list(field.enum)} if field.enum else {})
        value = {"anyOf": [scalar, {"type": "null"}]}
        operators: dict[str, Any] = {"$eq": value, "$ne": value, "$exists": {"type": "boolean"}}
        operators |= {op: {"type": "array", "items": value, "minItems": 1, "maxItems": 1000} for op in ("$in", "$nin")}
        if field.kind not in ("boolean", "id"):
            operators |= {op: scalar for op in ("$gt", "$gte", "$lt", "$lte")}
        condition = {"type": "object", "properties": operators, "additionalProperties": False, "minProperties": 1}
        properties[name] = {"anyOf": [value, condition]}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def list_parameters(fields: dict[str, FieldType]) -> list[dict[str, Any]]:
    """The query parameters of a list (read by service.invoices.query.parse_list, which answers 400 naming the one
    at fault)."""

    def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}

    return [
        query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}, "page size"),
        query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, "items to skip"),
        query("sort", {"type": "string", "enum": sorted(fields), "default": "createdAt"}, "the field to sort by"),
        query("order", {"type": "string", "enum": ["asc", "desc"], "default": "desc"}, "sort order"),
        {
            "name": "filter",
            "in": "query",
            "required": False,
            "description": "a JSON object of field conditions: a value, or {operator: value}",
            "content": {"application/json": {"schema": filter_schema(fields)}},
        },
        query("search", {"type": "string", "maxLength": 200}, "text searched in the text fields"),
    ]


PAGE_BODY_SLACK = 2**20  # a page's other properties, beside its data: URL


def envelope(data: object, *, status: int = 200, total: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"success": True, "data": data}
    if total is not None:
        body["total"] = total
    return JSONResponse(body, status_code=status)


def _list_query(request: Request, fields: dict[str, FieldType]) -> ListQuery:
    params = request.query_params
    return parse_list(
        fields,
        limit=params.get("limit"),
        offset=params.get("offset"),
        sort=params.get("sort"),
        order=params.get("order"),
        filter_json=params.get("filter"),
        search=params.get("search"),
    )


async def _json_body(request: Request, *, limit: PayloadTooLarge | None = None) -> object:
    body = await json_body(request, empty=..., limit=limit)
    if body is ...:
        raise BadRequest("The request body must be a JSON object.")
    return body


async def _page_body(request: Request, invoices: InvoiceService) -> object:
    """A page's body: its pageUrl may be a data: URL of an image within fetch_max_mb, in base64 a third longer."""
    image = invoices.settings.fetch_max_bytes
    limit = PayloadTooLarge.over(
        image * 4 // 3 + PAGE_BODY_SLACK,
        what="The page's body",
        setting=f"fetch_max_mb: a page image of {image / 2**20:.3g} MB, as a base64 data: URL",
    )
    return _page_in(request, invoices, await _json_body(request, limit=limit))


def _site(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _page_out(request: Request, doc: dict[str, Any]) -> dict[str, Any]:
    """pageUrl of this server's own images made absolute for the client."""
    page = public_page(doc)
    url = page.get("pageUrl", "")
    if isinstance(url, str) and url.startswith("/"):
        page["pageUrl"] = _site(request) + url
    return page


def _page_in(request: Request, invoices: InvoiceService, body: object) -> object:
    """An absolute URL of this server's own page image back to the path the server stores. Other URLs of this
    server stay as they are (and go through the URL guard like any other)."""
    if (
        isinstance(body, dict)
        and isinstance(body.get("pageUrl"), str)
        and body["pageUrl"].startswith(_site(request) + "/")
    ):
        path = body["pageUrl"][len(_site(request)) :]
        if invoices.local_image(path) is not None:
            return body | {"pageUrl": path}
    return body


# -- jobs ------------------------------------------------------------------------------------------------------


@router.get("/ocr-invoice-jobs", openapi_extra={"parameters": list_parameters(JOB_FIELDS)})
def list_jobs(request: Request, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    docs, total = invoices.list_jobs(who, _list_query(request, JOB_FIELDS))
    return envelope([public_job(d) for d in docs], total=total)


@router.post("/ocr-invoice-jobs", status_code=201, openapi_extra=JOB_BODY, responses=JOB_UPLOAD)
async def create_job(request: Request, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    """multipart/form-data with one or more `file` parts (PDF or images) and optional `name`, `callbackUrl` (an
    ocrmill addition: gets the job's webhook) and `metadata` (a JSON object) fields; or a JSON body {name,
    callbackUrl, metadata} for a job whose pages are then created through the pages resource."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        check_length(request, invoices.settings.max_upload_bytes)
        form = await request.form(max_files=MAX_FILES, max_fields=20)
        uploads = [
            Upload(filename=value.filename or "", ext=ext_of_part(value), chunks=read_part(value))
            for key, value in form.multi_items()
            if isinstance(value, UploadFile) and key == "file"
        ]
        body: dict[str, Any] = {}
        for field in ("name", "callbackUrl"):
            if isinstance(form.get(field), str):
                body[field] = form[field]
        if isinstance(form.get("metadata"), str):
            try:
                body["metadata"] = json.loads(str(form["metadata"]))
            except json.JSONDecodeError as e:
                raise Unprocessable("metadata", f"not valid JSON ({e})") from None
        try:
            doc = await invoices.create_job_from_upload(who, uploads, body)
        finally:
            await form.close()
    else:
        doc = invoices.create_job(who, await _json_body(request))
    return envelope(public_job(doc), status=201)


@router.get("/ocr-invoice-jobs/{job_id}")
def get_job(job_id: str, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    return envelope(public_job(invoices.get_job(who, job_id)))


@router.put("/ocr-invoice-jobs/{job_id}", openapi_extra=JOB_JSON_BODY, responses=raises(Unprocessable))
async def replace_job(job_id: str, request: Request, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    return envelope(public_job(invoices.replace_job(who, job_id, await _json_body(request))))


@router.delete("/ocr-invoice-jobs/{job_id}")
def delete_job(job_id: str, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    return envelope(public_job(invoices.delete_job(who, job_id)))


@router.get("/ocr-invoice-jobs/{job_id}/download/{ext}", response_model=None, responses=DOWNLOAD)
def download(job_id: str, ext: OutputExt, request: Request, invoices: Invoices, who: CurrentUser) -> Response:
    """The job's outputs: pdf (searchable, the page images with their OCR text), txt, and json (the job
    with its pages, corrections included)."""
    if ext.lower() == "json":
        doc = invoices.job_document(who, job_id)
        document = public_job(doc) | {"pages": [_page_out(request, p) for p in doc["pages"]]}
        return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{job_id}.json"'})
    media = "application/pdf" if ext.lower() == "pdf" else "text/plain; charset=utf-8"
    filename = f"{job_id}.{ext.lower()}"
    found = invoices.output(who, job_id, ext, media_type=media, filename=filename)
    return stored_response(found, media_type=media, filename=filename)


@router.get("/ocr-invoice-jobs/{job_id}/images/{name}", response_model=None, responses=IMAGE)
def page_image(job_id: str, name: str, invoices: Invoices, who: CurrentUser) -> Response:
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return stored_response(invoices.image(who, job_id, name, media_type=media), media_type=media)


# -- pages -----------------------------------------------------------------------------------------------------


@router.get("/ocr-invoice-job-pages", openapi_extra={"parameters": list_parameters(PAGE_FIELDS)})
def list_pages(request: Request, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    docs, total = invoices.list_pages(who, _list_query(request, PAGE_FIELDS))
    return envelope([_page_out(request, d) for d in docs], total=total)


@router.post("/ocr-invoice-job-pages", status_code=201, openapi_extra=PAGE_BODY, responses=PAGE_WRITE)
async def create_page(request: Request, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    doc = invoices.create_page(who, await _page_body(request, invoices))
    return envelope(_page_out(request, doc), status=201)


@router.get("/ocr-invoice-job-pages/{page_id}")
def get_page(page_id: str, request: Request, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    return envelope(_page_out(request, invoices.get_page(who, page_id)))


@router.put("/ocr-invoice-job-pages/{page_id}", openapi_extra=PAGE_BODY, responses=PAGE_WRITE)
async def replace_page(page_id: str, request: Request, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    doc = invoices.replace_page(who, page_id, await _page_body(request, invoices))
    return envelope(_page_out(request, doc))


@router.delete("/ocr-invoice-job-pages/{page_id}")
def delete_page(page_id: str, request: Request, invoices: Invoices, who: CurrentUser) -> JSONResponse:
    return envelope(_page_out(request, invoices.delete_page(who, page_id)))
