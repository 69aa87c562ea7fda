"""Writers at the same time: every registration lands, numbered without gaps or repeats."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from provenance import archive, store
from provenance import verify as verifying
from provenance.errors import DatabaseError
from provenance.models import Content, Version

from .conftest import processes


def test_concurrent_registrations_all_land_with_distinct_numbers(db_url):
    writers, per_writer = 4, 5
    errors: list[BaseException] = []

    def work(w: int) -> None:
        engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
        try:
            for i in range(per_writer):
                with store.transaction(engine) as s:
                    # Every writer also stores the same shared bytes once.
                    archive.register(s, b"shared text", name="shared", doc="busy", actor=f"w{w}")
                    archive.register(
                        s, f"writer {w} item {i}".encode(), name="x", doc="busy", actor=f"w{w}"
                    )
        except BaseException as exc:  # reported below, with the writer's error
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.reader(engine) as s:
            numbers = sorted(v.number for v in s.exec(select(Version)).all())
            assert numbers == list(range(1, 2 * writers * per_writer + 1))
            hashes = s.exec(select(Content.hash)).all()
            assert len(hashes) == len(set(hashes)) == writers * per_writer + 1
    finally:
        engine.dispose()


def test_verify_sees_one_snapshot_while_a_registration_lands_halfway(db_url):
    """A registration committed while verify is reading must not look like damage."""
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    other = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.transaction(engine) as s:
            archive.register(s, b"first text", name="a", doc="live", actor="t")
        landed = []

        def register_now(done: int, total: int) -> None:
            # Called once verify has read the content rows, before it reads the log.
            if not landed:
                with store.transaction(other) as s:
                    archive.register(s, b"second text", name="b", doc="live", actor="t")
                landed.append(True)

        with store.reader(engine) as s:
            report = verifying.verify(s, progress=register_now)
        assert landed
        assert report.ok, report.problems
        assert report.versions == 1 and report.contents == 1
        with store.reader(engine) as s:
            after = verifying.verify(s)
        assert after.ok and after.versions == 2
    finally:
        engine.dispose()
        other.dispose()


# -- queueing for the write lock (issue 12) -------------------------------------------


def _hold_the_lock(db_url: str, seconds: float, held: threading.Event) -> threading.Thread:
    def hold() -> None:
        engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
        try:
            with store.transaction(engine) as s:
                archive.register(s, b"the holder", name="h", doc="held", actor="holder")
                held.set()
                time.sleep(seconds)
        finally:
            engine.dispose()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(30)
    return thread


def test_a_writer_queues_behind_a_held_lock_and_then_lands(db_url):
    held = threading.Event()
    holder = _hold_the_lock(db_url, 1.5, held)
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        started = time.monotonic()
        with store.transaction(engine, wait=30) as s:
            report = archive.register(s, b"the waiter", name="w", doc="held", actor="waiter")
        assert time.monotonic() - started >= 0.5  # it waited for the holder
        assert report.number == 2
    finally:
        engine.dispose()
        holder.join()


def test_a_writer_that_waits_too_long_fails_in_one_line_naming_the_holder(db_url):
    held = threading.Event()
    holder = _hold_the_lock(db_url, 4, held)
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseError) as raised, store.transaction(engine, wait=0.5) as s:
            archive.register(s, b"the waiter", name="w", doc="held", actor="waiter")
        assert time.monotonic() - started < 3.5  # bounded: it did not wait for the holder
        message = str(raised.value)
        assert "\n" not in message and "locked by" in message and "PROV_LOCK_WAIT" in message
        if not db_url.startswith("sqlite"):
            assert "PostgreSQL session" in message  # who holds it, when the server can tell
    finally:
        engine.dispose()
        holder.join()
    with store.reader(store.open_engine(store.DatabaseLocation(db_url, "test"))) as s:
        assert [v.number for v in s.exec(select(Version)).all()] == [1]  # nothing half-written


def _burst(db_url: str, writer: int, count: int) -> None:
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        for i in range(count):
            with store.transaction(engine) as s:
                archive.register(
                    s, f"writer {writer} text {i}\n".encode() * 20, name="x", doc=f"d{i % 3}",
                    actor=f"w{writer}",
                )
    finally:
        engine.dispose()


def test_eight_writer_processes_lose_nothing(db_url):
    """Eight processes registering at once (the service's load, scaled down for the
    suite; benchmarks carry the 8 x 250): every version lands, numbers dense and
    ordered per document, the log one valid tree."""
    writers, count = 8, 12
    context = processes()
    procs = [context.Process(target=_burst, args=(db_url, w, count)) for w in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * writers
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.reader(engine) as s:
            versions = s.exec(select(Version)).all()
            assert len(versions) == writers * count
            by_doc: dict[int, list[Version]] = {}
            for v in versions:
                by_doc.setdefault(v.document_id, []).append(v)
            for vs in by_doc.values():
                vs.sort(key=lambda v: v.id)
                assert [v.number for v in vs] == list(range(1, len(vs) + 1))
            assert verifying.verify(s).ok
    finally:
        engine.dispose()


def _burst_through_archive(db_url: str, writer: int, count: int) -> None:
    from provenance import Archive

    with Archive(db_url, actor=f"w{writer}") as a:
        for i in range(count):
            a.register(f"writer {writer} text {i}\n".encode() * 20, doc=f"d{i % 2}", name="x")
            if i % 3 == 0:  # the same bytes from every writer, stored once (each a version)
                a.register(
                    b"the same bytes from every writer\n", doc=f"same-{writer}", name="s", new_version=True
                )


def _assert_chains(db_url: str, expected: int) -> None:
    """Every version landed, numbered densely per document, each revision linked to the
    version before it in its document, each content stored once, verify clean."""
    from provenance import Archive

    with Archive(db_url) as a:
        docs = a.documents()
        assert sum(d.versions for d in docs) == expected
        for d in docs:
            log = a.log(d.document)
            assert [v.number for v in log.versions] == list(range(1, len(log.versions) + 1))
            for before, after in zip(log.versions, log.versions[1:], strict=False):
                assert [p.parent for p in after.parents] == [before.version]
                assert after.parents[0].relation == "revision"
        report = a.verify()
        assert report.ok, report.problems
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.reader(engine) as s:
            hashes = s.exec(select(Content.hash)).all()
            assert len(hashes) == len(set(hashes))
            assert len(hashes) == len({v.content_hash for v in s.exec(select(Version)).all()})
    finally:
        engine.dispose()


def test_writer_processes_through_archive_lose_nothing(db_url):
    """`Archive.register` prepares outside the write lock and re-checks the parent
    under it: six processes on two shared documents still make two dense chains."""
    writers, count = 6, 10
    context = processes()
    procs = [
        context.Process(target=_burst_through_archive, args=(db_url, w, count))
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * writers
    _assert_chains(db_url, writers * count + writers * len(range(0, count, 3)))


@pytest.mark.parametrize("interlopers", [1, 99])
def test_a_version_registered_after_the_preparation_becomes_the_parent(
    db_url, monkeypatch, interlopers
):
    """Another writer registers a version between the preparation and the write: the
    registration links to that version (not the one it was prepared against), and its
    stored edits are those from it. With an interloper before every attempt, the last
    attempt diffs under the lock and still lands right."""
    from provenance import Archive, front

    prepare, landed, prepared = archive.prepare, [], []
    with Archive(db_url, actor="t") as a, Archive(db_url, actor="other") as other:
        a.init()
        a.register(b"one two three four five six\n", doc="story", name="v1")

        def interleaved(*args, **kwargs):
            work = prepare(*args, **kwargs)
            if kwargs.get("name") == "v3":
                prepared.append(work)
            if len(landed) < interlopers and kwargs.get("name") == "v3":
                text = f"one two {len(landed)} four\n".encode()
                landed.append(other.register(text, doc="story", name="other"))
            return work

        monkeypatch.setattr(archive, "prepare", interleaved)
        report = a.register(b"one two three four five seven\n", doc="story", name="v3")
        monkeypatch.undo()

        assert len(landed) == min(interlopers, front.PREPARE_ATTEMPTS)
        assert len(prepared) == min(interlopers + 1, front.PREPARE_ATTEMPTS)  # redone each time
        assert report.parents == (landed[-1].version,)
        assert report.number == len(landed) + 2
        shown = a.show(str(report.version))
        fresh = a.diff(str(landed[-1].version), str(report.version))
        assert shown.parents[0].stats.edits == fresh.stats.edits
        assert shown.parents[0].stats.inserted == fresh.stats.inserted
    _assert_chains(db_url, len(landed) + 2)


def test_lock_observer_sees_every_write_and_stops(tmp_path):
    """`store.observe_lock` reports each write transaction (committed or rolled back)
    and no more once stopped; a registration through `Archive` is one write."""
    from provenance import Archive

    seen: list[tuple[float, float]] = []
    stop = store.observe_lock(lambda waited, held: seen.append((waited, held)))
    try:
        with Archive(str(tmp_path / "a.db")) as a:
            a.init()
            a.register(b"first\n", doc="d")
            a.register(b"second\n", doc="d")
            assert len(seen) == 2
            with pytest.raises(Exception, match="empty"):
                a.register(b"", doc="d")
            assert len(seen) == 3  # the refused one rolled back, and was timed too
            assert all(w >= 0 and h >= 0 for w, h in seen)
    finally:
        stop()
    with Archive(str(tmp_path / "a.db")) as a:
        a.register(b"third\n", doc="d")
    assert len(seen) == 3
