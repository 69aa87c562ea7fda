"""Where the archive lives: resolving the database, opening it, transactions.

One code path for SQLite and PostgreSQL (through SQLAlchemy). SQLite runs with
WAL, foreign keys on and a busy timeout; a write transaction on SQLite starts
with ``BEGIN IMMEDIATE`` so two writers queue instead of failing half-way.

An SQLite archive is opened for what the command does: ``read`` never
writes (``PRAGMA query_only``) and opens an archive the user cannot write
with ``mode=ro``, and ``immutable=1`` where SQLite could not keep its
``-wal``/``-shm`` files beside it (a read-only file system, a folder the
user cannot write), so an auditor can read an archive on read-only media;
``write`` opens an existing archive and refuses, in one line, one that is
read-only; only ``create`` makes a new file, private to its owner (0600, in
a 0700 folder when it makes the folder) unless ``shared`` (0660 in 0770).
SQLite gives the ``-wal`` and ``-shm`` files the archive file's mode.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from provenance.errors import DatabaseError, InputError

ENV_DB = "PROV_DB"
BUSY_TIMEOUT_MS = 10_000
ENV_LOCK_WAIT = "PROV_LOCK_WAIT"
LOCK_WAIT_S = 120.0
"""How long a writer queues for the archive's write lock before it gives up
(seconds; ``$PROV_LOCK_WAIT`` changes it). Writers take turns: each holds the
lock for its whole transaction (a registration: milliseconds to a second or
two for a long text), so under a burst of writers the wait is the sum of
theirs. On SQLite each attempt waits up to ``BUSY_TIMEOUT_MS`` in SQLite's own
busy handler and is retried with a growing, jittered pause until this much
time has passed; on PostgreSQL the advisory lock is waited for with
``lock_timeout`` set to the time left."""

Access = Literal["read", "write", "create"]

PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700
# A group archive: the group reads and writes it; the folder's setgid bit gives
# the -wal and -shm files SQLite makes beside it the archive's group.
SHARED_FILE, SHARED_FOLDER = 0o660, 0o2770

# The backends this program is built and tested for, with the one driver each.
_DRIVERS = {"sqlite": ("pysqlite",), "postgresql": ("psycopg",)}


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

    @property
    def path(self) -> Path | None:
        """The SQLite archive's file (None for PostgreSQL or an in-memory database)."""
        if not self.is_sqlite:
            return None
        database = _parse(self.url).database
        return Path(database) if database and database != ":memory:" else None

    def display(self) -> str:
        """The URL without a password, for messages."""
        try:
            shown = _parse(self.url).render_as_string(hide_password=True)
        except DatabaseError:
            shown = self.url
        return redact(shown)


def resolve(option: str | None) -> DatabaseLocation:
    """An explicit option beats the environment beats the documented default.

    ``--db ""`` is refused rather than read as "not given"; an empty
    ``$PROV_DB`` counts as unset, as environment variables usually do.
    """
    if option is not None:
        return DatabaseLocation(to_url(option, "--db"), "--db")
    env = os.environ.get(ENV_DB)
    if env:
        return DatabaseLocation(to_url(env, ENV_DB), ENV_DB)
    return DatabaseLocation(to_url(str(default_db_path())), "default")


def to_url(text: str, what: str = "the database") -> str:
    """A database URL from a URL or a plain file path (an SQLite file).

    Raises `InputError` for an empty text and `DatabaseError` for a URL that
    does not parse or names a backend this program does not support; neither
    message shows a password.
    """
    if not text.strip():
        raise InputError(f"{what} is empty: give an archive's file path or a database URL")
    if "://" not in text:
        return "sqlite:///" + str(Path(text).expanduser().absolute())
    given = text
    scheme, rest = text.split("://", 1)
    if scheme.lower() in ("postgresql", "postgres"):
        text = "postgresql+psycopg://" + rest
    url = _parse(text, given)
    backend, _, driver = url.drivername.partition("+")
    if backend not in _DRIVERS or driver not in ("", *_DRIVERS[backend]):
        raise DatabaseError(
            f"{redact(given)}: not a supported database; give an SQLite file path, "
            "sqlite:///PATH or postgresql://[USER@]HOST[:PORT]/NAME"
        )
    return text


def _parse(text: str, given: str | None = None) -> sa.engine.URL:
    try:
        return sa.engine.make_url(text)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        raise DatabaseError(f"{redact(given or text)}: not a database URL") from None


