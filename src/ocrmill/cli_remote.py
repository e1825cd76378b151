"""The remote commands, on ocrmill.client: `ocrmill submit` (files to a server's job API, their outputs back) and
`ocrmill invoice` (a document to its invoice API, the fields printed). --server and --token may come from
OCRMILL_SERVER and OCRMILL_TOKEN."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocrmill.errors import OcrmillError

if TYPE_CHECKING:
    from ocrmill.client import AsyncClient

SERVER_ENV = "OCRMILL_SERVER"
TOKEN_ENV = "OCRMILL_TOKEN"
PASSWORD_ENV = "OCRMILL_PASSWORD"  # the password of --user (asked for when it is not set)
JOBS_AT_ONCE = 4  # uploaded, followed and downloaded at once; the server queues what it cannot start yet


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    submit = commands.add_parser(
        "submit",
        help="OCR files on an ocrmill server and write their outputs",
        description="Each FILE becomes a job on the server (a FOLDER: each of its files; --join: one job of all, "
        "pages in order); a progress bar follows each job and its outputs are written into DIR as <name>.<ext>.",
    )
    submit.add_argument("inputs", nargs="+", type=Path, metavar="FILE")
    submit.add_argument("--out", type=Path, required=True, metavar="DIR")
    submit.add_argument("--set", action="append", default=[], metavar="Name=Value", help="a job property")
    submit.add_argument("--join", action="store_true", help="one job of all the files, their pages in order")
    submit.add_argument(
        "--jobs", type=int, default=JOBS_AT_ONCE, metavar="N", help=f"jobs in flight at once (default {JOBS_AT_ONCE})"
    )
    _connection(submit)
    submit.set_defaults(func=_submit)

    invoice = commands.add_parser(
        "invoice",
        help="read an invoice's fields on an ocrmill server",
        description="The FILEs (a PDF, or the images of its pages) become one invoice job; its fields are printed.",
    )
    invoice.add_argument("inputs", nargs="+", type=Path, metavar="FILE")
    invoice.add_argument("--format", choices=("table", "json"), default="table", help="how to print the fields")
    invoice.add_argument("--name", help="the invoice job's name (default: the first file's name)")
    _connection(invoice)
    invoice.set_defaults(func=_invoice)


def _connection(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("server")
    group.add_argument("--server", default=os.environ.get(SERVER_ENV), metavar="URL", help=f"(or {SERVER_ENV})")
    group.add_argument("--token", default=os.environ.get(TOKEN_ENV), help=f"an API token (or {TOKEN_ENV})")
    group.add_argument("--user", help=f"Basic authentication instead of a token; the password from {PASSWORD_ENV}")
    group.add_argument("--timeout", type=float, metavar="SECONDS", help="give up waiting for a job after this")
    group.add_argument("--no-progress-bar", action="store_true", help="no progress bars on standard error")


def _client_args(args: argparse.Namespace) -> dict[str, Any]:
    if not args.server:
        raise OcrmillError("name the server: --server URL, or OCRMILL_SERVER")
    auth = None
    if args.user:
        auth = (args.user, os.environ.get(PASSWORD_ENV) or getpass.getpass(f"Password of {args.user}: "))
    return {"server": args.server, "token": None if args.user else args.token, "auth": auth}


def _check_files(paths: list[Path]) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise OcrmillError(f"no such file: {', '.join(missing)}")


# -- submit ------------------------------------------------------------------------------------------------------


def _submit(args: argparse.Namespace) -> int:
    from ocrmill.cli import job_properties, unique_stem
    from ocrmill.client.calls import input_files

    _check_files(args.inputs)
    options = job_properties(args.set)
    files = input_files(args.inputs)
    if not files:
        raise OcrmillError("no files of a supported type to submit")
    taken: set[str] = set()
    batches = [[f] for f in files] if not args.join else [files]
    named = [(unique_stem(batch[0].stem, taken), batch) for batch in batches]
    done = asyncio.run(_submit_all(args, options, named))
    return 0 if all(done) else 1


async def _submit_all(
    args: argparse.Namespace, options: dict[str, Any], named: list[tuple[str, list[Path]]]
) -> list[bool]:
    from ocrmill.client import AsyncClient

    in_flight = asyncio.Semaphore(max(1, args.jobs))

    async def one(stem: str, files: list[Path]) -> bool:
        async with in_flight:
            return await _submit_one(ocr, args, options, stem, files)

    async with AsyncClient(**_client_args(args)) as ocr:
        return await asyncio.gather(*(one(stem, batch) for stem, batch in named))


async def _submit_one(
    ocr: AsyncClient,
    args: argparse.Namespace,
    options: dict[str, Any],
    stem: str,
    files: list[Path],
) -> bool:
    """One job: upload, a progress bar while it is converted, its outputs written; False (and why, on standard
    error) if any of that fails."""
    from tqdm import tqdm

    from ocrmill.client import ClientError, bar_progress

    label = files[0].name if len(files) == 1 else f"{stem} ({len(files)} files)"
    with tqdm(desc=label, unit="page", disable=args.no_progress_bar, leave=True) as bar:
        try:
            bar.set_postfix_str("uploading")
            job = await ocr.submit(files, options)
            bar.set_postfix_str(f"job {job.id}")
            job = await ocr.wait(job.id, on_progress=bar_progress(bar), timeout=args.timeout)
            written = await ocr.download_outputs(job, args.out, stem=stem)
            bar.set_postfix_str(f"job {job.id} done")
        except (ClientError, OSError, ValueError) as e:  # the server's refusal, a file or folder that fails us
            bar.set_postfix_str("failed")
            tqdm.write(f"{label}: {e}", file=sys.stderr)
            return False
    for path in written:
        tqdm.write(str(path), file=sys.stdout)
    return True


# -- invoice -----------------------------------------------------------------------------------------------------


def _invoice(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ocrmill.client import Client, bar_progress

    _check_files(args.inputs)
    with Client(**_client_args(args)) as ocr:
        job = ocr.create_invoice_job(args.inputs, name=args.name or args.inputs[0].name)
        with tqdm(desc=args.inputs[0].name, unit="page", disable=args.no_progress_bar) as bar:
            job = ocr.wait_invoice_job(
                job.id, on_progress=bar_progress(bar), timeout=args.timeout, raise_on_error=False
            )
    if job.status != "completed":
        print(f"ocrmill: invoice job {job.id} {job.status}: {job.error_log or 'no description'}", file=sys.stderr)
        return 1
    if args.format == "json":
        document = {
            "id": job.id,
            "status": job.status,
            "qualityScore": job.quality_score,
            "fields": job.raw.get("extractedFields", {}),
            "lineItems": job.line_items,
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        rows: list[tuple[str, ...]] = [("field", "value", "normalized", "confidence", "page", "source")]
        rows += [
            (f.name, f.value, f.normalized, f"{f.confidence:.2f}", str(f.page_number or ""), f.source)
            for f in job.fields.values()
        ]
        print(_table(rows))
    return 0


MAX_CELL = 48


def _cell(text: str) -> str:
    """One line, cut at MAX_CELL characters (--format json has it whole)."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _table(rows: list[tuple[str, ...]]) -> str:
    """Columns as wide as their widest cell."""
    cells = [[_cell(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
