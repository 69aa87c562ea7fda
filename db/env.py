"""Alembic environment: runs migrations on the engine handed over by provenance.schema.

All the migrations of one run are one transaction. On SQLite, foreign keys
are not enforced while it runs, as SQLite's own procedure for changing a
table asks (https://sqlite.org/lang_altertable.html#otheralter): a migration
that rebuilds a table others refer to drops it and renames its new copy,
which an enforced key refuses even when every row still has its parent. The
keys are checked instead before the transaction commits: a run that leaves a
row naming a missing parent, where there was none before, fails and changes
nothing.
"""

from alembic import context
from sqlmodel import SQLModel

import provenance.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from provenance.schema import dangling_keys, refuse_new_dangling_keys

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("provenance migrations run through provenance.schema.upgrade()")
    bind = engine.execution_options(sqlite_begin="IMMEDIATE")
    with bind.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection if sqlite else None
        if sqlite:  # outside any transaction: inside one the pragma does nothing
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                before = dangling_keys(connection) if sqlite else None
                context.run_migrations()
                if sqlite:
                    refuse_new_dangling_keys(connection, before)
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                raw.execute("PRAGMA foreign_keys=ON")


run()
