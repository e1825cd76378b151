"""The console's webhooks (issue 19.1, 19.5): a clerk registers an endpoint (its secret shown once), sees a delivery's
attempts (a 500, then the 200), sends it again, finds it on the job's page with the ZIP of every output, and removes
the endpoint."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN, CLERK, console_tab, shot, sign_in
from tests.harness import PHOTOTEST, Server, running
from tests.webhook_receiver import receiver, verified


@pytest.fixture(scope="module")
def hooks_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "OCRMILL_AUTH": "true",
        "OCRMILL_FETCH_ALLOW": '["127.0.0.1"]',
        "OCRMILL_WEBHOOK_POLL_SECONDS": "0.1",
        "OCRMILL_WEBHOOK_RETRY_SECONDS": "0.3",
    }
    srv = Server(tmp_path_factory.mktemp("console-webhooks"), env=env)
    srv.add_user(*ADMIN, admin=True)
    srv.add_user(*CLERK)
    with running(srv):
        yield srv


@pytest.fixture()
def tab(browser: Browser, hooks_server: Server) -> Iterator[Page]:
    yield from console_tab(browser, hooks_server)


def test_register_see_attempts_send_again_and_download_the_zip(tab: Page, hooks_server: Server) -> None:
    page = tab
    sign_in(page, CLERK)
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    with receiver(script=[500]) as hook:
        form = page.locator("form.new-webhook")
        form.get_by_label("Endpoint URL").fill(hook.url)
        form.get_by_label("Description").fill("ledger sync")
        form.get_by_label("folder.file_done").uncheck()
        expect(form.get_by_label("For every user's jobs")).to_have_count(0)  # a clerk's own jobs only
        form.get_by_role("button", name="Register endpoint").click()
        secret = page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_")
        row = page.locator("tr[data-webhook]")
        expect(row).to_contain_text(hook.url)
        expect(row).not_to_contain_text("folder.file_done")

        job = hooks_server.submit(PHOTOTEST, auth=CLERK, TxtOutput=True)
        hooks_server.wait(job["Id"], auth=CLERK)
        first, second = hook.wait_for(2)
        delivery_id = verified(secret, second)["deliveryId"]
        assert verified(secret, first)["deliveryId"] == delivery_id
        delivery = page.locator(f'tr[data-delivery="{delivery_id}"]')
        expect(delivery.locator(".delivery-state")).to_have_text("delivered")  # the page refreshes itself
        expect(delivery.locator("ol.attempts li")).to_have_count(2)
        expect(delivery.locator("ol.attempts li").first).to_contain_text("HTTP 500")
        expect(delivery.locator("ol.attempts li").last).to_contain_text("HTTP 200")
        shot(page, "webhooks")
        delivery.get_by_role("button", name="Send again").click()
        assert verified(secret, hook.wait_for(3)[2])["deliveryId"] == delivery_id
        expect(delivery.locator("ol.attempts li")).to_have_count(3)

        page.goto(page.url.split("#")[0] + f"#/jobs/{job['Id']}")
        on_job = page.locator(f'tr[data-delivery="{delivery_id}"]')
        expect(on_job).to_contain_text("job.converted")
        with page.expect_download() as downloading:
            page.get_by_role("button", name="Download all (ZIP)").click()
        archive = zipfile.ZipFile(io.BytesIO(downloading.value.path().read_bytes()))
        assert archive.namelist() == [f"{job['Id']}.pdf", f"{job['Id']}.txt"]
        assert "quick brown" in archive.read(f"{job['Id']}.txt").decode().lower()
        shot(page, "job-webhooks-zip")

        page.get_by_role("link", name="Webhooks").click()
        page.on("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name="Remove webhook").click()
        expect(row).to_have_count(0)
        expect(page.locator(f'tr[data-delivery="{delivery_id}"]')).to_have_count(0)
        time.sleep(0.5)
        assert len(hook.received) == 3
