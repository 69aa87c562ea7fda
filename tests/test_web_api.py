"""Issue 10, sections 2 and 3: the HTTP API over `provenance.Archive`, on both backends.

The service is called in process through FastAPI's TestClient; every answer
is checked against what the library itself returns for the same question,
so the API and the CLI's ``--json`` cannot disagree.
"""

from __future__ import annotations

import base64
import json
import os
import re
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from provenance import Archive, audit, store, tokens
from provenance.granularity import GRAINS
from provenance.hashing import content_hash
from provenance.kinds import KINDS as EDIT_KINDS
from provenance.lenses import PROFILES
from provenance.records import to_json
from provenance.validate import RELATIONS
from provenance_web.app import create_app
from provenance_web.settings import Settings

from .conftest import REPO, SEEDS

PAGE, COPY = sorted(p.name for p in SEEDS.glob("*.txt"))
V1 = b"The council met on Monday.\nIt approved the budget of 4 million.\n"
V2 = b"The council met on Tuesday.\nIt approved the budget of 5 million.\nThe mayor objected.\n"
V3 = b"The council met on Tuesday.\nIt rejected the budget of 5 million.\nThe mayor objected.\n"


def _token(db_url: str, name: str, scope: str = "write") -> str:
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.transaction(engine) as session:
            return tokens.create(session, name, scope).secret
    finally:
        engine.dispose()


def _revoke(db_url: str, name: str) -> None:
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with store.transaction(engine) as session:
            tokens.revoke(session, name)
    finally:
        engine.dispose()


def _client(db_url: str, **settings) -> TestClient:
    return TestClient(create_app(db_url, settings=Settings(**settings)), raise_server_exceptions=False)


@pytest.fixture
def api(db_url):
    with _client(db_url) as client:
        yield client


@pytest.fixture
def archive(db_url):
    with Archive(db_url, actor="library") as opened:
        yield opened


@pytest.fixture
def writer(db_url) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(db_url, 'ingest-bot')}"}


