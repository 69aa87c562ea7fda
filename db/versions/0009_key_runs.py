"""Index keys kept as runs over chains of revisions, not a row per key per content

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:40:00

A content's band keys and anchors were ``sketch_key`` rows, one per key per
content: 632,097 rows on the corpus, 65% of its database. A revision keeps
about 93% of its parent's anchors and 84% of its band keys, so they become
runs (``key_run``): a key held by the contents at positions ``lo``..``hi`` of
a ``key_chain`` (``hi`` NULL: still held at the chain's end), and each
content_index row names its chain and position. ``sketch_key`` is dropped.

Here every indexed content becomes a chain of its own, each key one run: the
same keys, no fewer rows. Contents registered from now on extend their
parents' chains, and `prov reindex` rebuilds all of them in chains.

An index built by an older sketch scheme cannot be checked or used anyway
(identify and verify ask for `prov reindex`), and its 63-bit keys do not fit
the 32-bit column: it is dropped, so the archive reads as not indexed yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: the schemes whose keys are 31 bits (provenance.sketch.SKETCH_VERSION 4,
# and 5, which only packs the signature: an index downgraded from 0013 is of scheme 5).
_SKETCH_VERSIONS = (None, "4", "5")
_OPEN = 2147483647


def _current(conn) -> bool:
    stored = conn.execute(
        sa.text("SELECT value FROM index_state WHERE name = 'sketch_version'")
    ).scalar()
    return stored in _SKETCH_VERSIONS


def upgrade() -> None:
    conn = op.get_bind()
    if not _current(conn):
        for table in ("sketch_key", "normal_hash", "content_index", "index_state"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    op.create_table(
        "key_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tail", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Plain ALTERs: a batch copy of content_index would drop a table sketch_key references.
    op.add_column("content_index", sa.Column("chain", sa.Integer(), nullable=True))
    op.add_column("content_index", sa.Column("pos", sa.Integer(), nullable=True))
    op.create_index("ix_content_index_chain", "content_index", ["chain", "pos"], unique=True)
    op.create_table(
        "key_run",
        sa.Column("band", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lo", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hi", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["chain"], ["key_chain.id"]),
        sa.PrimaryKeyConstraint("band", "key", "chain", "lo"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_key_run_chain", "key_run", ["chain", "hi"], sqlite_where=sa.text("hi IS NULL")
    )
    conn.execute(sa.text("INSERT INTO key_chain (id, tail) SELECT id, 0 FROM content_index"))
    conn.execute(sa.text("UPDATE content_index SET chain = id, pos = 0"))
    conn.execute(
        sa.text(
            "INSERT INTO key_run (band, key, chain, lo, hi)"
            " SELECT band, key, content_id, 0, NULL FROM sketch_key"
        )
    )
    if conn.dialect.name == "postgresql":  # ids were given: the next one follows them
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('key_chain', 'id'),"
                " COALESCE(MAX(id), 0) + 1, false) FROM key_chain"
            )
        )
    op.drop_table("sketch_key")


def downgrade() -> None:
    conn = op.get_bind()
    op.create_table(
        "sketch_key",
        sa.Column("band", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("content_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["content_index.id"]),
        sa.PrimaryKeyConstraint("band", "key", "content_id"),
        sqlite_with_rowid=False,
    )
    conn.execute(
        sa.text(
            "INSERT INTO sketch_key (band, key, content_id)"
            " SELECT r.band, r.key, c.id FROM key_run r JOIN content_index c"
            " ON c.chain = r.chain AND c.pos >= r.lo AND c.pos <= COALESCE(r.hi, :open)"
        ),
        {"open": _OPEN},
    )
    op.drop_index("ix_key_run_chain", table_name="key_run")
    op.drop_table("key_run")
    op.drop_index("ix_content_index_chain", table_name="content_index")
    op.drop_column("content_index", "pos")
    op.drop_column("content_index", "chain")
    op.drop_table("key_chain")
