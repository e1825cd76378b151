"""The exception tree: every error ocrmill raises knows its HTTP status.

An exception's docstring is its default message; each API turns these into its own error body.
"""

from __future__ import annotations

import errno
from pathlib import PurePath


class OcrmillError(Exception):
    """Internal server error."""

    http_status = 500

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries beside the status."""
        return {}


class BadRequest(OcrmillError):
    """The request is not valid."""

    http_status = 400


class InvalidProperty(BadRequest):
    """A job property has a wrong type or value."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name


class UnknownProperty(InvalidProperty):
    """A job property that is neither in the ownOCR document nor an ocrmill addition."""

    def __init__(self, name: str, suggestion: str | None = None) -> None:
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        super().__init__(name, f"not a job property (neither in the ownOCR document nor an ocrmill addition){hint}")


class NoOutput(BadRequest):
    """The job asks for no output at all: set at least one of PdfOutput, TxtOutput, DocxOutput, XmlOutput,
    RtfOutput, OdtOutput, MhtOutput, EpubOutput or HocrOutput to true."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or " ".join((self.__doc__ or "").split()))


class JobStateError(BadRequest):
    """The job's status does not allow this action."""


class Unauthorized(OcrmillError):
    """Authentication is required."""

    http_status = 401


class TooManySignIns(OcrmillError):
    """Too many failed sign-ins: try again later."""

    http_status = 429

    def __init__(self, message: str | None = None, *, retry_after_seconds: int = 1) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class Forbidden(OcrmillError):
    """You do not have the right to do this."""

    http_status = 403


class ReadOnlyToken(Forbidden):
    """This API token is read-only: it may not POST, PUT or DELETE."""


class NotFound(OcrmillError):
    """Not found."""

    http_status = 404


class PayloadTooLarge(OcrmillError):
    """The upload is larger than the server accepts."""

    http_status = 413

    def __init__(self, message: str | None = None, *, limit_bytes: int = 0) -> None:
        super().__init__(message)
        self.limit_bytes = limit_bytes

    @classmethod
    def over(cls, limit_bytes: int, *, what: str = "The upload", setting: str = "max_upload_mb") -> PayloadTooLarge:
        message = f"{what} is larger than the server's limit of {limit_bytes / 2**20:.3g} MB ({setting})."
        return cls(message, limit_bytes=limit_bytes)


class UnsupportedMediaType(OcrmillError):
    """The file type is not supported."""

    http_status = 415


class PipelineError(OcrmillError):
    """The document could not be processed."""

    http_status = 500


class InputError(PipelineError):
    """The input file is damaged or not readable."""

    http_status = 400


class LimitExceeded(InputError):
    """The input is larger than the server's limits."""


class FetchError(InputError):
    """The URL could not be fetched."""

    def __init__(self, message: str | None = None, *, transient: bool = False) -> None:
        super().__init__(message)
        # worth trying again later (no answer in time, a connection failure, HTTP 5xx or 429); a refused
        # address, a wrong type or an oversized image never gets better
        self.transient = transient


class FetchTooLarge(FetchError):
    """The image is larger than the server fetches (fetch_max_mb)."""

    http_status = 413


class EngineError(PipelineError):
    """The OCR engine failed."""


class InsufficientStorage(OcrmillError):
    """The server's disk is full: nothing was stored. Try again once space has been freed."""

    http_status = 507


class ServiceUnavailable(OcrmillError):
    """The server's database cannot be reached at the moment: try again shortly."""

    http_status = 503
    retry_after_seconds = 5

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


# ENOSPC: the file system is full; EDQUOT: the user's quota is; EFBIG: a file would exceed its size limit (RLIMIT_FSIZE)
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def disk_full(error: BaseException | None) -> bool:
    return isinstance(error, OSError) and error.errno in DISK_FULL


def described(error: Exception, doing: str) -> str:
    """The description a job or page that ends in Error carries: our exception's message, a full disk as such,
    anything else as an internal error while `doing` ("processing the job")."""
    if isinstance(error, OcrmillError):
        return error.message
    if disk_full(error):
        return f"The server's disk is full: {doing} could not be finished. Try again once space has been freed."
    return f"Internal error while {doing}: {type(error).__name__}: {error}"


class ConfigError(OcrmillError):
    """The configuration is not valid."""


class FolderNotWritable(ConfigError):
    """A folder ocrmill has to write to cannot be written."""

    def __init__(self, *, what: str, folder: PurePath, error: OSError, user: str, remedy: str) -> None:
        reason = error.strerror or type(error).__name__
        # a parent that could not be made is named; the folder itself, or the probe file in it, is not
        failed = PurePath(error.filename) if isinstance(error.filename, str) else folder
        where = "" if failed.is_relative_to(folder) else f" ({failed})"
        super().__init__(f"{what} {folder} cannot be written by the user {user}: {reason}{where}. {remedy}")


class Conflict(OcrmillError):
    """The request conflicts with the current state of the resource."""

    http_status = 409


class Unprocessable(OcrmillError):
    """A property of the request body has a wrong type or value."""

    http_status = 422

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name


class WeakPassword(BadRequest):
    """password: must be at least 12 characters long."""


class InsecureBind(ConfigError):
    """Refusing to serve without authentication on a network address: anyone who can reach it could open
    Administration and add an admin. Turn authentication on (auth = true, OCRMILL_AUTH=true), serve on a loopback
    address (--host 127.0.0.1), or, if something in front of ocrmill authenticates, say so with --insecure-no-auth
    (setting insecure_no_auth, OCRMILL_INSECURE_NO_AUTH=true)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or " ".join((self.__doc__ or "").split()))  # one line, as the CLI prints it


class BackupError(OcrmillError):
    """The backup could not be made or restored."""


class BackupInvalid(BackupError):
    """The backup is incomplete or damaged (its manifest.json does not match its files): it cannot be restored."""


class RestoreTargetNotEmpty(BackupError):
    """A backup is restored into an empty data folder and an empty database only, so that nothing is overwritten
    or mixed: point --data-dir (data_dir) and database_url at new ones, or empty them first."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or " ".join((self.__doc__ or "").split()))
