"""Authentication under attack: password guessing against `ocrmill serve`, and what it costs everyone else.

    .venv/bin/python -m bench.auth [--seconds 8] [--guessers 16] [--lockout 30]

1. 200 wrong passwords for one user from one address, one after another: the answer codes and times; then the right
   password at once from that address, from another address, and from that address after Retry-After.
2. A user polls (GET /api/ocrjobs/test with Basic credentials, and /healthz without) for `--seconds`, first alone,
   then while `--guessers` processes, each from an address of its own, send wrong passwords as fast as answered;
   the poller's median and p95 request time in both runs of the same server, and their ratio. Three servers:
   as configured by default (throttle and bounded argon2), the throttle off (bounded argon2 alone), and both off
   (16 verifications at once, as before issue 18).

No figure is asserted: the tests check behaviour (tests/integration/test_sign_in_throttle.py).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.harness import Server, running

VICTIM = ("bob", "bob-secret-password")
TARGET = ("alice", "alice-secret-password")
OFF = "1000"  # auth_failures_allowed at its maximum: in a run of seconds the throttle never refuses


def client(port: int, address: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        transport=httpx.HTTPTransport(local_address=address),
        timeout=120,
    )


@contextmanager
def server(root: Path, *, allowed: str, lockout: float, slots: int) -> Iterator[Server]:
    env = {
        "OCRMILL_AUTH": "true",
        "OCRMILL_AUTH_FAILURES_ALLOWED": allowed,
        "OCRMILL_AUTH_LOCKOUT_SECONDS": str(lockout),
        "OCRMILL_AUTH_VERIFY_SLOTS": str(slots),
    }
    with running(Server(root, env=env), "--no-workers") as srv:
        srv.add_user(*TARGET)
        srv.add_user(*VICTIM)
        yield srv


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def guessing(srv: Server, lockout: float) -> None:
    print("\n## 200 wrong passwords for one user from one address (127.0.0.2)")
    codes: Counter[int] = Counter()
    times: dict[int, list[float]] = {}
    retry = ""
    with client(srv.port, "127.0.0.2") as attacker, client(srv.port, "127.0.0.3") as elsewhere:
        started = time.perf_counter()
        for i in range(200):
            t = time.perf_counter()
            response = attacker.get("/api/ocrjobs/test", auth=(TARGET[0], f"wrong-guess-{i:04d}"))
            times.setdefault(response.status_code, []).append(time.perf_counter() - t)
            codes[response.status_code] += 1
            retry = response.headers.get("Retry-After", retry)
        total = time.perf_counter() - started
        print("| answer | count | median | max |\n|---|---:|---:|---:|")
        for code in sorted(codes):
            print(f"| {code} | {codes[code]} | {ms(statistics.median(times[code]))} | {ms(max(times[code]))} |")
        print(f"200 guesses in {total:.2f} s; last Retry-After: {retry} s")
        print("\n| the right password | answer |\n|---|---|")
        print(f"| at once, same address | {attacker.get('/api/ocrjobs/test', auth=TARGET).status_code} |")
        print(f"| at once, another address | {elsewhere.get('/api/ocrjobs/test', auth=TARGET).status_code} |")
        wait = float(attacker.get("/api/ocrjobs/test", auth=TARGET).headers.get("Retry-After", "0"))
        time.sleep(wait)
        answer = attacker.get("/api/ocrjobs/test", auth=TARGET).status_code
        print(f"| same address, after Retry-After ({wait:.0f} s; lock-out {lockout:g} s doubled) | {answer} |")


def guesser(port: int, address: str, seconds: float, codes: dict[int, int]) -> None:
    """One attacking process: wrong passwords for TARGET as fast as the server answers."""
    counted: Counter[int] = Counter()
    deadline = time.monotonic() + seconds
    with client(port, address) as c:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            counted[c.get("/api/ocrjobs/test", auth=(TARGET[0], f"{address}-{i}")).status_code] += 1
    for code, n in counted.items():
        codes[code] = codes.get(code, 0) + n


def poll(srv: Server, seconds: float) -> dict[str, list[float]]:
    """The victim's request times, alternating an authenticated and an unauthenticated request."""
    times: dict[str, list[float]] = {"basic": [], "healthz": []}
    with client(srv.port, "127.0.0.4") as c:
        assert c.get("/api/ocrjobs/test", auth=VICTIM).status_code == 200  # pays argon2 once, then cached
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            t = time.perf_counter()
            assert c.get("/api/ocrjobs/test", auth=VICTIM).status_code == 200
            times["basic"].append(time.perf_counter() - t)
            t = time.perf_counter()
            assert c.get("/healthz").status_code == 200
            times["healthz"].append(time.perf_counter() - t)
            time.sleep(0.02)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def under_attack(srv: Server, label: str, *, seconds: float, guessers: int) -> None:
    calm = poll(srv, seconds)
    with multiprocessing.Manager() as manager:
        codes = manager.dict()
        processes = [
            multiprocessing.Process(target=guesser, args=(srv.port, f"127.0.1.{i + 1}", seconds + 1, codes))
            for i in range(guessers)
        ]
        for p in processes:
            p.start()
        time.sleep(0.5)
        attacked = poll(srv, seconds)
        for p in processes:
            p.join()
        answered = dict(codes)
    guesses = ", ".join(f"{n}x {code}" for code, n in sorted(answered.items()))
    for kind in ("basic", "healthz"):
        a, b = calm[kind], attacked[kind]
        print(
            f"| {label} | {kind} | {ms(statistics.median(a))} | {ms(p95(a))} | {ms(statistics.median(b))} | "
            f"{ms(p95(b))} | {statistics.median(b) / statistics.median(a):.1f} | {p95(b) / p95(a):.1f} | {guesses} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--guessers", type=int, default=16)
    parser.add_argument("--lockout", type=float, default=30.0, help="auth_lockout_seconds of the first server")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ocrmill-bench-auth-"))
    configs = [
        ("throttle + 1 slot/2 cores (default)", "5", 0),
        ("no throttle, bounded argon2", OFF, 0),
        ("neither (16 argon2 at once)", OFF, 16),
    ]
    for n, (label, allowed, slots) in enumerate(configs):
        with server(root / f"s{n}", allowed=allowed, lockout=args.lockout, slots=slots) as srv:
            if n == 0:
                guessing(srv, args.lockout)
                print(f"\n## A user polls for {args.seconds:g} s alone, then with {args.guessers} parallel guessers")
                print(
                    "| server | request | median alone | p95 alone | median attacked | p95 attacked "
                    "| median ratio | p95 ratio | guesses answered |\n|---|---|---:|---:|---:|---:|---:|---:|---|"
                )
            under_attack(srv, label, seconds=args.seconds, guessers=args.guessers)


if __name__ == "__main__":
    main()
