"""Fixtures: a fresh archive per test, on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test session from the binaries
installed on this machine (initdb + pg_ctl on a temporary directory, listening
only on a unix socket there) and stopped at the end. Where the binaries are
missing, the PostgreSQL variants skip with the reason, unless
PROV_REQUIRE_POSTGRES=1 (set by .ci/run), which turns that skip into a failure.
"""

from __future__ import annotations

import os
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


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> Iterator[str]:
    """The URL of a fresh, initialised archive, on each backend."""
    if request.param == "sqlite":
        url = store.to_url(str(tmp_path / "archive.db"))
        drop = None
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        name = server.create_database()
        url = server.url(name)
        drop = name
    engine = store.open_engine(store.DatabaseLocation(url, "test"), create_dir=True)
    schema.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if drop:
            request.getfixturevalue("pg_server").drop_database(drop)


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
