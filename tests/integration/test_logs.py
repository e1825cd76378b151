"""The log an operator reads: a line per request and per job status change, as text or JSON lines, on stderr."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from tests.harness import Server, running
from tests.invoice_api import text_png, upload, v1, wait_job

ALICE = ("alice", "alice-secret-password")
ADMIN_PASSWORD = "admin-secret-password"
AUTH = {"OCRMILL_AUTH": "true", "OCRMILL_ADMIN_PASSWORD": ADMIN_PASSWORD}
API = "/api/ocrjobs"


def lines_until(server: Server, pattern: str, *, timeout: float = 30) -> str:
    """The server's log once a line matches `pattern` (lines are written after the answer is sent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = server.log.read_text()
        if re.search(pattern, log, re.MULTILINE):
            return log
        time.sleep(0.05)
    raise AssertionError(f"no line matches {pattern!r} in:\n{server.log.read_text()[-4000:]}")


def test_requests_and_job_status_changes_are_logged_as_text(tmp_path: Path, data: Path) -> None:
    server = Server(tmp_path, env=AUTH)
    with running(server):
        server.add_user(*ALICE)
        converted = server.wait(server.submit(data / "ocr-tesseract-test/phototest.tif", auth=ALICE)["Id"], auth=ALICE)
        assert converted["Status"] == 3, converted["ErrorDescription"]
        broken = server.submit(Path(__file__), ext="pdf", auth=ALICE)  # not a PDF: the job ends in Error
        failed = server.wait(broken["Id"], auth=ALICE)
        assert failed["Status"] == 4 and failed["ErrorDescription"]
        assert server.client.get("/test", auth=("alice", "wrong-password-123")).status_code == 401
        assert server.client.post("/create", json={"PdfOutptu": True}, auth=ALICE).status_code == 400
        log = lines_until(server, rf"^.* POST {API}/create 400 .*$")

    done, bad = converted["Id"], failed["Id"]
    ms = r"\d+\.\d ms"
    for line in (
        rf"INFO ocrmill\.access\[\d+\] POST {API}/create 200 {ms} user=alice client=127\.0\.0\.1$",
        rf" POST {API}/uploadext/{done}/tif 200 {ms} user=alice ",
        rf" GET {API}/status/{done} 200 {ms} user=alice ",  # the polling fast path's answers too
        rf" GET {API}/test 401 {ms} user=- client=127\.0\.0\.1: Unknown user name or wrong password\.$",
        rf" POST {API}/create 400 {ms} user=alice client=\S+: PdfOutptu: not a job property",
        rf"INFO ocrmill\.jobs\[\d+\] job {done}: \(new\) -> Created, user alice$",
        rf" job {done}: Created -> Scheduled, user alice$",
        rf" job {done}: Scheduled -> Converting, worker \S+$",
        rf" job {done}: Converting -> Converted, worker \S+$",
        rf"WARNING ocrmill\.jobs\[\d+\] job {bad}: Converting -> Error, worker \S+: \S.+$",
    ):
        assert re.search(line, log, re.MULTILINE), f"no line matches {line!r} in:\n{log}"
    assert failed["ErrorDescription"] in log
    # the worker processes write the status changes they make, in the same format, as their own process
    server_pid = int(re.findall(rf"ocrmill\.access\[(\d+)\] POST {API}/create", log)[0])
    worker_pid = int(re.findall(rf"ocrmill\.jobs\[(\d+)\] job {done}: Scheduled -> Converting", log)[0])
    assert worker_pid != server_pid
    assert ALICE[1] not in log and "wrong-password-123" not in log and ADMIN_PASSWORD not in log
    assert 'HTTP/1.1"' not in log  # uvicorn's own access log is off: one line per request


def records(log: str) -> list[dict[str, Any]]:
    """Every line of a JSON-lines log parsed; the one line `ocrmill serve` prints to stdout is not a log line."""
    lines = [line for line in log.splitlines() if line.strip() and not line.startswith("ocrmill serving on ")]
    assert lines
    parsed = [json.loads(line) for line in lines]  # fails the test on a line that is not JSON
    assert all(isinstance(p, dict) and {"time", "level", "logger", "message"} <= set(p) for p in parsed), parsed
    return parsed


