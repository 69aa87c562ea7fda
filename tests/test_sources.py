"""Import sources: a folder, a git file's history, a web archive; re-runs add nothing."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

from .test_cli import one_line_error, prov, prov_json

# -- a folder ------------------------------------------------------------------


def _drafts(tmp_path, texts: dict[str, str], mtimes: dict[str, int] | None = None):
    folder = tmp_path / "drafts"
    folder.mkdir()
    for name, text in texts.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if mtimes and name in mtimes:
            os.utime(path, (mtimes[name], mtimes[name]))
    return folder


def test_a_folder_is_registered_in_name_order_as_successive_revisions(db_url, tmp_path):
    folder = _drafts(
        tmp_path,
        {
            "b.txt": "A draft, edited.",
            "a.txt": "A draft.",
            "c.md": "not matched",
            ".x.txt": "hidden",
        },
        mtimes={"a.txt": 1_700_000_000},
    )
    out = prov_json(db_url, "import", str(folder), "--glob", "*.txt")
    assert out["kind"] == "folder" and out["versions"] == 2 and out["documents"] == ["drafts"]
    log = prov_json(db_url, "log", "drafts")
    first, second = log["versions"]
    assert first["source"].endswith("a.txt") and second["source"].endswith("b.txt")
    assert first["captured_at"] == "2023-11-14T22:13:20+00:00"  # the file's mtime, in UTC
    assert second["parents"][0]["relation"] == "revision"
    assert prov_json(db_url, "show", "drafts@1")["meta"] == {"file": "a.txt"}


def test_a_folder_in_mtime_order_takes_the_oldest_file_first(db_url, tmp_path):
    folder = _drafts(
        tmp_path,
        {"a.txt": "newest text", "b.txt": "oldest text", "sub/c.txt": "middle text"},
        mtimes={"a.txt": 3_000_000, "b.txt": 1_000_000, "sub/c.txt": 2_000_000},
    )
    prov_json(db_url, "import", str(folder), "--glob", "**/*.txt", "--order", "mtime", "--doc", "d")
    metas = [prov_json(db_url, "show", f"d@{n}")["meta"]["file"] for n in (1, 2, 3)]
    assert metas == ["b.txt", "sub/c.txt", "a.txt"]


def test_re_importing_a_folder_adds_nothing_and_says_so(db_url, tmp_path):
    folder = _drafts(tmp_path, {"1.txt": "one", "2.txt": "one two", "3.txt": "one two three"})
    prov_json(db_url, "import", str(folder))
    again = prov_json(db_url, "import", str(folder))
    assert again["versions"] == 0 and again["unchanged"] == 3
    assert [s["reason"] for s in again["skipped"]] == ["present", "present", "unchanged"]
    assert [s["version_name"] for s in again["skipped"]] == ["drafts@1", "drafts@2", "drafts@3"]
    result = prov(db_url, "import", str(folder))
    assert "3 unchanged or already present" in result.stdout and "Nothing new" in result.stdout
    assert len(prov_json(db_url, "log", "drafts")["versions"]) == 3
    imports = prov_json(db_url, "events", "--kind", "import.run")["events"]
    assert len(imports) == 1  # the re-runs appended no event
    (folder / "4.txt").write_text("one two three four", encoding="utf-8")
    grown = prov_json(db_url, "import", str(folder))
    assert grown["versions"] == 1 and grown["unchanged"] == 3
    assert grown["registered"][0]["number"] == 4


def test_a_folder_with_a_file_that_is_not_utf8_registers_nothing(db_url, tmp_path):
    folder = _drafts(tmp_path, {"1.txt": "fine"})
    (folder / "2.txt").write_bytes(b"caf\xe9")
    message = one_line_error(prov(db_url, "import", str(folder)), "2.txt", "UTF-8")
    assert message
    assert prov(db_url, "log", "drafts").exit_code == 2  # no such document: nothing was kept


def test_a_symlink_leading_out_of_the_folder_is_read_only_when_allowed(db_url, tmp_path):
    folder = _drafts(tmp_path, {"1.txt": "inside"})
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    (folder / "2.txt").symlink_to(tmp_path / "secret.txt")
    one_line_error(prov(db_url, "import", str(folder)), "2.txt", "--allow-outside")
    assert prov_json(db_url, "import", str(folder), "--allow-outside")["versions"] == 2


def test_a_folder_option_given_to_another_source_is_refused(db_url, tmp_path):
    folder = _drafts(tmp_path, {"1.txt": "fine"})
    one_line_error(prov(db_url, "import", str(folder), "--order", "size"), "--order", "size")
    one_line_error(prov(db_url, "import", str(folder), "--path", "x"), "--git")
    one_line_error(prov(db_url, "import", str(folder), "--glob", "*.none"), "no file matches")
    one_line_error(prov(db_url, "import", str(tmp_path / "nowhere")), "no such file or folder")


# -- a git repository ------------------------------------------------------------------


def _git(repo, *args, when: str | None = None):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ann Author",
        "GIT_AUTHOR_EMAIL": "ann@example.org",
        "GIT_COMMITTER_NAME": "Cy Committer",
        "GIT_COMMITTER_EMAIL": "cy@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    done = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, check=True)
    return done.stdout.decode().strip()


def _commit(repo, message: str, when: str, files: dict[str, str | None]) -> str:
    for name, text in files.items():
        if text is None:
            _git(repo, "rm", "-q", name)
        else:
            (repo / name).write_text(text, encoding="utf-8")
            _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", message, when=when)
    return _git(repo, "rev-parse", "HEAD")


def _repository(tmp_path):
    """A repository whose ``story.txt`` began as ``draft.txt``: four changes, one rename,
    one commit that did not touch it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    ids = [
        _commit(
            repo, "First draft", "2024-03-01T09:00:00+01:00", {"draft.txt": "The mayor spoke.\n"}
        ),
        _commit(
            repo,
            "Add a quote",
            "2024-03-01T10:00:00+01:00",
            {"draft.txt": "The mayor spoke: no new taxes.\n", "other.txt": "unrelated"},
        ),
    ]
    _git(repo, "mv", "draft.txt", "story.txt")
    ids.append(_commit(repo, "Rename for the desk", "2024-03-01T11:00:00+01:00", {}))
    ids.append(
        _commit(
            repo,
            "Copy edit",
            "2024-03-01T12:00:00+01:00",
            {"story.txt": "The mayor spoke on Monday: no new taxes.\n"},
        )
    )
    _commit(repo, "Elsewhere", "2024-03-01T13:00:00+01:00", {"other.txt": "still unrelated"})
    return repo, ids


