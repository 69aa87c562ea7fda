"""Many clients at once through the HTTP API (issue 10): C processes x N registrations
against a live ``prov serve --workers W``, on SQLite or PostgreSQL, then every
registration accounted for and ``prov verify`` clean.

The same clients and checks as tests/test_web_concurrency.py (which runs fewer
registrations), at the issue's full size: 8 clients x 250 registrations, a
third the same bytes, a third revisions of one shared document, a third
documents of their own.

Run: .venv/bin/python benchmarks/api_concurrency.py [--clients 8] [--each 250] [--workers 2] [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from provenance import schema, store  # noqa: E402
from tests import liveserver, pgserver  # noqa: E402  (the test suite's servers)
from tests.test_web_api import _token  # noqa: E402
from tests.test_web_concurrency import accounted_for, run_clients  # noqa: E402


def _fresh_sqlite(folder: Path) -> str:
    url = store.to_url(str(folder / "archive.db"))
    engine = store.open_engine(store.DatabaseLocation(url, "bench"), access="create")
    schema.upgrade(engine)
    engine.dispose()
    return url


def _one(backend: str, url: str, clients: int, each: int, workers: int) -> str:
    if backend == "postgres":
        engine = store.open_engine(store.DatabaseLocation(url, "bench"))
        schema.upgrade(engine)
        engine.dispose()
    secret = _token(url, "load-bot")
    with liveserver.start(url, workers=workers) as server:
        elapsed, replies = run_clients(server.api, secret, clients, each)
    report = accounted_for(url, replies, clients, each)
    total = clients * each
    return (
        f"{backend:8}  {clients} clients x {each} = {total} registrations through {workers} workers: "
        f"{elapsed:.1f} s, {total / elapsed:.0f}/s; all {report['versions']} accounted for, "
        f"{report['contents']} contents, verify ok: {report['ok']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--each", type=int, default=250)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        if args.backend in ("sqlite", "both"):
            print(_one("sqlite", _fresh_sqlite(Path(d)), args.clients, args.each, args.workers), flush=True)
        if args.backend in ("postgres", "both"):
            server = pgserver.start()
            try:
                url = server.url(server.create_database())
                print(_one("postgres", url, args.clients, args.each, args.workers), flush=True)
            finally:
                pgserver.stop(server)


if __name__ == "__main__":
    main()
