"""SignInThrottle on a fake clock: when failed sign-ins are refused, for how long, and whom it leaves alone."""

from __future__ import annotations

import pytest

from ocrmill.errors import TooManySignIns
from ocrmill.service.auth.throttle import SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: SignInThrottle, name: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        throttle.begin(name, address)
        throttle.end(name, address, success=False)


def test_a_pair_is_refused_after_the_allowed_failures_for_a_lockout_that_doubles() -> None:
    clock = Clock()
    throttle = SignInThrottle(allowed=3, window=60, lockout=10, lockout_max=35, clock=clock)
    fail(throttle, "alice", "10.0.0.1", 3)
    with pytest.raises(TooManySignIns) as refused:
        throttle.begin("alice", "10.0.0.1")
    assert refused.value.http_status == 429
    assert refused.value.headers == {"Retry-After": "10"}
    clock.now += 10
    fail(throttle, "alice", "10.0.0.1", 3)  # allowed again, and at once refused for twice as long
    assert throttle.refused("alice", "10.0.0.1").headers == {"Retry-After": "20"}  # type: ignore[union-attr]
    clock.now += 20
    fail(throttle, "alice", "10.0.0.1", 3)
    assert throttle.refused("alice", "10.0.0.1").headers == {"Retry-After": "35"}  # type: ignore[union-attr]


def test_the_right_password_after_the_lockout_resets_the_pair() -> None:
    clock = Clock()
    throttle = SignInThrottle(allowed=2, window=60, lockout=10, clock=clock)
    fail(throttle, "alice", "10.0.0.1", 2)
    assert throttle.refused("alice", "10.0.0.1") is not None
    clock.now += 10
    throttle.begin("alice", "10.0.0.1")
    throttle.end("alice", "10.0.0.1", success=True)
    fail(throttle, "alice", "10.0.0.1")  # a typo later is one failure again, not a lock-out
    assert throttle.refused("alice", "10.0.0.1") is None


def test_failures_older_than_the_window_are_forgotten() -> None:
    clock = Clock()
    throttle = SignInThrottle(allowed=3, window=60, clock=clock)
    fail(throttle, "alice", "10.0.0.1", 2)
    clock.now += 61
    fail(throttle, "alice", "10.0.0.1", 2)
    assert throttle.refused("alice", "10.0.0.1") is None


def test_other_addresses_and_names_are_not_refused_for_one_pairs_failures() -> None:
    throttle = SignInThrottle(allowed=3, clock=Clock())
    fail(throttle, "alice", "10.0.0.1", 3)
    assert throttle.refused("alice", "10.0.0.1") is not None
    assert throttle.refused("alice", "10.0.0.2") is None
    assert throttle.refused("bob", "10.0.0.1") is None


def test_one_address_trying_many_names_is_refused_for_all_names() -> None:
    throttle = SignInThrottle(allowed=2, clock=Clock())  # 8 over all names
    for i in range(8):
        fail(throttle, f"user{i}", "10.0.0.1")
    assert throttle.refused("someone-else", "10.0.0.1") is not None
    assert throttle.refused("someone-else", "10.0.0.2") is None


def test_many_addresses_guessing_one_name_do_not_lock_out_its_usual_address() -> None:
    throttle = SignInThrottle(allowed=2, clock=Clock())  # 20 over all addresses
    throttle.begin("alice", "192.0.2.7")
    throttle.end("alice", "192.0.2.7", success=True)  # alice's own client, earlier
    for i in range(20):
        fail(throttle, "alice", f"10.0.1.{i}")
    assert throttle.refused("alice", "10.0.2.1") is not None  # a new address waits
    assert throttle.refused("alice", "192.0.2.7") is None  # alice's usual one does not


def test_verifications_under_way_count_so_parallel_guesses_cannot_overshoot() -> None:
    throttle = SignInThrottle(allowed=3, clock=Clock())
    for _ in range(3):
        throttle.begin("alice", "10.0.0.1")
    with pytest.raises(TooManySignIns):
        throttle.begin("alice", "10.0.0.1")
    for _ in range(3):
        throttle.end("alice", "10.0.0.1", success=None)  # undecided (the request ended): not failures
    assert throttle.refused("alice", "10.0.0.1") is None
