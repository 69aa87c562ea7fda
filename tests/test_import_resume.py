"""Issue 11: an import is interruptible, resumable, and leaves other writers their turn.

`prov import` checks every entry before it writes anything, then commits in batches
(`provenance.importer.register_all`). So a bad entry anywhere still writes nothing;
an import killed with SIGKILL at any point (in its check, inside a batch, between
two) and run again comes to the archive one uninterrupted run gives; and a
`prov register` beside a long import waits for one batch, not for the whole import.

The imports here are real `prov` processes, really killed. The test-only
``$PROV_TEST_IMPORT_DELAY`` makes each entry hold the write lock a few milliseconds
longer, so that a small folder takes long enough to be killed mid-way; and
``$PROV_IMPORT_BATCH_SECONDS`` makes its batches short, so that a kill leaves
several of them committed. On SQLite and PostgreSQL (the ``db_url`` fixture).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa

from provenance import store

from .liveserver import PROV
from .test_cli import prov, prov_json
from .test_sightings import _fresh

SENTENCES = [
    "The council met on Monday to discuss the library.",
    "Members argued about the opening hours for an hour.",
    "The mayor said the budget could not stretch further.",
    "Residents asked for a vote before any closure.",
    "A petition with two thousand names was handed in.",
    "The chair promised an answer by the end of the month.",
]


def _texts(count: int) -> list[str]:
    """``count`` successive revisions of a story, some repeated (sightings) and one
    going back to an earlier text (a revert: a new version)."""
    rng = random.Random(11)
    words = [s.split() for s in SENTENCES]
    texts: list[str] = []
    for i in range(count):
        if i % 7 == 3:  # the same bytes captured again
            texts.append(texts[-1])
            continue
        if i == count - 5:  # back to an earlier text
            texts.append(texts[2])
            continue
        line = rng.randrange(len(words))
        words[line][rng.randrange(len(words[line]))] = rng.choice(["quickly", "again", "new", "late", f"w{i}"])
        texts.append("\n".join(" ".join(w) for w in words) + f"\nRevision {i}.\n")
    return texts


def _folder(tmp_path: Path, count: int = 36) -> Path:
    """A folder of ``count`` captures, one an hour (their times are their captured_at)."""
    folder = tmp_path / "captures"
    folder.mkdir()
    start = 1_700_000_000
    for i, text in enumerate(_texts(count)):
        path = folder / f"c{i:03}.txt"
        path.write_text(text, encoding="utf-8")
        os.utime(path, (start + 3600 * i, start + 3600 * i))
    return folder


def _manifest(tmp_path: Path, count: int = 36) -> Path:
    """A manifest of the same captures with sources and times, and excerpts and copies
    whose parents are versions earlier entries make (``story@latest``, ``story@2``)."""
    folder = _folder(tmp_path, count)
    lines = []
    for i, path in enumerate(sorted(folder.iterdir())):
        lines.append({"path": f"captures/{path.name}", "doc": "story", "source": "gazette",
                      "captured_at": f"2024-03-{1 + i // 24:02}T{i % 24:02}:00:00Z"})
        if i % 9 == 8:
            (tmp_path / f"quote{i}.txt").write_text(f"Quoted at {i}: the council met.\n", encoding="utf-8")
            lines.append({"path": f"quote{i}.txt", "doc": "quote", "parent": "story@latest",
                          "relation": "excerpt", "meta": {"at": i}})
        if i == 12:
            lines.append({"path": f"captures/{path.name}", "doc": "mirror", "parent": "story@2",
                          "relation": "copy", "label": "mirrored"})
    manifest = tmp_path / "import.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return manifest


SOURCES = {"folder": (_folder, ("--doc", "story"), ["story"]), "manifest": (_manifest, (), ["story", "quote", "mirror"])}


def _plain(value, drop: tuple[str, ...]):
    """``value`` without the keys in ``drop`` whose values are plain (times of
    registration, row ids and the lists of them), keeping what they name."""
    if isinstance(value, dict):
        return {k: _plain(v, drop) for k, v in value.items() if k not in drop or not _plain_value(v)}
    if isinstance(value, list):
        return [_plain(v, drop) for v in value]
    return value


def _plain_value(value) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, int) for v in value)
    return not isinstance(value, dict)


TIMES = ("registered_at", "recorded_at", "created_at", "time")
IDS = ("id", "version", "seq", "subject", "child", "parent", "document_id", "versions", "sighting")


def _archive(url: str, docs: list[str]) -> dict:
    """What must be equal: each document's log (versions, numbers, hashes, sources,
    capture times, labels, meta, parents and relations, sightings) without the times
    of registration and the row ids; the audit log's events in order, as kinds and
    the versions they name, import runs aside; the versions the import runs list."""
    logs = {doc: _plain(prov_json(url, "log", doc), TIMES + IDS) for doc in docs}
    events = prov_json(url, "events", "--last", "100000")["events"]
    named = [
        (e["kind"], e["version"], e["parent"], _plain(e["event"], TIMES + IDS + ("actor", "kind")))
        for e in events
        if e["kind"] != "import.run"
    ]
    runs = [e for e in events if e["kind"] == "import.run"]
    listed = sorted(v for e in runs for v in e["event"]["import"]["versions"])
    registered = sorted(e["event"]["version"]["id"] for e in events if e["kind"] == "version.registered")
    assert listed == registered, "every version registered is listed by one import run, once"
    assert {e["event"]["import"]["manifest_hash"] for e in runs} == {runs[0]["event"]["import"]["manifest_hash"]}
    return {"logs": logs, "events": named}


def _ids(url: str, docs: list[str]) -> list:
    return [[(v["version"], v["number"]) for v in prov_json(url, "log", doc)["versions"]] for doc in docs]


def _versions(url: str) -> int:
    engine = store.open_engine(store.DatabaseLocation(url, "test"), access="read")
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM version")).scalar_one()
    finally:
        engine.dispose()


def _spawn(url: str, args: tuple[str, ...], **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*PROV, "--db", url, "import", *args, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )


SLOW = {"PROV_TEST_IMPORT_DELAY": "0.015", "PROV_IMPORT_BATCH_SECONDS": "0.06"}


def _kill_after(process: subprocess.Popen, url: str, committed: int, rng: random.Random) -> bool:
    """SIGKILL ``process`` once ``committed`` versions are in the archive (0: at once),
    a random moment later (inside a batch or between two); False if it ended first."""
    deadline = time.monotonic() + 60
    while committed and _versions(url) < committed and process.poll() is None:
        assert time.monotonic() < deadline, "the import never got that far"
        time.sleep(0.01)
    time.sleep(rng.uniform(0, 0.12))
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def test_an_import_killed_at_random_points_and_run_again_gives_the_archive_of_one_run(
    db_url, tmp_path, request
):
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    for kind, (make, options, docs) in SOURCES.items():
        where = tmp_path / kind
        where.mkdir()
        source = make(where)
        args = (str(source), *options)
        with _fresh(db_url, where / "one.db", request) as one:
            assert prov(one, "import", *args).exit_code == 0  # one uninterrupted run, in batches of its own
            expected = _archive(one, docs)
            total = _versions(one)
            ids = _ids(one, docs)
        with _fresh(db_url, where / "cut.db", request) as cut:
            kills = partial = 0
            # Killed at once (before or in its check: nothing written), then three
            # times ever further along, each time after a run that picks up where it stopped.
            for committed in (0, *sorted(rng.sample(range(1, total), 3))):
                if committed and _versions(cut) >= committed:
                    continue
                kills += _kill_after(_spawn(cut, args, **SLOW), cut, committed, rng)
                partial += 0 < _versions(cut) < total
            assert kills >= 2 and partial, f"seed {seed}: the imports ended before they could be killed"
            resumed = prov_json(cut, "import", *args)
            assert resumed["versions"] + resumed["unchanged"] + resumed["sightings"] > 0
            assert _archive(cut, docs) == expected, f"{kind}, seed {seed}"
            assert prov_json(cut, "verify")["ok"], seed
            if db_url.startswith("sqlite"):  # rows rolled back give their ids back
                assert _ids(cut, docs) == ids, seed
            again = prov_json(cut, "import", *args)
            assert (again["versions"], again["sightings"]) == (0, 0)
            assert _archive(cut, docs) == expected


def test_a_bad_entry_late_in_a_long_import_writes_nothing(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PROV_IMPORT_BATCH_SECONDS", "0")  # every entry its own batch, were it not checked first
    folder = _folder(tmp_path, 30)
    (folder / "c027.txt").write_bytes(b"Caf\xe9 au lait, in Latin-1.\n")
    result = prov(db_url, "import", str(folder), "--doc", "story")
    assert result.exit_code == 2
    assert "c027.txt" in result.stderr and "not valid UTF-8" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert prov_json(db_url, "docs") == [] and prov_json(db_url, "events")["total"] == 0
    (tmp_path / "m").mkdir()
    manifest = _manifest(tmp_path / "m")
    lines = manifest.read_text(encoding="utf-8").splitlines()
    for bad, said in (
        ({"path": "captures/c001.txt", "doc": "late", "parent": "story@99"}, "story@99"),
        ({"path": "captures/c001.txt", "doc": "late", "parent": ["story@3", "story@3"]}, "given twice"),
        ({"path": "captures/c001.txt", "doc": "late", "encoding": "utf-16"}, "c001.txt"),
    ):
        manifest.write_text("\n".join([*lines, json.dumps(bad)]) + "\n", encoding="utf-8")
        result = prov(db_url, "import", str(manifest))
        assert result.exit_code == 2, result.output
        assert f"import.jsonl:{len(lines) + 1}:" in result.stderr and said in result.stderr
        assert prov_json(db_url, "docs") == [] and prov_json(db_url, "events")["total"] == 0


def test_a_register_beside_a_long_import_waits_for_one_batch_not_the_import(tmp_path, sqlite_template):
    path = tmp_path / "archive.db"
    shutil.copy(sqlite_template, path)
    url = store.to_url(str(path))
    folder = _folder(tmp_path, 60)
    # Each entry holds the write lock 60 ms more: the import holds it for about 4 s
    # in all, longer than the register below may wait ($PROV_LOCK_WAIT=2.5).
    importing = _spawn(url, (str(folder), "--doc", "story"), PROV_TEST_IMPORT_DELAY="0.06")
    deadline = time.monotonic() + 60
    while _versions(url) == 0:
        assert importing.poll() is None and time.monotonic() < deadline, importing.stderr
        time.sleep(0.01)
    note = tmp_path / "note.txt"
    note.write_text("A note registered while the import runs.\n", encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run(
        [*PROV, "--db", url, "register", str(note), "--doc", "note", "--json"],
        capture_output=True,
        env={**os.environ, "PROV_LOCK_WAIT": "2.5"},
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr.decode()
    assert importing.poll() is None, "the import ended before the register: nothing was shown"
    before = _versions(url)
    out, err = importing.communicate(timeout=120)
    assert importing.returncode == 0, err.decode()
    report = json.loads(out)
    assert report["versions"] + report["sightings"] + report["unchanged"] == 60
    assert _versions(url) > before  # the import went on after the register
    assert json.loads(done.stdout)["number"] == 1 and took < 2.5 + 5  # its wait, and its start
    assert prov_json(url, "verify")["ok"]
