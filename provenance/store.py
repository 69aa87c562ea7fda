"""Where the archive lives: resolving the database, opening it, transactions.

One code path for SQLite and PostgreSQL (through SQLAlchemy). SQLite runs with
WAL, foreign keys on and a busy timeout; a write transaction on SQLite starts
with ``BEGIN IMMEDIATE`` so two writers queue instead of failing half-way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from provenance.errors import DatabaseError

ENV_DB = "PROV_DB"
BUSY_TIMEOUT_MS = 10_000


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/provenance/archive.db`` (``~/.local/share/provenance/archive.db``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "provenance" / "archive.db"


@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    url: str
    origin: str  # "--db", "PROV_DB" or "default"

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def display(self) -> str:
        """The URL without a password, for messages."""
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)


def resolve(option: str | None) -> DatabaseLocation:
    """An explicit option beats the environment beats the documented default."""
    if option:
        return DatabaseLocation(to_url(option), "--db")
    env = os.environ.get(ENV_DB)
    if env:
        return DatabaseLocation(to_url(env), ENV_DB)
    return DatabaseLocation(to_url(str(default_db_path())), "default")


def to_url(text: str) -> str:
    """A database URL from a URL or a plain file path (an SQLite file)."""
    if "://" not in text:
        return "sqlite:///" + str(Path(text).expanduser().absolute())
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def json_text(value: object) -> str:
    """How JSON columns are written: compact, and CJK kept as UTF-8 rather than
    ``\\uXXXX`` escapes (which made Chinese edit records more than twice as large)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def open_engine(location: DatabaseLocation, *, create_dir: bool = False) -> Engine:
    """An engine for ``location``; raises DatabaseError when it cannot be opened."""
    try:
        url = sa.engine.make_url(location.url)
    except sa.exc.ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {location.url!r} ({exc})") from None
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, create_dir=create_dir)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, json_serializer=json_text)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise DatabaseError(f"cannot open database {location.display()}: {reason}") from None
    return engine


def _sqlite_engine(url: sa.engine.URL, *, create_dir: bool) -> Engine:
    path = url.database
    if path and path != ":memory:":
        parent = Path(path).parent
        if create_dir:
            parent.mkdir(parents=True, exist_ok=True)
        if Path(path).is_dir():
            raise DatabaseError(f"cannot open database {path}: it is a directory")
        if not parent.is_dir():
            raise DatabaseError(f"cannot open database {path}: folder {parent} does not exist")
    engine = sa.create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, json_serializer=json_text
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        # Let SQLAlchemy's "begin" event, not pysqlite, decide how a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every test
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


# The key of the PostgreSQL advisory lock that writers hold for their whole
# transaction; the audit log's head lock (provenance.audit.lock) is this lock.
WRITE_LOCK_KEY = 0x70726F76_61756474


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed if the block succeeds, rolled back otherwise.

    Writers take turns, on both backends: SQLite's ``BEGIN IMMEDIATE`` and a
    transaction-level advisory lock on PostgreSQL. A registration reads
    before it writes (does this document exist? what is its next number?),
    and two of them interleaving would otherwise collide on a unique key.
    Readers are never blocked.
    """
    bind = engine.execution_options(sqlite_begin="IMMEDIATE")
    with _database_errors(), Session(bind, expire_on_commit=False) as session, session.begin():
        if engine.dialect.name == "postgresql":
            session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
        yield session


@contextmanager
def reader(engine: Engine) -> Iterator[Session]:
    """A read-only session (rolled back at the end) that sees one snapshot throughout.

    A reader that reads several tables (verify reads them all) must not see a
    registration committed halfway through: SQLite's deferred transaction in
    WAL mode already reads one snapshot; PostgreSQL needs REPEATABLE READ,
    which for a reader never fails or waits.
    """
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with _database_errors(), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def _database_errors() -> Iterator[None]:
    """A failure of the database itself (locked, unreachable, full, a schema that is not
    what this program expects) as one `DatabaseError` line, after the rollback."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.DataError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise DatabaseError(f"database error: {reason}") from exc
