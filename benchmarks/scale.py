"""Collections at scale (issue 11): every figure beside its reference, measured in one run.

One table, one row per target of the issue:

- bulk import of the corpus (one manifest, one transaction) in versions per
  second, against `git fast-import` of the same histories and raw sqlite3
  `executemany` of the same bytes into one table;
- one registration of a 5 KB text through `Archive` (the whole write path:
  decode, hash, compress, diff against the parent, index, audit events,
  commit; process start excluded), against a raw sqlite3 insert + commit of
  the same bytes;
- the database file per corpus source, the identify index included, and its
  stored contents alone, against the sum of git's aggressive packs of the
  same histories (recomputed here: one repository per document, as
  reference.json's figure, then `git gc --aggressive`);
- reading the deepest version of any delta chain, against reading the same
  bytes from a plain file;
- process CPU time of `prov --help` and of `prov log` on a small archive,
  against `python -c pass`;
- registering one big text (20 MB by default), once Chinese and once English
  (`BIG_SOURCES`): time and peak memory, against BLAKE3 of the same bytes and
  the input's size.

Run: .venv/bin/python benchmarks/scale.py [--sources a,b] [--big-mb 20] [--no-big]
(the corpus lives beside the repository, in ../shared/corpus)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import blake3

from provenance import Archive
from provenance.hashing import PREFIX

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[0].parent / "shared" / "corpus"
PROV = Path(sys.executable).with_name("prov")
SOURCES = "github-site-policy,lawrefbook-zh-law-editions,ota-genai-eu"


def histories(sources: list[str]) -> list[tuple[str, str, list[Path]]]:
    """(source, document key, its files in order) for every corpus history."""
    return [
        (source, f"{source}/{doc.name}", sorted(doc.glob("*.md")))
        for source in sources
        for doc in sorted(p for p in (CORPUS / source).iterdir() if p.is_dir())
    ]


def child_cpu(cmd: list[str], **kw) -> tuple[float, int]:
    """The CPU seconds (user + system) and peak RSS (bytes) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, after.ru_maxrss * 1024


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def vacuumed_size(db: Path) -> tuple[int, dict[str, int]]:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    tables = dict(
        conn.execute(
            "SELECT coalesce(tbl_name, name), sum(pgsize) FROM dbstat "
            "JOIN sqlite_master USING (name) GROUP BY 1"
        ).fetchall()
    )
    conn.close()
    return db.stat().st_size, tables


def import_corpus(tmp: Path, docs) -> tuple[float, Path]:
    """Seconds to import every version through one manifest (one transaction), and the archive."""
    folder = tmp / "files"
    folder.mkdir(exist_ok=True)
    manifest = folder / "corpus.jsonl"
    with manifest.open("w") as out:
        for _source, key, files in docs:
            for f in files:
                copy = folder / key / f.name  # a manifest's files lie inside its folder
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, copy)
                out.write(
                    json.dumps({"path": f"{key}/{f.name}", "doc": key, "source": f.name}) + "\n"
                )
    db = tmp / "corpus.db"
    with Archive(str(db), actor="bench") as archive:
        archive.init()
        started = time.perf_counter()
        archive.import_manifest(manifest)
        elapsed = time.perf_counter() - started
    return elapsed, db


def git_fast_import(repo: Path, files: list[Path]) -> float:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    stream = bytearray()
    for i, f in enumerate(files, 1):
        data = f.read_bytes()
        stream += f"commit refs/heads/main\nmark :{i}\n".encode()
        stream += b"committer bench <bench@example.org> 1500000000 +0000\ndata 1\nv\n"
        if i > 1:
            stream += f"from :{i - 1}\n".encode()
        stream += f"M 644 inline doc.md\ndata {len(data)}\n".encode() + data + b"\n"
    started = time.perf_counter()
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(stream), check=True
    )
    return time.perf_counter() - started


def git_pack(repo: Path) -> int:
    subprocess.run(["git", "-C", str(repo), "gc", "--aggressive", "--prune=now", "-q"], check=True)
    return sum(p.stat().st_size for p in (repo / ".git" / "objects" / "pack").glob("*.pack"))


