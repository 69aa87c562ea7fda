"""Writers at the same time: every registration lands, numbered without gaps or repeats."""

from __future__ import annotations

import threading

from sqlmodel import select

from provenance import archive, store
from provenance import verify as verifying
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
