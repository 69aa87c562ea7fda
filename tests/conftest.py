"""Fixtures: a fresh archive per test, on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test session from the binaries
installed on this machine (initdb + pg_ctl on a temporary directory, listening
only on a unix socket there) and stopped at the end. Where the binaries are
missing, the PostgreSQL variants skip with the reason, unless
PROV_REQUIRE_POSTGRES=1 (set by .ci/run), which turns that skip into a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from provenance import schema, store

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
CORPUS = REPO.parent / "shared" / "corpus"
REQUIRE_POSTGRES = os.environ.get("PROV_REQUIRE_POSTGRES") == "1"


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return candidates[0].parent if candidates else None


@dataclass
class PgServer:
    bindir: Path
    datadir: Path
    sockdir: Path
    port: int
    user: str = "postgres"
    _counter = itertools.count(1)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.sockdir}&port={self.port}"

    def admin(self) -> sa.Engine:
        return sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")

    def create_database(self) -> str:
        name = f"prov_test_{os.getpid()}_{next(self._counter)}"
        engine = self.admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        engine.dispose()
        return name

    def drop_database(self, name: str) -> None:
        engine = self.admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def _as_server_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; run it as an unprivileged user.
    if os.geteuid() != 0:
        return cmd
    for user in ("postgres", "nobody"):
        try:
            import pwd

            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--", *cmd]
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL as")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = _pg_bindir()
    if bindir is None:
        reason = "PostgreSQL binaries (initdb, pg_ctl) are not installed"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason}, and PROV_REQUIRE_POSTGRES=1 requires them", pytrace=False)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="prov-pg-"))
    datadir, sockdir = root / "data", root / "sock"
    sockdir.mkdir()
    if os.geteuid() == 0:
        import pwd

        user = "postgres"
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            pw = pwd.getpwnam("nobody")
        for path in (root, sockdir):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    port = 50000 + os.getpid() % 10000
    log = root / "server.log"
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(datadir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            _as_server_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(datadir),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-k {sockdir} -p {port} -c listen_addresses='' -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        message = (
            f"could not start PostgreSQL from {bindir}: {exc} {detail.decode(errors='replace')}"
        )
        if log.exists():
            message += "\n" + log.read_text(errors="replace")[-2000:]
        shutil.rmtree(root, ignore_errors=True)
        if REQUIRE_POSTGRES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    server = PgServer(bindir, datadir, sockdir, port)
    try:
        yield server
    finally:
        subprocess.run(
            _as_server_user(
                [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


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
