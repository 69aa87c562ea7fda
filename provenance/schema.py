"""The schema's version: creating, upgrading and checking it through Alembic.

The migrations live in `db/` (installed as the package ``provenance_db``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import provenance_db
from provenance.errors import SchemaError


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(provenance_db.__file__).parent))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head; returns (revision before, revision after)."""
    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, head_revision()


def require_current(engine: Engine, where: str) -> None:
    """Refuse to work on a database whose schema is missing or behind."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaError(
            f"{where} has no provenance schema; create it with: prov --db {where} init"
        )
    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise SchemaError(
            f"{where} has schema revision {current}, newer than this program knows ({head}); "
            "upgrade provenance"
        )
    raise SchemaError(
        f"{where} has schema revision {current}, behind {head}; upgrade it with: prov --db {where} init"
    )
