"""A chaos run: a mixed load on a real server while its workers are killed, its database restarts and its disk fills.

    .venv/bin/python -m bench.chaos [--seconds 90] [--workers 3] [--disk-mb 64] [--seed 1] [--settle 240]

Starts a throwaway PostgreSQL cluster and `ocrmill serve` on it, with `--workers` worker processes, its data folder on
a tmpfs of `--disk-mb` MB mounted for the run (needs root; where mounting is refused the disk chaos is skipped with a
message) and one OCR folder. For `--seconds` it drives a mixed load, paced so that the backlog stays bounded: ownOCR
jobs asking for PDF, TXT and DOCX of the small scans in ../shared/data/ocr-tesseract-test (and a 2-page TIFF of
them), invoice jobs on /api/v1 (a job and a page with a `data:` page URL, or a multipart upload) and files dropped
into the OCR folder. Meanwhile, at random intervals, it kills a random worker process with SIGKILL, halts and resumes
PostgreSQL, or fills the data disk to its last byte and frees it again.

A request answered 200/201 is accepted; 503, 507 and 429 are counted as refused; any other answer or a broken
connection is counted as unexpected (with a sample) and the job is not followed. Afterwards the run waits (at most
`--settle` seconds) for every accepted job to end, then checks:

- every accepted job ended: ownOCR Converted, or Error with a description; invoice completed, or failed with an
  errorLog (an invoice job whose PDF and text could not be written completes by design with its JSON alone and says
  why in errorLog: counted with the errors); a dropped file has its outputs, or lies in the folder's error/ with a
  reason;
- none ended twice: the status changes in the server's log end each ownOCR job once (one "-> Converted" or one
  "-> Error"), no job's output folder holds anything but one result per asked format, no dropped file has both
  outputs and an error;
- no output is truncated: each PDF opens with pikepdf with the job's page count, each DOCX is a sound zip, each TXT
  is non-empty.

Prints the counts as a table and one closing JSON line. "runs logged twice" counts jobs whose worker logged
"converted"/"failed" more than once (a killed or disowned run is redone; only one finish is taken by the database),
for information, not as a violation.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pikepdf
from PIL import Image
from tests.harness import DATA, Postgres, Server, folder_config, pages, running, tmpfs

SCANS = DATA / "ocr-tesseract-test"
IMAGES = ("phototest.tif", "eurotext.tif")  # upright scans: each has text, so an empty TXT is a finding
OWN_OUTPUTS = ("pdf", "txt", "docx")
REFUSED = (503, 507, 429)
FOLDER_ID = "5c1f27f4-0d2a-4a8e-9a5e-3e1c0b6f9d11"
CONVERTED, ERROR = 3, 4
UNFINISHED = '{"status": {"$in": ["pending", "processing"]}}'
LOGGED_END = re.compile(r"\bjob (\d+) (converted|failed) in ")
STATUS_CHANGE = re.compile(r" ocrmill\.jobs\[\d+\] job (\d+): \S+ -> (Converted|Error)\b")


# -- the disk ----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(where: Path, megabytes: int) -> Iterator[bool]:
    """A tmpfs of `megabytes` mounted on `where`; yields whether the mount worked."""
    with tmpfs(where, megabytes) as refused:
        if refused:
            print(f"no disk chaos: a tmpfs cannot be mounted here ({refused})", file=sys.stderr)
        yield not refused


def fill(path: Path) -> None:
    """Writes `path` until its file system is full, down to the last byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (2**20, 2**12, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


# -- what happened -----------------------------------------------------------------------------------------------


@dataclass
class Own:
    id: int
    pages: int


@dataclass
class Invoice:
    id: str


@dataclass
class Drop:
    name: str


@dataclass
class Tally:
    own: list[Own] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    chaos: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, what: str, response: httpx.Response, *expected: int) -> bool:
        """Whether `response` accepted the request; counts refusals and unexpected answers."""
        if response.status_code in expected:
            return True
        with self.lock:
            if response.status_code in REFUSED:
                self.refused[str(response.status_code)] += 1
            else:
                key = f"{what} {response.status_code}"
                self.unexpected[key] += 1
                self.samples.setdefault(key, response.text[:300])
        return False

    def broken(self, what: str, error: Exception) -> None:
        key = f"{what} {type(error).__name__}"
        with self.lock:
            self.unexpected[key] += 1
            self.samples.setdefault(key, str(error)[:300])


