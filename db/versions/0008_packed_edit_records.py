"""Edit records' edits and detail kept as zstd frames of their JSON

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:30:00

An edit record's ``edits`` and ``detail`` were JSON columns; they become
binary columns holding the zstd frame of the same compact JSON text
(`provenance.packed`). On the corpus the table went from 3.35 MB to about
1.3 MB. The audit log hashes the values, which do not change. Each stored value
is rewritten here: an archive's edit records are read and written once.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import zstandard
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: a migration must write what it wrote the day it was made.
_LEVEL = 9
_COLUMNS = ("edits", "detail")
_BATCH = 500


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogatepass")
    return value


def _pack(text: str | None) -> bytes | None:
    if text is None:
        return None
    value = json.loads(text)
    if value is None:  # a JSON null (how the JSON column stored "no detail")
        return None
    data = _compact(value).encode("utf-8", "surrogatepass")
    return zstandard.ZstdCompressor(level=_LEVEL, write_checksum=True).compress(data)


def _unpack(blob) -> str | None:
    if blob is None:
        return None
    if isinstance(blob, memoryview):
        blob = blob.tobytes()
    return zstandard.ZstdDecompressor().decompress(blob).decode("utf-8", "surrogatepass")


def _rewrite(convert) -> None:
    conn = op.get_bind()
    table = sa.table("edit_record", sa.column("link_id"), *(sa.column(c) for c in _COLUMNS))
    last = -1
    while True:
        rows = conn.execute(
            sa.select(table.c.link_id, *(table.c[c] for c in _COLUMNS))
            .where(table.c.link_id > last)
            .order_by(table.c.link_id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for link_id, *values in rows:
            conn.execute(
                table.update()
                .where(table.c.link_id == link_id)
                .values({c: convert(v) for c, v in zip(_COLUMNS, values, strict=True)})
            )
        last = rows[-1][0]


def _retype(old: sa.types.TypeEngine, new: sa.types.TypeEngine, using: str) -> None:
    """Both columns from ``old`` to ``new``; ``using`` is PostgreSQL's conversion of
    ``{column}`` (SQLite keeps each value as it is: the table is copied)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("edit_record") as batch:
        for column in _COLUMNS:
            batch.alter_column(
                column,
                existing_type=old,
                type_=new,
                existing_nullable=column == "detail",
                postgresql_using=using.format(column=column) if postgres else None,
            )


def upgrade() -> None:
    _retype(sa.JSON(), sa.LargeBinary(), "convert_to({column}::text, 'UTF8')")
    _rewrite(lambda v: _pack(_text(v)))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"

    def unpacked(blob):  # bytea until the type changes on PostgreSQL; text on SQLite
        text = _unpack(blob)
        return text.encode("utf-8", "surrogatepass") if postgres and text is not None else text

    _rewrite(unpacked)
    _retype(sa.LargeBinary(), sa.JSON(), "convert_from({column}, 'UTF8')::json")
