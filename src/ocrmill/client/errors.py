"""The client's exceptions: an error answer of the server becomes the exception of its status, carrying the
server's status and message (both APIs' error bodies are read); a job that ends in error, a wait that runs out
and a server that cannot be reached have their own. All are OcrmillError, so the CLI reports them as it does
its local errors."""

from __future__ import annotations

import json
from typing import Any

from ocrmill.errors import OcrmillError


class ClientError(OcrmillError):
    """The request to the ocrmill server failed."""


class ConnectionFailed(ClientError):
    """The server could not be reached."""


class ApiError(ClientError):
    """The server refused the request."""

    def __init__(self, message: str, *, status: int, code: str = "", method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.http_status = status  # the server's, on the instance (OcrmillError's is the class default)
        self.code = code  # the invoice API's error code ("not_found", "validation_error", ...); "" for the others
        self.method = method
        self.url = url

    @property
    def status(self) -> int:
        return self.http_status

    def __str__(self) -> str:
        return f"{self.http_status}: {self.message}"


class BadRequestError(ApiError):
    """400: a wrong property, a value out of range, an action the job's status does not allow."""


class AuthenticationError(ApiError):
    """401: no credentials, or a wrong password or token."""


class PermissionDeniedError(ApiError):
    """403: signed in, but not allowed (a read-only token writing, a right the user lacks)."""


class NotFoundError(ApiError):
    """404: no such job (or not one of yours)."""


class ConflictError(ApiError):
    """409: the thing exists already, or is being changed."""


class PayloadTooLargeError(ApiError):
    """413: the upload is over the server's limit."""


class UnsupportedMediaTypeError(ApiError):
    """415: not a file type the server reads."""


class UnprocessableError(ApiError):
    """422: a body the invoice API could not accept."""


class TooManyRequestsError(ApiError):
    """429: too many failed sign-ins from here, for now."""


class ServerError(ApiError):
    """5xx: the server failed (its log says why)."""


BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableError,
    429: TooManyRequestsError,
}


class JobFailed(ClientError):
    """The job ended in error."""

    def __init__(self, message: str, *, job: Any) -> None:
        super().__init__(message)
        self.job = job  # the Job or InvoiceJob as it ended


class NotScheduled(ClientError):
    """The job is not scheduled, so waiting for it would never end."""


class WaitTimeout(ClientError):
    """The job did not finish in the time given."""


def api_error(status: int, content: bytes, *, reason: str = "", method: str = "", url: str = "") -> ApiError:
    """The exception of an error answer: its message and code from either API's error body
    ({"Success": false, "StatusCode", "Message"} or {"success": false, "error": {"code", "message"}}),
    else the start of the body as text, else the HTTP reason phrase."""
    message, code = "", ""
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message, code = str(error.get("message", "")), str(error.get("code", ""))
        else:
            message = str(body.get("Message") or body.get("detail") or "")
    if not message:
        message = content[:500].decode("utf-8", "replace").strip() or reason or f"HTTP {status}"
    kind = BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(message, status=status, code=code, method=method, url=url)
