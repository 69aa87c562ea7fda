"""The CPU cost of one registration, step by step, beside raw hashing and a raw insert.

For each corpus history named (by default one of ~5 KB a version and one of
~16 KB), every version after the first is registered as the next revision
of one document, through `Archive.register` (one transaction each, the whole
write path) and through one manifest import (one transaction for all). The
pure steps of the same registrations are then timed alone on the same
texts:

- ``hash``: BLAKE3 of the bytes (the reference: what the bytes cost at least);
- ``compress``: the zstd frame against the parent's bytes;
- ``diff``: the minimal edits (`provenance.diff.diff`, ``semantic=False``);
- ``passages``: the excerpt search, where the lengths call for it;
- ``moves``: the move search (`provenance.moves.find_moves`), where it runs;
- ``record``: the whole edit record (`provenance.editrecord.build`: diff,
  passages, moves);
- ``index``: the identify index rows (`provenance.index.rows_for`);

and, in the same run, a raw sqlite3 insert + commit of the same bytes into
a one-table WAL database (the reference for the storage part). Every figure
is CPU time of this process (``time.process_time``: the work, not the wait
for the disk or for other processes on a shared machine), and every figure
is the mean ms per version (the import's rate is what the means add up to;
a step that runs on some versions only, passages or moves, is spread over all); ``register`` and ``import`` are the whole
path, ``rest`` what they spend beyond the pure steps (queries, ORM, audit
events, commit).

Run: .venv/bin/python benchmarks/register_cost.py [--docs source/doc,...] [--repeat 3]
(with ``PYTHONPATH`` naming another checkout's tree, the same table for that code)
(the corpus lives beside the repository, in ../shared/corpus)
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import blake3

from provenance import Archive, contents, diff, editrecord, index, lenses, moves
from provenance.compare import excerpt_passages

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
DOCS = "ota-genai-eu/grok-trackers-policy,github-site-policy/github-community-guidelines"


def mean_ms(times: list[float], count: int) -> float:
    """Milliseconds per version: a step that runs on some versions only is spread over all."""
    return 1000 * sum(times) / count


def timed(repeat: int, fn, *args) -> float:
    """The least seconds of ``repeat`` calls of ``fn(*args)`` (the least is the least disturbed).

    Each call starts with the lenses' caches of recent texts empty, as a
    registration meets its new text: a second call would find the text's
    normal forms computed by the first.
    """
    best = float("inf")
    for _ in range(repeat):
        lenses._recent.cache_clear()
        lenses._recent_text.cache_clear()
        started = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - started)
    return best


def steps(datas: list[bytes], repeat: int) -> dict[str, list[float]]:
    """Seconds per version of each pure step, on each (parent, child) pair."""
    out: dict[str, list[float]] = {
        k: [] for k in ("hash", "compress", "diff", "passages", "moves", "record", "index")
    }
    for before, after in itertools.pairwise(datas):
        a, b = before.decode("utf-8"), after.decode("utf-8")
        out["hash"].append(timed(repeat, blake3.blake3, after))
        out["compress"].append(timed(repeat, contents.compress, after, before))
        result = diff.diff(a, b, semantic=False)
        out["diff"].append(timed(repeat, functools.partial(diff.diff, semantic=False), a, b))
        shorter, longer = sorted((len(a), len(b)))
        found = ()
        if longer and shorter < editrecord.SEEK_BELOW * longer:
            found = excerpt_passages(a, b, editrecord.PASSAGE_LENS)
            out["passages"].append(
                timed(repeat, excerpt_passages, a, b, editrecord.PASSAGE_LENS)
            )
        if not found and len(result.edits) > 1:
            edits = editrecord._move_candidates(a, b, result)
            out["moves"].append(timed(repeat, moves.find_moves, a, b, edits))
        out["record"].append(timed(repeat, editrecord.build, a, b))
        out["index"].append(timed(repeat, index.rows_for, "blake3:x", b))
    return out


def through_archive(tmp: Path, datas: list[bytes]) -> list[float]:
    """Seconds of each `Archive.register` after the first (one transaction each)."""
    times = []
    with Archive(str(tmp / "one.db"), actor="bench") as archive:
        archive.init()
        archive.register(datas[0], doc="d")
        for data in datas[1:]:
            started = time.process_time()
            archive.register(data, doc="d")
            times.append(time.process_time() - started)
    return times


def through_import(tmp: Path, datas: list[bytes]) -> float:
    """Seconds per version of one manifest import of the whole history."""
    folder = tmp / "files"
    folder.mkdir()
    with (folder / "m.jsonl").open("w") as out:
        for n, data in enumerate(datas):
            (folder / f"{n:04}.txt").write_bytes(data)
            out.write(json.dumps({"path": f"{n:04}.txt", "doc": "d"}) + "\n")
    with Archive(str(tmp / "import.db"), actor="bench") as archive:
        archive.init()
        started = time.process_time()
        archive.import_manifest(folder / "m.jsonl")
        return (time.process_time() - started) / len(datas)


def raw_insert(tmp: Path, datas: list[bytes]) -> list[float]:
    conn = sqlite3.connect(tmp / "raw.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, data BLOB)")
    times = []
    for data in datas[1:]:
        started = time.process_time()
        with conn:
            conn.execute("INSERT INTO v (data) VALUES (?)", (data,))
        times.append(time.process_time() - started)
    conn.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default=DOCS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (the corpus lives beside the repository)")
        return 0
    columns = ("hash", "compress", "diff", "passages", "moves", "record", "index")
    header = ["history", "versions", "KB", *columns, "register", "rest", "import", "sqlite3"]
    lines = []
    for name in args.docs.split(","):
        datas = [p.read_bytes() for p in sorted((CORPUS / name).glob("*.md"))]
        with tempfile.TemporaryDirectory(prefix="prov-cost-") as t:
            tmp = Path(t)
            count = len(datas) - 1
            registered = mean_ms(through_archive(tmp, datas), count)
            imported = 1000 * through_import(tmp, datas)
            raw = mean_ms(raw_insert(tmp, datas), count)
        found = {k: mean_ms(v, count) for k, v in steps(datas, args.repeat).items()}
        pure = found["hash"] + found["compress"] + found["record"] + found["index"]
        kb = statistics.median(len(d) for d in datas) / 1000
        lines.append(
            [name.split("/")[-1], str(len(datas)), f"{kb:.1f}"]
            + [f"{found[k]:.3f}" for k in columns]
            + [f"{registered:.2f}", f"{registered - pure:.2f}", f"{imported:.2f}", f"{raw:.3f}"]
        )
    widths = [max(len(h), *(len(line[k]) for line in lines)) for k, h in enumerate(header)]
    print("mean CPU ms per version (record = diff + passages + moves where they run)")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for line in lines:
        print("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
