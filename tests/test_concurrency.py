"""Writers at the same time: every registration lands, numbered without gaps or repeats."""

from __future__ import annotations

import threading

from sqlmodel import select

from provenance import archive, store
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
