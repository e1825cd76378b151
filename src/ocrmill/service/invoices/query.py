"""Listing invoice jobs and pages: limit, offset, sort, order, filter (a JSON object of conditions) and search.

The filter language is a small, Mongo-like subset, as the clients of the original server write it:
``{"status": "completed", "pageNumber": {"$gte": 2, "$lte": 5}, "pageType": {"$in": ["cover", "content"]}}``.
Conditions on several fields all apply. A field is named as in the document, nested ones with dots
(``imageProperties.width``). Operators: equality (a plain value, or ``$eq``), ``$ne``, ``$in``, ``$nin``,
``$gt``, ``$gte``, ``$lt``, ``$lte``, ``$exists``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from ocrmill.errors import BadRequest

Kind = Literal["id", "string", "integer", "number", "boolean", "datetime"]


@dataclass(frozen=True)
class FieldType:
    kind: Kind
    enum: tuple[str, ...] = ()


PAGE_STATUSES = ("pending", "processing", "completed", "failed")
JOB_STATUSES = PAGE_STATUSES
PAGE_TYPES = ("cover", "header", "content", "footer", "summary", "attachment")

_COMMON: dict[str, FieldType] = {
    "_id": FieldType("id"),
    "createdAt": FieldType("datetime"),
    "updatedAt": FieldType("datetime"),
}
PAGE_FIELDS: dict[str, FieldType] = _COMMON | {
    "job": FieldType("id"),
    "pageNumber": FieldType("integer"),
    "pageUrl": FieldType("string"),
    "status": FieldType("string", PAGE_STATUSES),
    "pageType": FieldType("string", PAGE_TYPES),
    "imageProperties.width": FieldType("integer"),
    "imageProperties.height": FieldType("integer"),
    "imageProperties.dpi": FieldType("integer"),
    "imageProperties.colorSpace": FieldType("string"),
    "imageProperties.format": FieldType("string"),
    "imageProperties.size": FieldType("integer"),
    "preprocessing.enhanced": FieldType("boolean"),
    "preprocessing.deskewed": FieldType("boolean"),
    "preprocessing.denoised": FieldType("boolean"),
    "preprocessing.binarized": FieldType("boolean"),
    "preprocessing.rotationAngle": FieldType("number"),
    "ocrResults.text": FieldType("string"),
    "ocrResults.confidence": FieldType("number"),
    "processingTime": FieldType("integer"),
    "startedAt": FieldType("datetime"),
    "completedAt": FieldType("datetime"),
    "errorLog": FieldType("string"),
    "retryCount": FieldType("integer"),
    "qualityScore": FieldType("number"),
}
JOB_FIELDS: dict[str, FieldType] = _COMMON | {
    "status": FieldType("string", JOB_STATUSES),
    "progress": FieldType("number"),
    "fileName": FieldType("string"),
    "pageCount": FieldType("integer"),
    "pagesCompleted": FieldType("integer"),
    "pagesFailed": FieldType("integer"),
    "qualityScore": FieldType("number"),
    "processingTime": FieldType("integer"),
    "startedAt": FieldType("datetime"),
    "completedAt": FieldType("datetime"),
    "errorLog": FieldType("string"),
    "createdBy": FieldType("string"),
    "source": FieldType("string"),
}
MAX_INTEGER = 2**53  # a filter's integers: what JSON carries exactly
MAX_OFFSET = 2**31 - 1  # not past the databases' 64-bit integers (a 500)
_OPERATORS = ("$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists")

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Condition:
    path: str
    op: str  # one of _OPERATORS
    value: Scalar | tuple[Scalar, ...]
    kind: Kind


@dataclass
class ListQuery:
    limit: int = 50
    offset: int = 0
    sort: str = "createdAt"
    descending: bool = True
    conditions: list[Condition] = field(default_factory=list)
    search: str = ""


def parse_list(
    fields: dict[str, FieldType],
    *,
    limit: str | None,
    offset: str | None,
    sort: str | None,
    order: str | None,
    filter_json: str | None,
    search: str | None,
) -> ListQuery:
    """The list parameters checked against the resource's documented fields; BadRequest names the one at fault."""
    query = ListQuery()
    query.limit = _integer("limit", limit, 50, low=1, high=100)
    query.offset = _integer("offset", offset, 0, low=0, high=MAX_OFFSET)
    if sort:
        if sort not in fields:
            raise BadRequest(f"sort: unknown field {sort!r}; sortable fields: {', '.join(sorted(fields))}")
        query.sort = sort
    if order is not None and order not in ("asc", "desc"):
        raise BadRequest(f"order: must be 'asc' or 'desc', not {order!r}")
    query.descending = order != "asc"
    query.conditions = parse_filter(fields, filter_json) if filter_json else []
    query.search = (search or "").strip()
    if len(query.search) > 200:
        raise BadRequest("search: at most 200 characters")
    return query


