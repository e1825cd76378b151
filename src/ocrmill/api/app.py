"""The FastAPI application: both APIs, their error handlers and the shared services."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from ocrmill.api import errors
from ocrmill.api.auth import Authenticator
from ocrmill.api.routes import invoices, ocrjobs
from ocrmill.config import Settings
from ocrmill.pipeline.languages import installed_languages
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
    errors.install(app, resource_prefix=f"{settings.api_prefix}/v1/")
    app.include_router(ocrjobs.router, prefix=f"{settings.api_prefix}/ocrjobs", tags=["ownOCR jobs"])
    app.include_router(invoices.router, prefix=f"{settings.api_prefix}/v1", tags=["OCR invoices"])
    return app
