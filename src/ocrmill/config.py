"""Settings: defaults < ocrmill.toml (--config) < OCRMILL_* environment variables < command-line options."""

from __future__ import annotations

import ipaddress
import os
import tomllib
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ocrmill.errors import ConfigError

CONFIG_ENV = "OCRMILL_CONFIG"


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class FolderDefinition(BaseModel):
    """An OCR Folder Definition (hot folder): files dropped into `input` become jobs with `options`;
    results go to `output` under the file's name; originals are archived, deleted or kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID
    description: str = ""
    input: Path
    output: Path
    filters: str = "TIF;TIFF;JPG;JPEG;PNG;BMP;GIF;PDF"
    originals: Literal["archive", "delete", "keep"] = "archive"
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: str) -> str:
        parts = [p.strip().lstrip(".").upper() for p in value.replace(",", ";").split(";") if p.strip()]
        if not parts:
            raise ValueError("a folder needs at least one extension in filters")
        return ";".join(dict.fromkeys(parts))

    @model_validator(mode="after")
    def _separate(self) -> FolderDefinition:
        if self.input.resolve() == self.output.resolve():
            raise ValueError("a folder's output must not be its input (results would be taken again)")
        return self

    @property
    def key(self) -> str:
        """The id as the API writes it: lower-case, with hyphens."""
        return str(self.id)

    @property
    def extensions(self) -> set[str]:
        return set(self.filters.split(";"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OCRMILL_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    api_prefix: str = "/api"
    data_dir: Path = Path("data")
    database_url: str = ""
    # Where job files are kept: "" (the data folder) or "s3://bucket/prefix" on S3-compatible object storage, whose
    # endpoint, region and credentials come from the s3_* settings below or else boto3's AWS_* variables.
    storage_url: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # With S3: answer downloads with a redirect to a presigned URL valid this long; 0: stream them through the API.
    s3_presign_seconds: int = Field(0, ge=0, le=7 * 86400)
    # A split of an invoice job waits this long for an object store that is away (503) before the job fails.
    store_wait_seconds: float = Field(60.0, ge=0)
    server_name: str = "ocrmill"
    auth: bool = False
    # Serve without authentication on a non-loopback address anyway (something in front authenticates).
    insecure_no_auth: bool = False
    # /metrics asks for `Authorization: Bearer <metrics_token>` when this is set; otherwise it is open.
    metrics_token: str = ""
    # The log on stderr (a line per request and per job status change): "text" lines, or "json" lines.
    log_format: Literal["text", "json"] = "text"
    # Failed sign-ins (service.auth.throttle): after auth_failures_allowed failures of one user name from one address
    # within auth_failure_window_seconds, that pair is refused (429, Retry-After) for auth_lockout_seconds, doubled
    # for each further lock-out up to auth_lockout_max_seconds; one address over all names gets 4 times as many, one
    # name over all addresses 10 times as many (not refused where that name signed in successfully before).
    auth_failures_allowed: int = Field(5, ge=1, le=1000)
    auth_failure_window_seconds: float = Field(900.0, gt=0)
    auth_lockout_seconds: float = Field(30.0, gt=0)
    auth_lockout_max_seconds: float = Field(900.0, gt=0)
    # A verified user name and password is trusted this long without argon2 (dropped when the password changes).
    auth_cache_seconds: float = Field(60.0, ge=0)
    # argon2 verifications at once; 0: half the cores, at least one.
    auth_verify_slots: int = Field(0, ge=0, le=64)

    # Jobs read and written at a time by the listings (all, allbystatus, query, templates), which stream their answer.
    list_batch: int = Field(500, ge=1, le=10_000)
    # A search ranks and counts the newest this many matching jobs (a common word matches a good part of them all).
    search_window: int = Field(1000, ge=1, le=1_000_000)

    jobs_threads: int = Field(default_factory=default_workers, ge=1, le=64)
    max_threads_per_job: int = Field(default_factory=default_workers, ge=1, le=32)
    # Pages recognised at once on one machine, over all its workers: more only oversubscribes the CPU.
    ocr_slots: int = Field(default_factory=default_workers, ge=1, le=256)
    max_attempts: int = Field(3, ge=1, le=20)
    heartbeat_seconds: float = Field(5.0, gt=0)
    heartbeat_timeout_seconds: float = Field(60.0, gt=0)
    poll_seconds: float = Field(1.0, gt=0)
    # On SIGTERM busy workers finish their job within this long, else hand it back to the queue (so does a second
    # SIGTERM, at once).
    shutdown_grace_seconds: float = Field(30.0, ge=0)

    max_retention_days: int = Field(30, ge=1)
    retention_check_hours: float = Field(1.0, gt=0)
    # Length of one retention day; only tests shorten it.
    retention_day_seconds: float = Field(86400.0, gt=0)

    max_upload_mb: float = Field(200.0, gt=0)
    max_pages: int = Field(2000, ge=1)
    max_image_megapixels: float = Field(300.0, gt=0)

    tessdata_dir: Path | None = None
    # Where `ocrmill backup` and `restore` find pg_dump and pg_restore (default: Debian's newest, else PATH).
    pg_bin_dir: Path | None = None

    folders: list[FolderDefinition] = Field(default_factory=list)
    # Worker processes for folder jobs, on top of jobs_threads (0: folder jobs share the job workers).
    folders_threads: int = Field(1, ge=0, le=64)
    folder_stable_seconds: float = Field(2.0, gt=0)  # a dropped file is taken once unchanged this long
    folder_poll_seconds: float = Field(2.0, gt=0)  # folders are rescanned this often (shares have no inotify)

    # OCR invoice jobs
    invoice_languages: list[str] = Field(default_factory=lambda: ["eng", "deu", "fra"])  # Tesseract codes
    invoice_render_dpi: int = Field(300, ge=100, le=600)  # PDF pages of uploaded invoices are split at this
    invoice_max_retries: int = Field(2, ge=0, le=10)  # a failed page is tried again this often ...
    invoice_retry_seconds: float = Field(10.0, ge=0)  # ... after this long, doubled for each further try
    # pageUrl fetching: private, loopback and link-local targets only when named here (hosts, IPs or CIDR)
    fetch_allow: list[str] = Field(default_factory=list)
    fetch_max_mb: float = Field(50.0, gt=0)
    fetch_timeout_seconds: float = Field(30.0, gt=0)
    fetch_max_redirects: int = Field(3, ge=0, le=20)
    # Webhooks (service.webhooks, worker.webhooks): threads of each worker process's supervisor that send the
    # outbox (0: this machine sends none), how often they look for due deliveries, the time limit of one attempt;
    # a failed attempt is tried again after webhook_retry_seconds, doubled each time up to
    # webhook_retry_max_seconds, until webhook_retry_hours have passed since the delivery was made (or sent again).
    # Targets are guarded as pageUrl fetching is (fetch_allow names the private ones that may be used).
    webhook_senders: int = Field(1, ge=0, le=16)
    webhook_poll_seconds: float = Field(1.0, gt=0)
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=300)
    webhook_retry_seconds: float = Field(10.0, gt=0)
    webhook_retry_max_seconds: float = Field(3600.0, gt=0)
    webhook_retry_hours: float = Field(24.0, gt=0)

    @field_validator("api_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = "/" + value.strip("/")
        return "" if value == "/" else value

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str) -> str:
        value = value.strip()
        if value and not (value.startswith("s3://") and value[5:].split("/", 1)[0]):
            raise ValueError('storage_url is "" (the data folder) or "s3://bucket/prefix"')
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("folders")
    @classmethod
    def _unique_folders(cls, value: list[FolderDefinition]) -> list[FolderDefinition]:
        ids = [f.key for f in value]
        if len(ids) != len(set(ids)):
            raise ValueError("two folders have the same id")
        return value

    @property
    def exposed_without_auth(self) -> bool:
        """Serving on a non-loopback address with authentication off, not explicitly allowed."""
        return not self.auth and not self.insecure_no_auth and not is_loopback(self.host)

    def folder(self, folder_id: str) -> FolderDefinition | None:
        return next((f for f in self.folders if f.key == folder_id.strip().lower()), None)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ocrmill.db').resolve()}"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_image_pixels(self) -> float:
        return self.max_image_megapixels * 1e6

    @property
    def fetch_max_bytes(self) -> int:
        return int(self.fetch_max_mb * 2**20)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_ENV)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or name uvicorn binds to) is reachable from this machine only."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name that may resolve to anything, or "" (every address)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the config file, the environment and explicit overrides (None values are skipped)."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"configuration file not found: {config_file}")
        os.environ[CONFIG_ENV] = str(config_file.resolve())
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{os.environ.get(CONFIG_ENV)} is not valid TOML: {e}") from None
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']} (got {error.get('input')!r})"
            for error in e.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from None
