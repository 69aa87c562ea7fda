"""The statements and CPU time of a registration's locked half (`provenance.archive.register`
under `store.transaction`), beside its unlocked half (`prepare`), per registration.

Each run registers ``--n`` revisions of one document (a text of ``--chars``
characters, one line changed each time) through `Archive.register`, counts the
SQL statements each half sends (a ``before_cursor_execute`` listener, and
those sent on the driver's cursor by `provenance.plain`) and its
CPU time (``time.process_time``), and prints the statements of the last
locked half. ``--profile`` adds cProfile's top functions of the locked halves.

Run: .venv/bin/python benchmarks/lock_profile.py [--chars 150] [--n 40] [--backend sqlite|postgres]
         [--profile [--sort tottime]]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from provenance import Archive, plain, schema, store  # noqa: E402
from provenance import archive as ops  # noqa: E402
from tests import pgserver  # noqa: E402

SENTENCE = "The council met on Tuesday to discuss the budget for the coming year. "


def body(n: int, chars: int) -> bytes:
    text = (SENTENCE * (chars // len(SENTENCE) + 1))[:chars]
    return f"Revision {n}.\n{text}\n".encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=150)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", choices=("cumulative", "tottime"), default="cumulative")
    args = parser.parse_args()
    pg = None
    if args.backend == "postgres":
        pg = pgserver.start()
        url = pg.url(pg.create_database())
        engine = store.open_engine(store.DatabaseLocation(url, "bench"))
    else:
        url = store.to_url(str(Path(tempfile.mkdtemp(prefix="prov-lockprof-")) / "a.db"))
        engine = store.open_engine(store.DatabaseLocation(url, "bench"), access="create")
    schema.upgrade(engine)
    engine.dispose()

    phase = {"name": None}
    statements: dict[str, list[str]] = {"prepare": [], "register": []}
    cpu = {"prepare": 0.0, "register": 0.0}
    profiler = cProfile.Profile() if args.profile else None

    driver = {"prepare": 0.0, "register": 0.0}
    began: list[float] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if phase["name"]:
            statements[phase["name"]].append(" ".join(statement.split())[:150])
            began.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        if phase["name"] and began:
            driver[phase["name"]] += time.perf_counter() - began.pop()

    run_plain = plain._execute

    def on_cursor(session, statement, rows, *, many):
        # Statements sent on the driver's cursor (provenance.plain) pass no SQLAlchemy event.
        if not phase["name"]:
            return run_plain(session, statement, rows, many=many)
        statements[phase["name"]].append(statement)  # made text when printed: compiling it costs
        started = time.perf_counter()
        try:
            return run_plain(session, statement, rows, many=many)
        finally:
            driver[phase["name"]] += time.perf_counter() - started

    plain._execute = on_cursor
    event.listen(sa_engine_class(), "before_cursor_execute", listener)
    event.listen(sa_engine_class(), "after_cursor_execute", after)
    holds: list[float] = []
    store.observe_lock(lambda waited, held: holds.append(held))

    def wrap(name, fn):
        def timed(*a, **k):
            phase["name"] = name
            if profiler and name == "register":
                profiler.enable()
            started = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                cpu[name] += time.process_time() - started
                if profiler and name == "register":
                    profiler.disable()
                phase["name"] = None

        return timed

    ops.prepare = wrap("prepare", ops.prepare)
    ops.register = wrap("register", ops.register)
    try:
        with Archive(url, actor="bench") as archive:
            archive.register(body(0, args.chars), doc="d")
            for k in statements:
                statements[k].clear()
            cpu.update(prepare=0.0, register=0.0)
            driver.update(prepare=0.0, register=0.0)
            holds.clear()
            calls = 0.0
            if profiler:
                profiler = cProfile.Profile()
            last: list[str] = []
            for n in range(1, args.n + 1):
                before = len(statements["register"])
                started = time.perf_counter()
                archive.register(body(n, args.chars), doc="d")
                calls += time.perf_counter() - started
                last = statements["register"][before:]
    finally:
        if pg is not None:
            pgserver.stop(pg)
    n = args.n
    print(f"{args.backend}, {args.chars} chars, {n} revisions")
    for k in ("prepare", "register"):
        print(
            f"  {k:9} {len(statements[k]) / n:5.1f} statements  {1000 * cpu[k] / n:6.2f} CPU ms"
            f"  {1000 * driver[k] / n:6.2f} ms executing them"
        )
    held = sum(holds[-n:])
    print(
        f"  lock held {1000 * held / n:.2f} ms per registration (to the end of its commit),"
        f" {held / calls:.0%} of Archive.register's {1000 * calls / n:.2f} ms"
    )
    print("statements of the last locked half:")
    for s in last:
        print("  ", " ".join(str(s).split())[:150])
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(40)
    return 0


def sa_engine_class():
    from sqlalchemy.engine import Engine

    return Engine


if __name__ == "__main__":
    sys.exit(main())
