"""The API documentation pages, /docs (Swagger UI) and /redoc (ReDoc), from the package's own copies of their
scripts and styles (api/static/, see its README.md), so that they work on a network without internet access."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_FILES = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/api-docs-static"
# ReDoc's "API docs by Redocly" footer shows a logo from cdn.redoc.ly: the browser is told not to fetch images from
# anywhere but here, so nothing leaves the intranet (and no request hangs where outside addresses are dropped).
LOCAL_IMAGES_ONLY = {"Content-Security-Policy": "img-src 'self' data:"}


def install(app: FastAPI) -> None:
    """Serves /docs and /redoc; the app must be made with docs_url=None and redoc_url=None (FastAPI's own pages
    load their scripts from a CDN)."""
    title = f"{app.title} API"
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{STATIC_PREFIX}/swagger-ui/favicon-32x32.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{STATIC_PREFIX}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PREFIX}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=favicon,
            # no badge from validator.swagger.io: on an intranet it is a broken image, and it sends out the spec's URL
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers.update(LOCAL_IMAGES_ONLY)
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{STATIC_PREFIX}/redoc/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
        page.headers.update(LOCAL_IMAGES_ONLY)
        return page

    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_FILES), name="api-docs-static")
