"""Drop key_run's index of open runs by chain

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 04:40:00

`provenance.index.place` read a chain's open runs through this index to learn
which keys the chain's tail holds. Those are the tail content's own keys, a
function of its text alone, which the writer now has at hand (the keys it
wrote last, or the tail's text sketched again), so the index answered nothing
that could not be known without it: 471 KB of the corpus's 5.04 MB on SQLite,
where it held only the open runs, and more on PostgreSQL, where it held every
run. Nothing else reads runs by chain except `prov verify`, which reads all of
them in one pass.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_key_run_chain", table_name="key_run")


def downgrade() -> None:
    op.create_index(
        "ix_key_run_chain", "key_run", ["chain", "hi"], sqlite_where=sa.text("hi IS NULL")
    )
