"""The writable properties of invoice jobs and pages, with their types, enums and ranges.

Properties the server computes (status, ocrResults, extractedFields, ...) are read-only: a client that
posts back a document it read has them ignored, as it has any property the document does not know.
A wrong type or value is refused with the property named (Unprocessable, 422).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from ocrmill.domain.options import CALLBACK_URL_PATTERN
from ocrmill.errors import Unprocessable
from ocrmill.invoices.analyse import ITEM_COLUMNS, item_target
from ocrmill.invoices.model import FIELD_NAMES

ID_PATTERN = re.compile(r"^[0-9a-f]{24}$")
PageType = Literal["cover", "header", "content", "footer", "summary", "attachment"]
AnnotationType = Literal["correction", "comment", "highlight", "verification"]
ColorSpace = Literal["rgb", "rgba", "grayscale", "bilevel", "cmyk", "palette"]
Number = Annotated[StrictInt | StrictFloat, Field(ge=0)]
MAX_METADATA_BYTES = 64 * 1024


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class BoxIn(_Model):
    x: Number
    y: Number
    width: Number
    height: Number


class ImagePropertiesIn(_Model):
    width: Annotated[StrictInt, Field(ge=0)] = 0
    height: Annotated[StrictInt, Field(ge=0)] = 0
    dpi: Annotated[StrictInt, Field(ge=0, le=10000)] = 0
    colorSpace: ColorSpace = "rgb"
    format: Annotated[StrictStr, Field(max_length=20)] = ""
    size: Annotated[StrictInt, Field(ge=0)] = 0


def _correctable(name: str) -> str:
    if name in FIELD_NAMES or item_target(name):
        return name
    if name.startswith("lineItems"):
        raise PydanticCustomError(
            "item_column",
            "'{name}' is not a line item's column: lineItems[N].{columns}, N the item's index on the page from 0",
            {"name": name, "columns": "|".join(ITEM_COLUMNS)},
        )
    raise PydanticCustomError(
        "field_name", "'{name}' is not a field: {fields}", {"name": name, "fields": ", ".join(FIELD_NAMES)}
    )


# a field's name, or a line item's column: "lineItems[3].amount" (the page's fourth item, as the engine lists them)
Correctable = Annotated[
    StrictStr,
    AfterValidator(_correctable),
    Field(
        max_length=40,
        examples=["invoiceNumber", "lineItems[0].amount"],
        description=f"a field ({', '.join(FIELD_NAMES)}) or lineItems[N].{'|'.join(ITEM_COLUMNS)}",
        # for /openapi.json only: _correctable checks it, with a message that names the possible values
        json_schema_extra={
            "pattern": f"^({'|'.join(FIELD_NAMES)}|lineItems\\[[0-9]{{1,5}}\\]\\.({'|'.join(ITEM_COLUMNS)}))$"
        },
    ),
]


class AnnotationIn(_Model):
    type: AnnotationType
    text: Annotated[StrictStr, Field(max_length=10000)] = ""
    coordinates: BoxIn | None = None
    createdBy: Annotated[StrictStr, Field(max_length=200)] | None = None
    createdAt: datetime | None = None
    # ocrmill's addition: which extracted field or line item's column a correction is for (else: the field
    # under `coordinates`)
    field: Correctable | None = None


class PageIn(_Model):
    job: Annotated[StrictStr, Field(pattern=ID_PATTERN.pattern)]
    pageNumber: Annotated[StrictInt, Field(ge=1, le=100000)]
    pageUrl: Annotated[StrictStr, Field(min_length=1)]
    pageType: PageType | None = None
    imageProperties: ImagePropertiesIn | None = None
    annotations: Annotated[list[AnnotationIn], Field(max_length=1000)] = []
    metadata: dict[str, Any] = {}


class JobIn(_Model):
    name: Annotated[StrictStr, Field(max_length=500)] = ""
    metadata: dict[str, Any] = {}
    autoRetry: StrictBool = True
    # ocrmill addition: a URL that gets this job's invoice_job.completed or invoice_job.failed webhook, signed with
    # the owner's callback secret (service.webhooks); its host is checked like pageUrl's when the job is made
    callbackUrl: Annotated[StrictStr, Field(max_length=2000, pattern=f"(^$)|({CALLBACK_URL_PATTERN})")] = ""


_M = TypeVar("_M", bound=BaseModel)


def validated(model: type[_M], body: object) -> _M:
    """`body` as `model`, or Unprocessable naming the first property at fault."""
    if not isinstance(body, dict):
        raise Unprocessable("body", "must be a JSON object")
    try:
        value = model.model_validate(body)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise Unprocessable(where, first["msg"]) from None
    metadata = getattr(value, "metadata", None)
    if metadata is not None and len(repr(metadata)) > MAX_METADATA_BYTES:
        raise Unprocessable("metadata", f"at most {MAX_METADATA_BYTES // 1024} KB")
    return value
