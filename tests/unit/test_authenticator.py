"""Authenticator and Verifier without a server: argon2 paid once per cached credential, and a bounded number at once."""

from __future__ import annotations

import asyncio
import base64
import threading
from pathlib import Path

import pytest

from ocrmill.api.auth import Authenticator
from ocrmill.config import Settings
from ocrmill.errors import TooManySignIns, Unauthorized
from ocrmill.service.auth.passwords import Verifier, hash_password, verify_password
from ocrmill.service.auth.principal import Principal
from ocrmill.store.db import Database

ALICE = Principal(name="alice", is_admin=False, can_enum_folders=False, can_post_folders=False)


def basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Users:
    def __init__(self, password: str) -> None:
        self.hash = hash_password(password)

    def __call__(self, name: str) -> tuple[Principal, str] | None:
        return (ALICE, self.hash) if name == "alice" else None


def authenticator(tmp_path: Path, users: Users, clock: Clock, **settings: object) -> Authenticator:
    return Authenticator(
        db=Database(f"sqlite:///{tmp_path / 'unused.db'}"),
        enabled=True,
        settings=Settings(auth=True, **settings),  # type: ignore[arg-type]
        lookup=users,
        verifier=Verifier(slots=1),
        clock=clock,
    )


def test_a_verified_password_is_not_verified_again_until_the_cache_expires(tmp_path: Path) -> None:
    clock = Clock()
    auth = authenticator(tmp_path, Users("alice-password-1"), clock, auth_cache_seconds=60)

    async def sign_ins() -> None:
        for _ in range(5):
            assert await auth.principal(basic("alice", "alice-password-1"), client="10.0.0.1") == ALICE
        assert auth.verifier.count == 1
        assert auth.verified(basic("alice", "alice-password-1"), client="10.0.0.2") == ALICE  # the fast path too
        with pytest.raises(Unauthorized):
            await auth.principal(basic("alice", "alice-password-2"), client="10.0.0.1")  # another password: argon2
        assert auth.verifier.count == 2
        clock.now += 61
        assert await auth.principal(basic("alice", "alice-password-1"), client="10.0.0.1") == ALICE
        assert auth.verifier.count == 3

    asyncio.run(sign_ins())


def test_a_password_change_drops_the_cached_verification(tmp_path: Path) -> None:
    users = Users("alice-password-1")
    auth = authenticator(tmp_path, users, Clock())

    async def sign_ins() -> None:
        assert await auth.principal(basic("alice", "alice-password-1"), client="10.0.0.1") == ALICE
        users.hash = hash_password("alice-password-2")
        assert auth.verified(basic("alice", "alice-password-1"), client="10.0.0.1") is None
        with pytest.raises(Unauthorized):
            await auth.principal(basic("alice", "alice-password-1"), client="10.0.0.1")
        assert auth.verifier.count == 2

    asyncio.run(sign_ins())


def test_a_refused_pair_gets_no_answer_from_the_cache_and_costs_no_argon2(tmp_path: Path) -> None:
    auth = authenticator(tmp_path, Users("alice-password-1"), Clock(), auth_failures_allowed=3)

    async def sign_ins() -> None:
        assert await auth.principal(basic("alice", "alice-password-1"), client="10.0.0.1") == ALICE
        for _ in range(3):
            with pytest.raises(Unauthorized):
                await auth.principal(basic("alice", "wrong-password"), client="10.0.0.1")
        count = auth.verifier.count
        with pytest.raises(TooManySignIns):  # even the right, cached password: it would tell a guess is right
            await auth.principal(basic("alice", "alice-password-1"), client="10.0.0.1")
        with pytest.raises(TooManySignIns):
            await auth.principal(basic("alice", "another-guess"), client="10.0.0.1")
        assert auth.verifier.count == count
        assert await auth.principal(basic("alice", "alice-password-1"), client="10.0.0.2") == ALICE

    asyncio.run(sign_ins())


def test_the_verifier_runs_at_most_its_slots_at_once() -> None:
    together = threading.Barrier(2, timeout=10)  # proves two do run at once

    def slow(password_hash: str, password: str) -> bool:
        together.wait()
        return True

    verifier = Verifier(slots=2, verify=slow)

    async def many() -> None:
        assert all(await asyncio.gather(*(verifier.verify("h", "p") for _ in range(10))))

    asyncio.run(many())
    assert verifier.count == 10
    assert verifier.peak == 2


def test_verification_runs_off_the_event_loop_thread() -> None:
    threads: list[int] = []

    def noting(password_hash: str, password: str) -> bool:
        threads.append(threading.get_ident())
        return verify_password(password_hash, password)

    verifier = Verifier(slots=1, verify=noting)

    async def one() -> int:
        assert await verifier.verify(hash_password("a-long-password"), "a-long-password")
        return threading.get_ident()

    loop_thread = asyncio.run(one())
    assert threads and threads[0] != loop_thread


def test_wrong_api_tokens_are_failed_sign_ins_and_throttled(tmp_path: Path) -> None:
    from ocrmill.store.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'tokens.db'}")
    upgrade(db)
    auth = Authenticator(
        db=db,
        enabled=True,
        settings=Settings(auth=True, auth_failures_allowed=3),
        lookup=Users("alice-password-1"),
        verifier=Verifier(slots=1),
        clock=Clock(),
    )

    async def guesses() -> None:
        for guess in range(4 * 3):  # each guess is another token: the address's limit (4 times the allowed) decides
            with pytest.raises(Unauthorized):
                await auth.principal(f"Bearer ocm_guess-{guess}", client="10.0.0.1")
        with pytest.raises(TooManySignIns):  # then the address is refused, whatever the token
            await auth.principal("Bearer ocm_guess-next", client="10.0.0.1")
        with pytest.raises(Unauthorized):  # another address is not
            await auth.principal("Bearer ocm_guess-next", client="10.0.0.2")
        assert auth.verifier.count == 0  # no argon2 for tokens

    asyncio.run(guesses())