def raw_executemany(tmp: Path, docs) -> float:
    rows = [(key, n, f.read_bytes()) for _s, key, files in docs for n, f in enumerate(files, 1)]
    conn = sqlite3.connect(tmp / "raw.db")
    conn.execute("CREATE TABLE v (doc TEXT, n INTEGER, data BLOB, PRIMARY KEY (doc, n))")
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO v VALUES (?, ?, ?)", rows)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def one_registration(tmp: Path) -> tuple[float, float]:
    """Median ms of registering the next 5 KB revision, and of a raw sqlite3 insert + commit."""
    base = ("The council met on Tuesday and voted on the budget for the coming year. " * 70)[:5000]
    db = tmp / "one.db"
    ours, raw = [], []
    with Archive(str(db), actor="bench") as archive:
        archive.init()
        archive.register(base.encode(), doc="d")
        for i in range(40):
            text = base.replace("Tuesday", f"day {i}", 1 + i % 3) + f" Revision {i}."
            started = time.perf_counter()
            archive.register(text.encode(), doc="d")
            ours.append(time.perf_counter() - started)
    conn = sqlite3.connect(tmp / "raw1.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, data BLOB)")
    for i in range(40):
        data = (base + str(i)).encode()
        started = time.perf_counter()
        with conn:
            conn.execute("INSERT INTO v (data) VALUES (?)", (data,))
        raw.append(time.perf_counter() - started)
    conn.close()
    ours.sort()
    raw.sort()
    return 1000 * ours[len(ours) // 2], 1000 * raw[len(raw) // 2]


def deepest_read(db: Path, tmp: Path) -> tuple[float, float, int]:
    conn = sqlite3.connect(db)
    stored, depth = conn.execute(
        "SELECT hash, depth FROM content ORDER BY depth DESC LIMIT 1"
    ).fetchone()
    conn.close()
    digest = PREFIX + stored.hex()  # the column holds the digest's 32 bytes
    with Archive(str(db)) as archive:
        data = archive.raw(digest)
        ours = best(lambda: archive.raw(digest), 5)
    plain = tmp / "plain.bin"
    plain.write_bytes(data)
    theirs = best(plain.read_bytes, 5)
    return ours, theirs, depth


def startup(tmp: Path) -> tuple[float, float, float]:
    db = tmp / "small.db"
    # As an installed tool starts: with its compiled modules (a machine that sets
    # PYTHONDONTWRITEBYTECODE would compile an editable checkout's sources every run).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PROV_DB"] = str(db)
    subprocess.run([str(PROV), "init"], check=True, env=env, stdout=subprocess.DEVNULL)
    for text in ("one", "one two", "one two three"):
        subprocess.run(
            [str(PROV), "register", "-", "--doc", "s"],
            input=text.encode(),
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )

    def median(cmd):
        child_cpu(cmd, env=env)  # writes the compiled modules it needs, if missing
        return sorted(child_cpu(cmd, env=env)[0] for _ in range(5))[2]

    return (
        median([str(PROV), "--help"]),
        median([str(PROV), "log", "s"]),
        median([sys.executable, "-c", "pass"]),
    )


BIG_SOURCES = ("lawrefbook-zh-law-editions", "github-site-policy")
"""The big text is one history's files repeated to the size asked: Chinese (2 bytes a
character in memory, 3 in UTF-8) and English (1 in UTF-8, but 2 in memory once a
curly quote is in it, and 8 for each character's shingle hash)."""


def big_register(tmp: Path, megabytes: int, source: str) -> tuple[float, int, float, int]:
    sample = (CORPUS / source).rglob("*.md")
    seed = b"\n".join(p.read_bytes() for p in sorted(sample))
    data = (seed * (megabytes * 1_000_000 // len(seed) + 1))[: megabytes * 1_000_000]
    data = data[: len(data.decode("utf-8", "ignore").encode())]
    path = tmp / "big.txt"
    path.write_bytes(data)
    db = tmp / f"big-{source}.db"
    env = {**os.environ, "PROV_DB": str(db)}
    subprocess.run([str(PROV), "init"], check=True, env=env, stdout=subprocess.DEVNULL)
    # The child reports its own peak: ru_maxrss of the children is the largest so far.
    code = (
        "import sys,time,resource; from provenance import Archive\n"
        "a=Archive(sys.argv[1]); d=open(sys.argv[2],'rb').read(); t=time.perf_counter()\n"
        "a.register(d, doc='big'); print(time.perf_counter()-t,"
        " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(db), str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    seconds, peak_kib = out.stdout.split()
    hashing = best(lambda: blake3.blake3(data).digest(), 3)
    return float(seconds), int(peak_kib) * 1024, hashing, len(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default=SOURCES)
    parser.add_argument("--big-mb", type=int, default=20)
    parser.add_argument("--no-big", action="store_true")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (the corpus lives beside the repository)")
        return 0
    if shutil.which("git") is None:
        print("skipped: git is not installed, and it is the reference")
        return 0
    docs = histories(args.sources.split(","))
    n = sum(len(files) for _s, _k, files in docs)
    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, ours: float, ref: float, fmt: str, target: str) -> None:
        rows.append((what, fmt.format(ours), fmt.format(ref), f"{ours / ref:.2f}x  {target}"))

    with tempfile.TemporaryDirectory(prefix="prov-scale-") as name:
        tmp = Path(name)
        bigs = [] if args.no_big else [(b, big_register(tmp, args.big_mb, b)) for b in BIG_SOURCES]
        elapsed, db = import_corpus(tmp, docs)
        fast = 0.0
        packs: dict[str, int] = {}
        for source, key, files in docs:
            repo = tmp / "git" / key
            fast += git_fast_import(repo, files)
            packs[source] = packs.get(source, 0) + git_pack(repo)
        raw = raw_executemany(tmp, docs)
        row(
            "import, versions/s (vs git fast-import)",
            n / elapsed,
            n / fast,
            "{:,.0f}",
            "target >= 2,000/s",
        )
        row("import, versions/s (vs sqlite3 executemany)", n / elapsed, n / raw, "{:,.0f}", "")
        ours1, raw1 = one_registration(tmp)
        row(
            "one 5 KB registration, ms (vs sqlite3 insert+commit)",
            ours1,
            raw1,
            "{:.2f}",
            "target <= 5 ms",
        )
        size, tables = vacuumed_size(db)
        pack = sum(packs.values())
        row("database file, bytes (vs sum of git packs)", size, pack, "{:,.0f}", "target <= 1.0x")
        row(
            "  stored contents only (vs sum of git packs)",
            tables.get("content", 0),
            pack,
            "{:,.0f}",
            "target <= 0.6x",
        )
        for source in sorted(packs):
            sub = [d for d in docs if d[0] == source]
            with tempfile.TemporaryDirectory(dir=tmp) as one:
                _, s_db = import_corpus(Path(one), sub)
                s_size, _ = vacuumed_size(s_db)
            row(f"  {source}: database (vs its git packs)", s_size, packs[source], "{:,.0f}", "")
        ours_r, plain_r, depth = deepest_read(db, tmp)
        row(
            f"deepest version read (depth {depth}), ms (vs plain file)",
            1000 * ours_r,
            1000 * plain_r,
            "{:.4g}",
            "target <= 5x",
        )
        helped, logged, bare = startup(tmp)
        row("prov --help, CPU s (vs python -c pass)", helped, bare, "{:.3f}", "target < 0.25 s")
        row(
            "prov log (3 versions), CPU s (vs python -c pass)",
            logged,
            bare,
            "{:.3f}",
            "target < 0.25 s",
        )
        for source, (seconds, peak, hashing, size_big) in bigs:
            row(
                f"register {size_big / 1e6:.0f} MB of {source}, s (vs BLAKE3 of it)",
                seconds,
                hashing,
                "{:.4g}",
                "target: linear",
            )
            row(
                f"  peak memory, bytes (vs the {size_big / 1e6:.0f} MB input)",
                peak,
                size_big,
                "{:,.0f}",
                "target <= ~10x",
            )

    print(f"corpus: {len(docs)} histories, {n} versions; cpus {os.cpu_count()}")
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'ours':>14}  {'reference':>14}  ratio")
    for what, ours, ref, ratio in rows:
        print(f"{what:<{width}}  {ours:>14}  {ref:>14}  {ratio}")
    print(
        "table sizes (bytes): "
        + ", ".join(
            f"{k} {v:,}" for k, v in sorted(tables.items(), key=lambda kv: -kv[1]) if v > 100_000
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
