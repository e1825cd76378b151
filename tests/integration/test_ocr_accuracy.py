"""OCR accuracy against ground truth, bounded by what the raw Tesseract CLI achieves on the same page.

For every page the test runs `tesseract <image> stdout` (the Debian CLI, same languages) and measures
its error against the ground truth; the page's bound is max(raw error * 1.10 + 0.01, FLOOR). The page
then goes through a running ocrmill server (PDF + TXT output, once with MinConfidence=0 and once with
the default settings) and both the TXT output and the PDF's text layer (`pdftotext -layout`) must stay
within that bound. Single-column pages use the character error rate; pages whose ground truth is in
zone or hOCR order (magazine, multi-column scans, a transcript's line-number column) use the
order-insensitive word-bag error (1 - F1).

`pytest -s` prints every figure, and a table when the module is done.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from tests.consumers import pdf_words
from tests.harness import DATA, Server, running
from tests.metrics import bag_cer, bag_error, cer

FLOOR = 0.02  # bound for pages raw Tesseract reads (almost) perfectly
SLACK_FACTOR = 1.10
SLACK = 0.01

ALL_LATIN = "English,German,French,Italian,Spanish,Portuguese"
TESSERACT_CODES = {
    "English": "eng",
    "German": "deu",
    "French": "fra",
    "Italian": "ita",
    "Spanish": "spa",
    "Portuguese": "por",
}

Metric = Literal["cer", "bag"]


@dataclass(frozen=True)
class Sample:
    name: str
    image: str  # relative to the shared data folder
    truth: str
    metric: Metric
    languages: str = "English"

    @property
    def cli_languages(self) -> str:
        return "+".join(TESSERACT_CODES[name] for name in self.languages.split(","))


SAMPLES = [
    Sample("phototest", "ocr-tesseract-test/phototest.tif", "ocr-tesseract-test/phototest.txt", "cer"),
    Sample(
        "eurotext", "ocr-tesseract-test/eurotext.tif", "ocr-tesseract-test/eurotext.txt", "cer", languages=ALL_LATIN
    ),
    # Ground truth in UNLV zone order: order-insensitive.
    Sample("8087_054.3B", "ocr-tesseract-test/8087_054.3B.tif", "ocr-tesseract-test/8087_054.3B.txt", "bag"),
    Sample(
        "filing_01", "ocr-scribe-benchmark/img/filing_01.png", "ocr-scribe-benchmark/gt_txt/filing_01.gt.txt", "cer"
    ),
    # A transcript with a line-number column: its ground truth lists the 25 numbers first, Tesseract
    # makes them a block of their own, and `pdftotext -layout` puts each beside its line. Order-insensitive.
    Sample(
        "deposition_02",
        "ocr-scribe-benchmark/img/deposition_02.png",
        "ocr-scribe-benchmark/gt_txt/deposition_02.gt.txt",
        "bag",
    ),
    Sample(
        "singlecol_01",
        "ocr-scribe-benchmark/img/singlecol_01.png",
        "ocr-scribe-benchmark/gt_txt/singlecol_01.gt.txt",
        "cer",
    ),
    # Multi-column, RGBA; ground truth in hOCR reading order: order-insensitive.
    Sample(
        "multicol_04",
        "ocr-scribe-benchmark/img/multicol_04.png",
        "ocr-scribe-benchmark/gt_txt/multicol_04.gt.txt",
        "bag",
    ),
]

SETTINGS: dict[str, dict[str, Any]] = {"minconf0": {"MinConfidence": 0}, "default": {}}
OUTPUTS = ("txt", "pdf")


def error(metric: Metric, reference: str, hypothesis: str) -> float:
    return cer(reference, hypothesis) if metric == "cer" else bag_error(reference, hypothesis)


def bound_for(raw_error: float) -> float:
    return max(raw_error * SLACK_FACTOR + SLACK, FLOOR)


@dataclass
class PageResult:
    sample: Sample
    truth: str
    raw_text: str = ""
    raw_seconds: float = 0.0
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (setting, output) -> text
    layer_words: dict[str, list[str]] = field(default_factory=dict)  # setting -> the PDF text layer's words
    failures: dict[str, str] = field(default_factory=dict)  # setting -> why the job gave no result

    @property
    def raw_error(self) -> float:
        return error(self.sample.metric, self.truth, self.raw_text)

    @property
    def bound(self) -> float:
        return bound_for(self.raw_error)

    def error_of(self, setting: str, output: str) -> float:
        return error(self.sample.metric, self.truth, self.texts[setting, output])

    def figures(self, text: str) -> str:
        """Every metric, for the printout."""
        truth = self.truth
        return f"cer={cer(truth, text):.4f} bag={bag_error(truth, text):.4f} bagcer={bag_cer(truth, text):.4f}"


def run_raw_tesseract(sample: Sample) -> tuple[str, float]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    start = time.monotonic()
    done = subprocess.run(
        ["tesseract", str(DATA / sample.image), "stdout", "-l", sample.cli_languages],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, time.monotonic() - start


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as `pdftotext -layout` reads it: physical lines top to bottom, hyphens kept.

    Plain `pdftotext` is not used: its block analysis splits widely spaced lines into one-word blocks
    (deposition_02 comes out in scrambled word order, from Tesseract's own PDF renderer too), and it
    joins hyphenated words, which the ground truth keeps split."""
    with tempfile.TemporaryDirectory(prefix="ocrmill-acc-") as tmp:
        path = Path(tmp) / "result.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60
        )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode("utf-8")