def test_every_commit_that_changed_a_file_is_a_version_across_its_rename(db_url, tmp_path):
    repo, (first, second, rename, edit) = _repository(tmp_path)
    out = prov_json(db_url, "import", str(repo), "--git", "--path", "story.txt")
    assert out["kind"] == "git" and out["versions"] == 3 and out["documents"] == ["story.txt"]
    # The rename changed no byte: the commit is a sighting of the version, no new version.
    assert [(s["name"], s["reason"], s["version_name"]) for s in out["skipped"]] == [
        (f"story.txt at {rename[:12]}", "sighted", "story.txt@2")
    ]
    log = prov_json(db_url, "log", "story.txt")["versions"]
    assert [v["captured_at"] for v in log] == [
        "2024-03-01T09:00:00+01:00",
        "2024-03-01T10:00:00+01:00",
        "2024-03-01T12:00:00+01:00",
    ]
    assert {v["source"] for v in log} == {"Ann Author <ann@example.org>"}
    metas = [prov_json(db_url, "show", f"story.txt@{n}")["meta"] for n in (1, 2, 3)]
    assert [m["git_commit"] for m in metas] == [first, second, edit]
    assert [m["git_path"] for m in metas] == ["draft.txt", "draft.txt", "story.txt"]
    assert metas[2]["git_subject"] == "Copy edit"
    assert prov(db_url, "show", "story.txt@1", "--raw").stdout == "The mayor spoke.\n"
    assert log[2]["parents"][0]["relation"] == "revision"


