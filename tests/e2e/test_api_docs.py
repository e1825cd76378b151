"""/docs (Swagger UI) and /redoc (ReDoc) in Chromium with every request off this machine refused: they must
render the API from the package's own files, as on an intranet without internet access."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import shot, site
from tests.harness import Server

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture()
def offline_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A tab whose requests to anywhere but this machine are aborted (and noted); fails on script errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    refused: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            refused.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", only_local)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.set_default_timeout(20_000)
    yield tab, refused
    context.close()
    assert not errors, f"script errors: {errors}"


def test_swagger_ui_renders_the_operations_offline(
    offline_page: tuple[Page, list[str]], console_server: Server
) -> None:
    tab, refused = offline_page
    tab.goto(site(console_server) + "/docs")
    create = tab.locator(".opblock-post", has=tab.locator("[data-path='/api/ocrjobs/create']"))
    expect(create).to_be_visible()
    expect(tab.locator(".opblock", has=tab.locator("[data-path='/api/v1/ocr-invoice-jobs']")).first).to_be_visible()
    assert tab.locator(".opblock").count() > 30
    create.locator(".opblock-summary").click()  # an operation opens, ready to be tried
    expect(create.get_by_role("button", name="Try it out")).to_be_visible()
    shot(tab, "api-docs-swagger-ui")
    assert refused == [], f"the page asked for files off this machine: {refused}"


def test_redoc_renders_the_operations_offline(offline_page: tuple[Page, list[str]], console_server: Server) -> None:
    tab, refused = offline_page
    tab.goto(site(console_server) + "/redoc")
    operations = tab.locator("[data-section-id^='operation/']")
    expect(operations.first).to_be_visible(timeout=30_000)
    assert operations.count() > 30
    expect(tab.get_by_role("heading", name=re.compile(r"^ocrmill \(v"))).to_be_visible()
    shot(tab, "api-docs-redoc")
    assert refused == [], f"the page asked for files off this machine: {refused}"
