"""`prov log` lists every version, at any terminal width, and says when it lists fewer."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provenance import store
from provenance_cli import render
from provenance_cli.app import app

from .conftest import corpus_or_skip

runner = CliRunner()


def prov(db_url: str, *args: str):
    result = runner.invoke(app, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result


def log_at(db_url: str, width: int, monkeypatch, *args: str) -> str:
    """The terminal listing at ``width`` columns, without colour."""
    monkeypatch.setattr(render.out, "_width", width)
    monkeypatch.setattr(render.out, "_color_system", None)
    return prov(db_url, "log", *args).stdout


def import_history(db_url: str, tmp_path: Path, doc: str, texts: list[str], **extra) -> None:
    lines = []
    for i, text in enumerate(texts):
        (tmp_path / f"{doc}-{i}.txt").write_text(text)
        entry = {"path": f"{doc}-{i}.txt", "doc": doc, **{k: v(i) for k, v in extra.items()}}
        lines.append(json.dumps(entry))
    manifest = tmp_path / f"{doc}.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    prov(db_url, "import", str(manifest), "--json")


def generated(n: int, seed: int = 9) -> list[str]:
    rng = random.Random(seed)
    words = ["the", "minister", "said", "talks", "would", "resume", "on", "monday", "after"]
    text = " ".join(rng.choice(words) for _ in range(60))
    out = []
    for _ in range(n):
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice(words) + " " + text[i:]
        out.append(text)
    return out


def numbers(listing: str) -> list[int]:
    """The version numbers at the start of the listing's rows (or blocks)."""
    return [int(m) for m in re.findall(r"^@(\d+)\b", listing, flags=re.MULTILINE)]


def test_a_long_chain_lists_every_version_flat_at_any_width(db_url, tmp_path, monkeypatch):
    import_history(db_url, tmp_path, "long", generated(53), label=lambda i: f"rev {i + 1}")
    for width in (40, 80, 200):
        listing = log_at(db_url, width, monkeypatch, "long")
        assert numbers(listing) == list(range(1, 54)), listing
        assert "53 versions" in listing.splitlines()[0] and "showing" not in listing
        for line in listing.splitlines():
            assert len(line.rstrip()) <= width, line
        # a chain reads flat: every row starts at the margin, none is indented under its parent
        assert not re.search(r"^\s+@\d", listing, flags=re.MULTILINE)
        for n in range(2, 54):  # each row names the parent it was edited from
            assert re.search(
                rf"^@{n}\b(.*\n(?!@))*.*(rev|revision of) (long)?@{n - 1}\b", listing, re.M
            )


def test_branch_merge_and_copy_show_each_parent(db_url, tmp_path, monkeypatch):
    texts = generated(4, seed=3)
    import_history(db_url, tmp_path, "main", texts[:2])  # @1, @2 revision of @1
    branch = tmp_path / "branch.txt"
    branch.write_text(texts[0] + " a branch")
    prov(db_url, "register", str(branch), "--doc", "main", "--parent", "main@1")  # @3
    merged = tmp_path / "merged.txt"
    merged.write_text(texts[1] + " a branch")
    prov(db_url, "register", str(merged), "--doc", "main", "--parent", "main@2")  # @4
    prov(db_url, "link", "main@4", "main@3", "--relation", "merge")
    copy = tmp_path / "copy.txt"
    copy.write_text(texts[1] + " a branch")
    prov(db_url, "register", str(copy), "--doc", "wire", "--parent", "main@4", "--relation", "copy")
    data = json.loads(prov(db_url, "log", "main", "--json").stdout)
    parents = {v["number"]: [p["parent_name"] for p in v["parents"]] for v in data["versions"]}
    assert parents == {1: [], 2: ["main@1"], 3: ["main@1"], 4: ["main@2", "main@3"]}
    for width in (40, 80, 200):
        listing = log_at(db_url, width, monkeypatch, "main")
        assert numbers(listing) == [1, 2, 3, 4], listing
        row4 = listing[listing.index("@4") :]
        assert re.search(r"(rev|revision of) (main)?@2\b", row4) and re.search(
            r"merge (of )?(main)?@3\b", row4
        ), listing
        wire = log_at(db_url, width, monkeypatch, "wire")
        assert numbers(wire) == [1] and re.search(r"copy (of )?main@4\b", wire), wire
        if width == 200:  # a narrower table wraps the note inside its cell
            assert "same bytes as main@4" in wire, wire