def test_re_importing_a_git_history_adds_nothing_and_a_new_commit_adds_one(db_url, tmp_path):
    repo, _ = _repository(tmp_path)
    prov_json(db_url, "import", str(repo), "--git", "--path", "story.txt", "--doc", "s")
    again = prov_json(db_url, "import", str(repo), "--git", "--path", "story.txt", "--doc", "s")
    assert again["versions"] == 0 and again["unchanged"] == 4
    newer = _commit(repo, "Fix", "2024-03-02T09:00:00+01:00", {"story.txt": "The mayor spoke.\n"})
    grown = prov_json(db_url, "import", str(repo), "--git", "--path", "story.txt", "--doc", "s")
    assert grown["versions"] == 1 and grown["unchanged"] == 4
    assert prov_json(db_url, "show", "s@4")["meta"]["git_commit"] == newer


def test_a_git_import_of_a_file_that_is_not_text_names_the_commit_and_keeps_nothing(
    db_url, tmp_path
):
    repo, _ = _repository(tmp_path)
    (repo / "story.txt").write_bytes(b"\x89PNG\r\n\x1a\n\xff binary")
    _git(repo, "commit", "-q", "-am", "oops", when="2024-03-03T09:00:00+01:00")
    bad = _git(repo, "rev-parse", "HEAD")
    one_line_error(
        prov(db_url, "import", str(repo), "--git", "--path", "story.txt"),
        str(repo),
        bad[:12],
        "UTF-8",
    )
    assert prov(db_url, "log", "story.txt").exit_code == 2  # no such document


def test_a_git_import_needs_a_repository_a_path_and_a_file_with_commits(db_url, tmp_path):
    repo, _ = _repository(tmp_path)
    one_line_error(prov(db_url, "import", str(repo), "--git"), "--path")
    one_line_error(
        prov(db_url, "import", str(repo), "--git", "--path", "nope.txt"), "no commit changed"
    )
    one_line_error(
        prov(db_url, "import", str(tmp_path), "--git", "--path", "x"), "not a git repository"
    )
    (repo / "notes").mkdir()
    _commit(repo, "Notes", "2024-03-04T09:00:00+01:00", {"notes/a.txt": "a", "notes/b.txt": "b"})
    one_line_error(prov(db_url, "import", str(repo), "--git", "--path", "notes"), "is a folder")
    one_line_error(
        prov(db_url, "import", str(repo), "--git", "--path", "story.txt", "--glob", "*"),
        "--glob does not apply",
    )


# -- a web archive ----------------------------------------------------------------

ARTICLE = (
    "<html><head><meta charset='utf-8'><title>City news</title></head><body>"
    "<nav>Home | About | Contact</nav><article><h1>Mayor speaks</h1>"
    "<p>The mayor spoke on Monday and said there would be no new taxes this year.</p>"
    "<p>Critics were not convinced.</p></article>"
    "<footer>Copyright 2024 The Paper</footer></body></html>"
)
MAYOR = "com,example)/news/mayor"


