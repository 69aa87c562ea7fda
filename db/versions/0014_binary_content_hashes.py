"""Content hashes kept as their 32 bytes, in content, version and content_index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 13:40:00

A content was named by its 71-character ``blake3:<hex>`` in four columns
(``content.hash`` and ``base_hash``, ``version.content_hash``,
``content_index.content_hash``) and in the three indexes on them, and each
index row's ``digest`` was 71 characters more. They now hold the digest's 32
bytes (`provenance.models.Digest`, as ``normal_hash.hash`` since 0011): the
code still reads and writes ``blake3:<hex>``.

A stored value that is not ``blake3:`` and 64 hex digits (written behind the
tool's back) is kept for `prov verify` to name, as the UTF-8 bytes of its text
(a bytea column cannot hold text, and SQLite's rebuild casts to the column's
type), which read back as ``blake3:`` and their hex: not the hash of anything
stored. The downgrade writes every value back as ``blake3:`` and its hex
(SQLite leaves a text value, which only a damaged archive has, as it is).

On SQLite the three tables are rebuilt, as SQLite changes a column's type;
foreign keys are checked when the migration ends (`provenance_db.env`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREFIX = "blake3:"
_PATTERN = "^blake3:[0-9a-f]{64}$"

# (table, the columns holding a content hash or a digest)
_COLUMNS = (
    ("content", ("hash", "base_hash")),
    ("version", ("content_hash",)),
    ("content_index", ("content_hash", "digest")),
)
# (table, column, referenced table, referenced column): the foreign keys on them
_FOREIGN = (
    ("content", "base_hash", "content", "hash"),
    ("version", "content_hash", "content", "hash"),
    ("content_index", "content_hash", "content", "hash"),
)


def _unhex(value):
    """A ``blake3:<64 hex>`` text as its 32 bytes; any other value as it is."""
    if (
        isinstance(value, str)
        and len(value) == 71
        and value.startswith(_PREFIX)
        and all(c in "0123456789abcdef" for c in value[len(_PREFIX) :])
    ):
        return bytes.fromhex(value[len(_PREFIX) :])
    return value


def _sqlite_convert(update: str, new_type) -> None:
    """Convert each value in place (``update`` names it ``{c}``), then rebuild the
    three tables with the column's new type.

    The values are converted first: SQLite keeps a value of either kind in a
    column of either type, and the rebuild's copy casts the column to its new
    type, which turns what is left (damage) into the UTF-8 bytes of the text,
    as PostgreSQL's conversion does, or a text back into text.
    """
    conn = op.get_bind()
    conn.connection.driver_connection.create_function("prov_unhex", 1, _unhex, deterministic=True)
    for table, columns in _COLUMNS:
        sets = ", ".join(f"{c} = {update.replace('{c}', c)}" for c in columns)
        op.execute(f"UPDATE {table} SET {sets}")
    for table, columns in _COLUMNS:
        with op.batch_alter_table(table, recreate="always") as batch:
            for column in columns:
                batch.alter_column(column, type_=new_type)


def _pg_foreign_keys(conn) -> list[tuple[str, str, str, str, str]]:
    inspector = sa.inspect(conn)
    found = []
    for table, column, target, target_column in _FOREIGN:
        for fk in inspector.get_foreign_keys(table):
            if fk["constrained_columns"] == [column] and fk["referred_table"] == target:
                found.append((fk["name"], table, column, target, target_column))
    return found


def _pg_convert(using: str, new_type: str) -> None:
    conn = op.get_bind()
    keys = _pg_foreign_keys(conn)
    for name, table, *_ in keys:
        op.drop_constraint(name, table, type_="foreignkey")
    for table, columns in _COLUMNS:
        for column in columns:
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {new_type}"
                f" USING {using.replace('{c}', column)}"
            )
    for name, table, column, target, target_column in keys:
        op.create_foreign_key(name, table, target, [column], [target_column])


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_convert(
            f"CASE WHEN {{c}} ~ '{_PATTERN}' THEN decode(substr({{c}}, 8), 'hex')"
            " ELSE convert_to({c}, 'UTF8') END",
            "bytea",
        )
    else:
        _sqlite_convert("prov_unhex({c})", sa.LargeBinary())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_convert("'blake3:' || encode({c}, 'hex')", "varchar(71)")
    else:
        _sqlite_convert(
            "CASE WHEN typeof({c}) = 'blob' THEN 'blake3:' || lower(hex({c})) ELSE {c} END",
            sa.String(length=71),
        )
