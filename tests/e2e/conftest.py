"""Browser tests of the web console: Playwright driving Debian's Chromium against a real server with
authentication on. Screenshots of every screen go to test-artifacts/console/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.harness import REPO, Server, running

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "test-artifacts" / "console"
ADMIN = ("ada", "ada-secret-pw")
CLERK = ("carl", "carl-secret-pw")


@pytest.fixture(scope="session")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the suite (auth on), with an admin and a clerk."""
    srv = Server(tmp_path_factory.mktemp("console"), env={"OCRMILL_AUTH": "true"})
    # the users before the first start, which would otherwise add an `admin` of its own
    srv.add_user(*ADMIN, admin=True)
    srv.add_user(*CLERK)
    with running(srv):
        yield srv


@pytest.fixture(scope="package")  # not the session: Playwright's sync API keeps an event loop running while it is
def browser() -> Iterator[Browser]:  # open, and later tests' asyncio.run() must find none
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium package is missing: make test installs it (scripts/install-system.sh)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Browser, console_server: Server) -> Iterator[Page]:
    yield from console_tab(browser, console_server)


def console_tab(browser: Browser, srv: Server) -> Iterator[Page]:
    """A fresh tab (laptop screen size) at the console; fails the test on any script error in the page."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.set_default_timeout(20_000)
    tab.goto(site(srv) + "/")
    yield tab
    context.close()
    assert not errors, f"script errors in the console: {errors}"


def site(srv: Server) -> str:
    return f"http://127.0.0.1:{srv.port}"


def sign_in(page: Page, user: tuple[str, str]) -> None:
    page.get_by_label("User name").fill(user[0])
    page.get_by_label("Password").fill(user[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who-name")).to_contain_text(f"Signed in as {user[0]}")


def shot(page: Page, name: str) -> None:
    """A full-page screenshot of the screen under test."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"), full_page=True)
