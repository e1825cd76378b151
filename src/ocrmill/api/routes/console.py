"""The web console's own small JSON API (under <api_prefix>/console), behind the same authentication as
the other two. Thin: parse, call service.console.views or service.console.users, answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StrictBool, StrictStr

from ocrmill.api.deps import Administrator, Console, CurrentUser, Tokens, Users
from ocrmill.api.downloads import stored_response
from ocrmill.api.openapi import raises
from ocrmill.api.routes.ocrjobs import MAX_ID, is_id
from ocrmill.domain.status import JobStatus
from ocrmill.errors import BadRequest, Conflict, Forbidden, NotFound
from ocrmill.service.auth.passwords import MAX_LENGTH, MIN_LENGTH
from ocrmill.service.auth.tokens import MAX_DAYS
from ocrmill.service.auth.tokens import MAX_NAME as MAX_TOKEN_NAME
from ocrmill.service.auth.tokens import NAME_PATTERN as TOKEN_NAME_PATTERN
from ocrmill.service.console.users import MAX_NAME, Rights
from ocrmill.service.console.views import JobListQuery
from ocrmill.service.ocrjobs.search import MAX_QUERY, MAX_WORDS, WORD_PATTERN

router = APIRouter()

ADMINS = raises(Forbidden)  # the user routes are for administrators
JPEG: dict[int | str, dict[str, Any]] = {200: {"description": "The page image", "content": {"image/jpeg": {}}}}
JobStatusValue = Annotated[int, Field(ge=min(JobStatus), le=max(JobStatus))]
Moment = Annotated[str | None, Query(json_schema_extra={"format": "date-time"})]


class RightsIn(BaseModel):
    admin: StrictBool = False
    enumFolders: StrictBool = False
    postFolders: StrictBool = False

    def rights(self) -> Rights:
        return Rights(admin=self.admin, enum_folders=self.enumFolders, post_folders=self.postFolders)


# What service.console.users accepts, stated (and checked) here so that /openapi.json says it: a password of
# MIN_LENGTH to MAX_LENGTH characters; a name of at most MAX_NAME characters that HTTP Basic can carry: letters,
# digits, marks and punctuation other than a colon, with single spaces inside (a name the service would strip or
# refuse as unprintable does not match). Names of existing users (made with `ocrmill users add`) are not checked.
NAME_PATTERN = r"^[\w.@+'-]+( [\w.@+'-]+)*$"
Password = Annotated[StrictStr, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]


class NewUserIn(RightsIn):
    name: Annotated[StrictStr, Field(min_length=1, max_length=MAX_NAME, pattern=NAME_PATTERN)]
    password: Password


class PasswordIn(BaseModel):
    password: Password


class NewTokenIn(BaseModel):
    name: Annotated[StrictStr, Field(min_length=1, max_length=MAX_TOKEN_NAME, pattern=TOKEN_NAME_PATTERN)]
    readOnly: StrictBool = False
    expiresDays: Annotated[int | None, Field(ge=1, le=MAX_DAYS)] = None


def _job_id(value: str) -> int:
    if not is_id(value):
        raise NotFound(f"There is no job with id {value!r}.")
    return int(value)


def _moment(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name}: {value!r} is not an ISO 8601 date.") from None
    return moment if moment.tzinfo else moment.astimezone()


# -- who and what ----------------------------------------------------------------------------------


@router.get("/me")
def me(console: Console, who: CurrentUser) -> dict[str, Any]:
    return console.me(who)


@router.get("/options")
def options(console: Console, who: CurrentUser) -> dict[str, Any]:
    return console.options()


@router.get("/invoice-fields")
def invoice_fields(console: Console, who: CurrentUser) -> list[str]:
    return console.invoice_fields()


@router.get("/overview")
def overview(console: Console, who: CurrentUser) -> dict[str, Any]:
    return console.overview(who)


# -- jobs ------------------------------------------------------------------------------------------


@router.get("/jobs", responses=raises(Forbidden))
def jobs(
    console: Console,
    who: CurrentUser,
    status: Annotated[list[JobStatusValue] | None, Query()] = None,
    createdFrom: Moment = None,  # the query parameters are camelCase
    createdTo: Moment = None,
    correlationId: str = "",
    user: str = "",
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY,
            json_schema_extra={"pattern": f"^$|{WORD_PATTERN}"},  # stated; the search refuses it, saying why
            description=f"words (letters or digits, at most {MAX_WORDS} different ones) to search for; then the "
            "other filters are left out",
        ),
    ] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,  # not past the databases' 64-bit integers (a 500)
) -> dict[str, Any]:
    query = JobListQuery(
        statuses=status or [],
        created_from=_moment("createdFrom", createdFrom),
        created_to=_moment("createdTo", createdTo),
        correlation_id=correlationId,
        user_name=user,
        limit=limit,
        offset=offset,
        words=q,
    )
    return console.job_list(who, query)


@router.get("/jobs/{job_id}/progress")
def progress(job_id: str, console: Console, who: CurrentUser) -> dict[str, Any]:
    return console.progress(who, _job_id(job_id))


@router.get("/jobs/{job_id}/pages")
def pages(job_id: str, request: Request, console: Console, who: CurrentUser) -> list[dict[str, Any]]:
    number = _job_id(job_id)
    base = request.url.path.rstrip("/")
    return [
        page | {"imageUrl": f"{base}/{page['number']}/image", "wordsUrl": f"{base}/{page['number']}/words"}
        for page in console.pages(who, number)
    ]


@router.get("/jobs/{job_id}/pages/{number}/image", responses=JPEG)
def page_image(job_id: str, number: int, console: Console, who: CurrentUser) -> Response:
    return stored_response(console.page_image(who, _job_id(job_id), number), media_type="image/jpeg")


@router.get("/jobs/{job_id}/pages/{number}/words")
def page_words(job_id: str, number: int, console: Console, who: CurrentUser) -> JSONResponse:
    return JSONResponse(console.page_words(who, _job_id(job_id), number))


# -- users (admins) --------------------------------------------------------------------------------


@router.get("/users", responses=ADMINS)
def list_users(users: Users, who: Administrator) -> list[dict[str, Any]]:
    return users.list(who)


@router.post("/users", status_code=201, responses=raises(Forbidden, Conflict))
def add_user(body: NewUserIn, users: Users, who: Administrator) -> dict[str, Any]:
    return users.add(who, body.name, body.password, body.rights())


@router.put("/users/{name}/rights", responses=ADMINS)
def set_rights(name: str, body: RightsIn, users: Users, who: Administrator) -> dict[str, Any]:
    return users.set_rights(who, name, body.rights())


@router.put("/users/{name}/password", responses=ADMINS)
def set_password(name: str, body: PasswordIn, users: Users, who: Administrator) -> dict[str, Any]:
    return users.set_password(who, name, body.password)


@router.delete("/users/{name}", responses=raises(Forbidden, BadRequest))
def remove_user(name: str, users: Users, who: Administrator) -> dict[str, Any]:
    return users.remove(who, name)


# -- the signed-in user's API tokens ---------------------------------------------------------------


@router.get("/tokens")
def list_tokens(tokens: Tokens, who: CurrentUser) -> list[dict[str, Any]]:
    return tokens.list(who)


@router.post("/tokens", status_code=201, responses=raises(Forbidden, Conflict))
def add_token(body: NewTokenIn, tokens: Tokens, who: CurrentUser) -> dict[str, Any]:
    """The token's secret is in this answer only: it is kept hashed."""
    return tokens.create(who, body.name, read_only=body.readOnly, expires_days=body.expiresDays)


@router.delete("/tokens/{name}")
def revoke_token(name: str, tokens: Tokens, who: CurrentUser) -> dict[str, Any]:
    return tokens.revoke(who, name)
