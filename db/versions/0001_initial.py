"""initial schema: documents, contents, versions, links, edit records

Revision ID: 0001
Revises:
Create Date: 2026-11-23 05:30:26.190819
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content",
        sa.Column("hash", sa.String(length=71), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chars", sa.BigInteger(), nullable=False),
        sa.Column("compression", sa.String(length=16), nullable=False),
        sa.Column("base_hash", sa.String(length=71), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["base_hash"], ["content.hash"]),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=71), nullable=False),
        sa.Column("label", sa.String(length=512), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("captured_at", sa.String(length=40), nullable=True),
        sa.Column("registered_at", sa.String(length=40), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_hash"],
            ["content.hash"],
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "number", name="uq_version_number"),
    )
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_version_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_version_document_id"), ["document_id"], unique=False)

    op.create_table(
        "link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "relation IN ('revision', 'copy', 'excerpt', 'derived', 'merge')",
            name="ck_link_relation",
        ),
        sa.CheckConstraint("child_id <> parent_id", name="ck_link_not_self"),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["version.id"],
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("child_id", "parent_id", name="uq_link_pair"),
    )
    with op.batch_alter_table("link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_link_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "edit_record",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("edits", sa.JSON(), nullable=False),
        sa.Column("edit_count", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.BigInteger(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("engine", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["link.id"],
        ),
        sa.PrimaryKeyConstraint("link_id"),
    )


def downgrade() -> None:
    op.drop_table("edit_record")
    with op.batch_alter_table("link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_parent_id"))
        batch_op.drop_index(batch_op.f("ix_link_child_id"))

    op.drop_table("link")
    with op.batch_alter_table("version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_document_id"))
        batch_op.drop_index(batch_op.f("ix_version_content_hash"))

    op.drop_table("version")
    op.drop_table("document")
    op.drop_table("content")
