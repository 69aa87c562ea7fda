"""Pages of the long lists through the HTTP API: the audit log (all of it, and
``about=`` one document) and the documents (all, and ``matching=``), against an
archive of ``--docs`` documents (two events each, and an import event per batch
of 1,000).

Each row is the median of ``--repeat`` requests of one page of 50 (the first, then
one deep in the list by its cursor), in process through FastAPI's TestClient,
beside the reference measured in the same run: one version's metadata
(``GET /api/versions/1``), a request that reads a few rows. The ratio is
what stays comparable between machines. The archive is built once at
``--db`` (an SQLite file) and reused by later runs.

Run: .venv/bin/python benchmarks/listing.py [--docs 10000] [--repeat 15] [--db /tmp/prov-listing.db]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from provenance import Archive  # noqa: E402
from provenance_web.app import create_app  # noqa: E402

BATCH = 1000
PAGE = 50


def build(db: Path, docs: int) -> None:
    with Archive(str(db), actor="bench") as archive:
        archive.init()
        for start in range(0, docs, BATCH):
            entries = [
                {"doc": f"desk-{i % 7}/story-{i:06d}", "text": f"Story {i}: the council met again.\n"}
                for i in range(start, min(docs, start + BATCH))
            ]
            archive.import_batch(json.dumps(entries).encode(), source=f"batch {start // BATCH}")


def median_ms(client: TestClient, url: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
    return statistics.median(times) * 1000


def deep(client: TestClient, url: str, pages: int) -> str:
    """The URL of the page ``pages`` pages into ``url``'s list, by its Link headers."""
    for _ in range(pages):
        link = client.get(url).headers["link"]
        url = link[1 : link.index(">")]
        query = parse_qs(urlparse(url).query)
        url = urlparse(url).path + "?" + "&".join(f"{k}={v[0]}" for k, v in query.items())
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--db", type=Path, default=Path("/tmp/prov-listing.db"))
    args = parser.parse_args()
    if not args.db.exists():
        t0 = time.perf_counter()
        build(args.db, args.docs)
        print(f"built {args.db} ({args.docs} documents) in {time.perf_counter() - t0:.0f} s")
    with TestClient(create_app(str(args.db))) as client:
        events = client.get("/api/events", params={"limit": 1}).json()["total"]
        docs = len(client.get("/api/documents", params={"limit": 1000}).json())  # at most a page
        reference = median_ms(client, "/api/versions/1", args.repeat)
        rows = [
            ("events, first page", f"/api/events?limit={PAGE}"),
            ("events, page 100", deep(client, f"/api/events?limit={PAGE}", 100)),
            ("events about one document", f"/api/events?about=desk-3/story-000010&limit={PAGE}"),
            ("documents, first page", f"/api/documents?limit={PAGE}"),
            ("documents, page 100", deep(client, f"/api/documents?limit={PAGE}", 100)),
            ("documents matching", f"/api/documents?matching=STORY-0042&limit={PAGE}"),
        ]
        print(f"{events} events, {docs}+ documents; reference: one version's metadata {reference:.1f} ms")
        print(f"{'request':<28} {'median ms':>10} {'x reference':>12}")
        for what, url in rows:
            ms = median_ms(client, url, args.repeat)
            print(f"{what:<28} {ms:>10.1f} {ms / reference:>12.1f}")


if __name__ == "__main__":
    main()
