"""pipeline.cpu: CPU seconds by phase, each thread's own, summed."""

from __future__ import annotations

import threading
import time

from ocrmill.pipeline.cpu import CpuTimes


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
