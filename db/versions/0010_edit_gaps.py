"""Edit records' edits framed by their gaps, not their offsets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:20:00

An edit record's ``edits`` frame held ``[a_start, a_end, b_start, b_end, new]``
per edit. Offsets grow with the text and compress badly: on the corpus the
frames were 1,148 KB, more than the stored texts. The frame now holds three
lists (``skip``, ``take``, ``put``: the parent's characters kept since the
previous edit, those this edit replaces, and its new text), from which the
offsets follow; 493 KB on the corpus. A list whose offsets do not follow from
its gaps stays as it is. The values, which the audit log hashes, do not change.

Each frame is rewritten here, and back on downgrade: a program that knows
only 0009 would misread the new frames, which is why this is a revision.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import zstandard
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: a migration must write what it wrote the day it was made.
_LEVEL = 9
_BATCH = 500


def _compact(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def _read(blob):
    if isinstance(blob, memoryview):
        blob = blob.tobytes()
    text = zstandard.ZstdDecompressor().decompress(blob).decode("utf-8", "surrogatepass")
    return json.loads(text)


def _frame(value) -> bytes:
    return zstandard.ZstdCompressor(level=_LEVEL, write_checksum=True).compress(_compact(value))


def _gaps(edits):
    if not isinstance(edits, list) or not edits:
        return None
    skip, take, put = [], [], []
    at = shift = 0
    for row in edits:
        if not isinstance(row, list) or len(row) != 5:
            return None
        a0, a1, b0, b1, new = row
        if not all(type(x) is int for x in (a0, a1, b0, b1)) or type(new) is not str:
            return None
        if b0 != a0 + shift or b1 - b0 != len(new):
            return None
        skip.append(a0 - at)
        take.append(a1 - a0)
        put.append(new)
        at, shift = a1, shift + len(new) - (a1 - a0)
    return {"put": put, "skip": skip, "take": take}


def _offsets(form):
    if not isinstance(form, dict):
        return form
    edits = []
    at = shift = 0
    for new, gap, cut in zip(form["put"], form["skip"], form["take"], strict=True):
        a0 = at + gap
        a1 = a0 + cut
        edits.append([a0, a1, a0 + shift, a0 + shift + len(new), new])
        at, shift = a1, shift + len(new) - cut
    return edits


def _by_gaps(blob):
    edits = _read(blob)
    gaps = _gaps(edits)
    return None if gaps is None else _frame(gaps)


def _by_offsets(blob):
    form = _read(blob)
    return _frame(_offsets(form)) if isinstance(form, dict) else None


def _rewrite(convert) -> None:
    """Each frame ``convert`` gives a new one for (None: kept as it is)."""
    conn = op.get_bind()
    table = sa.table("edit_record", sa.column("link_id"), sa.column("edits", sa.LargeBinary))
    last = -1
    while True:
        rows = conn.execute(
            sa.select(table.c.link_id, table.c.edits)
            .where(table.c.link_id > last)
            .order_by(table.c.link_id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for link_id, blob in rows:
            new = convert(blob)
            if new is not None:
                conn.execute(
                    table.update().where(table.c.link_id == link_id).values(edits=new)
                )
        last = rows[-1][0]


def upgrade() -> None:
    _rewrite(_by_gaps)


def downgrade() -> None:
    _rewrite(_by_offsets)
