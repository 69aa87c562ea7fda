"""`provenance.plain` writes what a session would write, on both backends, and fails as one would."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from provenance import Archive, contents, plain, store
from provenance.errors import DatabaseError
from provenance.models import Document, Event, Version

EVENTS = Event.__table__
VERSIONS = Version.__table__


def _row(session, table, **where):
    clause = sa.and_(*(table.c[k] == v for k, v in where.items()))
    return session.execute(sa.select(table).where(clause)).one()._asdict()


def test_a_row_written_on_the_cursor_reads_back_as_a_session_writes_it(engine):
    with store.transaction(engine) as session:
        doc = session.execute(
            Document.__table__.insert().returning(Document.__table__.c.id),
            {"key": "d", "created_at": "2026-01-01T00:00:00Z"},
        ).scalar_one()
        common = {
            "document_id": doc,
            "content_hash": contents.put(session, "一份声明".encode())[0],
            "label": None,
            "source": "wire",
            "captured_at": None,
            "registered_at": "2026-01-01T00:00:00Z",
        }
        # JSON with non-ASCII text, and JSON null: each type's bind processing is SQLAlchemy's.
        meta = {"title": "一份声明 ✓", "n": 3, "none": None}
        session.execute(VERSIONS.insert(), {**common, "number": 1, "meta": meta})
        returned = plain.run(
            session,
            VERSIONS.insert().returning(VERSIONS.c.id),
            {**common, "number": 2, "meta": meta},
        )
        assert len(returned) == 1 and isinstance(returned[0][0], int)
    with store.reader(engine) as session:
        by_session = _row(session, VERSIONS, number=1)
        by_cursor = _row(session, VERSIONS, number=2)
    assert by_cursor["id"] == returned[0][0]
    assert {k: v for k, v in by_cursor.items() if k not in ("id", "number")} == {
        k: v for k, v in by_session.items() if k not in ("id", "number")
    }
    assert by_cursor["meta"] == meta


def test_many_rows_and_a_conflict_that_is_not_an_error(engine):
    rows = [
        {"seq": n, "kind": "k", "subject": f"s{n}", "actor": "a", "time": "t", "body": "{}"}
        for n in range(5)
    ]
    with store.transaction(engine) as session:
        plain.run_many(session, EVENTS.insert(), rows)
        plain.run_many(session, EVENTS.insert(), [])  # nothing to do
    with store.reader(engine) as session:
        got = session.execute(sa.select(EVENTS.c.seq).order_by(EVENTS.c.seq)).scalars().all()
    assert got == [0, 1, 2, 3, 4]


def test_a_driver_error_is_the_one_line_a_session_gives_and_rolls_the_transaction_back(engine):
    row = {"seq": 0, "kind": "k", "subject": "s", "actor": "a", "time": "t", "body": "{}"}
    with store.transaction(engine) as session:
        session.execute(EVENTS.insert(), row)
        through_session = session.begin_nested()
        try:
            session.execute(EVENTS.insert(), row)  # the same seq again: a unique key
        except sa.exc.IntegrityError as exc:
            by_session = exc
        through_session.rollback()
        with pytest.raises(sa.exc.IntegrityError) as by_cursor:
            plain.run(session, EVENTS.insert(), row)
        # The driver's own error, wrapped as SQLAlchemy wraps it: same kind, same reason.
        assert type(by_cursor.value.orig) is type(by_session.orig)
        assert str(by_cursor.value.orig).splitlines()[0] == str(by_session.orig).splitlines()[0]
        session.rollback()
    unique = r"database error: .*(UNIQUE|unique)"
    with pytest.raises(DatabaseError, match=unique), store.transaction(engine) as session:
        plain.run(session, EVENTS.insert(), {**row, "seq": 1})
        plain.run(session, EVENTS.insert(), {**row, "seq": 1})
    with store.reader(engine) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(EVENTS)).scalar_one() == 0


def test_a_statement_it_cannot_run_as_sqlalchemy_would_is_refused(engine):
    # A column left out that has a Python-side default: SQLAlchemy's execution context
    # would compute it; the cursor path refuses rather than write a row without it.
    table = sa.Table(
        "t", sa.MetaData(), sa.Column("a", sa.Integer), sa.Column("b", sa.Integer, default=7)
    )
    with (
        store.transaction(engine) as session,
        pytest.raises(TypeError, match="one plain parameter"),
    ):
        plain.run(session, table.insert(), {"a": 1})


def test_registrations_through_it_verify(db_url, seeds):
    with Archive(db_url, actor="t") as archive:
        first, second = sorted(seeds)
        archive.register(seeds[first], doc="a", name=first)
        archive.register(seeds[second], doc="a", name=second)
        report = archive.verify()
    assert report.ok
