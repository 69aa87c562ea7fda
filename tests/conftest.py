"""Fixtures: a fresh archive per test, on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test session from the binaries
installed on this machine (initdb + pg_ctl on a temporary directory, listening
only on a unix socket there) and stopped at the end. Where the binaries are
missing, the PostgreSQL variants skip with the reason, unless
PROV_REQUIRE_POSTGRES=1 (set by .ci/run), which turns that skip into a failure.

The migrations run once per session and backend, on a template archive; each
test's archive is a copy of it (the SQLite file copied, a PostgreSQL database
created from the template database), the same schema that running the
migrations on an empty database gives, in a fraction of the time (Alembic's
upgrade took 0.2-0.6 s per test, a third of the suite's set-up time).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from provenance import schema, store

from . import pgserver
from .pgserver import PgServer

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
CORPUS = REPO.parent / "shared" / "corpus"
REQUIRE_POSTGRES = os.environ.get("PROV_REQUIRE_POSTGRES") == "1"

PRELOADED = ["tests.test_concurrency", "tests.liveserver"]
"""The modules whose functions the tests run in processes of their own."""


def processes() -> multiprocessing.context.BaseContext:
    """Processes for the tests that run writers or clients in processes of their own.

    Each is a fresh process with its own connections, as with "spawn", but forked
    from a server that imported `PRELOADED` once (the first call starts it), not a
    new interpreter importing the library again: a spawned writer spent a second
    of CPU on imports before its first registration, eight of them at once.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    return context

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist gives its workers the controller's terminal size (COLUMNS=80,
    # LINES=24); a test run in one process has none, and the CLI's output for a
    # pipe is as wide as COLUMNS says (200 when unset). Run alike either way.
    for _name in ("COLUMNS", "LINES"):
        os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = pgserver.start()
    except pgserver.Unavailable as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"{exc}, and PROV_REQUIRE_POSTGRES=1 requires it", pytrace=False)
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        pgserver.stop(server)


def _migrated(url: str) -> None:
    engine = store.open_engine(store.DatabaseLocation(url, "test"), create_dir=True)
    try:
        schema.upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite archive the migrations made, to copy: the file alone (every
    connection closed, so SQLite has folded its write-ahead log back into it)."""
    path = tmp_path_factory.mktemp("template") / "archive.db"
    _migrated(store.to_url(str(path)))
    leftover = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftover, f"the template archive is more than its file: {leftover}"
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    """A PostgreSQL database the migrations made, to create each test's from."""
    name = pg_server.create_database()
    _migrated(pg_server.url(name))
    return name


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> Iterator[str]:
    """The URL of a fresh, initialised archive, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "archive.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)  # its mode too: private
        yield store.to_url(str(path))
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create_database(template=request.getfixturevalue("pg_template"))
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def engine(db_url) -> Iterator[sa.Engine]:
    eng = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def seeds() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in SEEDS.glob("*.txt")}


def corpus_or_skip() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent: the real revision histories live beside the repository")
    return CORPUS
