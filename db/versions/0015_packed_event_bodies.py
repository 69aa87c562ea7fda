"""Audit event bodies kept as zstd frames; the actor and time as columns

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 21:40:00

An event's body, its canonical JSON, was the archive's largest table as text
(693 KB of the corpus's 4.1 MB). It is now the zstd frame
`provenance.packed.EventBody` writes, compressed with the frozen template
dictionary `provenance.packed.EVENT_DICTIONARY` (imported here: it is part of
the storage format and never changes). The text read back is the text
written, so every Merkle leaf and checkpoint is unchanged.

The log was filtered by who acted and when with the database's JSON functions
on the body; those fields are now the ``actor`` and ``time`` columns, copied
here from each body (`prov verify` checks that they agree). A body that is not
a JSON object with text ``actor`` and ``time`` (damage) gets empty ones, and a
body that is not text is kept as it is: verify names both.

The downgrade writes each body back as its text (a frame that cannot be read,
which only damage gives, as a text saying so) and drops the two columns.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provenance.packed import event_text, pack_event

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500


def _rows(conn):
    """(seq, body as stored) of every event, a batch at a time (the seqs are read
    first: the batches are rewritten while they are read)."""
    seqs = [seq for (seq,) in conn.exec_driver_sql("SELECT seq FROM event ORDER BY seq")]
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    for start in range(0, len(seqs), _BATCH):
        part = seqs[start : start + _BATCH]
        marks = ", ".join([mark] * len(part))
        yield from conn.exec_driver_sql(
            f"SELECT seq, body FROM event WHERE seq IN ({marks})", tuple(part)
        ).all()


def _fields(body) -> tuple[str, str]:
    try:
        obj = json.loads(body)
    except (TypeError, ValueError):
        return "", ""
    if not isinstance(obj, dict):
        return "", ""
    actor, time = obj.get("actor"), obj.get("time")
    return (actor if isinstance(actor, str) else ""), (time if isinstance(time, str) else "")


def _update(conn, sql: str, rows: list[tuple]) -> None:
    if rows:
        conn.exec_driver_sql(sql, rows)


def upgrade() -> None:
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    op.add_column("event", sa.Column("actor", sa.Text(), nullable=True))
    op.add_column("event", sa.Column("time", sa.Text(), nullable=True))
    if pg:
        op.execute("ALTER TABLE event ALTER COLUMN body TYPE bytea USING convert_to(body, 'UTF8')")
    mark = "%s" if pg else "?"
    sql = f"UPDATE event SET actor = {mark}, time = {mark}, body = {mark} WHERE seq = {mark}"
    pending: list[tuple] = []
    for seq, stored in _rows(conn):
        if pg:
            stored = bytes(stored).decode("utf-8")  # converted from text just above
        actor, time = _fields(stored)
        body = pack_event(stored) if isinstance(stored, str) else stored
        pending.append((actor, time, body, seq))
        if len(pending) >= _BATCH:
            _update(conn, sql, pending)
            pending = []
    _update(conn, sql, pending)
    if pg:
        op.alter_column("event", "actor", nullable=False)
        op.alter_column("event", "time", nullable=False)
    else:
        with op.batch_alter_table("event", recreate="always") as batch:
            batch.alter_column("actor", nullable=False)
            batch.alter_column("time", nullable=False)
            batch.alter_column("body", type_=sa.LargeBinary())


def _text(stored) -> str:
    if isinstance(stored, memoryview):
        stored = stored.tobytes()
    try:
        return event_text(stored)
    except ValueError as exc:
        if isinstance(stored, str):
            return stored
        return f"an event frame that could not be read ({exc}): {bytes(stored).hex()}"


def downgrade() -> None:
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    mark = "%s" if pg else "?"
    sql = f"UPDATE event SET body = {mark} WHERE seq = {mark}"
    pending: list[tuple] = []
    for seq, stored in _rows(conn):
        text = _text(stored)
        pending.append((text.encode("utf-8", "surrogatepass") if pg else text, seq))
        if len(pending) >= _BATCH:
            _update(conn, sql, pending)
            pending = []
    _update(conn, sql, pending)
    if pg:
        op.execute("ALTER TABLE event ALTER COLUMN body TYPE text USING convert_from(body, 'UTF8')")
        op.drop_column("event", "time")
        op.drop_column("event", "actor")
    else:
        with op.batch_alter_table("event", recreate="always") as batch:
            batch.drop_column("time")
            batch.drop_column("actor")
            batch.alter_column("body", type_=sa.Text())
