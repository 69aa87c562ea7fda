"""Issue 10: the API over HTTP against a live `prov serve` on loopback, on SQLite and
PostgreSQL, beside `prov ... --json` run as a subprocess on the same archive.

The same question asked through the API and through the CLI gets the same
JSON document: both serialise the report `provenance.Archive` returns. The
server is the worktree's own ``prov serve`` (tests/liveserver.py), reached
with httpx over TCP; nothing is called in process. The CLI's commands of a test
run one after another in one process of their own (`liveserver.prov_many`).
"""

from __future__ import annotations

import json

import httpx
import pytest

from provenance import Archive, proofs
from provenance import checkpoint as signing

from . import liveserver
from .conftest import SEEDS
from .liveserver import prov_many
from .test_web_api import COPY, PAGE, V1, V2, V3, _token


@pytest.fixture
def live(db_url):
    server = liveserver.start(db_url)
    try:
        yield server
    finally:
        server.stop()
        said = server.stderr.decode(errors="replace")
        # uvicorn ends by re-raising SIGTERM (exit -15) once it has shut down cleanly.
        assert "Application shutdown complete" in said and "Traceback" not in said, said[-2000:]


def _get(live, path: str, **params):
    r = httpx.get(live.api + path, params=params, timeout=60)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r


def _archive_with_history(db_url: str, keys) -> None:
    """Three revisions of one document, a Chinese page and an excerpt of it, the same
    bytes under a second document with a copy link, and two signed checkpoints."""
    with Archive(db_url, actor="desk") as archive:
        for day, data in (("24", V1), ("28", V2), ("30", V3)):
            archive.register(data, doc="city/council", name=f"council-{day}.txt",
                             captured_at=f"2019-10-{day}T09:00:00+08:00", source="minutes")
        archive.register((SEEDS / PAGE).read_bytes(), doc="report", name=PAGE)
        archive.register((SEEDS / COPY).read_bytes(), doc="report", name=COPY, relation="excerpt")
        archive.register(V1, doc="notes", name="notes.txt", label="draft", meta={"desk": "metro"})
        archive.link("notes@1", "city/council@1", "copy")
        key = signing.load_private_key(proofs.keygen(keys).private_key)
        archive.checkpoint(key)
        archive.annotate("report@2", label="excerpt", meta={"checked": True})
        archive.checkpoint(key)


def test_every_cli_read_answers_the_same_json_over_http(db_url, live, tmp_path):
    _archive_with_history(db_url, tmp_path / "keys")
    admin = {"Authorization": f"Bearer {_token(db_url, 'auditor', 'admin')}"}  # an event: made before any read
    asked = []  # (what, the API's JSON, the CLI's arguments)

    def both(what: str, path: str, params: dict, *cli: str) -> None:
        asked.append((what, _get(live, path, **params).json(), cli))

    both("docs", "/documents", {}, "docs")
    both("log through a lens", "/documents/report/versions", {"profile": "cjk"}, "log", "report", "--normalize", "cjk")
    both("show", "/versions/city/council@2", {}, "show", "city/council@2")
    both("diff by word through a lens", "/diff", {"a": "report@1", "b": "report@2", "profile": "cjk", "by": "word"},
         "diff", "report@1", "report@2", "--normalize", "cjk", "--by", "word")
    both("diff of one kind", "/diff", {"a": "1", "b": "3", "only": "number"}, "diff", "1", "3", "--only", "number")
    both("trace", "/trace", {"a": "city/council@1", "b": "city/council@3"}, "trace", "city/council@1", "city/council@3")
    both("blame", "/versions/city/council@3/blame", {}, "blame", "city/council@3")
    both("events", "/events", {}, "events")
    both("events about a document", "/events", {"about": "notes"}, "events", "notes")
    both("checkpoints", "/checkpoints", {}, "checkpoint", "--list")
    both("inclusion proof", "/versions/city/council@2/proof", {}, "prove", "city/council@2")
    both("consistency proof", "/proofs/consistency", {"old": "id:1", "new": "id:2"}, "prove", "--consistency", "id:1", "id:2")
    # With fewer contents than verify's samples (verify.QUICK_SAMPLE, INDEX_SAMPLE) the
    # quick check reads every content, so the two runs count alike.
    both("quick verify", "/verify", {"quick": "true"}, "verify", "--quick")

    full = httpx.get(live.api + "/verify", params={"quick": "false"}, headers=admin, timeout=60)
    assert full.status_code == 200, full.text
    asked.append(("full verify", full.json(), ("verify",)))

    # identify: the CLI reads a file, the API the body; the report names neither.
    near = V2.replace(b"mayor", b"deputy mayor")
    for data, name in ((V2, "exact.txt"), (near, "near.txt")):
        (tmp_path / name).write_bytes(data)
        r = httpx.post(live.api + "/identify", content=data, params={"name": name, "top": 3}, timeout=60)
        assert r.status_code == 200, r.text
        asked.append((f"identify {name}", r.json(), ("identify", str(tmp_path / name), "--top", "3")))

    # The bytes and the W3C PROV document are not JSON reports, and equal too.
    *printed, raw, exported = prov_many(
        db_url,
        *((*cli, "--json") for _, _, cli in asked),
        ("show", "report@1", "--raw"),
        ("export", "city/council", "--format", "prov-json"),
    )
    for (what, api, _), cli in zip(asked, (json.loads(p.stdout) for p in printed), strict=True):
        assert api == cli, what
    answers = {what: api for what, api, _ in asked}
    assert [d["document"] for d in answers["docs"]] == ["city/council", "notes", "report"]
    assert answers["identify exact.txt"]["matches"][0]["tier"] == "exact"
    assert answers["identify near.txt"]["matches"][0]["tier"] == "similar"
    assert answers["full verify"]["ok"] and not answers["full verify"]["quick"]

    assert _get(live, "/versions/report@1/raw").content == raw.stdout == (SEEDS / PAGE).read_bytes()
    assert _get(live, "/documents/city/council/prov.json").json() == json.loads(exported.stdout)


