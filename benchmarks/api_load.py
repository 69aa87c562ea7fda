"""Load through the HTTP API beside the library (issue 10): registrations, diffs and
identifies per second with 1, 4 and 16 concurrent clients, p50/p99 latency, and the
write lock's share of a registration's time.

Each operation runs ``--ops`` times at each concurrency, the clients (threads)
sharing the work, twice in the same run: through a live ``prov serve
--workers W`` on loopback (httpx, one connection per client) and through one
`provenance.Archive` in this process (the reference: no HTTP, no JSON, no
token check). A registration is a new text (a few hundred characters) as
the next revision of one of four documents; a diff compares two seeded
versions of some 2,000 characters; an identify asks for an edited copy of
one (the similar tier, the costly one).

The lock's share is measured in the library run, by timing
`provenance.store.transaction` around `store._take_write_lock`: the time a
registration waits for the write lock, the time it holds it (from taking it
to the commit) and the whole call. The server's registrations are not
instrumented (another process); their latency beside the library's lock
times says how much of an HTTP registration is HTTP.

Run: .venv/bin/python benchmarks/api_load.py [--ops 48] [--workers 2] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from provenance import Archive, schema, store  # noqa: E402
from tests import liveserver, pgserver  # noqa: E402  (the test suite's servers)
from tests.test_web_api import _token  # noqa: E402

CONCURRENCY = (1, 4, 16)
SENTENCES = [
    "The council met on Tuesday to discuss the budget for the coming year.",
    "Members raised concerns about the cost of the new bridge over the river.",
    "The mayor said the city could not afford another delay in the schedule.",
    "A vote on the proposal is expected at the next meeting in two weeks.",
    "Residents who spoke at the hearing asked for more parks and fewer roads.",
]


def _text(n: int, chars: int = 2000) -> str:
    words = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(SENTENCES[(len(words) + n) % len(SENTENCES)])
    return f"Report {n}.\n" + " ".join(words) + "\n"


# -- the write lock, timed in this process ---------------------------------------------

_held = threading.local()
LOCK: list[tuple[float, float, float]] = []  # (waited, held, whole transaction) per write
_lock_guard = threading.Lock()


def _instrument_lock() -> None:
    take, transaction = store._take_write_lock, store.transaction

    def timed_take(session, engine, wait):
        take(session, engine, wait)
        _held.taken = time.perf_counter()

    @contextmanager
    def timed_transaction(engine, *, wait=None):
        started = time.perf_counter()
        with transaction(engine, wait=wait) as session:
            yield session
        ended = time.perf_counter()
        with _lock_guard:
            LOCK.append((_held.taken - started, ended - _held.taken, ended - started))

    store._take_write_lock = timed_take
    store.transaction = timed_transaction


# -- running one operation at one concurrency ----------------------------------------------


def _run(clients: int, ops: int, make: Callable[[], Callable[[int], None]]) -> tuple[float, list[float]]:
    """``ops`` calls shared by ``clients`` threads, each with its own caller from ``make``."""
    numbers = count()
    latencies: list[float] = []
    guard = threading.Lock()

    def client(_: int) -> None:
        call = make()
        while True:
            with guard:
                n = next(numbers)
            if n >= ops:
                return
            started = time.perf_counter()
            call(n)
            took = time.perf_counter() - started
            with guard:
                latencies.append(took)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return time.perf_counter() - started, latencies


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=48, help="calls of each operation at each concurrency")
    parser.add_argument("--workers", type=int, default=2, help="prov serve worker processes")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="prov-load-"))
    pg = None
    if args.backend == "postgres":
        pg = pgserver.start()
        url = pg.url(pg.create_database())
        engine = store.open_engine(store.DatabaseLocation(url, "bench"))
    else:
        url = store.to_url(str(folder / "archive.db"))
        engine = store.open_engine(store.DatabaseLocation(url, "bench"), access="create")
    schema.upgrade(engine)
    engine.dispose()

    with Archive(url, actor="seed") as archive:
        first = archive.register(_text(0).encode(), doc="seed").version
        second = archive.register(_text(0).replace("bridge", "tunnel").replace("Tuesday", "Monday").encode(),
                                  doc="seed").version
        for n in range(1, 20):
            archive.register(_text(n).encode(), doc=f"seed-{n}")
    query = _text(7).replace("parks", "gardens").encode()
    secret = _token(url, "load-bot")
    serial = count()

    def reg_body(n: int) -> bytes:
        return f"Registration {next(serial)} of the load run.\n{SENTENCES[n % 5]} {SENTENCES[(n + 2) % 5]}\n".encode()

    rows: list[tuple] = []
    lock_rows: list[tuple] = []
    server = liveserver.start(url, workers=args.workers)
    try:
        for clients in CONCURRENCY:

            def api_caller(op: str) -> Callable[[], Callable[[int], None]]:
                def make() -> Callable[[int], None]:
                    http = httpx.Client(base_url=server.api, headers={"Authorization": f"Bearer {secret}"}, timeout=600)

                    def call(n: int) -> None:
                        if op == "register":
                            r = http.post(f"/documents/load-{n % 4}/versions", content=reg_body(n))
                        elif op == "diff":
                            r = http.get("/diff", params={"a": first, "b": second})
                        else:
                            r = http.post("/identify", content=query)
                        assert r.status_code in (200, 201), r.text

                    return call

                return make

            for op in ("register", "diff", "identify"):
                elapsed, lat = _run(clients, args.ops, api_caller(op))
                rows.append((op, "API", clients, args.ops, elapsed, lat))
        server_stopped = server.stop()
    finally:
        if server.process.poll() is None:
            server.stop()

    _instrument_lock()
    with Archive(url, actor="library") as archive:
        archive.documents()  # open the engines and check the schema before timing
        for clients in CONCURRENCY:
            calls = {
                "register": lambda n: archive.register(reg_body(n), doc=f"load-{n % 4}", name="load"),
                "diff": lambda n: archive.diff(str(first), str(second)),
                "identify": lambda n: archive.identify(query),
            }
            for op in ("register", "diff", "identify"):
                LOCK.clear()
                elapsed, lat = _run(clients, args.ops, lambda op=op, calls=calls: calls[op])
                rows.append((op, "Archive", clients, args.ops, elapsed, lat))
                if op == "register":
                    waited, held, whole = (statistics.fmean(x[i] for x in LOCK) for i in range(3))
                    lock_rows.append((clients, statistics.fmean(lat), waited, held, whole))

    print(f"backend {args.backend}, prov serve --workers {args.workers} (exit {server_stopped}), "
          f"{args.ops} calls per row, clients are threads of one process")
    print(f"{'operation':9} {'through':8} {'clients':>7} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for op in ("register", "diff", "identify"):
        for path in ("API", "Archive"):
            for op_, path_, clients, ops, elapsed, lat in rows:
                if (op_, path_) == (op, path):
                    print(f"{op:9} {path:8} {clients:>7} {ops / elapsed:>8.1f} {_pct(lat, 50):>8.1f} {_pct(lat, 99):>8.1f}")
    print()
    print("the write lock in a registration through Archive (means):")
    print(f"{'clients':>7} {'call ms':>8} {'waiting ms':>10} {'holding ms':>10} {'held/call':>9} {'waited/call':>11}")
    for clients, call, waited, held, _whole in lock_rows:
        print(f"{clients:>7} {call * 1000:>8.1f} {waited * 1000:>10.1f} {held * 1000:>10.1f} "
              f"{held / call:>9.0%} {waited / call:>11.0%}")
    if pg is not None:
        pgserver.stop(pg)


if __name__ == "__main__":
    main()