def parse_filter(fields: dict[str, FieldType], text: str) -> list[Condition]:
    try:
        spec = json.loads(text)
    except ValueError as e:
        raise BadRequest(f"filter: not valid JSON ({e})") from None
    if not isinstance(spec, dict):
        raise BadRequest("filter: must be a JSON object of field conditions")
    conditions: list[Condition] = []
    for path, wanted in spec.items():
        if path not in fields:
            raise BadRequest(f"filter: unknown field {path!r}; fields: {', '.join(sorted(fields))}")
        kind = fields[path]
        if isinstance(wanted, dict):
            if not wanted:
                raise BadRequest(f"filter: {path}: empty condition")
            for op, value in wanted.items():
                conditions.append(_condition(path, kind, op, value))
        else:
            conditions.append(_condition(path, kind, "$eq", wanted))
    return conditions


def _condition(path: str, kind: FieldType, op: str, value: object) -> Condition:
    where = f"filter: {path}"
    if op not in _OPERATORS:
        raise BadRequest(f"{where}: unknown operator {op!r}; operators: {', '.join(_OPERATORS)}")
    if op == "$exists":
        if not isinstance(value, bool):
            raise BadRequest(f"{where}: $exists takes true or false")
        return Condition(path, op, value, kind.kind)
    if op in ("$in", "$nin"):
        if not isinstance(value, list) or not value or len(value) > 1000:
            raise BadRequest(f"{where}: {op} takes a list of 1 to 1000 values")
        return Condition(path, op, tuple(_value(where, kind, v) for v in value), kind.kind)
    if op in ("$gt", "$gte", "$lt", "$lte") and kind.kind in ("boolean", "id"):
        raise BadRequest(f"{where}: {op} does not apply to a {kind.kind} field")
    if op in ("$gt", "$gte", "$lt", "$lte") and value is None:
        raise BadRequest(f"{where}: {op} takes a {kind.kind} value, not null")
    return Condition(path, op, _value(where, kind, value), kind.kind)


def _value(where: str, kind: FieldType, value: object) -> Scalar:
    if value is None:
        return None
    match kind.kind:
        case "integer" if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > MAX_INTEGER:  # else a 500 from the database (its integers are 64 bits)
                raise BadRequest(f"{where}: {value} is out of range (at most {MAX_INTEGER} either way)")
            return value
        case "number" if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        case "boolean" if isinstance(value, bool):
            return value
        case "datetime" if isinstance(value, str):
            return stamp(parse_time(where, value))
        case "id" if isinstance(value, str):
            return value.lower()
        case "string" if isinstance(value, str):
            if kind.enum and value not in kind.enum:
                raise BadRequest(f"{where}: {value!r} is not one of {', '.join(kind.enum)}")
            return value
    raise BadRequest(f"{where}: expected a {kind.kind} value, got {json.dumps(value)}")


def parse_time(where: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{where}: {value!r} is not an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stamp(moment: datetime) -> str:
    """How the documents write time: UTC, milliseconds, 'Z' (fixed width, so strings sort as times)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _integer(name: str, text: str | None, default: int, *, low: int, high: int | None) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"{name}: {text!r} is not an integer") from None
    if value < low or (high is not None and value > high):
        raise BadRequest(f"{name}: must be {'between ' + str(low) + ' and ' + str(high) if high else '>= ' + str(low)}")
    return value
