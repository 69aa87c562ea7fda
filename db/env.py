"""Alembic environment: runs migrations on the engine handed over by provenance.schema."""

from alembic import context
from sqlmodel import SQLModel

import provenance.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("provenance migrations run through provenance.schema.upgrade()")
    bind = engine.execution_options(sqlite_begin="IMMEDIATE")
    with bind.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
