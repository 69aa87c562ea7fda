"""Issue 10: many clients registering at once through a live `prov serve --workers 2`,
on SQLite and PostgreSQL; then every registration is accounted for and verify is clean.

Each of `CLIENTS` processes registers `EACH` texts through the API, one
request each, cycling through three kinds: the same bytes as every other
client (under a document of its own), the next revision of one document all
clients share, and a document of its own. Afterwards: every reply's version
exists with the reply's document, number and hash; the counts add up;
version numbers are dense and ordered by registration in every document;
the shared document is one chain; each distinct text is stored once; and
``prov verify --json`` is clean. ``benchmarks/api_concurrency.py`` runs the
full 8 x 250 of the issue with the same code; the test runs fewer
(`EACH`), since 2,000 registrations take minutes on a loaded two-core machine.
"""

from __future__ import annotations

import time
from collections import Counter

from provenance import Archive
from provenance.hashing import content_hash

from . import liveserver
from .conftest import processes
from .test_web_api import _token

CLIENTS = 8
EACH = 30
SAME = b"The same bytes, sent by every client.\n"


def text_of(client: int, i: int) -> tuple[str, bytes]:
    """The document and bytes of client ``client``'s ``i``-th registration."""
    kind = i % 3
    if kind == 0:  # one content, many documents (the same bytes again in one would be a sighting)
        return f"same/{client}/{i}", SAME
    if kind == 1:
        return "shared", f"The shared story, revised by client {client} for the {i}th time.\n".encode()
    return f"own/{client}/{i}", f"Client {client}'s own text number {i}.\n".encode()


def run_clients(api: str, secret: str, clients: int, each: int) -> tuple[float, list[tuple]]:
    """``clients`` processes x ``each`` registrations; the elapsed time and every reply."""
    context = processes()
    replies = context.Queue()
    procs = [
        context.Process(
            target=liveserver.registering_client,
            args=(api, secret, c, [text_of(c, i) for i in range(each)], replies),
        )
        for c in range(clients)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    got = [reply for _ in procs for reply in replies.get(timeout=1800)]
    for p in procs:
        p.join(timeout=60)
    return time.perf_counter() - started, got


def accounted_for(db_url: str, replies: list[tuple], clients: int, each: int) -> dict:
    """Assert that every registration landed as its reply says; the verify report."""
    refused = [r for r in replies if r[2] != 201]
    assert not refused, refused[:5]
    assert len(replies) == clients * each
    made = {r[3]["version"]: (r[0], r[1], r[3]) for r in replies}
    assert len(made) == len(replies), "every registration its own version"
    with Archive(db_url) as archive:
        documents = {d.document: d for d in archive.documents()}
        same = [(c, i) for c in range(clients) for i in range(each) if i % 3 == 0]
        own = [(c, i) for c in range(clients) for i in range(each) if i % 3 == 2]
        assert len(documents) == len(same) + 1 + len(own)
        assert sum(d.versions for d in documents.values()) == clients * each
        hashes = set()
        for key in documents:
            log = archive.log(key).versions
            assert [v.number for v in log] == list(range(1, len(log) + 1)), key
            assert [v.version for v in log] == sorted(v.version for v in log), key
            for entry in log:
                client, i, reply = made.pop(entry.version)
                doc, data = text_of(client, i)
                assert (reply["document"], reply["number"], reply["hash"]) == (key, entry.number, entry.hash)
                assert (doc, content_hash(data)) == (key, entry.hash), "the bytes that client sent"
                hashes.add(entry.hash)
            if key == "shared":
                parents = [[p.parent for p in v.parents] for v in log]
                assert parents == [[]] + [[v.version] for v in log[:-1]], "one chain, each from the one before"
        assert not made, "no reply without its version"
        assert Counter(r[3]["new_content"] for r in replies)[True] == len(hashes), "each text stored once"
    report = liveserver.prov_json(db_url, "verify")
    assert report["ok"] is True, report["problems"][:5]
    assert (report["versions"], report["contents"]) == (clients * each, len(hashes))
    return report


def test_eight_clients_registering_at_once_through_two_workers_all_land_and_verify(db_url):
    secret = _token(db_url, "load-bot")
    with liveserver.start(db_url, workers=2) as server:
        elapsed, replies = run_clients(server.api, secret, CLIENTS, EACH)
    said = server.stderr.decode(errors="replace")
    assert "Traceback" not in said, said[-2000:]
    accounted_for(db_url, replies, CLIENTS, EACH)
    print(f"{CLIENTS} clients x {EACH} registrations through 2 workers: {elapsed:.1f} s")
