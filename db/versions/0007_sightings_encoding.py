"""Sightings of a version, and the input encoding of a content's bytes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:20:00

A sighting records that a version's exact bytes were seen again (a re-capture,
a re-import from another source or at another time) without making a new
version of them: the source, the capture time and when it was recorded. Who
recorded it is the actor of its audit event, as for a version.

``content.encoding`` names the character encoding of a content's bytes when
they are not UTF-8 (``gb18030``, ``big5``, ...). NULL means UTF-8, which every
content stored before this revision is. The hash is of the bytes as given; the
decoded text is what comparisons use.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sighting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("captured_at", sa.String(length=40), nullable=True),
        sa.Column("recorded_at", sa.String(length=40), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["version.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sighting_version_id", "sighting", ["version_id"])
    with op.batch_alter_table("content") as batch:
        batch.add_column(sa.Column("encoding", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.drop_column("encoding")
    op.drop_index("ix_sighting_version_id", table_name="sighting")
    op.drop_table("sighting")
