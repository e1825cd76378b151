"""Peak memory of the whole server (API process and its children) while it converts a 100-page PDF.

    .venv/bin/python -m bench.memory [--pages 100]

Target: under 600 MB. Pages are streamed: one raster per OCR thread at a time.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import img2pdf
from PIL import Image
from tests.harness import Server, running

from bench.pages import prepare
from bench.throughput import PeakRss


def hundred_page_pdf(target: Path, pages: int) -> Path:
    batch = prepare(Path(__file__).parent / "out" / "throughput" / "pages")
    sources = batch["single"] + batch["multi_pages"]
    jpegs = []
    for i in range(pages):
        out = io.BytesIO()
        Image.open(sources[i % len(sources)]).save(out, format="JPEG", quality=75, dpi=(300, 300))
        jpegs.append(out.getvalue())
    target.write_bytes(img2pdf.convert(jpegs))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ocrmill-memory-") as tmp:
        root = Path(tmp)
        pdf = hundred_page_pdf(root / "big.pdf", args.pages)
        input_mb = round(pdf.stat().st_size / 2**20, 1)
        with running(Server(root / "server")) as server:
            assert server.process is not None
            idle = PeakRss(server.process.pid)
            time.sleep(2)
            idle_mb = round(idle.stop() / 2**20)
            rss = PeakRss(server.process.pid)
            started = time.perf_counter()
            job = server.submit(pdf, PdfOutput=True, TxtOutput=True)
            info = server.wait(job["Id"], timeout=3600, poll=1)
            seconds = time.perf_counter() - started
            peak_mb = round(rss.stop() / 2**20)
        assert info["Status"] == 3, info["ErrorDescription"]
    figures = {
        "pages": info["NumberOfPages"],
        "input_mb": input_mb,
        "seconds": round(seconds, 1),
        "pages_per_minute": round(info["NumberOfPages"] * 60 / seconds, 1),
        "idle_rss_mb": idle_mb,
        "peak_rss_mb": peak_mb,
        "target_met": peak_mb < 600,
    }
    print(
        f"{figures['pages']} pages in {figures['seconds']} s ({figures['pages_per_minute']} pages/min); "
        f"server RSS idle {idle_mb} MB, peak {peak_mb} MB (target < 600 MB: {'met' if peak_mb < 600 else 'NOT met'})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
