"""Import sources: a folder, a git file's history, a web archive; re-runs add nothing."""

from __future__ import annotations

import os

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
        {"b.txt": "A draft, edited.", "a.txt": "A draft.", "c.md": "not matched", ".x.txt": "hidden"},
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
    assert "3 already present" in result.stdout and "Nothing new" in result.stdout
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


def test_a_folder_option_given_to_another_source_is_refused(db_url, tmp_path):
    folder = _drafts(tmp_path, {"1.txt": "fine"})
    one_line_error(prov(db_url, "import", str(folder), "--order", "size"), "--order", "size")
    one_line_error(prov(db_url, "import", str(folder), "--path", "x"), "--git")
    one_line_error(prov(db_url, "import", str(folder), "--glob", "*.none"), "no file matches")
    one_line_error(prov(db_url, "import", str(tmp_path / "nowhere")), "no such file or folder")
