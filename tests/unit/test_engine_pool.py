"""Warm engines (pipeline.engine.EnginePool, Lender): a worker's jobs reuse the Tesseract engines of the jobs before
them, though each job reads its pages in threads of its own; engines in use at once are never shared. And the
pixels Tesseract is given (set_pixels)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import tesserocr
from PIL import Image

from ocrmill.domain.options import JobOptions
from ocrmill.pipeline import engine as engine_module
from ocrmill.pipeline.engine import Engine, EnginePool, Lender, pixel_bytes, set_pixels
from ocrmill.pipeline.languages import tessdata_dir
from ocrmill.pipeline.pages import InputFile
from ocrmill.pipeline.run import Limits, run_job

PAGE = "ocr-tesseract-test/phototest.tif"


def test_jobs_one_after_another_load_tesseract_once(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_job reads a job's pages in a thread pool of its own: engines kept per thread were loaded again for every
    job (45-130 ms of a page's 1.5 s)."""
    made: list[Engine] = []

    class Counted(Engine):
        def __init__(self, tessdata: Path, langs: list[str]) -> None:
            super().__init__(tessdata, langs)
            made.append(self)

    monkeypatch.setattr(engine_module, "Engine", Counted)
    engines = EnginePool(tessdata_dir(None))
    for run in range(3):
        run_job(
            inputs=[InputFile(data / PAGE, "TIF")],
            options=JobOptions(TxtOutput=True),
            out_dir=tmp_path / f"out-{run}",
            work_dir=tmp_path / f"work-{run}",
            engines=engines,
            limits=Limits(max_pages=10, max_image_megapixels=100),
            threads=2,
        )
        assert "quick brown dog" in (tmp_path / f"out-{run}" / "result.txt").read_text()
    assert len(made) == 1


class Thing:
    def __init__(self, key: str) -> None:
        self.key = key
        self.closed = False


def lender(keys: int = 4) -> tuple[Lender[Thing], list[Thing]]:
    made: list[Thing] = []

    def make(key: str) -> Thing:
        made.append(Thing(key))
        return made[-1]

    def close(thing: Thing) -> None:
        thing.closed = True

    return Lender(make, close, keys=keys), made


def test_a_thing_given_back_is_lent_again_to_another_thread() -> None:
    things, made = lender()
    seen: list[Thing] = []

    def use() -> None:
        with things.lend("eng") as thing:
            seen.append(thing)

    for _ in range(3):
        thread = threading.Thread(target=use)
        thread.start()
        thread.join()
    assert len(made) == 1 and seen == made * 3


def test_things_in_use_at_once_are_never_shared() -> None:
    things, made = lender()
    with things.lend("eng") as first, things.lend("eng") as second:
        assert first is not second
    with things.lend("eng") as again:
        assert again in (first, second)
    assert len(made) == 2


def test_a_thing_comes_back_when_its_block_fails() -> None:
    things, made = lender()
    with pytest.raises(RuntimeError), things.lend("eng"):
        raise RuntimeError("a page's reading failed")
    with things.lend("eng") as thing:
        assert thing is made[0]


def test_only_the_most_recent_keys_are_kept_and_the_others_closed() -> None:
    things, made = lender(keys=2)
    for key in ("eng", "deu", "eng", "fra"):  # deu is now the least recently given back
        with things.lend(key):
            pass
    assert [(t.key, t.closed) for t in made] == [("eng", False), ("deu", True), ("fra", False)]
    with things.lend("deu") as thing:
        assert thing is made[-1] and not thing.closed  # made again


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "1", "P"])
def test_tesseract_reads_pixels_handed_over_as_it_reads_an_image(data: Path, mode: str) -> None:
    """set_pixels gives Tesseract the pixels without writing a file in memory first (which tesserocr's SetImage
    does: as PNG for an image opened from a PNG, 0.1-0.25 s an A4 page); the reading is the same."""
    with Image.open(data / PAGE) as opened:
        image = opened.convert(mode)
    api = tesserocr.PyTessBaseAPI(path=str(tessdata_dir(None)) + "/", lang="eng")
    try:
        readings = []
        for hand_over in (lambda: api.SetImage(image), lambda: set_pixels(api, image)):
            hand_over()
            api.SetSourceResolution(300)
            readings.append((api.GetUTF8Text(), api.AllWordConfidences()))
    finally:
        api.End()
    assert "quick brown dog" in readings[0][0]
    assert readings[1] == readings[0]


@pytest.mark.parametrize("mode", ["1", "L", "RGB", "RGBA"])
@pytest.mark.parametrize("width", [8, 13, 2481])
def test_pixel_bytes_are_pillows_bytes(mode: str, width: int) -> None:
    """The pixels copied through NumPy are Pillow's own bytes, a bilevel image's rows packed and padded to a byte."""
    noise = Image.effect_noise((width, 7), 80).convert(mode)
    assert pixel_bytes(noise) == noise.tobytes()
