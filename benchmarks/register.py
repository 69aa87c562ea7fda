"""Registering real revision histories: time and storage against git, in the same run.

Registers every version of every document in ../shared/corpus into a fresh
embedded (SQLite) archive, one transaction per version as `prov register`
does, and feeds the same histories to `git fast-import` (one commit per
version), then `git gc --aggressive`. Prints:

- time to register vs time for git to import the same history;
- bytes stored (SQLite file) vs git's packed history and vs the raw text;
- how the stored edits compare with git's character counts per revision
  (reference.json: `git diff --word-diff-regex=.`), and that every version
  is reproduced byte for byte.

Run: .venv/bin/python benchmarks/register.py [--sources github-site-policy,...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import select

from provenance import archive, schema, store
from provenance.models import EditRecord, Link, Version

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def histories(sources: list[str]) -> list[tuple[str, list[Path], dict]]:
    out = []
    for source in sources:
        ref = json.loads((CORPUS / source / "reference.json").read_text())
        revisions = {d["slug"]: d["revisions"] for d in ref["documents"]}
        for doc in sorted(p for p in (CORPUS / source).iterdir() if p.is_dir()):
            files = sorted(doc.glob("*.md"))
            out.append((f"{source}/{doc.name}", files, {"revisions": revisions.get(doc.name, [])}))
    return out


def register_all(db: Path, docs) -> float:
    engine = store.open_engine(store.DatabaseLocation(store.to_url(str(db)), "bench"))
    schema.upgrade(engine)
    started = time.perf_counter()
    for key, files, _ in docs:
        for f in files:
            with store.transaction(engine) as s:
                archive.register(s, f.read_bytes(), name=str(f), doc=key, source=f.name)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def git_import(repo: Path, docs) -> tuple[float, float, int]:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    stream = bytearray()
    mark = 0
    for key, files, _ in docs:
        branch = "refs/heads/" + key.replace("/", "--")
        for i, f in enumerate(files):
            data = f.read_bytes()
            mark += 1
            stream += f"commit {branch}\nmark :{mark}\n".encode()
            stream += b"committer bench <bench@example.org> 1500000000 +0000\n"
            stream += b"data 1\nv\n"
            if i:
                stream += f"from :{mark - 1}\n".encode()
            stream += f"M 644 inline doc.md\ndata {len(data)}\n".encode() + data + b"\n"
    started = time.perf_counter()
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(stream), check=True
    )
    imported = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run(["git", "-C", str(repo), "gc", "--aggressive", "--prune=now", "-q"], check=True)
    gc = time.perf_counter() - started
    pack = sum(p.stat().st_size for p in (repo / ".git" / "objects" / "pack").glob("*.pack"))
    return imported, gc, pack


def compare_edits(db: Path, docs) -> tuple[list[float], int, int]:
    """Per revision: our characters changed / git's, and byte-exact replays."""
    engine = store.open_engine(store.DatabaseLocation(store.to_url(str(db)), "bench"))
    ratios: list[float] = []
    exact = total = 0
    with store.reader(engine) as s:
        by_source: dict[str, dict] = {}
        for key, _files, extra in docs:
            by_source[key] = {r["to_file"]: r for r in extra["revisions"]}
        for v in s.exec(select(Version)).all():
            total += 1
            key = archive.names(s, [v.id])[v.id].rsplit("@", 1)[0]
            files = next(f for k, f, _ in docs if k == key)
            if archive.raw(s, str(v.id)) == files[v.number - 1].read_bytes():
                exact += 1
            link = s.exec(select(Link).where(Link.child_id == v.id)).first()
            if link is None:
                continue
            rec = s.get(EditRecord, link.id)
            git = by_source[key].get(v.source)
            if git and git["chars_changed"]:
                ratios.append((rec.inserted + rec.deleted) / git["chars_changed"])
    engine.dispose()
    return ratios, exact, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sources", default="github-site-policy,lawrefbook-zh-law-editions,ota-genai-eu"
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (the corpus lives beside the repository)")
        return 0
    if shutil.which("git") is None:
        print("skipped: git is not installed, and it is the reference")
        return 0
    docs = histories(args.sources.split(","))
    n_versions = sum(len(f) for _, f, _ in docs)
    raw_bytes = sum(p.stat().st_size for _, f, _ in docs for p in f)
    with tempfile.TemporaryDirectory(prefix="prov-bench-") as tmp:
        db = Path(tmp) / "archive.db"
        ours = register_all(db, docs)
        conn = sqlite3.connect(db, isolation_level=None)  # fold the WAL in, measure the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.close()
        stored = db.stat().st_size
        conn = sqlite3.connect(db)
        by_table = conn.execute(
            "SELECT coalesce(tbl_name, name), sum(pgsize) FROM dbstat "
            "JOIN sqlite_master USING (name) GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        conn.close()
        imported, gc, pack = git_import(Path(tmp) / "git", docs)
        ratios, exact, total = compare_edits(db, docs)

    print(f"corpus: {len(docs)} documents, {n_versions} versions, {raw_bytes / 1e6:.1f} MB of text")
    print()
    print(f"{'measure':<44}{'provenance':>14}{'git':>14}{'ratio':>10}")
    print(
        f"{'register / fast-import (s)':<44}{ours:>14.2f}{imported:>14.2f}{ours / imported:>10.1f}"
    )
    print(
        f"{'  per version (ms)':<44}{1000 * ours / n_versions:>14.2f}{1000 * imported / n_versions:>14.2f}"
    )
    print(f"{'git gc --aggressive (s)':<44}{'':>14}{gc:>14.2f}")
    print(
        f"{'stored bytes (SQLite file / git pack)':<44}{stored:>14,}{pack:>14,}{stored / pack:>10.1f}"
    )
    print(
        f"{'  as a share of the raw text':<44}{stored / raw_bytes:>14.3f}{pack / raw_bytes:>14.3f}"
    )
    print(
        "  by table (with its indexes): "
        + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in by_table if size > 50_000)
    )
    print()
    print(f"versions reproduced byte for byte: {exact} of {total}")
    if ratios:
        q = statistics.quantiles(ratios, n=10)
        print(
            "characters changed per revision, ours / git's: "
            f"median {statistics.median(ratios):.2f}, p10 {q[0]:.2f}, p90 {q[-1]:.2f} "
            f"over {len(ratios)} revisions"
        )
    return 0 if exact == total else 1


if __name__ == "__main__":
    sys.exit(main())
