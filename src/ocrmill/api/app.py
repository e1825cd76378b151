"""The FastAPI application: both APIs, their error handlers and the shared services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ocrmill.api import errors
from ocrmill.api.auth import Authenticator
from ocrmill.api.routes import console, invoices, ocrjobs
from ocrmill.config import Settings
from ocrmill.pipeline.languages import installed_languages
from ocrmill.service.console import ConsoleService
from ocrmill.service.console_users import UserAdmin
from ocrmill.service.folders import FolderService
from ocrmill.service.invoices import InvoiceService
from ocrmill.service.jobs import JobService
from ocrmill.service.server import ServerInfo, version
from ocrmill.store.db import Database
from ocrmill.store.files import FileStore


def create_app(
    settings: Settings, *, db: Database | None = None, wake_workers: Callable[[], None] | None = None
) -> FastAPI:
    db = db or Database(settings.effective_database_url)
    app = FastAPI(title="ocrmill", version=version(), docs_url="/docs", redoc_url="/redoc")
    app.state.settings = settings
    app.state.db = db
    app.state.jobs = JobService(
        settings=settings,
        db=db,
        files=FileStore(settings.data_dir),
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
        settings=settings, db=db, files=app.state.jobs.files, wake_workers=app.state.jobs.wake_workers
    )
    app.state.server = ServerInfo(settings=settings, db=db)
    app.state.authenticator = Authenticator(db=db, enabled=settings.auth)
    app.state.console = ConsoleService(
        jobs=app.state.jobs, folders=app.state.folders, server=app.state.server, auth_enabled=settings.auth
    )
    app.state.console_users = UserAdmin(db=db)
    errors.install(app, resource_prefix=f"{settings.api_prefix}/v1/")
    app.include_router(ocrjobs.router, prefix=f"{settings.api_prefix}/ocrjobs", tags=["ownOCR jobs"])
    app.include_router(invoices.router, prefix=f"{settings.api_prefix}/v1", tags=["OCR invoices"])
    app.include_router(console.router, prefix=f"{settings.api_prefix}/console", tags=["Web console"])
    _serve_console(app)
    return app


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
