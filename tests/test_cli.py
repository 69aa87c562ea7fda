"""The `prov` command as a user meets it: output, JSON contracts, errors and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from blake3 import blake3
from typer.testing import CliRunner

from provenance import diff
from provenance_cli.app import app

from .conftest import SEEDS

runner = CliRunner()
PAGE = SEEDS / "000_1ce08642ff723812.txt"
COPY = SEEDS / "002_16046881f2c4a19a.txt"


def prov(db_url: str, *args: str, input: bytes | None = None):
    return runner.invoke(app, ["--db", db_url, *args], input=input)


def prov_json(db_url: str, *args: str):
    result = prov(db_url, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def as_edit(e: dict) -> diff.Edit:
    """An edit of a JSON document (its ``inside`` flag and ``kind`` aside)."""
    return diff.Edit(**{k: v for k, v in e.items() if k not in ("inside", "kind")})


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def test_register_prints_the_json_contract(db_url, tmp_path):
    out = prov_json(
        db_url,
        "register",
        str(PAGE),
        "--doc",
        "report",
        "--source",
        "print",
        "--captured-at",
        "2019-10-26",
    )
    assert out["document"] == "report" and out["number"] == 1 and out["parents"] == []
    assert out["hash"] == "blake3:" + blake3(PAGE.read_bytes()).hexdigest()
    assert out["new_content"] is True
    out2 = prov_json(db_url, "register", str(COPY), "--doc", "report")
    assert out2["parents"] == [out["version"]] and out2["relation"] == "revision"
    assert set(out2["stats"]) >= {"edits", "inserted", "deleted", "similarity"}


def test_register_reads_standard_input(db_url):
    result = prov(db_url, "register", "-", "--doc", "pasted", "--json", input="粘贴的文字".encode())
    assert result.exit_code == 0, result.output
    assert (
        json.loads(result.stdout)["hash"] == "blake3:" + blake3("粘贴的文字".encode()).hexdigest()
    )


def test_show_raw_gives_back_the_exact_bytes(db_url, tmp_path):
    data = "line one\r\nline two 😀\r\n".encode()
    prov_json(db_url, "register", write(tmp_path, "crlf.txt", data), "--doc", "crlf")
    result = prov(db_url, "show", "crlf@1", "--raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == data


def test_diff_json_edits_replay_between_the_originals(db_url, tmp_path):
    a = "The minister said on Monday that talks would resume.\n"
    b = "The prime minister said on Tuesday that talks had resumed.\n"
    prov_json(db_url, "register", write(tmp_path, "a.txt", a), "--doc", "talks")
    prov_json(db_url, "register", write(tmp_path, "b.txt", b), "--doc", "talks")
    out = prov_json(db_url, "diff", "talks@1", "talks@2")
    edits = [as_edit(e) for e in out["edits"]]
    assert diff.replay(a, edits) == b
    for e in edits:
        assert a[e.a_start : e.a_end] == e.old and b[e.b_start : e.b_end] == e.new
    assert out["stats"]["edits"] == len(edits)


def test_trace_json_has_path_steps_and_net_edits(db_url, tmp_path):
    texts = ["Base article text.", "Base article text, revised.", "Base article, revised twice."]
    for i, t in enumerate(texts):
        prov_json(db_url, "register", write(tmp_path, f"{i}.txt", t), "--doc", "art")
    out = prov_json(db_url, "trace", "art@3", "art@1")
    assert out["path"] == [3, 2, 1]
    assert [s["from"] for s in out["steps"]] == [3, 2]
    assert all(s["direction"] == "backward" for s in out["steps"])
    assert diff.replay(texts[2], [as_edit(e) for e in out["net"]["edits"]]) == texts[0]


def test_log_shows_every_version_with_its_link_stats(db_url, tmp_path):
    prov_json(db_url, "register", write(tmp_path, "1.txt", "one"), "--doc", "d", "--label", "first")
    prov_json(db_url, "register", write(tmp_path, "2.txt", "one two"), "--doc", "d")
    human = prov(db_url, "log", "d")
    assert human.exit_code == 0
    assert "@1" in human.stdout and "@2" in human.stdout and "revision of d@1" in human.stdout
    out = prov_json(db_url, "log", "d")
    assert [v["number"] for v in out["versions"]] == [1, 2]
    assert out["versions"][1]["parents"][0]["stats"]["inserted"] == 4


def test_docs_lists_documents_with_version_counts(db_url, tmp_path):
    prov_json(db_url, "register", write(tmp_path, "1.txt", "x"), "--doc", "zeta")
    prov_json(db_url, "register", write(tmp_path, "2.txt", "y"), "--doc", "alpha")
    out = prov_json(db_url, "docs")
    assert [(d["document"], d["versions"]) for d in out] == [("alpha", 1), ("zeta", 1)]
    human = prov(db_url, "docs")
    assert "alpha" in human.stdout and "zeta" in human.stdout


def one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert "\n" not in message, message
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in message, message
    return message


def test_a_missing_file_is_one_line_naming_it(db_url, tmp_path):
    one_line_error(
        prov(db_url, "register", str(tmp_path / "nope.txt"), "--doc", "d"),
        "nope.txt",
        "no such file",
    )


def test_a_directory_is_refused(db_url, tmp_path):
    one_line_error(prov(db_url, "register", str(tmp_path), "--doc", "d"), "is a directory")


def test_invalid_utf8_names_the_byte_offset_and_offers_encoding(db_url, tmp_path):
    path = write(tmp_path, "latin.txt", "café".encode("latin-1"))
    one_line_error(
        prov(db_url, "register", path, "--doc", "d"), "latin.txt", "byte offset 3", "--encoding"
    )
    ok = prov(db_url, "register", path, "--doc", "d", "--encoding", "latin-1", "--json")
    assert ok.exit_code == 0


def test_an_empty_file_is_refused_and_says_why(db_url, tmp_path):
    path = write(tmp_path, "empty.txt", "")
    one_line_error(
        prov(db_url, "register", path, "--doc", "d"), "empty.txt", "empty", "--allow-empty"
    )
    assert prov(db_url, "register", path, "--doc", "d", "--allow-empty").exit_code == 0


def test_an_unknown_document_is_an_error(db_url):
    one_line_error(prov(db_url, "log", "nosuch"), "no document 'nosuch'")


def test_a_cycle_is_refused_and_nothing_is_written(db_url, tmp_path):
    prov_json(db_url, "register", write(tmp_path, "1.txt", "one"), "--doc", "c")
    prov_json(db_url, "register", write(tmp_path, "2.txt", "two"), "--doc", "c")
    one_line_error(prov(db_url, "link", "c@1", "c@2", "--relation", "derived"), "cycle")
    assert prov_json(db_url, "log", "c")["versions"][0]["parents"] == []


def test_a_bad_captured_at_is_refused_before_anything_is_written(db_url, tmp_path):
    path = write(tmp_path, "t.txt", "text")
    one_line_error(
        prov(db_url, "register", path, "--doc", "d", "--captured-at", "yesterday"), "ISO 8601"
    )
    assert prov_json(db_url, "docs") == []


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path):
    result = runner.invoke(app, ["--db", str(tmp_path / "no" / "such" / "dir" / "a.db"), "docs"])
    one_line_error(result, "no archive at", "init")
    assert not (tmp_path / "no").exists()


def test_an_uninitialised_database_says_how_to_initialise_it(tmp_path):
    result = runner.invoke(app, ["--db", str(tmp_path / "fresh.db"), "docs"])
    one_line_error(result, "init")


def test_init_reports_the_schema_revision(tmp_path):
    result = runner.invoke(app, ["--db", str(tmp_path / "new.db"), "init", "--json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["before"] is None and out["after"]


def test_the_demo_registers_the_seeds_and_traces_them(tmp_path):
    result = runner.invoke(app, ["--db", str(tmp_path / "demo.db"), "demo", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    page, copy = out["registered"]
    assert page["hash"] == "blake3:" + blake3(PAGE.read_bytes()).hexdigest()
    assert copy["hash"] == "blake3:" + blake3(COPY.read_bytes()).hexdigest()
    assert copy["parents"] == [page["version"]] and copy["relation"] == "excerpt"
    assert out["trace"]["path"] == [page["version"], copy["version"]]
    net = out["trace"]["net"]
    assert net["profile"] == "cjk" and net["passage"] is not None


def test_the_demo_without_a_lens_replays_the_exact_bytes(tmp_path):
    result = runner.invoke(
        app, ["--db", str(tmp_path / "demo.db"), "demo", "--normalize", "exact", "--json"]
    )
    assert result.exit_code == 0, result.output
    net = json.loads(result.stdout)["trace"]["net"]
    edits = [as_edit(e) for e in net["edits"]]
    page, copy = PAGE.read_text(encoding="utf-8"), COPY.read_text(encoding="utf-8")
    assert diff.replay(page, edits) == copy
    # Hundreds of edits, nearly all spaces and line breaks: the hint names the lens.
    assert net["stats"]["edits"] > 100 and "--normalize cjk" in net["hint"]


def test_seed_diff_under_cjk_shows_the_passage_and_only_the_real_wording_edits(db_url):
    prov_json(db_url, "register", str(PAGE), "--doc", "report")
    prov_json(db_url, "register", str(COPY), "--doc", "report", "--relation", "excerpt")
    out = prov_json(db_url, "diff", "report@1", "report@2", "--normalize", "cjk")
    page, copy = PAGE.read_text(encoding="utf-8"), COPY.read_text(encoding="utf-8")
    p = out["passage"]
    # The report's body on the page, from its first sentence to before the credit line.
    assert page[p["a_start"] :].startswith("中共中央政治局10月24日下午")
    assert page[p["a_end"] :].lstrip().startswith("据新华社电")
    assert p["b_start"] == 0 and copy[p["b_end"] :].strip() == ""
    headline = page.index("加快推动区块链技术和产业创新发展")
    credit = page.index("据新华社电")
    assert not p["a_start"] <= headline < p["a_end"] and not p["a_start"] <= credit < p["a_end"]
    inside = [e for e in out["edits"] if e["inside"]]
    assert 1 <= len(inside) < 10
    for e in inside:
        assert "".join(e["old"].split()) != "".join(e["new"].split()), e  # no whitespace edits
        assert page[e["a_start"] : e["a_end"]] == e["old"]
        assert copy[e["b_start"] : e["b_end"]] == e["new"]
        assert p["a_start"] <= e["a_start"] <= e["a_end"] <= p["a_end"]
    assert ("靠", "控") in {(e["old"], e["new"]) for e in inside}
    outside = [e for e in out["edits"] if not e["inside"]]
    assert {e["a_start"] for e in outside} == {0, p["a_end"]}


def test_a_diff_of_an_article_in_two_pieces_says_what_lies_between_them(db_url, tmp_path):
    first = "The council approved the harbor budget on Monday after a long debate about dredging costs and fees."
    second = "Residents near the river asked for a new footbridge, and the mayor promised a study by the spring."
    page = (
        "CITY NEWS page one. Weather: rain all week with strong winds along the coast and inland valleys.\n\n"
        + first
        + "\n\nAdvertisement: buy fresh bread at the corner bakery every morning, open from six until noon daily.\n\n"
        + second
        + "\n\nContinued on page four with sports results, obituaries and the classified section for this week."
    )
    copy = first.replace("Monday", "Tuesday") + "\n" + second
    a, b = write(tmp_path, "page.txt", page), write(tmp_path, "copy.txt", copy)
    out = prov_json(db_url, "diff", a, b, "--normalize", "whitespace")
    assert len(out["passages"]) == 2
    assert len([e for e in out["edits"] if not e["inside"]]) == 3  # one per gap
    human = prov(db_url, "diff", a, b, "--normalize", "whitespace").stdout
    assert human.splitlines()[0].endswith("(within 2 passages)")
    (outside,) = [line for line in human.splitlines() if line.startswith("outside in A:")]
    assert outside.startswith("outside in A: 98 chars before the passages ('CITY NEWS")
    assert "; 100 chars between passages ('Advertisement" in outside
    assert "; 98 chars after the passages ('Continued" in outside


def test_registering_a_passage_as_a_revision_suggests_excerpt(db_url):
    prov_json(db_url, "register", str(PAGE), "--doc", "report")
    out = prov_json(db_url, "register", str(COPY), "--doc", "report")
    assert out["relation"] == "revision" and out["suggestion"] == "excerpt"
    human = prov(db_url, "register", str(COPY), "--doc", "other", "--parent", "report@1")
    assert "--relation excerpt" in human.stdout


def test_sentence_granularity_reports_a_moved_sentence_as_a_move(db_url, tmp_path):
    a = (
        "The council met on Monday. It approved the budget. "
        "The mayor was absent. Residents protested outside.\n"
    )
    b = (
        "The council met on Monday. The mayor was absent. "
        "It approved the budget. Residents protested loudly outside.\n"
    )
    prov_json(db_url, "register", write(tmp_path, "a.txt", a), "--doc", "council")
    prov_json(db_url, "register", write(tmp_path, "b.txt", b), "--doc", "council")
    out = prov_json(db_url, "diff", "council@1", "council@2", "--by", "sentence")
    kinds = {c["kind"] for c in out["sentences"]}
    assert "moved" in kinds and "changed" in kinds
    changed = next(c for c in out["sentences"] if c["kind"] == "changed")
    assert any(e["new"].strip() == "loudly" for e in changed["edits"])
    human = prov(db_url, "diff", "council@1", "council@2", "--by", "sentence")
    assert "moved" in human.stdout


def test_word_granularity_reports_whole_words(db_url, tmp_path):
    a = "The minister resigned on Tuesday after the vote.\n"
    b = "The deputy minister resigned on Wednesday after the vote.\n"
    prov_json(db_url, "register", write(tmp_path, "a.txt", a), "--doc", "w")
    prov_json(db_url, "register", write(tmp_path, "b.txt", b), "--doc", "w")
    out = prov_json(db_url, "diff", "w@1", "w@2", "--by", "word")
    pairs = {(e["old"].strip(), e["new"].strip()) for e in out["edits"]}
    assert ("Tuesday", "Wednesday") in pairs and ("", "deputy") in pairs


def test_an_unknown_profile_or_grain_is_one_line(db_url, tmp_path):
    prov_json(db_url, "register", write(tmp_path, "a.txt", "x"), "--doc", "u")
    one_line_error(prov(db_url, "diff", "u@1", "u@1", "--normalize", "fuzzy"), "fuzzy", "cjk")
    one_line_error(prov(db_url, "diff", "u@1", "u@1", "--by", "paragraph"), "paragraph")


def test_log_under_a_lens_counts_a_reflow_as_no_edit(db_url, tmp_path):
    text = "One sentence here. Another sentence there.\n"
    reflowed = "One sentence\nhere.   Another sentence\nthere.\n"
    prov_json(db_url, "register", write(tmp_path, "a.txt", text), "--doc", "r")
    prov_json(db_url, "register", write(tmp_path, "b.txt", reflowed), "--doc", "r")
    exact = prov_json(db_url, "log", "r")["versions"][1]["parents"][0]["stats"]
    lensed = prov_json(db_url, "log", "r", "--normalize", "whitespace")["versions"][1]
    assert exact["edits"] > 0 and lensed["parents"][0]["stats"]["edits"] == 0


# -- the installed command, in a subprocess ------------------------------------


def _installed_prov() -> str:
    found = shutil.which("prov", path=os.path.dirname(sys.executable)) or shutil.which("prov")
    if found is None:
        pytest.fail("the `prov` console script is not installed: pip install -e '.[test]'")
    return found


def run_prov(*args: str, env_db: str | None = None, input: bytes | None = None):
    env = dict(os.environ, NO_COLOR="1")
    if env_db:
        env["PROV_DB"] = env_db
    return subprocess.run(
        [_installed_prov(), *args], capture_output=True, input=input, env=env, timeout=120
    )


def test_installed_prov_registers_and_traces_through_prov_db(tmp_path):
    db = str(tmp_path / "sub.db")
    assert run_prov("init", env_db=db).returncode == 0
    reg1 = run_prov("register", str(PAGE), "--doc", "seed", "--json", env_db=db)
    assert reg1.returncode == 0, reg1.stderr
    reg2 = run_prov("register", str(COPY), "--doc", "seed", "--relation", "excerpt", env_db=db)
    assert reg2.returncode == 0, reg2.stderr
    assert b"Registered seed@2" in reg2.stdout
    trace = run_prov("trace", "seed@1", "seed@latest", env_db=db)
    assert trace.returncode == 0
    assert b"excerpt" in trace.stdout and b"\x1b[" not in trace.stdout  # NO_COLOR: no escapes


def test_installed_prov_fails_with_exit_2_and_one_line(tmp_path):
    db = str(tmp_path / "sub.db")
    run_prov("init", env_db=db)
    result = run_prov("show", "nosuch@1", env_db=db)
    assert result.returncode == 2
    assert result.stderr.decode().strip().count("\n") == 0
    assert b"Traceback" not in result.stderr


def test_installed_prov_show_raw_is_byte_exact(tmp_path):
    db = str(tmp_path / "sub.db")
    run_prov("init", env_db=db)
    data = "\ufeffBOM kept\r\n中文\n".encode()
    assert run_prov("register", "-", "--doc", "bom", input=data, env_db=db).returncode == 0
    assert run_prov("show", "bom@1", "--raw", env_db=db).stdout == data


def test_side_by_side_view_shows_both_texts_in_columns(db_url, tmp_path):
    a = "The minister said that the talks would resume soon.\n"
    b = "The minister said that the talks would collapse soon.\n"
    prov_json(db_url, "register", write(tmp_path, "a.txt", a), "--doc", "s")
    prov_json(db_url, "register", write(tmp_path, "b.txt", b), "--doc", "s")
    side = prov(db_url, "diff", "s@1", "s@2", "--view", "side")
    assert side.exit_code == 0
    row = next(line for line in side.stdout.splitlines() if "resume" in line)
    # A's context and B's context side by side: the shared words appear twice.
    assert "collapse" in row and row.count("talks would") == 2
    inline = prov(db_url, "diff", "s@1", "s@2", "--view", "inline")
    row = next(line for line in inline.stdout.splitlines() if "resume" in line)
    assert "collapse" in row and row.count("talks would") == 1


def test_a_label_longer_than_the_record_holds_is_one_line_not_a_database_error(db_url, tmp_path):
    path = write(tmp_path, "t.txt", "text")
    one_line_error(prov(db_url, "register", path, "--doc", "d", "--label", "x" * 600), "--label")
    prov_json(db_url, "register", path, "--doc", "d")
    one_line_error(prov(db_url, "annotate", "d@1", "--label", "y" * 600), "--label")


def test_a_database_failure_is_one_line_not_a_traceback(tmp_path):
    import sqlite3

    db = tmp_path / "broken.db"
    assert runner.invoke(app, ["--db", str(db), "init"]).exit_code == 0
    with sqlite3.connect(db) as conn:  # damage the schema behind the tool's back
        conn.execute("ALTER TABLE document RENAME COLUMN key TO slug")
    one_line_error(runner.invoke(app, ["--db", str(db), "docs"]), "database error", "key")


def test_a_registered_version_diffs_against_a_file_in_hand_without_registering_it(db_url, tmp_path):
    prov_json(db_url, "register", str(PAGE), "--doc", "report")
    copy = tmp_path / "from-a-website.txt"
    copy.write_bytes(COPY.read_bytes())
    out = prov_json(db_url, "diff", "report@1", str(copy), "--normalize", "cjk")
    assert out["a"] is not None and out["b"] is None
    assert out["a_name"] == "report@1" and out["b_name"] == str(copy)
    assert out["passage"] is not None and 1 <= sum(e["inside"] for e in out["edits"]) < 10
    assert prov_json(db_url, "docs")[0]["versions"] == 1  # nothing was registered
    missing = prov(db_url, "diff", "report@1", str(tmp_path / "nope.txt"))
    one_line_error(missing, "nope.txt")
