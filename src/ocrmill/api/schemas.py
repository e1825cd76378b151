"""The ownOCR JSON shapes: PascalCase, every documented property present, .NET-style dates."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ocrmill.api.streaming import render
from ocrmill.api.uploads import CONTENT_TYPES
from ocrmill.domain.options import CALLBACK_URL_PATTERN, MAX_TEXT, OUTPUT_FLAGS, READ_ONLY, JobOptions
from ocrmill.service.ocrjobs.document import UNSET_DATE, iso, job_public, stored_json
from ocrmill.service.ocrjobs.search import Found, Results

__all__ = ["UNSET_DATE", "iso", "job_public"]  # the status document lives with the service: webhooks send it too

# -- request bodies, as /openapi.json describes them ----------------------------------------------------------
# The job options depend on the server (its installed languages and max_retention_days): the routes refer to
# "#/components/schemas/JobOptionsIn" and create_app adds it (api.openapi.install).

JOB_OPTIONS_REF = {"$ref": "#/components/schemas/JobOptionsIn"}


def job_options_schema(*, max_retention_days: int, language_names: list[str]) -> dict[str, Any]:
    """The properties create, createtemplate and setoptions accept, with their types and ranges. Names are matched
    case-insensitively and strings "true"/"false" and numbers in strings are taken too: the document names the
    canonical form. The read-only members of a job's JSON are accepted and ignored (clients post back the job they
    read); anything else is refused. At least one output must stay switched on."""
    properties: dict[str, Any] = {}
    for option in dataclasses.fields(JobOptions):
        lo, hi = option.metadata["lo"], option.metadata["hi"]
        if option.name == "RetentionDays":
            hi = max_retention_days
        kind = type(option.default)
        default = max_retention_days if option.name == "RetentionDays" else option.default
        schema: dict[str, Any] = {"type": _JSON_TYPES[kind], "default": default}
        if kind is str:
            schema["maxLength"] = MAX_TEXT[option.name]
        if lo is not None:
            schema["minimum"] = lo
        if hi is not None:
            schema["maximum"] = hi
        properties[option.name] = schema
    if language_names:
        name = "(?:" + "|".join(re.escape(n) for n in sorted(language_names, key=len, reverse=True)) + ")"
        properties["RecognitionLanguages"]["pattern"] = f"^{name}(?:[,;] ?{name})*$"
        properties["RecognitionLanguages"]["description"] = "English names of installed languages, comma-separated"
    properties["CallbackUrl"]["description"] = "ocrmill addition: a URL that gets this job's webhook (or empty)"
    properties["CallbackUrl"]["pattern"] = f"(^$)|({CALLBACK_URL_PATTERN})"
    for read_only in READ_ONLY:
        properties[read_only] = {"readOnly": True, "description": "read-only: accepted and ignored"}
    # with PdfOutput (default true) left on, or any other output asked for
    outputs = [
        {"properties": {flag: {"const": True}}, **({} if flag == "PdfOutput" else {"required": [flag]})}
        for flag in OUTPUT_FLAGS.values()
    ]
    return {
        "title": "JobOptionsIn",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "anyOf": outputs,
    }


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}

JOB_OPTIONS_BODY: dict[str, Any] = {"content": {"application/json": {"schema": JOB_OPTIONS_REF}}}

JOB_QUERY_BODY: dict[str, Any] = {
    "content": {
        "application/json": {
            "schema": {
                "title": "JobQuery",
                "type": "object",
                "description": "Every member is optional; names are matched case-insensitively.",
                "properties": {
                    "IdList": {"type": "array", "items": {"type": "integer"}},
                    "StatusList": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 4}},
                    "GuidList": {"type": "array", "items": {"type": "string"}},
                    "CorrelationIdList": {"type": "array", "items": {"type": "string"}},
                    "UserName": {"type": ["string", "null"]},
                    "IsTemplate": {"type": ["boolean", "null"]},
                    "CreatedFrom": {"type": ["string", "null"], "format": "date-time"},
                    "CreatedTo": {"type": ["string", "null"], "format": "date-time"},
                },
            }
        }
    }
}

SEARCH_RESULTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The jobs that hold every word of q, best first, and how many match in all",
        "content": {
            "application/json": {
                "schema": {
                    "title": "SearchResults",
                    "type": "object",
                    "properties": {
                        "Total": {"type": "integer", "minimum": 0},
                        "TotalIsLowerBound": {
                            "type": "boolean",
                            "description": "present (true) when more jobs match than the newest ones ranked and "
                            "counted (search_window, 1000 by default): Total is then that number, and a better match "
                            "may be among older jobs",
                        },
                        "Results": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "Rank": {"type": "number", "description": "higher is a better match"},
                                    "Snippet": {"type": "string", "description": "the line that matched"},
                                    "SnippetField": {"type": "string", "enum": ["Text", "Descr", "CorrelationId"]},
                                    "Job": {"type": "object", "description": "the job, as info gives it"},
                                },
                                "required": ["Rank", "Snippet", "SnippetField", "Job"],
                            },
                        },
                    },
                    "required": ["Total", "Results"],
                }
            }
        },
    }
}


def search_answer(results: Results) -> bytes:
    """The answer as JSON, the same bytes as JSONResponse renders for it, each job's status document put in as it is
    stored: a page of hits renders no job, as the listings do not."""
    hits = b",".join(_hit(found) for found in results.found)
    more = b',"TotalIsLowerBound":true' if results.more else b""
    return b'{"Total":%d,"Results":[%s]%s}' % (results.total, hits, more)


def _hit(found: Found) -> bytes:
    shown = render({"Rank": round(found.rank, 6), "Snippet": found.snippet, "SnippetField": found.field})
    return b'%s,"Job":%s}' % (shown[:-1], stored_json(found.job).encode())


_BINARY = {"type": "string", "format": "binary"}


def file_body(*, typed: bool) -> dict[str, Any]:
    """An uploaded file: the raw body, or a multipart/form-data body with a file part. `typed`: the type comes
    from the body's Content-Type (upload), else from the URL's extension (uploadext)."""
    raw = sorted(CONTENT_TYPES) if typed else ["application/octet-stream"]
    content: dict[str, Any] = {media: {"schema": _BINARY} for media in raw}
    content["multipart/form-data"] = {
        "schema": {"type": "object", "properties": {"file": _BINARY}, "required": ["file"]},
        "encoding": {"file": {"contentType": ", ".join(sorted(CONTENT_TYPES))}},
    }
    return {"required": True, "content": content}
