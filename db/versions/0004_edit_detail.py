"""edit records say what their edits mean: passages of an excerpt, moved blocks

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:30:00

Records written before this revision keep ``detail`` NULL, which the audit
log's hash of a record leaves out, so every existing event still verifies.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("edit_record") as batch:
        batch.add_column(sa.Column("detail", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("edit_record") as batch:
        batch.drop_column("detail")
