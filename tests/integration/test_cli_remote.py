"""`ocrmill submit` and `ocrmill invoice` against a real `ocrmill serve` with authentication on: a multi-page PDF
converted end to end with its outputs written, a real invoice's fields printed as JSON and as a table, and the
server's message when the token, the job property or the server is wrong."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pikepdf
from PIL import Image

from ocrmill.client import Client
from tests.conftest import one_pass
from tests.harness import DATA, OCRMILL, PHOTOTEST, Server, free_port
from tests.remote import Remote

EINFACH = DATA / "invoices-zugferd" / "EN16931_Einfach.pdf"


def ocrmill(server: Server, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: no server settings of its own beyond `env` (OCRMILL_SERVER, ...)."""
    clean = {k: v for k, v in server.env.items() if not k.startswith("OCRMILL_")} | env
    return subprocess.run([OCRMILL, *args], env=clean, capture_output=True, text=True, timeout=300)


def test_submit_converts_a_multi_page_pdf_and_writes_its_outputs(remote: Remote, tmp_path: Path) -> None:
    page = Image.open(PHOTOTEST).convert("L")
    pdf = tmp_path / "letter.pdf"
    page.save(pdf, save_all=True, append_images=[page, page], resolution=300)
    out = tmp_path / "out"
    done = ocrmill(
        remote.server, "submit", str(pdf), "--set", "TxtOutput=true", "--set", "Descr=from the CLI", "--out", str(out),
        OCRMILL_SERVER=remote.url, OCRMILL_TOKEN=remote.token,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["letter.pdf", "letter.txt"]
    assert done.stdout.split() == [str(out / "letter.pdf"), str(out / "letter.txt")]
    with pikepdf.open(out / "letter.pdf") as result:
        assert len(result.pages) == 3
    assert (out / "letter.txt").read_text().count("quick brown") >= 3
    assert "letter.pdf: 100%" in done.stderr and "3/3" in done.stderr  # its progress bar, to the end
    with Client(remote.url, token=remote.token) as ocr:
        (job,) = [j for j in ocr.jobs() if j.descr == "from the CLI"]
    assert job.number_of_pages == 3 and job.outputs == ["pdf", "txt"]


def test_submit_takes_a_folders_files_as_jobs_or_joined(remote: Remote, tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    Image.open(PHOTOTEST).convert("L").save(scans / "b.png", dpi=(300, 300))
    Image.open(PHOTOTEST).convert("L").save(scans / "a.png", dpi=(300, 300))
    (scans / "readme.txt").write_text("not a scan")
    env = {"OCRMILL_SERVER": remote.url, "OCRMILL_TOKEN": remote.token}
    options = ("--set", "TxtOutput=true", "--set", "PdfOutput=false", "--no-progress-bar")
    each = ocrmill(remote.server, "submit", str(scans), "--out", str(tmp_path / "each"), *options, **env)
    assert each.returncode == 0, each.stderr
    assert sorted(p.name for p in (tmp_path / "each").iterdir()) == ["a.txt", "b.txt"]
    joined = ocrmill(remote.server, "submit", str(scans), "--join", "--out", str(tmp_path / "joined"), *options, **env)
    assert joined.returncode == 0, joined.stderr
    assert [p.name for p in (tmp_path / "joined").iterdir()] == ["a.txt"]  # named after its first file
    pages = (tmp_path / "joined" / "a.txt").read_text().split("\f")
    assert len([page for page in pages if "quick brown" in page]) == 2


@one_pass("remote")  # refusals: no file
def test_submit_reports_the_servers_message(remote: Remote, tmp_path: Path) -> None:
    wrong = ocrmill(
        remote.server, "submit", str(PHOTOTEST), "--out", str(tmp_path), "--server", remote.url, "--token", "ocm_nope"
    )
    assert wrong.returncode == 1
    assert f"{PHOTOTEST.name}: 401: Unknown, revoked or expired API token." in wrong.stderr
    basic = ocrmill(
        remote.server, "submit", str(PHOTOTEST), "--out", str(tmp_path), "--user", "alice",
        OCRMILL_SERVER=remote.url, OCRMILL_TOKEN=remote.token, OCRMILL_PASSWORD="not-her-password",
    )  # fmt: skip
    assert basic.returncode == 1  # --user: Basic with that password, not the token
    assert f"{PHOTOTEST.name}: 401: Unknown user name or wrong password." in basic.stderr
    bad = ocrmill(
        remote.server, "submit", str(PHOTOTEST), "--out", str(tmp_path), "--set", "PdfConformance=9",
        "--no-progress-bar", OCRMILL_SERVER=remote.url, OCRMILL_TOKEN=remote.token,
    )  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.startswith(f"{PHOTOTEST.name}: 400: PdfConformance: ") and "%" not in bad.stderr
    assert list(tmp_path.iterdir()) == []
    nowhere = ocrmill(remote.server, "submit", str(PHOTOTEST), "--out", str(tmp_path))
    assert nowhere.returncode == 2 and "--server URL, or OCRMILL_SERVER" in nowhere.stderr
    unreachable = ocrmill(remote.server, "invoice", str(EINFACH), "--server", f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 2 and "failed" in unreachable.stderr


@one_pass("remote")  # the fields it prints: the same invoice's files go through both stores in test_client
def test_invoice_prints_the_fields_of_a_real_invoice(remote: Remote) -> None:
    expected = json.loads(EINFACH.with_suffix(".expected.json").read_text(encoding="utf-8"))
    printed = ocrmill(
        remote.server,
        "invoice",
        str(EINFACH),
        "--format",
        "json",
        "--server",
        remote.url,
        "--token",
        remote.token,
        "--no-progress-bar",
    )
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    fields = document["fields"]
    assert fields["invoiceNumber"]["normalized"] == expected["invoice_number"]
    assert fields["vendorName"]["normalized"] == expected["seller_name"]
    assert fields["total"]["normalized"] == expected["grand_total"]
    assert fields["taxAmount"]["normalized"] == expected["tax_total"]
    assert len(document["lineItems"]) == expected["line_count"] and document["status"] == "completed"
    with Client(remote.url, token=remote.token) as ocr:
        assert ocr.invoice_job(document["id"]).raw["extractedFields"] == fields

    table = ocrmill(remote.server, "invoice", str(EINFACH), OCRMILL_SERVER=remote.url, OCRMILL_TOKEN=remote.token)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["field", "value", "normalized", "confidence", "page", "source"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert set(rows) == set(fields)
    assert rows["total"][1:3] == [fields["total"]["value"], expected["grand_total"]]
    assert "2/2" in table.stderr  # the progress bar of its two pages
