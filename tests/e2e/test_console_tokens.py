"""The console's API tokens page (issue 17.3): a clerk makes a read-only token, sees it once, uses it, revokes it."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import CLERK, shot, sign_in, site
from tests.harness import Server


def test_a_clerk_makes_uses_and_revokes_a_token(page: Page, console_server: Server) -> None:
    sign_in(page, CLERK)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    form = page.locator("form.new-token")
    form.get_by_label("Token name").fill("nightly export")
    form.get_by_label("Expires after (days)").fill("30")
    form.get_by_label("Read-only").check()
    form.get_by_role("button", name="Make token").click()
    secret = page.get_by_label("Your new token").input_value()
    assert secret.startswith("ocm_")
    row = page.locator('tr[data-token="nightly export"]')
    expect(row).to_contain_text("read-only")
    shot(page, "tokens")

    base = site(console_server) + "/api"
    bearer = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{base}/console/me", headers=bearer, timeout=30).json()["name"] == CLERK[0]
    assert httpx.post(f"{base}/ocrjobs/create", json={}, headers=bearer, timeout=30).status_code == 403

    page.reload()  # the secret is shown once: not after a reload
    expect(row).to_be_visible()
    expect(page.get_by_label("Your new token")).to_have_count(0)
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke nightly export").click()
    expect(row).to_have_count(0)
    assert httpx.get(f"{base}/console/me", headers=bearer, timeout=30).status_code == 401
