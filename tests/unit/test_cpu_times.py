"""pipeline.cpu: CPU seconds by phase, each thread's own, summed."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ocrmill.pipeline.cpu import CpuTimes, helped


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_phases_count_each_threads_cpu_and_not_its_waiting() -> None:
    cpu = CpuTimes()

    def page() -> None:
        with cpu.phase("recognise"):
            _spin(0.05)
            time.sleep(0.1)  # waiting is no CPU

    threads = [threading.Thread(target=page) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with cpu.phase("outputs"):
        _spin(0.02)
    assert 0.15 <= cpu.seconds["recognise"] < 0.25  # three threads' 0.05 s each, none of their 0.1 s asleep
    assert 0.02 <= cpu.seconds["outputs"] < 0.07
    assert cpu.rounded() == {name: round(seconds, 3) for name, seconds in cpu.seconds.items()}


def test_a_phase_that_raises_is_counted() -> None:
    cpu = CpuTimes()
    try:
        with cpu.phase("open"):
            _spin(0.01)
            raise ValueError("not an image")
    except ValueError:
        pass
    assert cpu.seconds["open"] >= 0.01


def test_work_handed_to_a_pool_is_charged_to_the_callers_phase() -> None:
    """PP-OCR reads a page's lines two at once (pipeline.lines): their CPU is the second reading's, though the
    pool's threads ran it and the caller only waited."""
    cpu = CpuTimes()
    with cpu.phase("second reading"), ThreadPoolExecutor(2) as pool:
        spun = helped(_spin_and_return, [0.03, 0.03, 0.03, 0.03], pool.map)
    assert spun == [0.03] * 4
    assert 0.12 <= cpu.seconds["second reading"] < 0.2
    with ThreadPoolExecutor(2) as pool:  # outside a phase: charged to none
        helped(_spin_and_return, [0.01], pool.map)
    assert cpu.seconds.keys() == {"second reading"}


def _spin_and_return(seconds: float) -> float:
    _spin(seconds)
    return seconds