def test_writes_through_the_live_api_are_what_the_cli_reads_back(db_url, live):
    bot = {"Authorization": f"Bearer {_token(db_url, 'ingest-bot')}"}
    made = []
    for day, data in (("24", V1), ("28", V2)):
        r = httpx.post(
            live.api + "/documents/city/council/versions",
            content=data,
            params={"captured_at": f"2019-10-{day}T09:00:00+08:00", "source": "minutes", "meta": ["desk=metro"]},
            headers=bot,
            timeout=60,
        )
        assert r.status_code == 201, r.text
        made.append(r.json())
    r = httpx.post(live.api + "/documents/mirror/versions", content=V3, params={"label": "mirrored"},
                   headers=bot, timeout=60)
    assert r.status_code == 201, r.text
    mirror = r.json()
    refused = httpx.post(live.api + "/documents/x/versions", content=V1, timeout=60)
    assert refused.status_code == 401

    r = httpx.post(live.api + "/links", json={"child": "mirror@1", "parent": "city/council@2", "relation": "derived"},
                   headers=bot, timeout=60)
    assert r.status_code == 201, r.text
    linked = r.json()
    r = httpx.post(live.api + "/versions/city/council@2/annotations",
                   json={"label": "approved", "meta": {"page": 3}, "unset_meta": ["desk"]}, headers=bot, timeout=60)
    assert r.status_code == 200, r.text
    annotated = r.json()

    batch = [{"doc": "imported", "text": "One."}, {"doc": "imported", "text": "One, two.", "label": "second"}]
    r = httpx.post(live.api + "/imports", json=batch, params={"name": "live-batch"}, headers=bot, timeout=60)
    assert r.status_code == 201, r.text
    imported = r.json()

    *printed, mirror_raw = prov_many(
        db_url,
        ("log", "city/council", "--json"),
        ("show", str(made[1]["version"]), "--json"),
        ("show", str(mirror["version"]), "--json"),
        ("log", "mirror", "--json"),
        ("log", "imported", "--json"),
        ("events", "--json"),
        ("verify", "--json"),
        ("show", "mirror@1", "--raw"),
    )
    log, shown, mirrored, mirror_log, imported_log, events, verified = (json.loads(p.stdout) for p in printed)
    assert [v["version"] for v in log["versions"]] == [m["version"] for m in made]
    assert [v["hash"] for v in log["versions"]] == [m["hash"] for m in made]
    assert log["versions"][1]["parents"][0]["parent"] == made[0]["version"]
    assert shown == _get(live, f"/versions/{made[1]['version']}").json()
    assert (shown["label"], shown["meta"]) == ("approved", {"page": 3}) == (annotated["new_label"], annotated["new_meta"])
    assert shown["captured_at"].startswith("2019-10-28") and shown["source"] == "minutes"
    assert mirror_raw.stdout == V3
    assert mirrored["label"] == "mirrored"
    parents = mirror_log["versions"][0]["parents"]
    assert [(p["parent"], p["relation"]) for p in parents] == [(made[1]["version"], "derived")]
    assert linked["relation"] == "derived"

    assert [v["version"] for v in imported_log["versions"]] == [v["version"] for v in imported["registered"]]
    assert imported_log["versions"][1]["label"] == "second"

    assert events == _get(live, "/events").json()
    written = [(e["kind"], e["actor"]) for e in events["events"] if not e["kind"].startswith("token.")]
    assert {actor for _, actor in written} == {"ingest-bot"}
    assert [k for k, _ in written].count("version.registered") == 5
    assert [k for k, _ in written].count("import.run") == 1
    assert verified["ok"] is True