# -- the load ----------------------------------------------------------------------------------------------------


class Load:
    def __init__(self, server: Server, folder: Path, work: Path, tally: Tally, rng: random.Random) -> None:
        self.server, self.folder, self.tally, self.rng = server, folder, tally, rng
        self.own = httpx.Client(base_url=server.base, timeout=30)
        self.v1 = httpx.Client(base_url=f"http://127.0.0.1:{server.port}/api/v1", timeout=30)
        self.inputs: list[tuple[Path, int]] = [(SCANS / name, 1) for name in IMAGES]
        self.inputs.append((pages(work, 2), 2))
        self.pngs = [png(SCANS / name, work) for name in IMAGES]
        self.inputs += [(path, 1) for path in self.pngs]
        self.serial = 0

    def one(self) -> None:
        kind = self.rng.choices(("own", "invoice", "upload", "drop"), weights=(5, 2, 2, 1))[0]
        try:
            {"own": self.own_job, "invoice": self.invoice_job, "upload": self.invoice_upload, "drop": self.drop}[kind]()
        except httpx.HTTPError as e:
            self.tally.broken(kind, e)

    def own_job(self) -> None:
        path, count = self.rng.choice(self.inputs)
        options = {"PdfOutput": True, "TxtOutput": True, "DocxOutput": True, "NrOfOCRThreads": 1}
        created = self.own.post("/create", json=options)
        if not self.tally.answered("own create", created, 200):
            return
        job_id = int(created.json()["Id"])
        uploaded = self.own.post(f"/uploadext/{job_id}/{path.suffix.lstrip('.')}", content=path.read_bytes())
        if self.tally.answered("own upload", uploaded, 200):
            self.tally.own.append(Own(job_id, count))

    def invoice_job(self) -> None:
        job = self.v1.post("/ocr-invoice-jobs", json={"name": "chaos"})
        if not self.tally.answered("invoice create", job, 201):
            return
        job_id = str(job.json()["data"]["_id"])
        url = "data:image/png;base64," + base64.b64encode(self.rng.choice(self.pngs).read_bytes()).decode("ascii")
        page = self.v1.post("/ocr-invoice-job-pages", json={"job": job_id, "pageNumber": 1, "pageUrl": url})
        if self.tally.answered("invoice page", page, 201):
            self.tally.invoices.append(Invoice(job_id))

    def invoice_upload(self) -> None:
        path = self.rng.choice(self.pngs)
        files = [("file", (path.name, path.read_bytes(), "image/png"))]
        job = self.v1.post("/ocr-invoice-jobs", files=files)
        if self.tally.answered("invoice upload", job, 201):
            self.tally.invoices.append(Invoice(str(job.json()["data"]["_id"])))

    def drop(self) -> None:
        path, _ = self.rng.choice([(p, n) for p, n in self.inputs if n == 1])
        self.serial += 1
        name = f"drop-{self.serial:04d}{path.suffix}"
        partial = self.folder / f".{name}.part"  # not of the folder's filters until renamed
        shutil.copyfile(path, partial)
        partial.rename(self.folder / name)
        self.tally.drops.append(Drop(name))

    def backlog(self) -> int:
        """Accepted ownOCR and invoice jobs not ended yet (the API's own counts)."""
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
            waiting = sum(len(self.own.get(f"/allbystatus/{s}").json()) for s in (1, 2))
            listing = self.v1.get("/ocr-invoice-jobs", params={"filter": UNFINISHED})
            return waiting + int(listing.json().get("total", 0))
        return 0


def png(scan: Path, work: Path) -> Path:
    path = work / f"{scan.stem}.png"
    with Image.open(scan) as image:
        image.save(path, dpi=image.info.get("dpi", (300, 300)))
    return path


