"""Normalized hashes keyed by their index row, each hash kept as its 32 bytes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:40:00

A ``normal_hash`` row named its content by the content's 71-character hash and
held its own hash as 71 characters, and both were copied into two indexes:
868 KB for the corpus's 2,493 rows. It now names the content's ``content_index``
row (an integer) and holds the hash's 32 bytes, in a table without rowids on
SQLite, with one lookup index on the hash: about 0.25 MB.

Rows are copied across in batches of index rows. A row whose content has no
index row, or whose hash is not a BLAKE3 digest, cannot be copied; it is left
out, and `prov verify` then names the content as missing that hash, which
`prov reindex` puts right (as it would have named the row before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREFIX = "blake3:"
_BATCH = 1000  # index rows per copy


def _set_aside(name: str) -> None:
    """Rename table normal_hash to ``name`` (and, on PostgreSQL, its primary key's
    index, whose name the new table's takes)."""
    op.drop_index("ix_normal_hash_lookup", table_name="normal_hash")
    op.rename_table("normal_hash", name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX normal_hash_pkey RENAME TO {name}_pkey")


def _copy(select: str, convert) -> None:
    conn = op.get_bind()
    top = conn.execute(sa.text("SELECT MAX(id) FROM content_index")).scalar() or 0
    table = sa.table("normal_hash", *(sa.column(c) for c in _columns(conn)))
    for low in range(0, top + 1, _BATCH):
        rows = conn.execute(sa.text(select), {"lo": low, "hi": low + _BATCH}).all()
        values = [v for v in (convert(*row) for row in rows) if v is not None]
        if values:
            conn.execute(table.insert(), values)


def _columns(conn) -> list[str]:
    return [c["name"] for c in sa.inspect(conn).get_columns("normal_hash")]


def _to_bytes(index_id, profile, digest):
    if not (isinstance(digest, str) and digest.startswith(_PREFIX) and len(digest) == 71):
        return None
    try:
        data = bytes.fromhex(digest[len(_PREFIX) :])
    except ValueError:
        return None
    return {"index_id": index_id, "profile": profile, "hash": data}


def _to_text(content_hash, profile, data):
    if isinstance(data, memoryview):
        data = data.tobytes()
    if not isinstance(data, bytes):
        return None
    return {"content_hash": content_hash, "profile": profile, "hash": _PREFIX + data.hex()}


def upgrade() -> None:
    _set_aside("normal_hash_0010")
    op.create_table(
        "normal_hash",
        sa.Column("index_id", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["index_id"], ["content_index.id"]),
        sa.PrimaryKeyConstraint("index_id", "profile"),
        sqlite_with_rowid=False,
    )
    _copy(
        "SELECT ci.id, n.profile, n.hash FROM normal_hash_0010 n"
        " JOIN content_index ci ON ci.content_hash = n.content_hash"
        " WHERE ci.id >= :lo AND ci.id < :hi",
        _to_bytes,
    )
    op.drop_table("normal_hash_0010")
    op.create_index("ix_normal_hash_lookup", "normal_hash", ["hash"])


def downgrade() -> None:
    _set_aside("normal_hash_0011")
    op.create_table(
        "normal_hash",
        sa.Column("content_hash", sa.String(length=71), nullable=False),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=71), nullable=False),
        sa.ForeignKeyConstraint(["content_hash"], ["content.hash"]),
        sa.PrimaryKeyConstraint("content_hash", "profile"),
    )
    _copy(
        "SELECT ci.content_hash, n.profile, n.hash FROM normal_hash_0011 n"
        " JOIN content_index ci ON ci.id = n.index_id"
        " WHERE ci.id >= :lo AND ci.id < :hi",
        _to_text,
    )
    op.drop_table("normal_hash_0011")
    op.create_index("ix_normal_hash_lookup", "normal_hash", ["profile", "hash"])
