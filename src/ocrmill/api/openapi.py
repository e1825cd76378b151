"""/openapi.json as the truth: every operation lists each error status it can answer, in its API's error body.

What follows from a route's kind is added here, once, from the route itself: authentication (401, 429, and 503 for
the database it reads), a path parameter that names something (404), parameters or a body to check (400), a POST,
PUT or DELETE that stores something (507, and 403 for a read-only API token). What only some routes raise they
declare with `raises(...)`, naming our exception classes, whose `http_status` is the status and whose docstring the
description. The error bodies are the ownOCR API's (`ApiResponse`, also the console's) and, under the invoice API's
prefix, `{"success": false, "error"}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from ocrmill.api.deps import principal
from ocrmill.api.errors import ERROR_CODES
from ocrmill.errors import (
    BadRequest,
    InsufficientStorage,
    NotFound,
    OcrmillError,
    ReadOnlyToken,
    ServiceUnavailable,
    TooManySignIns,
    Unauthorized,
)

Responses = dict[int | str, dict[str, Any]]

_MARK = "x-ocrmill-error"  # on responses that raises() made; replaced by the API's error body

AUTHENTICATED: tuple[type[OcrmillError], ...] = (Unauthorized, TooManySignIns, ServiceUnavailable)
NAMED: tuple[type[OcrmillError], ...] = (NotFound,)  # a path parameter names a job, page, folder or user
CHECKED: tuple[type[OcrmillError], ...] = (BadRequest,)  # query parameters or a body
# POST, PUT and DELETE write the database or files, and a read-only API token may not send them
STORES: tuple[type[OcrmillError], ...] = (InsufficientStorage, ReadOnlyToken)

API_ERROR = "ApiResponse"
RESOURCE_ERROR = "ResourceError"
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    API_ERROR: {
        "title": API_ERROR,
        "description": "An error of the ownOCR job API and of the console API.",
        "type": "object",
        "properties": {
            "Success": {"type": "boolean", "const": False},
            "StatusCode": {"type": "integer", "minimum": 400, "maximum": 599},
            "Message": {"type": "string"},
        },
        "required": ["Success", "StatusCode", "Message"],
    },
    RESOURCE_ERROR: {
        "title": RESOURCE_ERROR,
        "description": "An error of the OCR invoice API.",
        "type": "object",
        "properties": {
            "success": {"type": "boolean", "const": False},
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "enum": sorted({*ERROR_CODES.values(), "internal_error"})},
                    "message": {"type": "string"},
                },
                "required": ["code", "message"],
            },
        },
        "required": ["success", "error"],
    },
}

_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "The authentication scheme to use", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
    503: {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
}


def _message(error: type[OcrmillError]) -> str:
    return " ".join((error.__doc__ or error.__name__).split())


def raises(*errors: type[OcrmillError]) -> Responses:
    """A route's `responses=`: the errors it raises beyond those its kind implies."""
    table: Responses = {}
    for error in errors:
        entry = table.setdefault(error.http_status, {"description": "", _MARK: True})
        entry["description"] = " Or: ".join(filter(None, (entry["description"], _message(error))))
    return table


def install(app: FastAPI, *, resource_prefix: str, components: dict[str, dict[str, Any]]) -> None:
    """Replaces app.openapi with one that completes FastAPI's document (see the module docstring). `components`:
    schemas the routes refer to that depend on the server's settings."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, openapi_version=app.openapi_version, routes=app.routes
            )
            complete(document, app.routes, resource_prefix=resource_prefix)
            document["components"]["schemas"].update(components)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], routes: Sequence[BaseRoute], *, resource_prefix: str) -> None:
    for context in iter_route_contexts(routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.include_in_schema or not context.path_format:
            continue
        shape = RESOURCE_ERROR if context.path_format.startswith(resource_prefix) else API_ERROR
        for method in sorted(route.methods or ()):
            operation = document["paths"][context.path_format][method.lower()]
            responses: dict[str, Any] = operation["responses"]
            if "422" in responses and not responses["422"].get(_MARK):
                del responses["422"]  # FastAPI's own validation error: ours is a 400 in the API's error body
            for error in implied(route, method, operation):
                entry = responses.setdefault(str(error.http_status), {"description": "", _MARK: True})
                if entry.get(_MARK) and _message(error) not in entry["description"]:
                    entry["description"] = " Or: ".join(filter(None, (entry["description"], _message(error))))
            for status, entry in responses.items():
                if entry.pop(_MARK, False):
                    entry["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{shape}"}}}
                    if int(status) in _HEADERS:
                        entry["headers"] = _HEADERS[int(status)]
            operation["responses"] = dict(sorted(responses.items()))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ERROR_SCHEMAS)
    used = json.dumps(document["paths"])
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in used:
            schemas.pop(unused, None)


def implied(route: APIRoute, method: str, operation: dict[str, Any]) -> Iterator[type[OcrmillError]]:
    """The errors a route can answer because of what it is."""
    authenticated = _depends_on(route.dependant, principal)
    if authenticated:
        yield from AUTHENTICATED
    if route.dependant.path_params:
        yield from NAMED
    typed = [p for p in route.dependant.path_params if p.field_info.annotation is not str]
    documented = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    if route.dependant.query_params or route.dependant.body_params or typed or documented or "requestBody" in operation:
        yield from CHECKED
    if authenticated and method in ("POST", "PUT", "DELETE"):
        yield from STORES


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)
