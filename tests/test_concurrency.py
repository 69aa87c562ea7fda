"""Writers at the same time: every registration lands, numbered without gaps or repeats."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
from sqlmodel import select

from provenance import archive, store
from provenance import verify as verifying
from provenance.errors import DatabaseError
from provenance.models import Content, Version


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
    context = multiprocessing.get_context("spawn")
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
