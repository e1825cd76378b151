from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

from ocrmill.worker.slots import OcrSlots


def test_no_more_than_count_holders_at_once(tmp_path: Path) -> None:
    slots = OcrSlots(tmp_path / "slots", 2)
    active = peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal active, peak
        for _ in range(15):
            with slots:
                with lock:
                    active += 1
                    peak = max(peak, active)
                time.sleep(0.003)
                with lock:
                    active -= 1

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


def _hold_forever(slots: OcrSlots, ready: threading.Event) -> None:
    with slots:
        ready.set()
        time.sleep(600)


def test_a_killed_holder_releases_its_slot(tmp_path: Path) -> None:
    slots = OcrSlots(tmp_path / "slots", 1)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold_forever, args=(slots, ready))
    holder.start()
    assert ready.wait(30)
    acquired = threading.Event()

    def take() -> None:
        with slots:
            acquired.set()

    taker = threading.Thread(target=take, daemon=True)
    taker.start()
    assert not acquired.wait(0.3), "the slot is held by the other process"
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)
    assert acquired.wait(5), "the killed process's slot was not released"
