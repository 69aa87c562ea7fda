"""Load through the HTTP API beside the library (issue 10): registrations, diffs and
identifies per second with 1, 4 and 16 concurrent clients, p50/p99 latency, and the
write lock's share of a registration's time.

Each operation runs ``--ops`` times at each concurrency, the clients (threads)
sharing the work, twice in the same run: through a live ``prov serve
--workers W`` on loopback (httpx, one connection per client) and through one
`provenance.Archive` in this process (the reference: no HTTP, no JSON, no
token check). A registration is a new text (some 150 characters; with
``--chars N`` an article of N characters, a line of it changed) as the next
revision of one of four documents; a diff compares two seeded
versions of some 2,000 characters; an identify asks for an edited copy of
one (the similar tier, the costly one).

The lock's share is measured inside the server and in the library run alike,
by the library's own timing hook, `provenance.store.observe_lock` (each write
transaction's wait for the lock and its hold of it, from taking it to the end
of the commit), beside the whole `Archive.register` call (the preparation
before the lock, the write, any retry). The server is ``prov serve``'s app run
by benchmarks/timed_serve.py, which adds those two hooks in every worker and
writes one line per registration; "held/call" is the sum of the holds over
the sum of the calls. The client's latency beside it says how much of an
HTTP registration is HTTP.

Run: .venv/bin/python benchmarks/api_load.py [--ops 48] [--workers 2] [--backend sqlite|postgres]
         [--chars N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import timed_serve  # noqa: E402
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


# -- the write lock, timed ------------------------------------------------------------

_calls = threading.local()
LOCK: list[tuple[float, float, float, int]] = []  # (whole call, waited, held, writes) per registration
_lock_guard = threading.Lock()


def _observe(waited: float, held: float) -> None:
    totals = getattr(_calls, "totals", None)
    if totals is not None:
        totals[0] += waited
        totals[1] += held
        totals[2] += 1


def _timed_register(archive: Archive, data: bytes, **options) -> None:
    """`Archive.register`, its whole time and its waits for and holds of the lock noted."""
    _calls.totals = [0.0, 0.0, 0]
    started = time.perf_counter()
    archive.register(data, **options)
    whole = time.perf_counter() - started
    with _lock_guard:
        LOCK.append((whole, *_calls.totals))
    _calls.totals = None


def _serve(url: str, workers: int, times: Path) -> liveserver.LiveServer:
    """benchmarks/timed_serve.py on a free port of loopback, once it answers."""
    port = liveserver.free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by LiveServer.stop)
    env = liveserver.environment(PROV_DB=url, PROV_BENCH_TIMES=str(times))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "benchmarks"), env.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        [sys.executable, str(REPO / "benchmarks" / "timed_serve.py"), str(port), str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    return liveserver.LiveServer(url, port, process, log).answering()


def _shares(rows: list[tuple[float, float, float, int]]) -> tuple[float, ...]:
    """Mean call, mean wait, mean hold (seconds), the hold's share of the calls, its
    share of the calls' own work (the call less its wait for the lock), and the mean
    number of write transactions (more than one: the preparation was redone)."""
    whole, waited, held, writes = (sum(r[i] for r in rows) for i in range(4))
    n = len(rows)
    return whole / n, waited / n, held / n, held / whole, held / (whole - waited), writes / n


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
    parser.add_argument("--chars", type=int, default=0, help="register articles of this many characters")
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
        if args.chars:
            return (f"Registration {next(serial)} of the load run.\n" + _text(n % 4, args.chars)).encode()
        return f"Registration {next(serial)} of the load run.\n{SENTENCES[n % 5]} {SENTENCES[(n + 2) % 5]}\n".encode()

    rows: list[tuple] = []
    lock_rows: list[tuple] = []
    times = folder / "times"
    times.mkdir()
    server = _serve(url, args.workers, times)
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
                timed_serve.clear_times(times)
                elapsed, lat = _run(clients, args.ops, api_caller(op))
                rows.append((op, "API", clients, args.ops, elapsed, lat))
                if op == "register":
                    inside = timed_serve.read_times(times)
                    lock_rows.append(("API", clients, statistics.fmean(lat), *_shares(inside)))
        server_stopped = server.stop()
    finally:
        if server.process.poll() is None:
            server.stop()

    store.observe_lock(_observe)
    with Archive(url, actor="library") as archive:
        archive.documents()  # open the engines and check the schema before timing
        for clients in CONCURRENCY:
            calls = {
                "register": lambda n: _timed_register(archive, reg_body(n), doc=f"load-{n % 4}", name="load"),
                "diff": lambda n: archive.diff(str(first), str(second)),
                "identify": lambda n: archive.identify(query),
            }
            for op in ("register", "diff", "identify"):
                LOCK.clear()
                elapsed, lat = _run(clients, args.ops, lambda op=op, calls=calls: calls[op])
                rows.append((op, "Archive", clients, args.ops, elapsed, lat))
                if op == "register":
                    lock_rows.append(("Archive", clients, statistics.fmean(lat), *_shares(LOCK)))

    print(f"backend {args.backend}, prov serve --workers {args.workers} (exit {server_stopped}), "
          f"{args.ops} calls per row, clients are threads of one process, "
          f"registering texts of {args.chars or 'some 150'} characters")
    print(f"{'operation':9} {'through':8} {'clients':>7} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for op in ("register", "diff", "identify"):
        for path in ("API", "Archive"):
            for op_, path_, clients, ops, elapsed, lat in rows:
                if (op_, path_) == (op, path):
                    print(f"{op:9} {path:8} {clients:>7} {ops / elapsed:>8.1f} {_pct(lat, 50):>8.1f} {_pct(lat, 99):>8.1f}")
    print()
    print("the write lock in a registration (means; 'call' is Archive.register, in the server for API;")
    print("'latency' what the client waited; held/call = sum of holds / sum of calls; held/work =")
    print("sum of holds / sum of (call - wait for the lock), the share of the registration's own time;")
    print("writes: write transactions per registration, more than 1 when the preparation was redone):")
    print(f"{'through':8} {'clients':>7} {'latency ms':>10} {'call ms':>8} {'waiting ms':>10} "
          f"{'holding ms':>10} {'held/call':>9} {'held/work':>9} {'writes':>6}")
    for path in ("API", "Archive"):
        for path_, clients, latency, call, waited, held, share, own, writes in lock_rows:
            if path_ == path:
                print(f"{path:8} {clients:>7} {latency * 1000:>10.1f} {call * 1000:>8.1f} "
                      f"{waited * 1000:>10.1f} {held * 1000:>10.1f} {share:>9.0%} {own:>9.0%} {writes:>6.2f}")
    if pg is not None:
        pgserver.stop(pg)


if __name__ == "__main__":
    main()