def test_json_lines_parse_and_carry_the_fields(tmp_path: Path, data: Path) -> None:
    server = Server(tmp_path, env={**AUTH, "OCRMILL_LOG_FORMAT": "json"})
    with running(server):
        server.add_user(*ALICE)
        job = server.wait(server.submit(data / "ocr-tesseract-test/phototest.tif", auth=ALICE)["Id"], auth=ALICE)
        assert job["Status"] == 3, job["ErrorDescription"]
        assert server.client.get("/test", auth=("alice", "wrong-password-123")).status_code == 401
        lines_until(server, r'"status": 401')
    parsed = records(server.log.read_text())

    requests = [r for r in parsed if r.get("event") == "request"]
    create = next(r for r in requests if r["method"] == "POST" and r["path"] == f"{API}/create")
    assert (create["status"], create["user"], create["logger"]) == (200, "alice", "ocrmill.access")
    assert isinstance(create["duration_ms"], float)
    refused = next(r for r in requests if r["status"] == 401)
    assert refused["user"] is None and refused["reason"] == "Unknown user name or wrong password."

    changes = [(r["old"], r["new"]) for r in parsed if r.get("event") == "job_status" and r["job_id"] == job["Id"]]
    assert changes == [
        ("(new)", "Created"),
        ("Created", "Scheduled"),
        ("Scheduled", "Converting"),
        ("Converting", "Converted"),
    ]
    converting = next(r for r in parsed if r.get("event") == "job_status" and r["new"] == "Converting")
    assert converting["process"] != create["process"] and converting["worker"]  # a worker process, same format
    # the worker's line on the run: where its CPU went, by phase of the pages (pipeline.cpu) and in all
    run = next(r for r in parsed if r.get("event") == "job_run" and r["job_id"] == job["Id"])
    assert run["process"] == converting["process"] and run["seconds"] > 0
    cpu = run["cpu"]
    assert {"open", "recognise", "layout", "second reading", "page images", "outputs", "job"} <= cpu.keys()
    assert cpu["recognise"] > max(seconds for name, seconds in cpu.items() if name not in ("recognise", "job"))
    assert sum(seconds for name, seconds in cpu.items() if name != "job") <= cpu["job"] + 0.01
    assert "wrong-password-123" not in server.log.read_text()


def test_invoice_jobs_status_changes_are_logged_too(tmp_path: Path) -> None:
    """An invoice job's life, from the upload that makes it to its deletion, in the same lines as an OCR job's: text,
    and JSON lines with their own event (their ids are strings)."""
    for log_format in ("text", "json"):
        server = Server(tmp_path / log_format, env={**AUTH, "OCRMILL_LOG_FORMAT": log_format})
        with running(server):
            server.add_user(*ALICE)
            api = v1(server, auth=ALICE)
            read = upload(api, ("receipt.png", text_png(["TOTAL 12.50"]), "image/png"))
            assert wait_job(api, read["_id"])["status"] == "completed"
            broken = upload(api, ("broken.pdf", b"%PDF-1.4 not really", "application/pdf"))
            failed = wait_job(api, broken["_id"])
            assert failed["status"] == "failed" and failed["errorLog"]
            assert api.delete(f"/ocr-invoice-jobs/{read['_id']}").status_code == 200
            lines_until(server, rf"{read['_id']}.*\(deleted\)")
        log = server.log.read_text()
        if log_format == "text":
            done, bad = read["_id"], broken["_id"]
            for line in (
                rf"INFO ocrmill\.jobs\[\d+\] invoice job {done}: \(new\) -> pending, user alice$",
                rf" invoice job {done}: pending -> processing(, worker \S+)?$",
                rf" invoice job {done}: processing -> completed$",
                rf" invoice job {done}: completed -> \(deleted\), user alice$",
                rf"WARNING ocrmill\.jobs\[\d+\] invoice job {bad}: \S+ -> failed: \S.+$",
            ):
                assert re.search(line, log, re.MULTILINE), f"no line matches {line!r} in:\n{log}"
        else:
            parsed = [r for r in records(log) if r.get("event") == "invoice_job_status"]
            changes = [(r["old"], r["new"]) for r in parsed if r["job_id"] == read["_id"]]
            assert changes[0] == ("(new)", "pending") and changes[-2:] == [
                ("processing", "completed"),
                ("completed", "(deleted)"),
            ]
            failing = next(r for r in parsed if r["job_id"] == broken["_id"] and r["new"] == "failed")
            assert failing["level"] == "WARNING" and failing["reason"] == failed["errorLog"]
            assert not any(r.get("event") == "job_status" for r in records(log))  # OCR jobs' event: none here