_USERINFO = re.compile(r"^(?P<scheme>[^:/?#]*://)(?P<user>[^:@/]*):(?P<password>.*)@(?=[^@]*$)")
_QUERY_SECRET = re.compile(r"(?i)([?&](?:password|passwd|sslpassword)=)[^&]*")


def redact(text: str) -> str:
    """``text`` with any password it may carry replaced by ``***``: the part of the
    userinfo after its first ``:`` (up to the last ``@``), and ``password=`` options.
    Works on text that does not parse as a URL, which is when it is echoed in errors."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _QUERY_SECRET.sub(r"\1***", text)


def json_text(value: object) -> str:
    """How JSON columns are written: compact, and CJK kept as UTF-8 rather than
    ``\\uXXXX`` escapes (which made Chinese edit records more than twice as large)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def open_engine(
    location: DatabaseLocation,
    *,
    create_dir: bool = False,
    access: Access = "create",
    shared: bool = False,
) -> Engine:
    """An engine for ``location``; raises DatabaseError when it cannot be opened.

    ``access`` matters for SQLite (see the module's docstring): ``read``
    never writes, ``write`` never creates, ``create`` makes a missing file
    (and with ``create_dir`` its missing folders), private unless ``shared``.
    """
    url = _parse(location.url)
    backend = url.drivername.partition("+")[0]
    try:
        if backend == "sqlite":
            engine = _sqlite_engine(url, access=access, create_dir=create_dir, shared=shared)
        elif backend == "postgresql":
            engine = sa.create_engine(url, pool_pre_ping=True, json_serializer=json_text)
        else:
            raise DatabaseError(f"{location.display()}: not a supported database")
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise DatabaseError(f"cannot open database {location.display()}: {exc}") from None
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        reason = redact(str(getattr(exc, "orig", exc)).strip().splitlines()[0])
        raise DatabaseError(f"cannot open database {location.display()}: {reason}") from None
    return engine


def _sqlite_engine(
    url: sa.engine.URL, *, access: Access, create_dir: bool, shared: bool
) -> Engine:
    path = url.database
    if not path or path == ":memory:":
        return _with_sqlite_settings(
            sa.create_engine(
                url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, json_serializer=json_text
            ),
            read_only=False,
        )
    if url.query:
        raise DatabaseError(
            f"{url.render_as_string()}: options in an SQLite URL are not supported; "
            "give the file's path"
        )
    file = Path(path)
    if file.is_dir():
        raise DatabaseError(f"cannot open database {path}: it is a directory")
    if not file.exists():
        if access != "create":
            raise DatabaseError(f"no archive at {path}; create it with: prov --db {path} init")
        if create_dir:
            make_folders(file.parent, SHARED_FOLDER if shared else PRIVATE_FOLDER)
        if not file.parent.is_dir():
            raise DatabaseError(f"cannot open database {path}: folder {file.parent} does not exist")
        _create_file(file, SHARED_FILE if shared else PRIVATE_FILE)
    if access == "read":
        options = _read_options(file)
    else:
        why = read_only_reason(file)
        if why:
            raise DatabaseError(
                f"{path}: the archive is read-only ({why}); read commands "
                "(log, show, verify, export, ...) still work"
            )
        options = "mode=rw"
    uri = f"file:{quote(str(file.absolute()))}?{options}"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )

    engine = sa.create_engine(url, creator=connect, json_serializer=json_text)
    return _with_sqlite_settings(engine, read_only=access == "read")


def _with_sqlite_settings(engine: Engine, *, read_only: bool) -> Engine:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        # Let SQLAlchemy's "begin" event, not pysqlite, decide how a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if read_only:
            # A reader never writes; changing the journal mode would be a write.
            cur.execute("PRAGMA query_only=ON")
        else:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every test
        options = conn.get_execution_options()
        busy = options.get("sqlite_busy_ms")
        if busy is not None:  # a writer's wait for the lock: at most what it may queue
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(busy)}")
        conn.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', 'DEFERRED')}")

    return engine


def _sidecars(file: Path) -> tuple[Path, Path]:
    return Path(f"{file}-wal"), Path(f"{file}-shm")


def _on_read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def read_only_reason(file: Path) -> str | None:
    """Why SQLite could not write the archive ``file`` here, or None if it can."""
    if _on_read_only_file_system(file):
        return "it is on a read-only file system"
    if not os.access(file, os.W_OK):
        return "you cannot write its file"
    if not os.access(file.parent, os.W_OK) and not all(
        p.exists() and os.access(p, os.W_OK) for p in _sidecars(file)
    ):
        return f"you cannot write its folder {file.parent}, where SQLite keeps its -wal and -shm files"
    return None


