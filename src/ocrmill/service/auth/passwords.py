"""Passwords, hashed with argon2: for the API's authentication, `ocrmill users` and the console's user admin."""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ocrmill.errors import BadRequest, WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 1000

_hasher = PasswordHasher()
UNKNOWN_USER_HASH = _hasher.hash("not a password of anyone")  # verified against for unknown users (same time)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verification_slots() -> int:
    """argon2 verifications at once by default: half the cores, at least one. Each takes 64 MiB and runs its four
    lanes on threads of its own, so more would only take cores from everything else the server does."""
    return max(1, (os.cpu_count() or 2) // 2)


class Verifier:
    """Runs verify_password off the event loop, at most `slots` at once: a flood of guesses waits here, on the
    event loop without holding a thread, while every other request goes on being served."""

    def __init__(self, *, slots: int = 0, verify: Callable[[str, str], bool] = verify_password) -> None:
        self.slots = slots or verification_slots()
        self._verify = verify
        self._semaphore = asyncio.Semaphore(self.slots)
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0  # the most verifications that ever ran at once
        self.count = 0  # verifications done

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._semaphore:
            return await asyncio.to_thread(self._counted, password_hash, password)

    def _counted(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.running += 1
            self.count += 1
            self.peak = max(self.peak, self.running)
        try:
            return self._verify(password_hash, password)
        finally:
            with self._lock:
                self.running -= 1


def acceptable(password: str, *, name: str = "password") -> str:
    """The password, if it may be set: WeakPassword (400) when shorter than MIN_LENGTH characters. `name` is where
    it came from, as the message names it."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"{name}: must be at least {MIN_LENGTH} characters long (got {len(password)}).")
    if len(password) > MAX_LENGTH:
        raise BadRequest(f"{name}: must be at most {MAX_LENGTH} characters long.")
    return password


def random_password() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 bits
