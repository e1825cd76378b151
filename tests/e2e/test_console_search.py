"""The console's jobs list searches the recognised text (issue 19.4), in a real browser against a real server."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot, sign_in
from tests.harness import Server
from tests.invoice_api import text_png

# users of this test's own, so that the other console tests' job lists stay as they expect them
SEARCHER = ("sam", "sam-secret-pw")
OTHER = ("tess", "tess-secret-pw")


def test_search_the_jobs_by_a_word_of_their_text(page: Page, console_server: Server) -> None:
    console_server.add_user(*SEARCHER)
    console_server.add_user(*OTHER)
    client = console_server.client
    job = client.post("/create", json={"TxtOutput": True, "Descr": "letters"}, auth=SEARCHER).json()
    uploaded = client.post(
        f"/uploadext/{job['Id']}/png", content=text_png(["Dear customer", "Your xylophone order 5521"]), auth=SEARCHER
    )
    assert uploaded.status_code == 200, uploaded.text
    client.post("/create", json={"Descr": "xylophone of another user", "Autostart": False}, auth=OTHER)
    assert console_server.wait(job["Id"], auth=SEARCHER)["Status"] == 3
    text = client.get(f"/download/{job['Id']}/txt", auth=SEARCHER).text
    line = next(ln.strip() for ln in text.splitlines() if "5521" in ln)

    sign_in(page, SEARCHER)
    page.get_by_role("link", name="Jobs", exact=True).click()
    page.get_by_label("Words in the text").fill("xylophone 5521")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("table.jobs tbody tr")
    expect(rows).to_have_count(1)  # another user's job has the words too
    expect(rows.first).to_contain_text(f"Job {job['Id']}")
    expect(rows.first.locator(".snippet")).to_have_text(line)
    expect(page.locator("nav.pager")).to_contain_text("of 1")
    shot(page, "jobs-search")

    page.get_by_label("Words in the text").fill("nosuchwordanywhere")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No jobs match.")).to_be_visible()