def text_layer_words(pdf: bytes) -> list[str]:
    """The text layer's words in the order they are drawn (`pdftotext -bbox`: a word left out does not make
    `-layout` join its neighbours differently)."""
    with tempfile.TemporaryDirectory(prefix="ocrmill-acc-") as tmp:
        path = Path(tmp) / "result.pdf"
        path.write_bytes(pdf)
        return [word for word, _, _ in pdf_words(path)]


@pytest.fixture(scope="module")
def accuracy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PageResult]]:
    """Every sample through raw Tesseract and through one SQLite-backed ocrmill server, all at once."""
    for tool in ("tesseract", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (scripts/install-system.sh installs it)")
    started = time.monotonic()
    results = {s.name: PageResult(s, (DATA / s.truth).read_text(encoding="utf-8")) for s in SAMPLES}
    with running(Server(tmp_path_factory.mktemp("accuracy"))) as server:
        jobs: dict[tuple[str, str], int] = {}
        for sample in SAMPLES:
            for setting, options in SETTINGS.items():
                job = server.submit(
                    DATA / sample.image,
                    PdfOutput=True,
                    TxtOutput=True,
                    RecognitionLanguages=sample.languages,
                    **options,
                )
                jobs[sample.name, setting] = int(job["Id"])
        with ThreadPoolExecutor(max_workers=2) as pool:
            for sample, (text, seconds) in zip(SAMPLES, pool.map(run_raw_tesseract, SAMPLES), strict=True):
                results[sample.name].raw_text, results[sample.name].raw_seconds = text, seconds
        for (name, setting), job_id in jobs.items():
            info = server.wait(job_id)
            if info["Status"] != 3:
                results[name].failures[setting] = f"job {job_id} ended with status {info['Status']}: {info}"
                continue
            txt = server.client.get(f"/download/{job_id}/txt")
            pdf = server.client.get(f"/download/{job_id}/pdf")
            assert txt.status_code == 200 and pdf.status_code == 200, (txt.text[:500], pdf.text[:500])
            results[name].texts[setting, "txt"] = txt.content.decode("utf-8")
            results[name].texts[setting, "pdf"] = pdf_text(pdf.content)
            results[name].layer_words[setting] = text_layer_words(pdf.content)
    elapsed = time.monotonic() - started
    yield results
    print(f"\n\nOCR accuracy (module set-up {elapsed:.0f} s); error = CER, or 1 - word-bag F1 for 'bag' pages")
    header = f"{'page':<14} {'metric':<6} {'raw CLI':>8} {'bound':>7}"
    for setting in SETTINGS:
        header += "".join(f" {setting + ' ' + output:>14}" for output in OUTPUTS)
    print(header)
    for result in results.values():
        row = f"{result.sample.name:<14} {result.sample.metric:<6} {result.raw_error:>8.4f} {result.bound:>7.4f}"
        for setting in SETTINGS:
            for output in OUTPUTS:
                if (setting, output) in result.texts:
                    value = result.error_of(setting, output)
                    mark = " " if value <= result.bound else "!"
                    row += f" {value:>13.4f}{mark}"
                else:
                    row += f" {'failed':>14}"
        print(row)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_ocrmill_is_as_accurate_as_raw_tesseract(accuracy: dict[str, PageResult], sample: Sample, output: str) -> None:
    """Like for like: raw tesseract keeps every word, so ocrmill runs with MinConfidence=0 here."""
    setting = "minconf0"
    result = accuracy[sample.name]
    assert setting not in result.failures, result.failures[setting]
    text = result.texts[setting, output]
    value, raw, bound = result.error_of(setting, output), result.raw_error, result.bound
    print(
        f"\n{sample.name} [{sample.metric}] raw CLI {raw:.4f} ({result.figures(result.raw_text)}) "
        f"bound {bound:.4f}; ocrmill {setting} {output} {value:.4f} ({result.figures(text)})"
    )
    assert value <= bound, (
        f"{sample.name}: ocrmill's {output.upper()} ({setting} settings) has error {value:.4f} "
        f"({sample.metric}), raw tesseract {raw:.4f}, bound {bound:.4f}"
    )


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_default_min_confidence_only_leaves_words_out(
    accuracy: dict[str, PageResult], sample: Sample, output: str
) -> None:
    """The default MinConfidence (60) drops the words Tesseract is unsure of and changes nothing else:
    the default output's words are the unfiltered output's words with some left out, in order."""
    result = accuracy[sample.name]
    assert "default" not in result.failures, result.failures["default"]
    if output == "pdf":  # the text layer's words, counted (the order they are drawn in is not the text's order)
        kept, unfiltered = result.layer_words["default"], result.layer_words["minconf0"]
        assert not Counter(kept) - Counter(unfiltered), "the default text layer has words the unfiltered one lacks"
    else:
        kept, unfiltered = result.texts["default", output].split(), result.texts["minconf0", output].split()
        everything = iter(unfiltered)
        assert all(word in everything for word in kept), "the default output has words the unfiltered one lacks"
    assert len(kept) >= 0.8 * len(unfiltered), "most words are confident"
    print(
        f"\n{sample.name} [{sample.metric}] default {output} {result.error_of('default', output):.4f}, "
        f"MinConfidence=0 {result.error_of('minconf0', output):.4f}, raw CLI {result.raw_error:.4f}"
    )