def _read_options(file: Path) -> str:
    """How a read command opens ``file``: the URI parameters, with ``PRAGMA query_only``
    on the connection in every case, so that a read can never write.

    An archive the user could write is opened as usual (``mode=rw``): SQLite
    then removes its -wal and -shm files when the last connection closes, as
    a read-only connection cannot. One the user cannot write is opened
    ``mode=ro``; a reader of a WAL archive needs the -shm file, and makes it
    if missing; where it cannot (read-only media, a folder the user cannot
    write) and no -wal file holds changes, the archive file is the whole
    archive, and ``immutable=1`` tells SQLite so.
    """
    if read_only_reason(file) is None:
        return "mode=rw"
    wal, shm = _sidecars(file)
    if os.access(file.parent, os.W_OK) and not _on_read_only_file_system(file):
        return "mode=ro"
    if wal.exists() and shm.exists():
        return "mode=ro"
    if wal.exists() and wal.stat().st_size > 0:
        raise DatabaseError(
            f"{file}: its {wal.name} file holds changes but {shm.name} is missing and cannot "
            "be made here; copy the archive with both files, or to a folder you can write"
        )
    return "mode=ro&immutable=1"


def make_folders(folder: Path, mode: int = PRIVATE_FOLDER) -> list[Path]:
    """Make ``folder`` and its missing parents with exactly ``mode`` (whatever the
    umask); folders that exist keep theirs. Returns the folders made, outermost first."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    made = []
    try:
        for candidate in reversed(missing):
            candidate.mkdir(mode=mode)
            made.append(candidate)
            os.chmod(candidate, mode)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(f"cannot create folder {exc.filename}: {exc.strerror}") from None
    return made


def _create_file(file: Path, mode: int) -> None:
    """An empty file (an empty SQLite database) with exactly ``mode``, never readable
    by others in between: created by ``os.open`` with the mode, then set past the umask."""
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(f"cannot create {file}: {exc.strerror}") from None
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


@contextmanager
def creating(location: DatabaseLocation) -> Iterator[None]:
    """Undo a new SQLite archive if the block fails: the file, its -wal and -shm, and
    the folders made for it, so a failed ``prov init`` (a full disk) leaves nothing."""
    file = location.path
    if file is None or file.exists():
        yield
        return
    folders = []
    for candidate in file.parents:
        if candidate.exists():
            break
        folders.append(candidate)
    try:
        yield
    except BaseException:
        for leftover in (file, *_sidecars(file)):
            leftover.unlink(missing_ok=True)
        for folder in folders:  # innermost first
            try:
                folder.rmdir()
            except OSError:
                break
        raise


# The key of the PostgreSQL advisory lock that writers hold for their whole
# transaction; the audit log's head lock (provenance.audit.lock) is this lock.
WRITE_LOCK_KEY = 0x70726F76_61756474


@contextmanager
def transaction(engine: Engine, *, wait: float | None = None) -> Iterator[Session]:
    """One write transaction: committed if the block succeeds, rolled back otherwise.

    Writers take turns, on both backends: SQLite's ``BEGIN IMMEDIATE`` and a
    transaction-level advisory lock on PostgreSQL, taken before the block
    runs. A registration reads before it writes (does this document exist?
    what is its next number?), and two of them interleaving would otherwise
    collide on a unique key. A writer queues for the lock at most ``wait``
    seconds (default: `lock_wait`), then fails with one line saying so and,
    on PostgreSQL, naming the session that holds it. Readers are never blocked.
    """
    wait = lock_wait() if wait is None else wait
    busy = min(BUSY_TIMEOUT_MS, max(1, int(wait * 1000)))
    bind = engine.execution_options(sqlite_begin="IMMEDIATE", sqlite_busy_ms=busy)
    with database_errors(), Session(bind, expire_on_commit=False) as session:
        asked = time.perf_counter()
        _take_write_lock(session, engine, wait)
        taken = time.perf_counter()
        try:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            session.commit()
        finally:
            if _lock_observers:
                held = time.perf_counter() - taken
                for observer in tuple(_lock_observers):
                    observer(taken - asked, held)


LockObserver = Callable[[float, float], None]
_lock_observers: list[LockObserver] = []


def observe_lock(observer: LockObserver) -> Callable[[], None]:
    """Have ``observer(waited, held)`` called at the end of every write transaction
    of this process, committed or rolled back, in the writer's thread: the seconds
    it queued for the write lock and the seconds it held it (from taking it to the
    end of the commit or rollback). For measuring (benchmarks/api_load.py); returns
    the function that stops it."""
    _lock_observers.append(observer)
    return lambda: _lock_observers.remove(observer)


def lock_wait() -> float:
    """`LOCK_WAIT_S`, or ``$PROV_LOCK_WAIT`` when it is a number of seconds."""
    text = os.environ.get(ENV_LOCK_WAIT, "").strip()
    try:
        value = float(text) if text else LOCK_WAIT_S
    except ValueError:
        raise InputError(f"${ENV_LOCK_WAIT}: {text!r} is not a number of seconds") from None
    if not value >= 0 or value == float("inf"):
        raise InputError(f"${ENV_LOCK_WAIT}: {text!r} is not a number of seconds")
    return value


def _take_write_lock(session: Session, engine: Engine, wait: float) -> None:
    """Begin ``session``'s transaction holding the write lock, queueing up to ``wait`` s."""
    started = time.monotonic()
    pause = 0.02
    while True:
        left = wait - (time.monotonic() - started)
        try:
            session.begin()
            if engine.dialect.name == "postgresql":
                ms = max(1, int(left * 1000))
                session.execute(sa.text(f"SET LOCAL lock_timeout = {ms}"))
                session.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY}
                )
                session.execute(sa.text("SET LOCAL lock_timeout = 0"))
                session.info[_HOLDS_LOCK] = session.get_transaction()
            else:
                session.connection()  # BEGIN IMMEDIATE: SQLite's busy handler waits first
            return
        except sa.exc.OperationalError as exc:
            session.rollback()
            if not _lock_busy(exc):
                raise
            waited = time.monotonic() - started
            if engine.dialect.name == "postgresql" or waited + pause > wait:
                raise DatabaseError(_still_locked(engine, waited)) from None
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 2, 1.0)


