"""The schema's version: creating, upgrading and checking it through Alembic.

The migrations live in `db/` (installed as the package ``provenance_db``).
Every command checks the schema first, so that check reads the revision
table directly and compares it with ``provenance_db.HEAD``; Alembic (a tenth
of a second to import) is loaded only to upgrade or to explain a mismatch.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import provenance_db
from provenance.errors import SchemaError

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(provenance_db.__file__).parent))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest revision of the migrations, as Alembic reads them from `db/`."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None when it has no provenance schema)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, head_revision()


def dangling_keys(conn: sa.Connection) -> Counter:
    """On SQLite, how many rows of each (table, referenced table) name a row that is
    not there (what enforced foreign keys would have refused)."""
    rows = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    return Counter((row[0], row[2]) for row in rows)


def refuse_new_dangling_keys(conn: sa.Connection, before: Counter) -> None:
    """Raise SchemaError if rows name missing rows where ``before`` counted fewer: a
    migration run without enforced keys (`provenance_db.env`) must not leave any."""
    after = dangling_keys(conn)
    new = {pair: n - before[pair] for pair, n in after.items() if n > before[pair]}
    if new:
        named = ", ".join(
            f"{n} rows of {t} naming missing rows of {p}" for (t, p), n in new.items()
        )
        raise SchemaError(f"the migration would leave {named}; nothing was changed")


def require_current(engine: Engine, where: str) -> None:
    """Refuse to work on a database whose schema is missing or behind."""
    current = current_revision(engine)
    if current == provenance_db.HEAD:
        return
    if current is None:
        raise SchemaError(
            f"{where} has no provenance schema; create it with: prov --db {where} init"
        )
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise SchemaError(
            f"{where} has schema revision {current}, newer than this program knows ({head}); "
            "upgrade provenance"
        )
    raise SchemaError(
        f"{where} has schema revision {current}, behind {head}; upgrade it with: prov --db {where} init"
    )
