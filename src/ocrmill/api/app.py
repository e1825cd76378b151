"""The FastAPI application: both APIs, their error handlers and the shared services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

from ocrmill.api import docs, errors, health, openapi, schemas
from ocrmill.api.auth import Authenticator
from ocrmill.api.metrics import HttpMetrics
from ocrmill.api.routes import console, invoices, ocrjobs, webhooks
from ocrmill.config import Settings
from ocrmill.domain import languages
from ocrmill.pipeline.languages import installed_languages
from ocrmill.service.auth.tokens import TokenService
from ocrmill.service.console.users import UserAdmin
from ocrmill.service.console.views import ConsoleService
from ocrmill.service.invoices.jobs import InvoiceService
from ocrmill.service.ocrjobs.folders import FolderService
from ocrmill.service.ocrjobs.jobs import JobService
from ocrmill.service.ocrjobs.search import JobSearch
from ocrmill.service.operations.monitoring import DatabaseCollector, Readiness
from ocrmill.service.server import ServerInfo, version
from ocrmill.service.webhooks import WebhookService
from ocrmill.store.db import Database
from ocrmill.store.files import open_files


def create_app(
    settings: Settings, *, db: Database | None = None, wake_workers: Callable[[], None] | None = None
) -> FastAPI:
    db = db or Database(settings.effective_database_url)
    app = FastAPI(title="ocrmill", version=version(), docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.db = db
    app.state.jobs = JobService(
        settings=settings,
        db=db,
        files=open_files(settings),
        installed_languages=installed_languages(settings.tessdata_dir),
        wake_workers=wake_workers or (lambda: None),
    )
    app.state.folders = FolderService(
        settings=settings,
        db=db,
        files=app.state.jobs.files,
        installed_languages=app.state.jobs.installed_languages,
        wake_workers=app.state.jobs.wake_workers,
    )
    app.state.invoices = InvoiceService(
        settings=settings,
        db=db,
        files=app.state.jobs.files,
        wake_workers=app.state.jobs.wake_workers,
    )
    app.state.server = ServerInfo(settings=settings, db=db)
    app.state.search = JobSearch(db=db, window=settings.search_window)
    app.state.authenticator = Authenticator(db=db, enabled=settings.auth, settings=settings)
    app.state.console = ConsoleService(
        jobs=app.state.jobs,
        folders=app.state.folders,
        server=app.state.server,
        search=app.state.search,
        auth_enabled=settings.auth,
    )
    app.state.console_users = UserAdmin(db=db)
    app.state.tokens = TokenService(db=db)
    app.state.webhooks = WebhookService(settings=settings, db=db)
    app.state.readiness = Readiness(settings=settings, db=db)
    # The app's own registry (not prometheus_client's global one), so that several apps in one process stay apart.
    app.state.metrics_registry = CollectorRegistry(auto_describe=True)
    app.state.metrics_registry.register(DatabaseCollector(settings=settings, db=db))
    templates: dict[int, str] = {}
    errors.install(app, resource_prefix=f"{settings.api_prefix}/v1/")
    job_options = schemas.job_options_schema(
        max_retention_days=settings.max_retention_days,
        language_names=languages.english_names(sorted(app.state.jobs.installed_languages)),
    )
    openapi.install(app, resource_prefix=f"{settings.api_prefix}/v1/", components={"JobOptionsIn": job_options})
    _include(app, templates, ocrjobs.router, prefix=f"{settings.api_prefix}/ocrjobs", tags=["ownOCR jobs"])
    _include(app, templates, invoices.router, prefix=f"{settings.api_prefix}/v1", tags=["OCR invoices"])
    _include(app, templates, console.router, prefix=f"{settings.api_prefix}/console", tags=["Web console"])
    _include(app, templates, webhooks.router, prefix=f"{settings.api_prefix}/webhooks", tags=["Webhooks"])
    _include(app, templates, health.router, prefix="", tags=["Monitoring"])
    app.state.http_metrics = HttpMetrics(app.state.metrics_registry, templates=templates)
    docs.install(app)
    _serve_console(app)
    return app


def _include(app: FastAPI, templates: dict[int, str], router: APIRouter, *, prefix: str, tags: list[str]) -> None:
    """Includes `router` and notes each of its routes' full path template for the request metrics: FastAPI's
    router names the matched route (its path without the prefix) but not the prefix it was included with."""
    app.include_router(router, prefix=prefix, tags=list(tags))
    for route in router.routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            templates[id(route)] = prefix + path  # routes compare by value and are unhashable


CONSOLE_FILES = Path(__file__).resolve().parent.parent / "console"


def _serve_console(app: FastAPI) -> None:
    """The web console: index.html at /, its scripts and styles under /console/. The files hold no data
    and need no credentials (the console signs in with its own form); everything it shows comes from
    the APIs, behind their authentication."""

    page = (CONSOLE_FILES / "index.html").read_text().replace("__API_PREFIX__", app.state.settings.api_prefix)

    @app.get("/", include_in_schema=False)
    def console_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    app.mount("/console", StaticFiles(directory=CONSOLE_FILES), name="console")