def test_limit_and_since_say_how_many_they_show(db_url, tmp_path, monkeypatch):
    dates = ["2024-01-05", "2024-03-01", "2024-06-30", "2025-02-01", "2025-09-09"]
    import_history(db_url, tmp_path, "d", generated(5), captured_at=lambda i: dates[i])
    full = json.loads(prov(db_url, "log", "d", "--json").stdout)
    assert (full["total"], full["matched"], full["shown"]) == (5, 5, 5)
    newest = json.loads(prov(db_url, "log", "d", "--limit", "2", "--json").stdout)
    assert [v["number"] for v in newest["versions"]] == [4, 5]
    assert (newest["total"], newest["shown"], newest["limit"]) == (5, 2, 2)
    assert newest["versions"] == full["versions"][3:]  # every field kept, for the rows shown
    listing = log_at(db_url, 80, monkeypatch, "d", "--limit", "2")
    assert "showing 2 of 5 versions" in listing and numbers(listing) == [4, 5]
    captured = json.loads(
        prov(db_url, "log", "d", "--captured-since", "2024-06-30", "--json").stdout
    )
    assert [v["number"] for v in captured["versions"]] == [3, 4, 5]
    assert captured["captured_since"] == "2024-06-30" and captured["matched"] == 3
    both = log_at(db_url, 80, monkeypatch, "d", "--captured-since", "2024-02-01", "--limit", "1")
    assert "showing 1 of 5 versions" in both and "4 captured since 2024-02-01" in both
    # registration times are now: all were registered since yesterday, none since tomorrow
    everything = json.loads(prov(db_url, "log", "d", "--since", "2000-01-01", "--json").stdout)
    assert everything["shown"] == 5
    later = json.loads(
        prov(db_url, "log", "d", "--since", "2999-01-01T00:00:00+08:00", "--json").stdout
    )
    assert (later["matched"], later["versions"]) == (0, [])
    assert "showing 0 of 5 versions" in log_at(
        db_url, 80, monkeypatch, "d", "--since", "2999-01-01"
    )
    bad = runner.invoke(app, ["--db", db_url, "log", "d", "--since", "last week"])
    assert bad.exit_code == 2 and "--since" in bad.output and "ISO 8601" in bad.output


def test_no_color_means_no_escape_codes(db_url, tmp_path, monkeypatch):
    import_history(db_url, tmp_path, "d", generated(3))
    monkeypatch.setattr(render.out, "_force_terminal", True)
    monkeypatch.setattr(render.out, "_color_system", None)  # as rich sets it under NO_COLOR
    assert "\x1b[" not in prov(db_url, "log", "d").stdout


def test_a_real_history_of_53_versions_is_listed_whole_at_80_columns(tmp_path, monkeypatch):
    corpus = corpus_or_skip()
    db_url = store.to_url(str(tmp_path / "archive.db"))  # SQLite only: the listing is the same
    prov(db_url, "init")
    folder = corpus / "ota-genai-eu" / "chatgpt-acceptable-use-policy"
    files = sorted(folder.glob("0*"))[:53]
    if len(files) < 53:
        pytest.skip(f"{folder} has fewer than 53 revisions")
    texts = [f.read_text() for f in files]
    import_history(db_url, tmp_path, "aup", texts)
    listing = log_at(db_url, 80, monkeypatch, "aup")
    assert numbers(listing) == list(range(1, 54))
    assert "53 versions" in listing.splitlines()[0]
