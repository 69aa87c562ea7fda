"""identify index: each content's index rows carry a digest, which verify checks them against

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 03:00:00

Rows indexed before this revision keep ``digest`` NULL: verify recomputes
those from their texts (as it did for every content before), and
`prov reindex` gives them their digests.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("content_index") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=71), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content_index") as batch:
        batch.drop_column("digest")
