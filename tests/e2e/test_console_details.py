"""The console's small things in a real browser: what the top bar offers, what a form keeps after a refusal, how
names and errors read (issue 17.9)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import CLERK, console_tab, shot, sign_in
from tests.harness import DATA, Server, running

ITF = DATA / "barcodes-zxing" / "itf-1" / "13.png"
SCAN = DATA / "ocr-tesseract-test" / "phototest.tif"


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with authentication off (the default on a loopback address)."""
    with running(Server(tmp_path_factory.mktemp("console-open"), env={"OCRMILL_AUTH": "false"})) as srv:
        yield srv


@pytest.fixture()
def open_page(browser: Browser, open_server: Server) -> Iterator[Page]:
    yield from console_tab(browser, open_server)


def test_no_sign_out_without_authentication(open_page: Page) -> None:
    expect(open_page.locator("#who-name")).to_have_text("Authentication is off")
    expect(open_page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(open_page.get_by_role("button", name="Sign out")).to_be_hidden()
    shot(open_page, "top-bar-auth-off")


def test_no_sign_out_on_the_sign_in_page(page: Page) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.locator("#who")).to_be_hidden()
    sign_in(page, CLERK)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("You are signed out.")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()


def test_a_wrong_password_keeps_the_user_name(page: Page) -> None:
    page.get_by_label("User name").fill(CLERK[0])
    page.get_by_label("Password").fill("not-it")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("wrong password")
    expect(page.get_by_label("User name")).to_have_value(CLERK[0])
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(CLERK[1])
    page.keyboard.press("Enter")
    expect(page.locator("#who-name")).to_have_text(f"Signed in as {CLERK[0]}")


def test_barcode_types_by_their_readable_names(open_page: Page) -> None:
    open_page.get_by_role("link", name="New job").click()
    open_page.locator("summary", has_text="Barcodes").click()
    types = open_page.locator('[data-group="barcodes"] .choice-set')
    for name in ("EAN-13", "Interleaved 2 of 5", "QR Code", "Code 128", "UPC-A"):
        expect(types.get_by_label(name, exact=True)).to_be_visible()
    expect(types).not_to_contain_text("INTERLEAVED2OF5")
    open_page.get_by_label("Detect barcodes").check()
    open_page.get_by_label("Files to convert").set_input_files(str(ITF))
    open_page.get_by_role("button", name="Start OCR").click()
    submitted = open_page.locator("#submitted li")
    expect(submitted).to_contain_text("Converted", timeout=120_000)
    submitted.get_by_role("link").click()
    codes = open_page.locator("section", has=open_page.get_by_role("heading", name="Barcodes (1)"))
    expect(codes.locator("tbody td").nth(1)).to_have_text("Interleaved 2 of 5")
    open_page.locator("summary", has_text="Options").click()
    expect(open_page.locator(".job-options")).not_to_contain_text("INTERLEAVED2OF5")
    shot(open_page, "job-barcodes")


def test_a_failed_job_says_why_once_in_one_sentence(open_page: Page, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.4 garbage")
    open_page.get_by_role("link", name="New job").click()
    open_page.get_by_label("Files to convert").set_input_files(str(damaged))
    open_page.get_by_role("button", name="Start OCR").click()
    submitted = open_page.locator("#submitted li")
    expect(submitted).to_contain_text("Error", timeout=120_000)
    submitted.get_by_role("link").click()
    expect(open_page.locator("#job-status")).to_have_text("Error")
    why = "is not a readable PDF: unable to find trailer dictionary while recovering damaged file."
    expect(open_page.get_by_role("alert")).to_contain_text(why)
    expect(open_page.locator("main")).not_to_contain_text("the file unable")
    assert open_page.locator("main").inner_text().count("trailer dictionary") == 1
    shot(open_page, "job-failed")


def test_an_unsupported_file_is_refused_by_its_name(open_page: Page, tmp_path: Path) -> None:
    notes = tmp_path / "notes.docx"
    notes.write_bytes(b"PK\x03\x04 not a scan")
    open_page.get_by_role("link", name="New job").click()
    open_page.get_by_label("Files to convert").set_input_files([str(SCAN), str(notes)])
    open_page.get_by_role("button", name="Start OCR").click()
    expect(open_page.get_by_role("alert")).to_contain_text("Not a file type ocrmill converts: “notes.docx”.")
    expect(open_page.locator("#submitted li")).to_have_count(0)
    shot(open_page, "new-job-unsupported")


def test_a_refused_upload_names_the_file(open_page: Page, open_server: Server) -> None:
    def refuse(route: Route) -> None:
        route.fulfill(status=415, json={"Message": "File type 'TIF' is not supported."})

    open_page.route("**/uploadext/**", refuse)
    open_page.get_by_role("link", name="New job").click()
    open_page.get_by_label("Files to convert").set_input_files(str(SCAN))
    open_page.get_by_role("button", name="Start OCR").click()
    refused = "“phototest.tif” was refused: File type 'TIF' is not supported."
    expect(open_page.get_by_role("alert")).to_have_text(refused)
    # the job made for it is not left behind
    expect(open_page.locator("#submitted li")).to_have_count(0)
    open_page.get_by_role("link", name="Jobs", exact=True).click()
    expect(open_page.get_by_role("heading", name="Jobs")).to_be_visible()
    open_page.wait_for_load_state("networkidle")
    expect(open_page.locator("main")).not_to_contain_text("phototest.tif")


def test_a_template_has_a_name(open_page: Page) -> None:
    open_page.get_by_role("link", name="Administration").click()
    form = open_page.locator("form.new-template")
    expect(form.get_by_label("Description")).to_have_count(0)  # the name is asked for first, not among the options
    form.get_by_role("button", name="Create template").click()
    expect(form.get_by_label("Template name")).to_be_focused()  # required: the browser asks for it
    form.get_by_label("Template name").fill("Text only")
    form.get_by_label("Plain text (TXT)").check()
    form.get_by_label("PDF", exact=True).uncheck()
    form.get_by_role("button", name="Create template").click()
    row = open_page.locator("table.templates tbody tr", has_text="Text only")
    expect(row.get_by_role("rowheader")).to_have_text("Text only")
    expect(row).to_contain_text("TXT")
    expect(form.get_by_label("Template name")).to_have_value("")
    shot(open_page, "admin-template-name")
    template_id = row.locator("td").first.inner_text()
    open_page.get_by_role("link", name="New job").click()
    expect(open_page.get_by_role("heading", name="New job")).to_be_visible()  # the admin page has "Template name"
    open_page.get_by_label("Template", exact=True).select_option(label=f"{template_id}: Text only")
    expect(open_page.get_by_label("Plain text (TXT)")).to_be_checked()
