"""identify index: per-content sketches, normalized hashes and LSH/anchor keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00

An archive that already holds contents gets empty index tables and no
``index_state`` rows: `prov identify` then asks for `prov reindex`, which
computes them. An empty archive is marked as indexed by the current scheme.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The schemes a new (empty) index is built under: those of provenance.sketch and
# provenance.index today, since an empty index is valid under any scheme (an archive
# upgraded from an older scheme keeps its own value and is told to run prov reindex).
SKETCH_VERSION = "4"
NORMAL_VERSION = "4"


def upgrade() -> None:
    op.create_table(
        "content_index",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=71), nullable=False),
        sa.Column("shingles", sa.Integer(), nullable=False),
        sa.Column("anchors", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["content_hash"], ["content.hash"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash"),
    )
    op.create_table(
        "normal_hash",
        sa.Column("content_hash", sa.String(length=71), nullable=False),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=71), nullable=False),
        sa.ForeignKeyConstraint(["content_hash"], ["content.hash"]),
        sa.PrimaryKeyConstraint("content_hash", "profile"),
    )
    with op.batch_alter_table("normal_hash", schema=None) as batch_op:
        batch_op.create_index("ix_normal_hash_lookup", ["profile", "hash"], unique=False)
    op.create_table(
        "sketch_key",
        sa.Column("band", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("content_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["content_index.id"]),
        sa.PrimaryKeyConstraint("band", "key", "content_id"),
        sqlite_with_rowid=False,
    )
    state = op.create_table(
        "index_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    has_content = op.get_bind().execute(sa.text("SELECT 1 FROM content LIMIT 1")).first()
    if has_content is None:
        op.bulk_insert(
            state,
            [
                {"name": "sketch_version", "value": SKETCH_VERSION},
                {"name": "normal_version", "value": NORMAL_VERSION},
            ],
        )


def downgrade() -> None:
    op.drop_table("index_state")
    op.drop_table("sketch_key")
    with op.batch_alter_table("normal_hash", schema=None) as batch_op:
        batch_op.drop_index("ix_normal_hash_lookup")
    op.drop_table("normal_hash")
    op.drop_table("content_index")
