"""Failed sign-ins, counted per user name and address, and refused for a while when there are too many.

Three limits, each a count of failures within a window that, once reached, refuses for a lock-out that doubles each
time it is earned again (up to a ceiling) and is forgotten after a window without failures:

- one user name from one address (`allowed` failures): a guesser at one account. A success resets it.
- one address over all names (4 times `allowed`): a guesser trying many accounts.
- one user name over all addresses (10 times `allowed`): a guesser spread over many addresses. So that such a guesser
  cannot lock the account's owner out, this limit is not applied to addresses the name signed in from successfully
  in the last day: the owner's usual clients keep working, only new addresses wait.

While refused, nothing is verified, so a guesser costs no argon2 and learns nothing. Verifications under way count as
failures until they end, so that parallel guesses cannot overshoot a limit. The state is this process's memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from ocrmill.errors import TooManySignIns

KNOWN_SECONDS = 86400.0  # a successful sign-in exempts its address from the user-wide limit this long
MAX_RECORDS = 100_000  # per limit; beyond it records without a lock-out are forgotten


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)  # times within the window
    pending: int = 0  # verifications under way
    lockouts: int = 0  # earned in a row: each doubles the next
    locked_until: float = 0.0
    last: float = 0.0


class _Limit:
    def __init__(self, *, allowed: int, window: float, lockout: float, lockout_max: float) -> None:
        self.allowed, self.window, self.lockout, self.lockout_max = allowed, window, lockout, lockout_max
        self.records: dict[Hashable, _Record] = {}

    def record(self, key: Hashable, now: float) -> _Record:
        record = self.records.get(key)
        if record is None or (now - record.last > self.window and now >= record.locked_until):
            if len(self.records) >= MAX_RECORDS:
                self._forget(now)
            record = self.records[key] = _Record()
        record.failures = [t for t in record.failures if now - t <= self.window]
        record.last = max(record.last, now)
        return record

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        record = self.records.get(key)
        if record is None:
            return 0.0
        if now < record.locked_until:
            return record.locked_until - now
        recent = sum(1 for t in record.failures if now - t <= self.window)
        return 1.0 if recent + record.pending >= self.allowed else 0.0  # the verifications under way decide

    def failed(self, key: Hashable, now: float) -> float:
        """Counts a failure; the lock-out it earned in seconds, else 0."""
        record = self.record(key, now)
        record.failures.append(now)
        if len(record.failures) < self.allowed:
            return 0.0
        seconds = min(self.lockout * 2.0 ** min(record.lockouts, 30), self.lockout_max)
        record.lockouts += 1
        record.locked_until = now + seconds
        record.failures.clear()
        return seconds

    def _forget(self, now: float) -> None:
        self.records = {k: r for k, r in self.records.items() if now < r.locked_until or r.pending}


class SignInThrottle:
    def __init__(
        self,
        *,
        allowed: int = 5,
        window: float = 900.0,
        lockout: float = 30.0,
        lockout_max: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        def limit(factor: int) -> _Limit:
            return _Limit(allowed=allowed * factor, window=window, lockout=lockout, lockout_max=lockout_max)

        self.pair, self.address, self.user = limit(1), limit(4), limit(10)
        self.clock = clock
        self._known: dict[tuple[str, str], float] = {}  # (name, address) -> last successful sign-in
        self._lock = threading.Lock()

    def refused(self, name: str, address: str) -> TooManySignIns | None:
        """Why `name` may not try to sign in from `address` now, or None when it may."""
        with self._lock:
            now = self.clock()
            wait = self.pair.wait((name, address), now)
            if not self._is_known(name, address, now):
                wait = max(wait, self.address.wait(address, now), self.user.wait(name, now))
        if wait <= 0:
            return None
        seconds = math.ceil(wait)
        return TooManySignIns(
            f"Too many failed sign-ins for this user name or from this address: try again in {seconds} s.",
            retry_after_seconds=seconds,
        )

    def begin(self, name: str, address: str) -> None:
        """A verification starts: TooManySignIns when refused, else counted as under way until `end`."""
        refusal = self.refused(name, address)
        if refusal is not None:
            raise refusal
        with self._lock:
            now = self.clock()
            for limit, key in self._keys(name, address):
                limit.record(key, now).pending += 1

    def end(self, name: str, address: str, *, success: bool | None) -> float:
        """The verification begun ended (`success` None: it was not decided); the lock-out a failure earned
        the pair, address or name, in seconds, else 0."""
        with self._lock:
            now = self.clock()
            earned = 0.0
            for limit, key in self._keys(name, address):
                record = limit.record(key, now)
                record.pending = max(0, record.pending - 1)
                if success is False:
                    earned = max(earned, limit.failed(key, now))
            if success:
                self.pair.records.pop((name, address), None)
                if len(self._known) >= MAX_RECORDS:
                    self._known = {k: t for k, t in self._known.items() if now - t < KNOWN_SECONDS}
                self._known[(name, address)] = now
            return earned

    def _keys(self, name: str, address: str) -> list[tuple[_Limit, Hashable]]:
        return [(self.pair, (name, address)), (self.address, address), (self.user, name)]

    def _is_known(self, name: str, address: str, now: float) -> bool:
        signed_in = self._known.get((name, address))
        return signed_in is not None and now - signed_in < KNOWN_SECONDS