_HOLDS_LOCK = "provenance.store.write_lock"


def holds_write_lock(session: Session) -> bool:
    """Whether ``session``'s current transaction took the PostgreSQL write lock
    (`transaction`): a transaction-level advisory lock, held until it ends."""
    taken = session.info.get(_HOLDS_LOCK)
    return taken is not None and taken is session.get_transaction()


def _lock_busy(exc: sa.exc.OperationalError) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code == "55P03" or "database is locked" in str(exc) or "lock timeout" in str(exc)


def _still_locked(engine: Engine, waited: float) -> str:
    """One line: who holds the write lock (on PostgreSQL, when it can be asked), how long we waited."""
    holder = "another writer"
    if engine.dialect.name == "postgresql":
        try:
            with engine.connect() as conn:
                row = conn.execute(
                    sa.text(
                        "SELECT a.pid, a.usename, a.application_name, a.client_addr, a.xact_start "
                        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted "
                        "AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"
                    ),
                    {"hi": WRITE_LOCK_KEY >> 32, "lo": WRITE_LOCK_KEY & 0xFFFFFFFF},
                ).first()
        except sa.exc.SQLAlchemyError:
            row = None
        if row is not None:
            who = f"PostgreSQL session {row.pid}, user {row.usename}"
            if row.application_name:
                who += f" ({row.application_name})"
            if row.client_addr:
                who += f" from {row.client_addr}"
            if row.xact_start is not None:
                who += f", in a transaction since {row.xact_start.isoformat(timespec='seconds')}"
            holder = who
    return (
        f"the archive is locked by {holder}: waited {waited:.0f} s for it; "
        f"try again, or wait longer with ${ENV_LOCK_WAIT}=SECONDS"
    )


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
    with database_errors(), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def database_errors() -> Iterator[None]:
    """A failure of the database itself (locked, unreachable, full, read-only, a
    schema that is not what this program expects, a file that is not a database)
    as one `DatabaseError` line, after the rollback."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        reason = redact(str(getattr(exc, "orig", exc)).strip().splitlines()[0])
        if "readonly database" in reason or "read-only transaction" in reason:
            raise DatabaseError(f"the archive is read-only ({reason})") from exc
        raise DatabaseError(f"database error: {reason}") from exc


_database_errors = database_errors  # the name it had before it was public
