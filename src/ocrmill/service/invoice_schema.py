"""The writable properties of invoice jobs and pages, with their types, enums and ranges.

Properties the server computes (status, ocrResults, extractedFields, ...) are read-only: a client that
posts back a document it read has them ignored, as it has any property the document does not know.
A wrong type or value is refused with the property named (Unprocessable, 422).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError

from ocrmill.errors import Unprocessable
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


class AnnotationIn(_Model):
    type: AnnotationType
    text: Annotated[StrictStr, Field(max_length=10000)] = ""
    coordinates: BoxIn | None = None
    createdBy: Annotated[StrictStr, Field(max_length=200)] | None = None
    createdAt: datetime | None = None
    # ocrmill's addition: which extracted field a correction is for (else: the field under `coordinates`)
    field: Literal[FIELD_NAMES] | None = None  # type: ignore[valid-type]


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