# -- the chaos ---------------------------------------------------------------------------------------------------


class Chaos(threading.Thread):
    def __init__(self, server: Server, pg: Postgres, disk: Path | None, tally: Tally, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.server, self.pg, self.disk, self.tally, self.rng = server, pg, disk, tally, rng
        self.stop = threading.Event()

    def run(self) -> None:
        actions = ["kill", "kill", "db"] + (["disk"] if self.disk else [])
        while not self.stop.wait(self.rng.uniform(3, 9)):
            action = self.rng.choice(actions)
            if action == "kill":
                workers = self.server.worker_pids()
                if workers:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(self.rng.choice(workers), 9)
                        self.tally.chaos["kills"] += 1
            elif action == "db":
                self.pg.halt()
                self.tally.chaos["db restarts"] += 1
                try:
                    time.sleep(self.rng.uniform(1, 5))
                finally:
                    self.pg.resume()
            elif self.disk is not None:
                filler = self.disk / "chaos-filler"
                try:
                    fill(filler)
                    self.tally.chaos["disk fills"] += 1
                    time.sleep(self.rng.uniform(1, 4))
                finally:
                    filler.unlink(missing_ok=True)


# -- the checks --------------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    converted: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    pending: int = 0


def pdf_pages(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def reason(text: str) -> str:
    """An error description with its job-specific numbers taken out, for grouping."""
    return re.sub(r"\d+", "N", text.strip())[:100]


def own_ended(load: Load, job: Own) -> dict[str, Any] | None:
    info = load.own.get(f"/info/{job.id}")
    return dict(info.json()) if info.status_code == 200 and info.json()["Status"] in (CONVERTED, ERROR) else None


def invoice_ended(load: Load, job: Invoice) -> dict[str, Any] | None:
    found = load.v1.get(f"/ocr-invoice-jobs/{job.id}")
    data = found.json().get("data", {}) if found.status_code == 200 else {}
    return dict(data) if data.get("status") in ("completed", "failed") else None


def drop_ended(out: Path, drop: Drop) -> bool:
    stem = Path(drop.name).stem
    return (out / f"{stem}.pdf").exists() or (out / "error" / f"{drop.name}.txt").exists()


def settle(load: Load, out: Path, tally: Tally, seconds: float) -> None:
    """Waits until every accepted job has ended, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if (
                all(own_ended(load, j) for j in tally.own)
                and all(invoice_ended(load, j) for j in tally.invoices)
                and all(drop_ended(out, d) for d in tally.drops)
            ):
                return
        time.sleep(2)


def check(load: Load, data_dir: Path, out: Path, tally: Tally) -> Verdict:
    verdict = Verdict()
    for job in tally.own:
        info = own_ended(load, job)
        if info is None:
            verdict.pending += 1
            verdict.violations.append(f"ownOCR job {job.id} did not end")
            continue
        runs = sorted((data_dir / "jobs" / str(job.id) / "runs").glob("*"))  # the committed run's, and no other
        left = sorted(p.name for run in runs for p in run.glob("*") if p.is_file())
        if info["Status"] == ERROR:
            description = str(info["ErrorDescription"] or "")
            verdict.errors[f"ownOCR: {reason(description)}"] += 1
            if not description.strip():
                verdict.violations.append(f"ownOCR job {job.id} is Error without a description")
            continue
        verdict.converted += 1
        if len(runs) != 1 or left != sorted(f"result.{ext}" for ext in OWN_OUTPUTS):
            verdict.violations.append(f"ownOCR job {job.id}: its {len(runs)} run folder(s) hold {left}")
        for ext in OWN_OUTPUTS:
            got = load.own.get(f"/download/{job.id}/{ext}")
            problem = truncated(ext, got, job.pages)
            if problem:
                verdict.violations.append(f"ownOCR job {job.id} {ext.upper()}: {problem}")
    for invoice in tally.invoices:
        doc = invoice_ended(load, invoice)
        if doc is None:
            verdict.pending += 1
            verdict.violations.append(f"invoice job {invoice.id} did not end")
            continue
        if doc["status"] == "failed":
            verdict.errors[f"invoice: {reason(str(doc.get('errorLog') or ''))}"] += 1
            if not str(doc.get("errorLog") or "").strip():
                verdict.violations.append(f"invoice job {invoice.id} failed without an errorLog")
            continue
        verdict.converted += 1
        outputs = [ext for ext in ("pdf", "txt") if ext in doc.get("outputs", [])]
        if len(outputs) < 2:  # by design the job completes with its JSON alone, saying why PDF and text are missing
            verdict.errors[f"invoice completed without PDF/TXT: {reason(str(doc.get('errorLog') or ''))}"] += 1
            if not str(doc.get("errorLog") or "").strip():
                verdict.violations.append(f"invoice job {invoice.id} completed without PDF/TXT and without a reason")
        for ext in outputs:
            got = load.v1.get(f"/ocr-invoice-jobs/{invoice.id}/download/{ext}")
            problem = truncated(ext, got, int(doc.get("pagesCompleted") or 0))
            if problem:
                verdict.violations.append(f"invoice job {invoice.id} {ext.upper()}: {problem}")
    for drop in tally.drops:
        stem, error = Path(drop.name).stem, out / "error" / f"{drop.name}.txt"
        paths = [out / f"{stem}.{ext}" for ext in ("pdf", "txt")]
        if error.exists():
            text = error.read_text(encoding="utf-8", errors="replace")
            verdict.errors[f"folder: {reason(text)}"] += 1
            if not text.strip():
                verdict.violations.append(f"dropped {drop.name}: in error/ without a reason")
            if any(p.exists() for p in paths):
                verdict.violations.append(f"dropped {drop.name}: both converted and in error/")
        elif all(p.exists() for p in paths):
            verdict.converted += 1
            for path in paths:
                problem = truncated(path.suffix.lstrip("."), path.read_bytes(), 1)
                if problem:
                    verdict.violations.append(f"dropped {drop.name} {path.suffix}: {problem}")
        else:
            verdict.pending += 1
            where = sorted(str(p.relative_to(out.parent)) for p in out.parent.rglob(f"*{Path(drop.name).stem}*"))
            verdict.violations.append(f"dropped {drop.name} did not end; found: {where}")
    return verdict


def truncated(ext: str, got: httpx.Response | bytes, expected_pages: int) -> str:
    """What is wrong with a result (its download or its bytes), or ""."""
    if isinstance(got, httpx.Response):
        if got.status_code != 200:
            return f"download answered {got.status_code}: {got.text[:200]}"
        got = got.content
    try:
        if ext == "pdf":
            found = pdf_pages(got)
            return "" if found == expected_pages else f"{found} pages, expected {expected_pages}"
        if ext == "docx":
            with zipfile.ZipFile(io.BytesIO(got)) as docx:
                bad = docx.testzip()
                return "" if bad is None and "word/document.xml" in docx.namelist() else f"broken member {bad}"
        return "" if got.strip() else "empty"
    except Exception as e:  # any failure to open the file is the finding
        return f"does not open: {type(e).__name__}: {e}"


# -- the run -----------------------------------------------------------------------------------------------------


def ended_twice(log: Path) -> list[str]:
    """Jobs that the status changes in the server's log show ending more than once."""
    ends: dict[str, Counter[str]] = {}
    for match in STATUS_CHANGE.finditer(log.read_text(encoding="utf-8", errors="replace")):
        ends.setdefault(match.group(1), Counter())[match.group(2)] += 1
    return [f"ownOCR job {job} ended {dict(count)}" for job, count in ends.items() if sum(count.values()) > 1]


def logged_twice(log: Path) -> int:
    ends = Counter(m.group(1) for m in LOGGED_END.finditer(log.read_text(encoding="utf-8", errors="replace")))
    return sum(1 for n in ends.values() if n > 1)


def run(
    *, seconds: float, workers: int, disk_mb: int, seed: int, settle_seconds: float, keep: bool = False
) -> dict[str, Any]:
    rng = random.Random(seed)
    tally = Tally()
    root = Path(tempfile.mkdtemp(prefix="ocrmill-chaos-"))
    pg = Postgres().start()
    try:
        with small_disk(root / "data", disk_mb) as mounted:
            env = {
                "OCRMILL_JOBS_THREADS": str(workers),
                "OCRMILL_CONFIG": str(
                    folder_config(root, FOLDER_ID, description="chaos", filters="TIF;PNG", originals="delete")
                ),
                "OCRMILL_FOLDER_STABLE_SECONDS": "0.6",
                "OCRMILL_FOLDER_POLL_SECONDS": "0.3",
            }
            server = Server(root, database_url=pg.new_database(), env=env)
            with running(server):
                load = Load(server, root / "in", root, tally, rng)
                chaos = Chaos(server, pg, server.data_dir if mounted else None, tally, random.Random(seed + 1))
                chaos.start()
                started = time.monotonic()
                while time.monotonic() - started < seconds:
                    if load.backlog() < 3 * workers:
                        load.one()
                    time.sleep(rng.uniform(0.3, 1.5))
                chaos.stop.set()
                chaos.join()
                settled = time.monotonic()
                settle(load, root / "out", tally, settle_seconds)
                settle_took = time.monotonic() - settled
                verdict = check(load, server.data_dir, root / "out", tally)
                twice = logged_twice(server.log)
                verdict.violations += ended_twice(server.log)
    finally:
        pg.stop()
        if keep:
            print(f"kept the server's folder (its log: server.log): {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return {
        "seconds": seconds,
        "workers": workers,
        "seed": seed,
        "disk_chaos": mounted,
        "accepted": {"ownocr": len(tally.own), "invoice": len(tally.invoices), "folder": len(tally.drops)},
        "converted": verdict.converted,
        "error": sum(verdict.errors.values()),
        "errors": dict(verdict.errors.most_common()),
        "not_ended": verdict.pending,
        "refused": dict(tally.refused),
        "unexpected": dict(tally.unexpected),
        "unexpected_samples": tally.samples,
        "kills": tally.chaos["kills"],
        "db_restarts": tally.chaos["db restarts"],
        "disk_fills": tally.chaos["disk fills"],
        "runs_logged_twice": twice,
        "settle_seconds": round(settle_took, 1),
        "violations": verdict.violations,
    }


def table(result: dict[str, Any]) -> str:
    accepted = result["accepted"]
    by_kind = " / ".join(map(str, accepted.values()))
    rows = [
        ("accepted (ownOCR / invoice / folder)", f"{sum(accepted.values())} ({by_kind})"),
        ("converted / completed", result["converted"]),
        ("error / failed", result["error"]),
        *((f"  {why}", n) for why, n in result["errors"].items()),
        ("not ended", result["not_ended"]),
        ("refused", sum(result["refused"].values())),
        *((f"  {status}", n) for status, n in sorted(result["refused"].items())),
        ("unexpected answers", sum(result["unexpected"].values())),
        *((f"  {what}", n) for what, n in sorted(result["unexpected"].items())),
        ("workers killed", result["kills"]),
        ("PostgreSQL restarts", result["db_restarts"]),
        ("disk fills", result["disk_fills"] if result["disk_chaos"] else "skipped (no tmpfs)"),
        ("runs logged twice (redone, not a violation)", result["runs_logged_twice"]),
        ("settling took (s)", result["settle_seconds"]),
        ("violations", len(result["violations"])),
    ]
    width = max(len(str(name)) for name, _ in rows)
    lines = [f"{name!s:<{width}}  {value}" for name, value in rows]
    lines += [f"  ! {v}" for v in result["violations"]]
    lines += [f"  sample {what}: {text}" for what, text in result["unexpected_samples"].items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--disk-mb", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--settle", type=float, default=240, help="at most this long for the jobs to end")
    parser.add_argument("--keep", action="store_true", help="keep the server's folder and log afterwards")
    args = parser.parse_args()
    result = run(
        seconds=args.seconds,
        workers=args.workers,
        disk_mb=args.disk_mb,
        seed=args.seed,
        settle_seconds=args.settle,
        keep=args.keep,
    )
    print(table(result))
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
