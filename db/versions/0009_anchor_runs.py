"""Anchors kept as runs over chains of revisions, not a row per anchor per content

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:40:00

A content's anchors were ``sketch_key`` rows of band -1, one per anchor per
content: 600,033 of the corpus's rows, 63% of its database. A revision holds
about 93% of its parent's anchors, so they become runs (``anchor_run``): an
anchor held by the contents at positions ``lo``..``hi`` of an ``anchor_chain``
(``hi`` NULL: still held at the chain's end), and each content_index row
names its chain and position.

Here every indexed content becomes a chain of its own, each anchor one run:
the same anchors, no smaller. Contents registered from now on extend their
parents' chains, and `prov reindex` rebuilds all of them in chains.

An index built by an older sketch scheme cannot be checked or used anyway
(identify and verify ask for `prov reindex`), and its 63-bit keys do not fit
the 32-bit columns: it is dropped, so the archive reads as not indexed yet.
The band keys' column becomes INTEGER (scheme 4 keys are 31 bits).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: the scheme whose keys are 31 bits (provenance.sketch.SKETCH_VERSION then).
_SKETCH_VERSION = "4"
_ANCHOR_BAND = -1
_OPEN = 2147483647


def _current(conn) -> bool:
    stored = conn.execute(
        sa.text("SELECT value FROM index_state WHERE name = 'sketch_version'")
    ).scalar()
    return stored in (None, _SKETCH_VERSION)


def upgrade() -> None:
    conn = op.get_bind()
    if not _current(conn):
        for table in ("sketch_key", "normal_hash", "content_index", "index_state"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    op.create_table(
        "anchor_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tail", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Plain ALTERs: a batch copy of content_index would drop a table sketch_key references.
    op.add_column("content_index", sa.Column("chain", sa.Integer(), nullable=True))
    op.add_column("content_index", sa.Column("pos", sa.Integer(), nullable=True))
    op.create_index("ix_content_index_chain", "content_index", ["chain", "pos"], unique=True)
    op.create_table(
        "anchor_run",
        sa.Column("key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lo", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hi", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["chain"], ["anchor_chain.id"]),
        sa.PrimaryKeyConstraint("key", "chain", "lo"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_anchor_run_chain", "anchor_run", ["chain", "hi"])
    conn.execute(sa.text("INSERT INTO anchor_chain (id, tail) SELECT id, 0 FROM content_index"))
    conn.execute(sa.text("UPDATE content_index SET chain = id, pos = 0"))
    conn.execute(
        sa.text(
            "INSERT INTO anchor_run (key, chain, lo, hi)"
            " SELECT key, content_id, 0, NULL FROM sketch_key WHERE band = :anchor"
        ),
        {"anchor": _ANCHOR_BAND},
    )
    conn.execute(sa.text("DELETE FROM sketch_key WHERE band = :anchor"), {"anchor": _ANCHOR_BAND})
    if conn.dialect.name == "postgresql":  # ids were given: the next one follows them
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('anchor_chain', 'id'),"
                " COALESCE(MAX(id), 0) + 1, false) FROM anchor_chain"
            )
        )
    with op.batch_alter_table("sketch_key") as batch:
        batch.alter_column(
            "key", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )


def downgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("sketch_key") as batch:
        batch.alter_column(
            "key", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )
    conn.execute(
        sa.text(
            "INSERT INTO sketch_key (band, key, content_id)"
            " SELECT :anchor, r.key, c.id FROM anchor_run r JOIN content_index c"
            " ON c.chain = r.chain AND c.pos >= r.lo AND c.pos <= COALESCE(r.hi, :open)"
        ),
        {"anchor": _ANCHOR_BAND, "open": _OPEN},
    )
    op.drop_index("ix_anchor_run_chain", table_name="anchor_run")
    op.drop_table("anchor_run")
    op.drop_index("ix_content_index_chain", table_name="content_index")
    op.drop_column("content_index", "pos")
    op.drop_column("content_index", "chain")
    op.drop_table("anchor_chain")