def _warc(path, records):
    """Write ``records`` (kind, uri, date, body, content type, extra) with warcio; the
    payload digest of each response, by uri and date, for revisits to name."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    digests = {}
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=str(path).endswith(".gz"))
        for kind, uri, date, body, content_type, refers in records:
            http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            if kind == "response":
                record = writer.create_warc_record(
                    uri,
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": date},
                )
                digests[(uri, date)] = record.rec_headers.get_header("WARC-Payload-Digest")
            else:
                to_uri, to_date, digest = refers
                record = writer.create_revisit_record(
                    uri,
                    digest or digests[(to_uri, to_date)],
                    to_uri,
                    to_date,
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": date},
                )
            writer.write_record(record)
    return path


def _crawl(tmp_path, name="crawl.warc.gz"):
    first = ("http://www.example.com/news/mayor", "2024-05-01T10:00:00Z")
    return _warc(
        tmp_path / name,
        [
            ("response", *first, ARTICLE.encode(), "text/html; charset=utf-8", None),
            ("response", "https://example.com/robots.txt", "2024-05-01T10:00:01Z",
             b"User-agent: *\nDisallow:\n", "text/plain", None),
            ("response", "https://example.com/logo.png", "2024-05-01T10:00:02Z",
             b"\x89PNG not text", "image/png", None),
            ("response", "https://example.com/news/mayor", "2024-05-02T10:00:00Z",
             ARTICLE.replace("Critics", "Many critics").encode(), "text/html", None),
            ("revisit", "https://example.com/news/mayor", "2024-05-03T10:00:00Z",
             b"", "text/html", (*first, None)),
        ],
    )  # fmt: skip


def test_a_warcs_text_and_html_captures_are_versions_of_the_document_their_url_names(
    db_url, tmp_path
):
    out = prov_json(db_url, "import", str(_crawl(tmp_path)))
    assert out["kind"] == "warc" and out["manifest"].endswith("crawl.warc.gz")
    # http://www. and https:// are one document; the PNG is not text.
    assert set(out["documents"]) == {MAYOR, MAYOR + "#raw", "com,example)/robots.txt"}
    robots = prov_json(db_url, "show", "com,example)/robots.txt@1")
    assert robots["source"] == "https://example.com/robots.txt"
    assert robots["captured_at"] == "2024-05-01T10:00:00+00:00".replace(":00+", ":01+")
    assert robots["meta"]["warc_record_id"].startswith("<urn:uuid:")
    assert prov(db_url, "show", "com,example)/robots.txt@1", "--raw").stdout.startswith(
        "User-agent"
    )
    text = prov_json(db_url, "show", f"{MAYOR}@1")
    raw_name = f"{MAYOR}#raw@1"
    assert [(p["parent_name"], p["relation"]) for p in text["parents"]] == [(raw_name, "derived")]
    assert text["meta"]["extractor"].startswith("trafilatura ")
    assert text["source"] == "http://www.example.com/news/mayor"
    main = prov(db_url, "show", f"{MAYOR}@1", "--raw").stdout
    assert "The mayor spoke on Monday" in main and "Copyright" not in main and "<p>" not in main
    assert prov(db_url, "show", raw_name, "--raw").stdout == ARTICLE  # nothing of it is lost
    second = prov_json(db_url, "show", f"{MAYOR}@2")
    assert [(p["parent_name"], p["relation"]) for p in second["parents"]] == [
        (f"{MAYOR}#raw@2", "derived"),
        (f"{MAYOR}@1", "revision"),
    ]


def test_a_revisit_is_the_capture_it_repeats_at_its_own_time(db_url, tmp_path):
    prov_json(db_url, "import", str(_crawl(tmp_path)))
    third = prov_json(db_url, "show", f"{MAYOR}@3")  # the page was back to its first text
    assert third["captured_at"] == "2024-05-03T10:00:00+00:00"
    assert third["hash"] == prov_json(db_url, "show", f"{MAYOR}@1")["hash"]
    first_id = prov_json(db_url, "show", f"{MAYOR}@1")["meta"]["warc_record_id"]
    assert third["meta"]["warc_revisit_of"] == first_id
    # A revisit right after the capture it repeats is no new version: a sighting of it.
    path = _warc(
        tmp_path / "again.warc",
        [
            ("response", "https://example.org/a", "2024-01-01T00:00:00Z", b"plain words",
             "text/plain", None),
            ("revisit", "https://example.org/a", "2024-01-02T00:00:00Z", b"", "text/plain",
             ("https://example.org/a", "2024-01-01T00:00:00Z", None)),
            ("revisit", "https://example.org/b", "2024-01-02T00:00:00Z", b"", "text/plain",
             ("https://example.org/b", "2023-01-01T00:00:00Z", "sha1:NOTINTHISFILE")),
            ("response", "https://example.org/i.png", "2024-01-01T00:00:00Z", b"\x89PNG",
             "image/png", None),
            ("revisit", "https://example.org/i.png", "2024-01-02T00:00:00Z", b"", "",
             ("https://example.org/i.png", "2024-01-01T00:00:00Z", None)),
        ],
    )  # fmt: skip
    out = prov_json(db_url, "import", str(path))
    assert out["versions"] == 1
    # Every record that gives no version is listed, with why: none is dropped unsaid.
    assert [(s["document"], s["reason"]) for s in out["skipped"]] == [
        ("org,example)/b", "revisit"),
        ("org,example)/i.png", "not text"),
        ("org,example)/i.png", "not text"),
        ("org,example)/a", "sighted"),
    ]
    assert out["sightings"] == 1


def test_a_failed_capture_gives_no_version_and_is_counted(db_url, tmp_path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "errors.warc"
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=False)
        for uri, status, body in (
            ("https://example.org/gone", "404 Not Found", b"Not here any more."),
            ("https://example.org/page", "200 OK", b"The page itself."),
        ):
            http = StatusAndHeaders(status, [("Content-Type", "text/plain")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http)
            )
    out = prov_json(db_url, "import", str(path))
    assert out["documents"] == ["org,example)/page"]
    assert [(s["document"], s["reason"]) for s in out["skipped"]] == [("org,example)/gone", "failed")]
    human = prov(db_url, "import", str(path)).stdout
    assert "1 failed (HTTP status not 2xx)" in human


def test_re_importing_a_warc_adds_nothing_and_says_so(db_url, tmp_path):
    path = _crawl(tmp_path)
    first = prov_json(db_url, "import", str(path))
    again = prov_json(db_url, "import", str(path))
    assert again["versions"] == 0 and again["unchanged"] == first["versions"]
    assert {s["reason"] for s in again["skipped"]} == {"present", "unchanged", "not text"}
    assert [s for s in again["skipped"] if s["reason"] == "not text"] == [
        s for s in first["skipped"] if s["reason"] == "not text"
    ]
    assert "Nothing new" in prov(db_url, "import", str(path)).stdout


def test_a_wacz_is_read_through_the_warcs_it_holds(db_url, tmp_path):
    warc = _crawl(tmp_path)
    wacz = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(wacz, "w") as z:
        z.write(warc, "archive/data.warc.gz")
        z.writestr("datapackage.json", "{}")
    out = prov_json(db_url, "import", str(wacz))
    assert out["versions"] == 7
    assert prov_json(db_url, "show", f"{MAYOR}@1")["meta"]["warc_file"] == "archive/data.warc.gz"


def test_a_page_without_main_text_keeps_its_raw_capture_and_says_so(db_url, tmp_path):
    path = _warc(
        tmp_path / "empty.warc",
        [("response", "https://example.org/", "2024-01-01T00:00:00Z",
          b"<html><body><div></div></body></html>", "text/html", None)],
    )  # fmt: skip
    out = prov_json(db_url, "import", str(path))
    assert out["documents"] == ["org,example)/#raw"]
    assert [s["reason"] for s in out["skipped"]] == ["no text"]
    assert "no main text found" in prov(db_url, "import", str(path)).stdout


def test_a_damaged_warc_is_one_line_naming_it_and_nothing_is_registered(db_url, tmp_path):
    good = _crawl(tmp_path, "crawl.warc").read_bytes()
    bad = tmp_path / "bad.warc"
    bad.write_bytes(good[: len(good) // 2] + b"garbage that is no WARC header\r\n\r\n")
    one_line_error(prov(db_url, "import", str(bad)), "bad.warc")
    assert prov_json(db_url, "docs") == []
    latin = _warc(
        tmp_path / "latin.warc",
        [("response", "https://example.org/t", "2024-01-01T00:00:00Z", "café".encode("latin-1"),
          "text/plain", None)],
    )  # fmt: skip
    one_line_error(prov(db_url, "import", str(latin)), "latin.warc: record 1", "UTF-8")
    assert prov_json(db_url, "docs") == []


def test_without_the_web_archives_extra_a_warc_import_says_what_to_install(
    db_url, tmp_path, monkeypatch
):
    path = _crawl(tmp_path)
    monkeypatch.setitem(sys.modules, "warcio.archiveiterator", None)  # as if not installed
    one_line_error(prov(db_url, "import", str(path)), "warcio", "provenance[web-archives]")
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "trafilatura", None)
    one_line_error(prov(db_url, "import", str(path)), "trafilatura", "provenance[web-archives]")
    assert prov_json(db_url, "docs") == []


# -- every source: the JSON contract, the front door, the manifest's re-run ------------------


def test_every_sources_json_is_the_import_contract(db_url, tmp_path):
    from pydantic import TypeAdapter

    from provenance.importer import ImportReport

    folder = _drafts(tmp_path, {"1.txt": "one"})
    repo, _ = _repository(tmp_path)
    outputs = [
        prov(db_url, "import", str(folder), "--json"),
        prov(db_url, "import", str(repo), "--git", "--path", "story.txt", "--json"),
        prov(db_url, "import", str(_crawl(tmp_path)), "--json"),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
        report = TypeAdapter(ImportReport).validate_json(result.stdout)
        assert report.versions > 0 and report.kind in ("folder", "git", "warc")


def test_the_front_door_imports_every_source_in_one_transaction_each(db_url, tmp_path):
    from provenance import Archive

    folder = _drafts(tmp_path, {"1.txt": "one", "2.txt": "one two"})
    repo, _ = _repository(tmp_path)
    with Archive(db_url, actor="archivist") as archive:
        assert archive.import_source(folder, doc="f").versions == 2
        git = archive.import_source(repo, git=True, git_path="story.txt")
        assert git.documents == ("story.txt",) and git.versions == 3
        assert archive.import_source(_crawl(tmp_path)).versions == 7
        assert archive.import_source(folder, doc="f").versions == 0
        assert archive.log("f").versions[0].source.endswith("1.txt")
    events = prov_json(db_url, "events", "--kind", "import.run")["events"]
    assert [e["actor"] for e in events] == ["archivist"] * 3


def test_re_importing_a_manifest_adds_nothing(db_url, tmp_path):
    (tmp_path / "v1.txt").write_text("First draft.", encoding="utf-8")
    (tmp_path / "v2.txt").write_text("First draft, edited.", encoding="utf-8")
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text(
        '{"path": "v1.txt", "doc": "story", "source": "wire"}\n'
        '{"path": "v2.txt", "doc": "story", "meta": {"desk": "city"}}\n'
        '{"path": "v1.txt", "doc": "mirror", "relation": "copy", "parent": "story@1"}\n',
        encoding="utf-8",
    )
    assert prov_json(db_url, "import", str(manifest))["versions"] == 3
    again = prov_json(db_url, "import", str(manifest))
    assert again["versions"] == 0 and again["unchanged"] == 3
    assert [s["reason"] for s in again["skipped"]] == ["present", "unchanged", "unchanged"]


def test_a_history_that_returns_to_an_earlier_text_keeps_every_version(db_url, tmp_path):
    """A page that flips back (A, B, A, as crawled terms pages do) is three versions,
    and the manifest's re-run is three entries already present."""
    (tmp_path / "a.txt").write_text("The terms, as first posted.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("The terms, briefly changed.", encoding="utf-8")
    manifest = tmp_path / "flips.jsonl"
    manifest.write_text(
        "".join(f'{{"path": "{name}", "doc": "terms"}}\n' for name in ("a.txt", "b.txt", "a.txt")),
        encoding="utf-8",
    )
    first = prov_json(db_url, "import", str(manifest))
    assert first["versions"] == 3 and first["skipped"] == []
    log = prov_json(db_url, "log", "terms")
    assert [v["number"] for v in log["versions"]] == [1, 2, 3]
    again = prov_json(db_url, "import", str(manifest))
    assert again["versions"] == 0
    assert [(s["reason"], s["version_name"]) for s in again["skipped"]] == [
        ("present", "terms@1"),
        ("present", "terms@2"),
        ("unchanged", "terms@3"),
    ]


def test_a_page_in_the_charset_its_meta_tag_declares_is_decoded_with_it(db_url, tmp_path):
    page = ARTICLE.replace("charset='utf-8'", "charset='windows-1252'").replace(
        "Critics", "Café owners"
    )
    path = _warc(
        tmp_path / "latin.warc",
        [("response", "https://example.org/p", "2024-01-01T00:00:00Z",
          page.encode("windows-1252"), "text/html", None)],
    )  # fmt: skip
    prov_json(db_url, "import", str(path))
    raw = prov_json(db_url, "show", "org,example)/p#raw@1")
    assert raw["encoding"] == "cp1252"  # the bytes as captured, in the charset declared
    assert prov(db_url, "show", "org,example)/p#raw@1", "--raw").stdout_bytes == page.encode("cp1252")
    assert "Café owners" in prov(db_url, "show", "org,example)/p@1", "--raw").stdout
