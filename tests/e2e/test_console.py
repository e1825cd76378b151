"""The console's flows in a real browser, one flow per test, against a real server (auth on)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, CLERK, shot, sign_in, site
from tests.harness import DATA, Server

SCAN = DATA / "ocr-tesseract-test" / "phototest.tif"
INVOICE = DATA / "invoices-invoice2data" / "AmazonWebServices.png"
# printed "20-10-2015"; its two line items are the memory card and, read as one, the invoice's total row
ITEMS_INVOICE = DATA / "invoices-invoice2data" / "FlipkartInvoice.png"


def test_sign_in_with_the_keyboard(page: Page) -> None:
    shot(page, "sign-in")
    expect(page.get_by_label("User name")).to_be_focused()
    page.keyboard.type(CLERK[0])
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(CLERK[1])
    page.keyboard.press("Enter")
    expect(page.locator("#who-name")).to_have_text(f"Signed in as {CLERK[0]}")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator('[data-figure="JobsThreads"]')).to_have_text("2")
    # the focus ring is visible: tab to the first navigation link and read its outline
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth] }"
    )
    assert focused[0] != "none" and focused[1] != "0px", focused
    shot(page, "dashboard")


def test_wrong_password_is_refused(page: Page) -> None:
    page.get_by_label("User name").fill(CLERK[0])
    page.get_by_label("Password").fill("not-it")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("wrong password")
    expect(page.locator("#main-nav")).to_be_hidden()


def test_every_field_has_a_label(page: Page, console_server: Server) -> None:
    sign_in(page, ADMIN)
    unlabelled_js = """() => [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => el.type !== 'hidden')
        .filter((el) => !(el.labels && el.labels.length))
        .filter((el) => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
        .map((el) => el.outerHTML)"""
    for screen, heading in (
        ("#/dashboard", "Dashboard"),
        ("#/new", "New job"),
        ("#/jobs", "Jobs"),
        ("#/invoices", "Invoices"),
        ("#/admin", "Administration"),
        ("#/webhooks", "Webhooks"),
    ):
        page.goto(site(console_server) + "/" + screen)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(unlabelled_js) == [], screen
        images_without_alt = page.evaluate("() => [...document.images].filter((i) => !i.hasAttribute('alt')).length")
        assert images_without_alt == 0, screen


def test_submit_a_scan_watch_it_view_it_and_download_the_pdf(
    page: Page, console_server: Server, tmp_path: Path
) -> None:
    sign_in(page, CLERK)
    page.get_by_role("link", name="New job").click()
    page.get_by_label("Files to convert").set_input_files(str(SCAN))
    page.get_by_label("Plain text (TXT)").check()
    expect(page.get_by_label("PDF", exact=True)).to_be_checked()
    shot(page, "new-job")
    page.get_by_role("button", name="Start OCR").click()
    submitted = page.locator("#submitted li")
    expect(submitted).to_have_count(1)
    expect(submitted).to_contain_text("Converted: 1 page", timeout=120_000)
    expect(submitted.locator("progress")).to_have_attribute("value", "1")
    shot(page, "new-job-converted")

    submitted.get_by_role("link").click()
    expect(page.locator("#job-status")).to_contain_text("Converted")
    words = page.locator(".overlay rect.word")
    expect(words.first).to_be_attached()
    assert words.count() > 30
    expect(page.locator(".page-text")).to_contain_text("quick brown")
    expect(page.locator("img.page-image")).to_have_attribute("src", re.compile("^blob:"))
    shot(page, "job-viewer")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    saved = tmp_path / "job.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    with page.expect_download() as text:
        page.get_by_role("button", name="Download TXT").click()
    text.value.save_as(tmp_path / "job.txt")
    assert "quick brown" in (tmp_path / "job.txt").read_text()

    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.locator("table.jobs tbody tr")).to_have_count(1)
    expect(page.locator("table.jobs")).to_contain_text("phototest.tif")
    shot(page, "jobs")


def test_correct_an_invoice_field(page: Page, console_server: Server) -> None:
    sign_in(page, CLERK)
    page.get_by_role("link", name="Invoices").click()
    page.get_by_label("Invoice files").set_input_files(str(INVOICE))
    page.get_by_role("button", name="Upload invoice").click()
    row = page.locator("table.invoices tbody tr", has_text="AmazonWebServices.png")
    expect(row).to_contain_text("completed", timeout=120_000)
    shot(page, "invoices")
    row.get_by_role("link").click()

    number = page.get_by_label("Invoice number")
    expect(number).to_have_value("42183017")
    expect(page.locator(".overlay rect.mark-field").first).to_be_attached()
    number.fill("42183017-A")
    page.locator('form[data-field="invoiceNumber"]').get_by_role("button", name="Save").click()
    corrected = page.locator('form[data-field="invoiceNumber"]')
    expect(corrected).to_contain_text("Corrected to “42183017-A” by carl")
    expect(corrected).to_contain_text("Engine: 42183017")
    expect(page.get_by_label("Invoice number")).to_have_value("42183017-A")
    shot(page, "invoice-review")

    job_id = page.url.rsplit("/", 1)[1]
    api = httpx.Client(base_url=site(console_server) + "/api/v1", auth=CLERK, timeout=30)
    pages = api.get("/ocr-invoice-job-pages", params={"filter": f'{{"job": "{job_id}"}}'}).json()["data"]
    annotations = pages[0]["annotations"]
    assert [(a["type"], a["field"], a["text"], a["createdBy"]) for a in annotations] == [
        ("correction", "invoiceNumber", "42183017-A", "carl")
    ]
    field = pages[0]["extractedFields"]["invoiceNumber"]
    assert field["source"] == "correction" and field["original"]["value"] == "42183017"
    assert (
        api.get(f"/ocr-invoice-jobs/{job_id}").json()["data"]["extractedFields"]["invoiceNumber"]["value"]
        == "42183017-A"
    )


def test_review_shows_normal_values_and_checks_in_words_and_corrects_a_line_item(
    page: Page, console_server: Server
) -> None:
    sign_in(page, CLERK)
    page.get_by_role("link", name="Invoices").click()
    page.get_by_label("Invoice files").set_input_files(str(ITEMS_INVOICE))
    page.get_by_role("button", name="Upload invoice").click()
    row = page.locator("table.invoices tbody tr", has_text="FlipkartInvoice.png")
    expect(row).to_contain_text("completed", timeout=120_000)
    row.get_by_role("link").click()

    # the edit box holds the date as ISO 8601, the printed text is the hint beside it
    expect(page.get_by_label("Invoice date")).to_have_value("2015-10-20")
    expect(page.locator('form[data-field="invoiceDate"]')).to_contain_text("printed “20-10-2015”")
    # the checks in words: the two items (the second is the total row read as an item) add up to twice the total,
    # neither the subtotal (net) nor the total
    check = page.locator('.checks li[data-check="lineItemsSum"]')
    failed = re.compile(r"^Line items add up to the (sub)?total: \d+\.\d\d expected, 638\.00 found ✗")
    expect(check).to_have_text(failed)
    expect(page.locator(".checks")).not_to_contain_text("lineItemsSum")

    amount = page.get_by_label("Line 2 amount")
    expect(amount).to_have_value("319.00")
    amount.fill("0")
    amount.press("Enter")
    expect(page.get_by_label("Line 2 amount")).to_have_value("0.00")
    line = page.locator('tr[data-line="2"]')
    expect(line).to_contain_text("Engine: 319.00")
    expect(line).to_contain_text("Corrected by carl")
    expect(check).to_contain_text("319.00 expected, 319.00 found ✓")
    shot(page, "invoice-review-line-item")

    page.reload()
    expect(page.get_by_label("Line 2 amount")).to_have_value("0.00")
    expect(page.locator('tr[data-line="2"] td.corrected')).to_contain_text("Engine: 319.00")
    expect(page.get_by_label("Line 1 amount")).to_have_value("319.00")
    expect(page.locator('.checks li[data-check="lineItemsSum"]')).to_contain_text("319.00 found ✓")

    job_id = page.url.rsplit("/", 1)[1]
    api = httpx.Client(base_url=site(console_server) + "/api/v1", auth=CLERK, timeout=30)
    (found,) = api.get("/ocr-invoice-job-pages", params={"filter": f'{{"job": "{job_id}"}}'}).json()["data"]
    assert [(a["type"], a["field"], a["text"], a["createdBy"]) for a in found["annotations"]] == [
        ("correction", "lineItems[1].amount", "0", "carl")
    ]
    job = api.get(f"/ocr-invoice-jobs/{job_id}").json()["data"]
    item = job["lineItems"][1]
    assert (item["amount"], item["source"], item["correctedColumns"]) == ("0.00", "correction", ["amount"])
    assert item["original"]["amount"] == "319.00" and job["lineItems"][0]["amount"] == "319.00"
    assert [(c["name"], c["passed"]) for c in job["checks"]][:1] == [("lineItemsSum", True)]


def test_admin_adds_a_user_and_a_template(page: Page, console_server: Server) -> None:
    sign_in(page, ADMIN)
    page.get_by_role("link", name="Administration").click()
    form = page.locator("form.new-user")
    form.get_by_label("User name").fill("dora")
    form.get_by_label("Password").fill("dora-secret-pw")
    form.get_by_label("May list OCR folders").check()
    form.get_by_role("button", name="Add user").click()
    expect(page.locator('tr[data-user="dora"]')).to_be_visible()

    template = page.locator("form.new-template")
    template.get_by_label("Template name").fill("Archive: PDF/A-2b and text")
    template.get_by_label("Plain text (TXT)").check()
    template.locator("summary", has_text="PDF output").click()
    template.get_by_label("PDF conformance").select_option(label="PDF/A-2b")
    template.get_by_role("button", name="Create template").click()
    expect(page.locator("table.templates")).to_contain_text("Archive: PDF/A-2b and text")
    shot(page, "admin")

    base = site(console_server) + "/api"
    me = httpx.get(f"{base}/console/me", auth=("dora", "dora-secret-pw"), timeout=30).json()
    assert me == {
        "name": "dora",
        "admin": False,
        "rights": {"enumFolders": True, "postFolders": False},
        "auth": True,
        "server": "ocrmill",
    }
    templates = httpx.get(f"{base}/ocrjobs/templates", auth=ADMIN, timeout=30).json()
    made = [t for t in templates if t["Descr"] == "Archive: PDF/A-2b and text"]
    assert len(made) == 1 and made[0]["PdfConformance"] == 2 and made[0]["TxtOutput"] is True


def test_a_clerk_has_no_administration(page: Page, console_server: Server) -> None:
    sign_in(page, CLERK)
    expect(page.get_by_role("link", name="Administration")).to_be_hidden()
    page.goto(site(console_server) + "/#/admin")
    expect(page.get_by_role("alert")).to_contain_text("Only administrators")
    base = site(console_server) + "/api/console"
    assert httpx.get(f"{base}/users", auth=CLERK, timeout=30).status_code == 403
    added = httpx.post(f"{base}/users", json={"name": "eve", "password": "x"}, auth=CLERK, timeout=30)
    assert added.status_code == 403
    assert httpx.get(f"{base}/users", timeout=30).status_code == 401
    shot(page, "admin-refused")
