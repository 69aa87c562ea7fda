"""A throwaway PostgreSQL server from the binaries installed on this machine.

initdb + pg_ctl on a temporary folder, listening only on a unix socket there
(fsync off: nothing here needs to survive a crash). Used by the test suite's
``pg_server`` fixture and by the benchmarks that measure PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


class Unavailable(RuntimeError):
    """No server could be started here (the message says why)."""


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

    def create_database(self, template: str | None = None) -> str:
        """A new, empty database; or, with ``template``, a copy of that database (which
        nobody may be connected to). Copied file by file: with fsync off, twice as
        fast as PostgreSQL 15's default of writing every page to the WAL."""
        name = f"prov_test_{os.getpid()}_{next(self._counter)}"
        source = f'"{template}"' if template else "template0"
        engine = self.admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" TEMPLATE {source} ENCODING 'UTF8' STRATEGY FILE_COPY")
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


def start() -> PgServer:
    """A fresh server in a temporary folder, listening only on a unix socket there."""
    bindir = _pg_bindir()
    if bindir is None:
        raise Unavailable("PostgreSQL binaries (initdb, pg_ctl) are not installed")
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
        raise Unavailable(message) from None
    return PgServer(bindir, datadir, sockdir, port)


def stop(server: PgServer) -> None:
    """Stop the server and remove its folder."""
    subprocess.run(
        _as_server_user(
            [
                str(server.bindir / "pg_ctl"),
                "-D",
                str(server.datadir),
                "-m",
                "immediate",
                "-w",
                "stop",
            ]
        ),
        capture_output=True,
    )
    shutil.rmtree(server.datadir.parent, ignore_errors=True)