def _council(api: TestClient, headers: dict[str, str]) -> list[dict]:
    """Three versions of one document, captured on the 24th, 28th and 30th of October 2019."""
    out = []
    for day, data in (("24", V1), ("28", V2), ("30", V3)):
        r = api.post(
            "/api/documents/city/council/versions",
            content=data,
            params={"captured_at": f"2019-10-{day}T09:00:00+08:00", "source": "minutes"},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out


def _same(response, report) -> None:
    assert response.status_code == 200, response.text
    assert response.json() == json.loads(to_json(report))


# -- reads answer what the library answers -------------------------------------


def test_every_read_answers_the_document_the_library_returns(api, archive, writer):
    _council(api, writer)
    _same(api.get("/api/documents"), archive.documents())
    _same(api.get("/api/documents/city/council"), archive.documents()[0])
    _same(api.get("/api/documents/city/council/versions", params={"profile": "whitespace"}),
          archive.log("city/council", profile="whitespace"))
    first = archive.log("city/council").versions[0].version
    _same(api.get(f"/api/versions/{first}"), archive.show(str(first)))
    _same(api.get("/api/versions/city/council@2"), archive.show("city/council@2"))
    _same(api.get("/api/versions/city%2Fcouncil@latest"), archive.show("city/council@latest"))
    ids = [str(e.version) for e in archive.log("city/council").versions]
    _same(api.get("/api/diff", params={"a": ids[0], "b": ids[2], "by": "word"}),
          archive.diff(ids[0], ids[2], by="word"))
    _same(api.get("/api/trace", params={"a": ids[0], "b": ids[2]}), archive.trace(ids[0], ids[2]))
    _same(api.get(f"/api/versions/{ids[2]}/blame"), archive.blame(ids[2]))
    _same(api.get("/api/events", params={"about": "city/council"}), archive.events(about="city/council"))
    _same(api.get("/api/checkpoints"), archive.checkpoints())
    r = api.post("/api/identify", content=V2, params={"name": "pasted"})
    _same(r, archive.identify(V2, name="pasted"))
    assert r.json()["matches"][0]["name"] == "city/council@2"
    r = api.get("/api/verify")
    assert r.status_code == 200 and r.json()["ok"] is True
    assert r.json()["versions"] == len(ids)
    r = api.get("/api/documents/city/council/prov.json")
    assert r.status_code == 200
    assert r.json() == json.loads(archive.export_prov_json("city/council")[0])


def test_a_text_in_hand_is_diffed_against_a_version_without_registering_it(api, archive, writer):
    _council(api, writer)
    before = archive.events().total
    edited = V3.replace(b"mayor", b"deputy mayor")
    r = api.post("/api/versions/city/council@3/diff", content=edited, params={"name": "draft.txt", "by": "word"})
    _same(r, archive.diff_text("city/council@3", edited, name="draft.txt", by="word"))
    assert r.json()["b_name"] == "draft.txt" and [e["new"] for e in r.json()["edits"]] == ["deputy "]
    assert archive.events().total == before  # nothing registered
    r = api.post("/api/versions/city/council@3/diff", content=b"x\xff")
    assert r.status_code == 422 and r.json()["offset"] == 1


def test_writes_answer_their_reports_and_the_token_name_is_the_actor(api, archive, writer):
    made = _council(api, writer)
    assert [m["number"] for m in made] == [1, 2, 3]
    assert made[1]["parents"] == [made[0]["version"]]
    assert archive.raw("city/council@2") == V2
    other = api.post("/api/documents/notes/versions", content=V1, params={"meta": ["desk=metro"]}, headers=writer)
    assert other.status_code == 201
    assert other.headers["location"].endswith(f"/api/versions/{other.json()['version']}")
    r = api.post("/api/links", json={"child": "notes@1", "parent": "city/council@1", "relation": "copy"}, headers=writer)
    assert r.status_code == 201 and r.json()["relation"] == "copy"
    r = api.post("/api/versions/notes@1/annotations", json={"label": "checked", "meta": {"desk": "city"}}, headers=writer)
    assert r.status_code == 200 and r.json()["new_label"] == "checked"
    assert archive.show("notes@1").meta == {"desk": "city"}
    log = api.get("/api/events").json()
    # The token's own creation is an event of whoever made it; every write through it is the bot's.
    actors = {e["kind"]: e["actor"] for e in log["events"] if not e["kind"].startswith("token.")}
    assert actors == {k: "ingest-bot" for k in ("document.created", "version.registered", "link.added", "version.annotated")}
    by_bot = api.get("/api/events", params={"actor": "ingest-bot"}).json()
    tokens = sum(e["kind"].startswith("token.") for e in log["events"])
    assert by_bot["matched"] == log["total"] - tokens


# -- raw bytes, ETag, caching ------------------------------------------------------


def test_raw_bytes_carry_the_content_hash_as_etag_and_answer_304(api, archive, writer):
    _council(api, writer)
    info = archive.show("city/council@2")
    r = api.get("/api/versions/city/council@2/raw")
    assert r.status_code == 200 and r.content == V2
    assert r.headers["etag"] == f'"{info.hash}"'
    assert r.headers["content-type"].startswith("text/plain")
    assert "immutable" in r.headers["cache-control"]
    again = api.get("/api/versions/city/council@2/raw", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    stale = api.get("/api/versions/city/council@2/raw", headers={"If-None-Match": '"blake3:00"'})
    assert stale.status_code == 200
    latest = api.get("/api/versions/city/council@latest/raw")
    assert latest.content == V3 and "immutable" not in latest.headers["cache-control"]
    by_hash = api.get(f"/api/contents/{info.hash}/raw")
    assert by_hash.content == V2 and "immutable" in by_hash.headers["cache-control"]
    assert api.get(f"/api/contents/{info.hash}/raw", headers={"If-None-Match": f'"{info.hash}"'}).status_code == 304
    assert api.get("/api/contents/" + "blake3:" + "0" * 64 + "/raw").json()["code"] == "not_found"


# -- pagination ----------------------------------------------------------------------


def _walk(api: TestClient, url: str, params: dict, key, pages: list, between=None) -> list:
    seen = []
    while url:
        r = api.get(url, params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [key(x) for x in (body if isinstance(body, list) else pages(body))]
        if between:
            between()
            between = None
        url, params = r.links.get("next", {}).get("url"), None
    return seen


def test_pages_neither_repeat_nor_skip_while_others_write(api, archive, writer):
    for key in ("b", "d", "f", "h", "j"):
        assert api.post(f"/api/documents/{key}/versions", content=V1, headers=writer).status_code == 201
    before = [d.document for d in archive.documents()]

    def more_documents():
        for key in ("a", "e", "z"):  # before, among and after the ones already listed
            api.post(f"/api/documents/{key}/versions", content=V2, headers=writer)

    keys = _walk(api, "/api/documents", {"limit": 2}, lambda d: d["document"], None, more_documents)
    assert len(keys) == len(set(keys)), "no document listed twice"
    assert set(before) <= set(keys), "none that was there skipped"
    assert keys == sorted(keys)

    for data in (V1, V2, V3):
        api.post("/api/documents/log/versions", content=data, headers=writer)

    def more_versions():
        api.post("/api/documents/log/versions", content=V1, headers=writer)

    numbers = _walk(api, "/api/documents/log/versions", {"limit": 2}, lambda v: v["number"],
                    lambda body: body["versions"], more_versions)
    assert numbers == [1, 2, 3, 4]

    def more_events():
        api.post("/api/documents/log/versions", content=V2, headers=writer)

    before = archive.events().total
    seqs = _walk(api, "/api/events", {"limit": 3}, lambda e: e["seq"], lambda body: body["events"], more_events)
    after = archive.events().total
    assert after > before
    assert seqs == list(range(after)), "every event once, those written meanwhile too"
    bad = api.get("/api/events", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"


# -- Memento -----------------------------------------------------------------------------


def _links(header: str) -> dict[str, tuple[str, str]]:
    """rel -> (uri, the rest) of a Link header or a link-format body."""
    out = {}
    for uri, rest in re.findall(r"<([^>]*)>([^<]*)", header):
        out[re.search(r'rel="([^"]*)"', rest)[1]] = (uri, rest)
    return out


def test_the_timegate_answers_the_version_current_at_a_time_between_two(api, archive, writer):
    made = _council(api, writer)  # captured the 24th, 28th and 30th, 09:00 in Shanghai
    r = api.get("/api/documents/city/council/timegate", headers={"Accept-Datetime": "Sat, 26 Oct 2019 12:00:00 GMT"},
                follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["vary"].lower() == "accept-datetime"
    assert r.headers["location"].endswith(f"/api/versions/{made[0]['version']}/raw")
    links = _links(r.headers["link"])
    assert {"original", "timemap", "memento"} <= set(links)
    memento = api.get(r.headers["location"])
    assert api.head(r.headers["location"]).headers["memento-datetime"] == memento.headers["memento-datetime"]
    assert memento.content == V1
    when = parsedate_to_datetime(memento.headers["memento-datetime"])
    assert when.isoformat() == "2019-10-24T01:00:00+00:00"
    assert {"original", "timegate", "timemap"} <= set(_links(memento.headers["link"]))

    # Accept-Datetime just before the second capture, at it, before all, and none.
    cases = {
        "Mon, 28 Oct 2019 00:59:59 GMT": made[0],
        "Mon, 28 Oct 2019 01:00:00 GMT": made[1],
        "Tue, 01 Jan 2019 00:00:00 GMT": made[0],
        None: made[2],
    }
    for given, expected in cases.items():
        headers = {"Accept-Datetime": given} if given else {}
        r = api.get("/api/documents/city/council/timegate", headers=headers, follow_redirects=False)
        assert r.headers["location"].endswith(f"/api/versions/{expected['version']}/raw"), given
    head = api.head("/api/documents/city/council/timegate", headers={"Accept-Datetime": "Sat, 26 Oct 2019 12:00:00 GMT"},
                    follow_redirects=False)
    assert head.status_code == 302 and head.headers["location"].endswith(f"/api/versions/{made[0]['version']}/raw")
    bad = api.get("/api/documents/city/council/timegate", headers={"Accept-Datetime": "the 26th"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_accept_datetime"

    timemap = api.get("/api/documents/city/council/timemap")
    assert timemap.headers["content-type"].startswith("application/link-format")
    listed = re.findall(r'<([^>]*)>; rel="([^"]*)"([^<]*)', timemap.text)
    assert [rel for _, rel, _ in listed] == ["original", "timegate", "self", "first memento", "memento", "last memento"]
    assert [uri.rsplit("/", 2)[-2] for uri, rel, _ in listed if "memento" in rel] == [str(m["version"]) for m in made]
    days = [parsedate_to_datetime(re.search(r'datetime="([^"]*)"', rest)[1]).day for _, rel, rest in listed if "memento" in rel]
    assert days == [24, 28, 30]
    original = api.get(_links(timemap.text)["original"][0])
    assert original.content == V3 and "timegate" in _links(original.headers["link"])


# -- Atom ----------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def _entries(body: bytes) -> list[ET.Element]:
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{tag}") is not None
    return root.findall(f"{ATOM}entry")


def _edits(entry: ET.Element) -> list[tuple[str, str]]:
    return [
        ("".join(li.find(f"{XHTML}del").itertext()) if li.find(f"{XHTML}del") is not None else "",
         "".join(li.find(f"{XHTML}ins").itertext()) if li.find(f"{XHTML}ins") is not None else "")
        for li in entry.iter(f"{XHTML}li")
    ]


def test_a_documents_feed_carries_each_new_version_with_its_edits(api, archive, writer):
    _council(api, writer)
    r = api.get("/api/documents/city/council/feed.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    entries = _entries(r.content)
    assert [e.find(f"{ATOM}title").text for e in entries] == ["city/council@3", "city/council@2", "city/council@1"]
    expected = archive.diff("city/council@2", "city/council@3", profile="whitespace")
    assert _edits(entries[0]) == [(e.old, e.new) for e in expected.edits]
    assert "whitespace lens" in entries[0].find(f"{ATOM}summary").text
    assert entries[0].find(f"{ATOM}author/{ATOM}name").text == "ingest-bot"
    exact = _entries(api.get("/api/documents/city/council/feed.atom", params={"normalize": "exact"}).content)
    assert "exact lens" in exact[0].find(f"{ATOM}summary").text


def test_a_chinese_documents_edits_are_read_through_the_cjk_lens_in_both_feeds(api, archive, writer):
    api.post("/api/documents/report/versions", content=(SEEDS / PAGE).read_bytes(), headers=writer)
    r = api.post("/api/documents/report/versions", content=(SEEDS / COPY).read_bytes(),
                 params={"relation": "excerpt"}, headers=writer)
    assert r.status_code == 201, r.text
    expected = archive.diff("report@1", "report@2", profile="cjk")
    for url in ("/api/documents/report/feed.atom", "/api/feed.atom"):
        newest = _entries(api.get(url).content)[0]
        assert newest.find(f"{ATOM}title").text == "report@2"
        assert "cjk lens" in newest.find(f"{ATOM}summary").text
        assert _edits(newest) == [(e.old, e.new) for e in expected.edits]


# -- import ---------------------------------------------------------------------------------

BATCH = [
    {"doc": "story", "text": "First draft.", "source": "wire", "captured_at": "2024-01-01T08:00:00+08:00"},
    {"doc": "story", "text": "First draft, edited.", "label": "final", "meta": {"desk": "city"}},
    {"doc": "quote", "text": "edited", "parent": "story@2", "relation": "excerpt"},
    {"doc": "mirror", "text": "First draft.", "relation": "copy", "parent": ["story@1"]},
    {"doc": "南方", "base64": base64.b64encode("南方的報告。".encode("gb18030")).decode(), "encoding": "gb18030",
     "name": "report-gb.txt"},
]


def test_an_import_batch_registers_what_a_manifest_of_the_same_entries_registers(api, db_url, tmp_path, writer):
    body = json.dumps(BATCH).encode()
    r = api.post("/api/imports", content=body, params={"name": "oct-batch"},
                 headers={**writer, "Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["versions"], report["new_contents"]) == (5, 4)  # the draft's bytes once
    assert report["documents"] == ["story", "quote", "mirror", "南方"]
    assert report["manifest"] == "oct-batch" and report["manifest_hash"] == content_hash(body)
    with Archive(db_url) as archive:
        assert archive.raw("南方@1") == "南方的報告。".encode("gb18030")  # kept as given
        assert archive.show("quote@1").parents[0].parent_name == "story@2"
        run = archive.events(kinds=("import.run",)).events[0]
        assert run.actor == "ingest-bot" and run.event["import"]["manifest"] == "oct-batch"
        assert archive.verify().ok

    # The same entries as files in a manifest (what `prov import` reads) register the same versions.
    lines = []
    for n, entry in enumerate(BATCH):
        content = base64.b64decode(entry["base64"]) if "base64" in entry else entry["text"].encode()
        (tmp_path / f"{n}.txt").write_bytes(content)
        fields = {k: v for k, v in entry.items() if k not in ("text", "base64", "name")}
        lines.append(json.dumps({"path": f"{n}.txt", **fields}))
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n")
    other = tmp_path / "other.db"
    Archive(str(other)).init()
    with Archive(str(other)) as archive:
        by_cli = json.loads(to_json(archive.import_manifest(tmp_path / "m.jsonl")))
    for key in ("versions", "new_contents", "documents", "registered"):
        assert report[key] == by_cli[key], key


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ({"doc": "x", "text": "t", "relation": "sibling"}, "relation"),
        ({"doc": "x", "path": "/etc/hostname"}, "never a path"),
        ({"doc": "x", "text": "t", "base64": "dA=="}, "once, as text or as base64"),
        ({"doc": "x", "base64": "not base64!"}, "not base64"),
        ({"doc": "x", "text": "t", "encoding": "gb18030"}, "only with base64"),
        ({"doc": "x", "text": "t", "parent": "story@9"}, "versions 1 to"),
        ({"doc": "x", "text": ""}, "empty"),
        ({"text": "t"}, "'doc' is required"),
        ("a string", "an entry is a JSON object"),
    ],
)
def test_a_bad_entry_refuses_the_whole_batch_and_nothing_is_written(api, archive, writer, bad, needle):
    before = (archive.documents(), archive.events().total)
    r = api.post("/api/imports", json=[*BATCH[:2], bad, BATCH[2]], headers=writer)
    assert r.status_code == 422 and r.json()["code"] == "invalid_input", r.text
    assert r.json()["message"].startswith("batch:3: ") and needle in r.json()["message"], r.json()
    assert (archive.documents(), archive.events().total) == before


def test_an_import_batch_never_reads_a_file_of_the_server(api, archive, writer, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(V1)
    api.post("/api/documents/city/council/versions", content=V1, headers=writer)  # the file's very bytes
    before = archive.events().total
    for parent in (str(secret), f"file:{secret}", "/etc/hostname", "pyproject.toml"):
        r = api.post("/api/imports", json=[{"doc": "x", "text": "t", "parent": parent}], headers=writer)
        assert r.status_code == 422 and "no version matches" in r.json()["message"], (parent, r.text)
        _is_clean(r, str(tmp_path), os.getcwd())
        assert "blake3:" not in r.text and "a path with a /" not in r.text
    for body in (b"[", b"{}", b"[]", b"\xff[]"):
        r = api.post("/api/imports", content=body, headers={**writer, "Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["code"] == "invalid_input", r.text
    assert archive.events().total == before


# -- access -----------------------------------------------------------------------------------

WRITES = [
    ("post", "/api/documents/x/versions", {"content": V1}),
    ("post", "/api/links", {"json": {"child": "1", "parent": "2", "relation": "copy"}}),
    ("post", "/api/versions/1/annotations", {"json": {"label": "x"}}),
    ("post", "/api/reindex", {}),
    ("post", "/api/imports", {"json": [{"doc": "x", "text": "a text"}]}),
]


def test_every_write_refuses_a_missing_wrong_or_revoked_token(api, db_url, archive):
    secret = _token(db_url, "temp")
    _revoke(db_url, "temp")
    before = archive.events().total  # the token's creation and revocation
    for method, url, kwargs in WRITES:
        for headers, code in (
            ({}, "unauthorized"),
            ({"Authorization": "Bearer prov_not-a-token"}, "invalid_token"),
            ({"Authorization": f"Bearer {secret}"}, "revoked_token"),
            ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthorized"),
        ):
            r = getattr(api, method)(url, headers=headers, **kwargs)
            assert r.status_code == 401, (url, headers, r.text)
            assert r.json()["code"] == code
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert secret not in r.text
    assert archive.documents() == [] and archive.events().total == before


def test_admin_routes_refuse_a_write_token_with_403(api, db_url):
    write = {"Authorization": f"Bearer {_token(db_url, 'bot')}"}
    admin = {"Authorization": f"Bearer {_token(db_url, 'root', 'admin')}"}
    for method, url in (("post", "/api/reindex"), ("get", "/api/verify?quick=false")):
        r = getattr(api, method)(url, headers=write)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = api.get("/api/verify?quick=false", headers=admin)
    assert r.status_code == 200 and r.json()["quick"] is False
    assert api.get("/api/verify?quick=false").status_code == 401


def test_reindex_with_an_admin_token_answers_its_report(api, db_url, writer):
    _council(api, writer)
    admin = {"Authorization": f"Bearer {_token(db_url, 'root', 'admin')}"}
    r = api.post("/api/reindex", headers=admin)
    assert r.status_code == 200 and r.json()["versions"] == 3


def test_closed_reads_need_a_valid_token(db_url):
    secret = _token(db_url, "reader")
    with _client(db_url, reads_open=False) as api:
        # The pages as well as the API: closed reads close both.
        for url in ("/api/documents", "/api/events", "/api/feed.atom", "/", "/identify", "/events"):
            assert api.get(url).status_code == 401
            assert api.get(url, headers={"Authorization": "Bearer prov_nope"}).status_code == 401
            assert api.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 200


# -- limits and errors ---------------------------------------------------------------------------


def _is_clean(response, *secrets: str) -> None:
    body = response.json()
    assert set(body) >= {"code", "message"}
    assert "\n" not in body["message"]
    text = response.text
    assert "Traceback" not in text and 'File "' not in text
    for secret in secrets:
        assert secret not in text, secret


def test_errors_are_one_line_json_with_a_stable_code(api, db_url, writer, tmp_path):
    _council(api, writer)
    api.post("/api/documents/mirror/versions", content=V1, headers=writer)  # the same bytes twice
    cases = []
    r = api.post("/api/identify", content="中文".encode() + b"\xff\xfe tail")
    assert r.status_code == 422 and r.json()["code"] == "invalid_encoding"
    assert r.json()["offset"] == 6 and "byte offset 6" in r.json()["message"]
    cases.append(r)
    r = api.post("/api/documents/x/versions", content=b"ok\x80", headers=writer)
    assert r.status_code == 422 and r.json()["offset"] == 2
    cases.append(r)
    r = api.get("/api/versions/city/council@9")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    cases.append(r)
    r = api.get("/api/versions/no-such-doc@1")
    assert r.status_code == 404
    cases.append(r)
    shared = Archive(db_url).show("mirror@1").hash
    r = api.get(f"/api/versions/{shared}")
    assert r.status_code == 409 and r.json()["code"] == "ambiguous_ref"
    assert {c.split(" ")[0] for c in r.json()["candidates"]} == {"city/council@1", "mirror@1"}
    cases.append(r)
    r = api.get("/api/diff", params={"a": "1", "b": "xyz"})
    assert r.status_code == 404
    cases.append(r)
    r = api.get("/api/documents/city/council/versions", params={"profile": "nonsense"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    cases.append(r)
    r = api.get("/api/identify")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"
    cases.append(r)
    r = api.get("/api/nowhere")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    cases.append(r)
    r = api.get("/api/events", params={"limit": "many"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    cases.append(r)
    for r in cases:
        _is_clean(r, str(tmp_path), os.getcwd(), writer["Authorization"].split()[1])


ENUMS = {
    "profile": tuple(PROFILES), "normalize": tuple(PROFILES), "by": GRAINS,
    "only": tuple(EDIT_KINDS), "relation": RELATIONS, "kind": audit.KINDS,
}  # fmt: skip
"""The parameters that take one of a few names, and the library's lists of them."""


def _enum(schema: dict) -> list | None:
    for option in [schema, schema.get("items", {}), *schema.get("anyOf", ())]:
        if "enum" in option:
            return option["enum"]
        if "enum" in option.get("items", {}):
            return option["items"]["enum"]
    return None


def test_the_openapi_document_lists_the_names_each_enum_parameter_takes(api):
    found = {}
    for path, operations in api.app.openapi()["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                if param["name"] in ENUMS:
                    found[(method, path, param["name"])] = _enum(param["schema"])
    assert len(found) >= 12  # lens, granularity, kind, relation, event kind on every route taking one
    assert {where: list(ENUMS[where[2]]) for where in found} == found


@pytest.mark.parametrize(
    "method, path, params",
    [
        ("get", "/api/diff", {"a": "1", "b": "2", "profile": "fuzzy"}),
        ("get", "/api/diff", {"a": "1", "b": "2", "by": "paragraph"}),
        ("get", "/api/trace", {"a": "1", "b": "2", "only": "typo"}),
        ("get", "/api/documents/city/council/versions", {"only": "Wording"}),
        ("get", "/api/versions/1/blame", {"profile": "CJK"}),
        ("get", "/api/feed.atom", {"normalize": "none"}),
        ("get", "/api/events", {"kind": ["version.registered", "version.deleted"]}),
        ("post", "/api/identify", {"profile": "exact "}),
        ("post", "/api/documents/city/council/versions", {"relation": "sibling"}),
    ],
)
def test_an_unknown_name_is_422_in_one_line_listing_the_names_it_could_be(api, writer, method, path, params):
    r = getattr(api, method)(path, params=params, headers=writer, **({"content": V1} if method == "post" else {}))
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    message = r.json()["message"]
    (name,) = [n for n in params if n in ENUMS]
    assert "\n" not in message and name in message
    assert all(repr(value) in message for value in ENUMS[name]), message


def test_a_link_with_an_unknown_relation_is_refused_before_anything_is_resolved(api, writer):
    r = api.post("/api/links", json={"child": "nowhere@1", "parent": "nowhere@2", "relation": "sibling"}, headers=writer)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert "'revision'" in r.json()["message"]


def test_a_json_body_that_does_not_parse_is_400_bad_request_as_documented(api, writer):
    # Found by the fuzzer (tests/test_web_fuzz.py): 400 was answered but documented nowhere.
    for url in ("/api/links", "/api/versions/1/annotations"):
        r = api.post(url, content=b'ut\xe51{', headers={**writer, "Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["code"] == "bad_request", r.text
        _is_clean(r)
    paths = create_app("sqlite://", settings=Settings()).openapi()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "400" in operation["responses"], (method, path)


def test_answers_that_are_not_json_document_only_their_own_media_type(api, writer):
    # Found by the fuzzer: the raw bytes, the TimeMap and the feeds were documented as
    # application/json too, and the TimeGate's empty 302 as a JSON body.
    _council(api, writer)
    paths = create_app("sqlite://", settings=Settings()).openapi()["paths"]
    for path, status, media in (
        ("/api/versions/{ref}/raw", "200", "text/plain"),
        ("/api/contents/{digest}/raw", "200", "text/plain"),
        ("/api/documents/{doc}/raw", "200", "text/plain"),
        ("/api/documents/{doc}/timemap", "200", "application/link-format"),
        ("/api/documents/{doc}/feed.atom", "200", "application/atom+xml"),
        ("/api/feed.atom", "200", "application/atom+xml"),
        ("/api/documents/{doc}/timegate", "302", None),
    ):
        documented = paths[path]["get"]["responses"][status].get("content")
        assert (list(documented) if documented else None) == ([media] if media else None), path
    r = api.get("/api/documents/city/council/timegate", follow_redirects=False)
    assert r.status_code == 302 and r.content == b"" and "content-type" not in r.headers


def test_the_openapi_document_says_reads_need_no_token_and_writes_do(api):
    # Found by the fuzzer: every read was documented as requiring a bearer token.
    document = api.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "get" or path in ("/api/identify", "/api/versions/{ref}/diff"):
                assert operation["security"] == [{}, {"HTTPBearer": []}], (method, path)
            else:
                assert operation["security"] == [{"HTTPBearer": []}], (method, path)
    assert api.get("/api/documents").status_code == 200


def test_a_body_above_the_limit_is_refused_with_413_naming_it(db_url):
    secret = _token(db_url, "bot")
    with _client(db_url, max_body=1000) as api:
        r = api.post("/api/identify", content=b"x" * 1001)
        assert r.status_code == 413
        assert r.json() == {"code": "too_large", "message": r.json()["message"], "limit": 1000}
        assert "1,000 bytes" in r.json()["message"]

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b"y" * 100

        r = api.post("/api/documents/big/versions", content=chunks(), headers={"Authorization": f"Bearer {secret}"})
        assert r.status_code == 413 and r.json()["limit"] == 1000
        assert api.post("/api/identify", content=b"x" * 1000).status_code == 200


def test_a_ref_never_reads_a_file_of_the_server(api, db_url, writer, tmp_path):
    _council(api, writer)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_bytes(V1)  # the very bytes of city/council@1
    for ref in (str(secret_file), f"file:{secret_file}", "/etc/hostname", "pyproject.toml", f"{secret_file}@1"):
        asked = (
            api.get(f"/api/versions/{ref}"),
            api.get("/api/diff", params={"a": "1", "b": ref}),
            api.get("/api/events", params={"about": ref}),
            api.post("/api/links", json={"child": ref, "parent": "1", "relation": "copy"}, headers=writer),
        )
        for r in asked:
            assert r.status_code == 404, (ref, r.text)
            _is_clean(r, str(tmp_path), os.getcwd())
            assert "blake3:" not in r.text, "no hash of a server file"


def test_a_server_failure_is_answered_without_detail(tmp_path):
    path = tmp_path / "not-an-archive.db"
    path.write_bytes(b"this is not SQLite" * 100)
    with _client(str(path)) as api:
        r = api.get("/api/documents")
        assert r.status_code >= 500 and r.json()["code"] in ("database_unavailable", "schema_mismatch")
        _is_clean(r, str(tmp_path), "not-an-archive")


# -- the OpenAPI document and the docs -------------------------------------------------------------


def test_the_checked_in_openapi_document_is_what_the_code_produces():
    from provenance_web import openapi

    checked_in = (REPO / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert checked_in == openapi.document(), "run: python -m provenance_web.openapi docs/openapi.json"


def test_every_route_setting_and_error_code_is_documented():
    from provenance_web import errors, settings
    from provenance_web.app import create_app

    doc = (REPO / "docs" / "http.md").read_text(encoding="utf-8")
    app = create_app("sqlite://", settings=Settings())
    for path in app.openapi()["paths"]:
        assert path in doc, path
    for variable in settings.ENV_NAMES.values():
        assert variable in doc and variable in settings.__doc__, variable
    assert set(settings.ENV_NAMES) == {f for f in Settings.__dataclass_fields__}
    for _cls, _status, code in errors.LIBRARY_ERRORS:
        assert f"`{code}`" in doc, code


def test_settings_come_from_the_environment():
    s = Settings.from_env({"PROV_WEB_MAX_BODY": "1024", "PROV_WEB_READS": "closed"})
    assert (s.max_body, s.reads_open) == (1024, False)
    assert Settings.from_env({}) == Settings()
    with pytest.raises(ValueError, match="PROV_WEB_READS"):
        Settings.from_env({"PROV_WEB_READS": "ajar"})
