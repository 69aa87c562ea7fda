"""The schema is made only by the Alembic migrations, and they match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import provenance.models  # noqa: F401
import provenance_db
from provenance import schema, store
from provenance.errors import SchemaError


def test_migrating_an_empty_database_gives_exactly_the_models_schema(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, SQLModel.metadata) == []


def test_the_head_every_command_checks_against_is_the_newest_migration():
    assert schema.head_revision() == provenance_db.HEAD


def test_init_is_idempotent(engine):
    before, after = schema.upgrade(engine)
    assert before == after == schema.head_revision()


def test_a_database_without_the_schema_is_refused_with_the_command_to_fix_it(tmp_path):
    engine = store.open_engine(store.DatabaseLocation(store.to_url(str(tmp_path / "x.db")), "test"))
    with pytest.raises(SchemaError, match=r"create it with: prov --db .* init"):
        schema.require_current(engine, str(tmp_path / "x.db"))
    engine.dispose()


def test_a_database_from_an_unknown_newer_revision_is_refused(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
    with pytest.raises(SchemaError, match="newer than this program knows"):
        schema.require_current(engine, "the archive")
