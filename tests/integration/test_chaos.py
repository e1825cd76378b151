"""The chaos run (issue 18, part 6) as a slow test: a minute of mixed load while workers are killed, PostgreSQL
restarts and the data disk fills; every accepted job ends once, with whole outputs (bench/chaos.py checks)."""

from __future__ import annotations

import pytest
from bench.chaos import run, table


@pytest.mark.slow
@pytest.mark.postgres
def test_a_minute_of_chaos_loses_no_job_and_truncates_no_output() -> None:
    result = run(seconds=60, workers=3, disk_mb=64, seed=7, settle_seconds=180)
    assert sum(result["accepted"].values()) > 0, table(result)
    assert result["violations"] == [], table(result)
