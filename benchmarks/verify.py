"""How fast `prov verify` checks a 10,000-version archive, against raw BLAKE3 in the same run.

Builds (once, then reuses from a cache folder) an SQLite archive of real
revision histories from ../shared/corpus, registered again as generated
variants until there are 10,000 versions, then times:

- raw BLAKE3 over the decompressed contents held in memory (the floor for
  any fixity check), single-threaded and with all cores;
- raw BLAKE3 over the compressed blobs as stored, in memory;
- read every blob from the database, decompress (following each content's
  delta chain from its start, as `contents.get_bytes` does), BLAKE3;
- the floor of verify's fixity check: every frame decompressed once, in chain
  order, against its base's bytes, then BLAKE3 (and the character count);
- `verify` as a library call (full and --quick), and `prov verify` as a
  subprocess (process start-up included).

With ``--postgres``, the same archive is copied to a throwaway PostgreSQL
server (started as the test suite starts one) and verified there too.

Run:  .venv/bin/python benchmarks/verify.py [--versions N] [--cache DIR] [--rebuild] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from blake3 import blake3

from provenance import archive, contents, fixity, schema, store
from provenance import verify as verifying
from provenance.models import Checkpoint, Content, Document, EditRecord, Event, Link, Version

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
PROV = Path(sys.executable).with_name("prov")


def histories() -> list[tuple[str, list[Path]]]:
    out = []
    for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        for doc in sorted(p for p in folder.iterdir() if p.is_dir()):
            files = sorted(doc.glob("*.md"))
            if files:
                out.append((f"{folder.name}/{doc.name}", files))
    return out


def build(path: Path, target: int) -> float:
    """Register histories (variant k prefixes a line) until ``target`` versions; seconds taken."""
    engine = store.open_engine(
        store.DatabaseLocation(store.to_url(str(path)), "bench"), create_dir=True
    )
    schema.upgrade(engine)
    docs = histories()
    started = time.perf_counter()
    count, variant = 0, 0
    while count < target:
        for key, files in docs:
            if count >= target:
                break
            with store.transaction(engine) as session:
                for f in files[: target - count]:
                    date = f.name.split("__")[1]
                    data = f.read_bytes()
                    if variant:
                        data = f"[variant {variant}]\n".encode() + data
                    archive.register(
                        session,
                        data,
                        name=f.name,
                        doc=f"{key}~{variant}",
                        captured_at=date,
                        source=str(f.relative_to(CORPUS)),
                        actor="benchmark",
                        allow_empty=True,
                    )
                    count += 1
            print(f"\r  registered {count}/{target}", end="", file=sys.stderr, flush=True)
        variant += 1
    print(file=sys.stderr)
    engine.dispose()
    return time.perf_counter() - started


def copy_archive(source: sa.Engine, target: sa.Engine) -> None:
    """The record (not the identify index, which verify does not read) copied row for row."""
    for model in (Document, Content, Version, Link, EditRecord, Event, Checkpoint):
        table = model.__table__
        with source.connect() as src, target.begin() as dst:
            result = src.execute(sa.select(table)).mappings()
            while batch := result.fetchmany(1000):
                dst.execute(table.insert(), [dict(row) for row in batch])


def best(fn, repeat: int) -> tuple[float, float]:
    """(fastest, median) seconds over ``repeat`` runs: the machine is shared, so both."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "prov-bench-verify"
    )
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also verify the same archive copied to a throwaway PostgreSQL server",
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(
            f"skipped: {CORPUS} is absent (the real revision histories live beside the repository)"
        )
        return 0
    args.cache.mkdir(parents=True, exist_ok=True)
    db = args.cache / f"archive-{args.versions}.db"
    if args.rebuild or not db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        partial = db.with_suffix(".building")
        partial.unlink(missing_ok=True)
        print(f"building {db} ({args.versions} versions)…", file=sys.stderr)
        seconds = build(partial, args.versions)
        partial.rename(db)
        print(
            f"registration: {seconds:.1f} s, {1000 * seconds / args.versions:.1f} ms per version",
            file=sys.stderr,
        )
    url = store.to_url(str(db))
    engine = store.open_engine(store.DatabaseLocation(url, "bench"))
    schema.require_current(engine, str(db))

    with store.reader(engine) as s:
        c = Content.__table__
        rows = {r.hash: r for r in s.execute(sa.select(c))}
        n_versions = s.execute(sa.text("SELECT count(*) FROM version")).scalar_one()
        n_events = s.execute(sa.text("SELECT count(*) FROM event")).scalar_one()
    texts = [contents.reconstruct(h, rows.get) for h in rows]
    blobs = [bytes(r.data) for r in rows.values()]
    raw_bytes = sum(map(len, texts))
    stored_bytes = sum(map(len, blobs))
    deltas = sum(1 for r in rows.values() if r.compression == contents.DELTA)
    del rows

    def hash_texts() -> None:
        for t in texts:
            blake3(t).digest()

    def hash_texts_mt() -> None:
        for t in texts:
            blake3(t, max_threads=blake3.AUTO).digest()

    def hash_blobs() -> None:
        for b in blobs:
            blake3(b).digest()

    def pipeline() -> None:
        with store.reader(engine) as s:
            c = Content.__table__
            table = {r.hash: r for r in s.execute(sa.select(c))}
            for h in table:
                blake3(contents.reconstruct(h, table.get)).digest()

    def chains(count_chars: bool) -> None:
        """Each frame decompressed once, against its base's bytes kept until its deltas are done."""
        with store.reader(engine) as s:
            c = Content.__table__
            table = list(s.execute(sa.select(c.c.hash, c.c.compression, c.c.base_hash, c.c.data)))
        kids: dict[str, list] = {}
        stack = []
        for row in table:
            if row.compression == contents.DELTA:
                kids.setdefault(row.base_hash, []).append(row)
            else:
                stack.append((row, None))
        while stack:
            row, base = stack.pop()
            data = contents.decompress_into(row.data, row.compression, base)
            blake3(data).digest()
            if count_chars:
                fixity.count_chars(data)
            stack.extend((kid, data) for kid in kids.get(row.hash, ()))

    def verify_full(processes: int | None = None, on: sa.Engine = engine) -> None:
        with store.reader(on) as s:
            report = verifying.verify(s, processes=processes)
        assert report.ok, report.problems[:3]

    def verify_quick(on: sa.Engine = engine) -> None:
        with store.reader(on) as s:
            assert verifying.verify(s, quick=True).ok

    def cli(*args: str) -> None:
        result = subprocess.run([str(PROV), *args], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    timings = [
        ("raw BLAKE3, decompressed contents in memory (1 thread)", best(hash_texts, args.repeat)),
        (
            "raw BLAKE3, decompressed contents in memory (all cores)",
            best(hash_texts_mt, args.repeat),
        ),
        ("raw BLAKE3, compressed blobs as stored, in memory", best(hash_blobs, args.repeat)),
        ("read + decompress (deltas) + BLAKE3, no other checks", best(pipeline, args.repeat)),
        (
            "read + decompress each chain once + BLAKE3",
            best(lambda: chains(count_chars=False), args.repeat),
        ),
        (
            "  ... + character count (fixity as verify does it)",
            best(lambda: chains(count_chars=True), args.repeat),
        ),
        (
            f"verify (library, full; {fixity.workers()} worker process(es) + this one)",
            best(verify_full, args.repeat),
        ),
        ("verify (library, full, in this process only)", best(lambda: verify_full(0), args.repeat)),
        ("verify --quick (library)", best(verify_quick, args.repeat)),
        (
            "prov verify (CLI subprocess, full)",
            best(lambda: cli("--db", str(db), "verify", "--json"), args.repeat),
        ),
        ("  of which start-up: prov --help", best(lambda: cli("--help"), args.repeat)),
    ]
    if args.postgres:
        sys.path.insert(0, str(REPO))
        from tests import pgserver  # the test suite's throwaway server

        server = pgserver.start()
        try:
            pg = store.open_engine(
                store.DatabaseLocation(server.url(server.create_database()), "bench")
            )
            schema.upgrade(pg)
            copy_archive(engine, pg)
            timings += [
                (
                    f"PostgreSQL: verify (library, full; {fixity.workers()} worker(s) + this one)",
                    best(lambda: verify_full(on=pg), args.repeat),
                ),
                (
                    "PostgreSQL: verify (library, full, in this process only)",
                    best(lambda: verify_full(0, on=pg), args.repeat),
                ),
                ("PostgreSQL: verify --quick (library)", best(lambda: verify_quick(pg), args.repeat)),
            ]
            pg.dispose()
        finally:
            pgserver.stop(server)
    engine.dispose()
    reference = timings[0][1][0]
    print(
        f"archive: {n_versions} versions, {len(texts)} distinct contents ({deltas} stored as "
        f"deltas), {n_events} events; {raw_bytes / 1e6:.1f} MB of text stored in "
        f"{stored_bytes / 1e6:.1f} MB; cpus {os.cpu_count()}; {args.repeat} runs each"
    )
    width = max(len(name) for name, _ in timings)
    print(
        f"{'measurement':<{width}}  {'best s':>7}  {'median':>7}  {'MB/s':>6}  {'x raw BLAKE3':>12}"
    )
    for name, (fastest, median) in timings:
        rate = raw_bytes / fastest / 1e6 if fastest else float("inf")
        print(
            f"{name:<{width}}  {fastest:7.3f}  {median:7.3f}  {rate:6.0f}  "
            f"{fastest / reference:5.1f} ({median / timings[0][1][1]:4.1f})"
        )
    print("x raw BLAKE3: best / best (median / median)")
    ratio = timings[6][1][0] / reference
    verdict = "met" if ratio <= 3 else "NOT met"
    print(
        f"target: verify within 3x of raw BLAKE3 over the decompressed bytes: {verdict} ({ratio:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
