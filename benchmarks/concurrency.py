"""Many writers at once (issue 10 section 5, issue 12): W processes x N registrations.

Each writer process opens the archive itself and registers N texts (a few
hundred characters, each the next revision of one of a few documents shared
by all writers), one transaction each, as ingest scripts do. Then: did every
registration land, are version numbers dense and ordered per document, does
verify pass; and the time, against the same registrations made by one
writer in the same run (the ratio is what queueing for the write lock
costs).

Run: .venv/bin/python benchmarks/concurrency.py [--writers 8] [--each 250] [--db URL]
     (default: a fresh SQLite archive in a temporary folder; a PostgreSQL URL
     must name an empty database)
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path

from sqlmodel import select

from provenance import archive, schema, store
from provenance import verify as verifying
from provenance.models import Version


def _writer(url: str, writer: int, each: int, docs: int, failures) -> None:
    engine = store.open_engine(store.DatabaseLocation(url, "bench"))
    try:
        for i in range(each):
            text = f"writer {writer}, text {i}: " + "the council met on Tuesday. " * 12
            try:
                with store.transaction(engine) as s:
                    archive.register(
                        s, text.encode(), name="x", doc=f"doc-{i % docs}", actor=f"w{writer}"
                    )
            except Exception as exc:  # counted, and the run goes on
                failures.put(f"writer {writer} text {i}: {exc}")
    finally:
        engine.dispose()


def run(url: str, writers: int, each: int, docs: int = 5) -> tuple[float, list[str]]:
    context = multiprocessing.get_context("spawn")
    failures = context.Queue()
    procs = [
        context.Process(target=_writer, args=(url, w, each, docs, failures))
        for w in range(writers)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    lost = []
    while not failures.empty():
        lost.append(failures.get())
    return elapsed, lost


def check(url: str, expected: int) -> str:
    engine = store.open_engine(store.DatabaseLocation(url, "bench"))
    try:
        with store.reader(engine) as s:
            versions = s.exec(select(Version)).all()
            by_doc: dict[int, list[int]] = {}
            for v in sorted(versions, key=lambda v: v.id):
                by_doc.setdefault(v.document_id, []).append(v.number)
            dense = all(ns == list(range(1, len(ns) + 1)) for ns in by_doc.values())
            report = verifying.verify(s)
        return (
            f"{len(versions)} of {expected} versions, numbers dense and ordered: {dense}, "
            f"verify ok: {report.ok} ({len(report.problems)} problems)"
        )
    finally:
        engine.dispose()


def fresh(folder: Path, name: str) -> str:
    url = store.to_url(str(folder / name))
    engine = store.open_engine(store.DatabaseLocation(url, "bench"), access="create")
    schema.upgrade(engine)
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--each", type=int, default=250)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    total = args.writers * args.each
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        url = args.db or fresh(folder, "many.db")
        if args.db:
            engine = store.open_engine(store.DatabaseLocation(url, "bench"), access="write")
            schema.upgrade(engine)
            engine.dispose()
        many, lost = run(url, args.writers, args.each)
        print(f"{args.writers} writers x {args.each}: {many:.1f} s, {len(lost)} failed")
        for line in lost[:5]:
            print("  ", line)
        print("  ", check(url, total))
        if not args.db:
            one_url = fresh(folder, "one.db")
            one, lost_one = run(one_url, 1, total)
            print(f"1 writer x {total}: {one:.1f} s, {len(lost_one)} failed")
            print(f"x one writer: {many / one:.2f} (what queueing for the lock costs, same run)")


if __name__ == "__main__":
    main()
