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


FIRST = (
    "test_corpus_roundtrip.py::test_every_corpus_version_round_trips_byte_for_byte",
    "test_tamper.py::test_every_random_single_change_behind_the_tools_back_is_caught",
    "test_web_fuzz.py::test_no_request_the_schema_allows_or_forbids_breaks_the_service_or_its_schema",
    "test_identify.py::test_skipping_comparisons_never_changes_the_answer",
    "test_web_concurrency.py::test_eight_clients_registering_at_once_through_two_workers_all_land_and_verify",
    "test_diff_minimal.py::test_every_corpus_revision_is_minimal_or_flagged_and_its_display_agrees_with_git",
    "test_identify.py::test_an_excerpt_is_answered_with_a_version_holding_it_at_the_default_top",
    "test_tamper.py::test_prov_verify_exits_1_and_names_the_damage_on_a_tampered_copy",
    "test_web_live.py::test_every_cli_read_answers_the_same_json_over_http",
    "test_audit.py::test_inclusion_proofs_verify_for_every_version_of_a_1000_version_archive",
    "test_cli_hardening.py::test_every_read_command_works_on_an_archive_the_user_cannot_write",
    "test_cli_hardening.py::test_every_read_command_works_on_a_read_only_mount",
    "test_concurrency.py::test_eight_writer_processes_lose_nothing",
)
"""The slowest tests (20-140 s each on a loaded machine in the last full run), slowest
first. pytest-xdist hands out tests in collection order; with these at the end of
the alphabet, one worker was left running a minute-long test while the other had
nothing to do. Run first, they overlap the short ones."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move `FIRST` to the front (each on PostgreSQL, the slower, before SQLite); the
    rest keep their order. None of them shares a module-scoped fixture."""
    rank = {name: i for i, name in enumerate(FIRST)}

    def key(item: pytest.Item) -> tuple[int, bool]:
        name = item.nodeid.split("[")[0].removeprefix("tests/")
        return rank.get(name, len(FIRST)), name in rank and "postgres" not in item.nodeid

    items.sort(key=key)


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
