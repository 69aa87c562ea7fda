"""`prov events`: an auditor reads who changed what in the record, and when."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from provenance_cli.app import app

runner = CliRunner()


def prov(db_url, *args, user="tester"):
    return runner.invoke(app, ["--db", db_url, "--as", user, *args])


def listed(db_url, *args):
    result = prov(db_url, "events", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _history(db_url, tmp_path):
    """talks@1 (alice), talks@2 (bob, a revision), an annotation of talks@1 (carol),
    and an import by dave of wire@1 and wire@2."""
    (tmp_path / "a.txt").write_text("The minister said talks would resume.\n")
    (tmp_path / "b.txt").write_text("The prime minister said talks had resumed.\n")
    (tmp_path / "w1.txt").write_text("Wire: talks to resume.\n")
    (tmp_path / "w2.txt").write_text("Wire: talks resumed.\n")
    assert prov(db_url, "register", str(tmp_path / "a.txt"), "--doc", "talks", user="alice").exit_code == 0
    assert prov(db_url, "register", str(tmp_path / "b.txt"), "--doc", "talks", user="bob").exit_code == 0
    result = prov(db_url, "annotate", "talks@1", "--label", "as printed", user="carol")
    assert result.exit_code == 0, result.output
    manifest = tmp_path / "wire.jsonl"
    manifest.write_text(
        "\n".join(json.dumps({"path": p, "doc": "wire"}) for p in ("w1.txt", "w2.txt")) + "\n"
    )
    assert prov(db_url, "import", str(manifest), user="dave").exit_code == 0


def test_the_whole_log_lists_every_change_with_its_actor_oldest_first(db_url, tmp_path):
    _history(db_url, tmp_path)
    report = listed(db_url)
    kinds = [(e["kind"], e["actor"]) for e in report["events"]]
    assert kinds == [
        ("document.created", "alice"),
        ("version.registered", "alice"),
        ("version.registered", "bob"),
        ("link.added", "bob"),
        ("version.annotated", "carol"),
        ("document.created", "dave"),
        ("version.registered", "dave"),
        ("version.registered", "dave"),
        ("link.added", "dave"),
        ("import.run", "dave"),
    ]
    assert report["total"] == report["matched"] == 10
    assert [e["seq"] for e in report["events"]] == list(range(10))
    link = report["events"][3]
    assert (link["version"], link["parent"], link["document"]) == ("talks@2", "talks@1", "talks")
    assert link["event"]["link"]["relation"] == "revision"


def test_events_about_a_document_or_a_version_are_only_theirs(db_url, tmp_path):
    _history(db_url, tmp_path)
    talks = listed(db_url, "talks")
    assert talks["about"] == "talks" and talks["total"] == 10
    assert [e["seq"] for e in talks["events"]] == [0, 1, 2, 3, 4]
    first = listed(db_url, "talks@1")
    # its registration, the link that names it as parent, its annotation; not @2's registration
    assert [e["seq"] for e in first["events"]] == [1, 3, 4]
    wire = listed(db_url, "wire@2")
    assert [e["kind"] for e in wire["events"]] == [
        "version.registered",
        "link.added",
        "import.run",
    ]


def test_filters_by_actor_kind_time_and_the_last_n(db_url, tmp_path):
    _history(db_url, tmp_path)
    assert [e["seq"] for e in listed(db_url, "--actor", "bob")["events"]] == [2, 3]
    annotated = listed(db_url, "--kind", "version.annotated")["events"]
    assert len(annotated) == 1 and annotated[0]["event"]["new"]["label"] == "as printed"
    both = listed(db_url, "--kind", "document.created", "--kind", "import.run")["events"]
    assert [e["kind"] for e in both] == ["document.created", "document.created", "import.run"]
    assert listed(db_url, "--since", "2999-01-01")["events"] == []
    assert len(listed(db_url, "--until", "2999-01-01")["events"]) == 10
    assert listed(db_url, "--until", "2000-01-01")["matched"] == 0
    last = listed(db_url, "--last", "2")
    assert [e["seq"] for e in last["events"]] == [8, 9] and last["matched"] == 10
    for args, matched, seqs in [
        (["--kind", "version.registered", "--last", "1"], 4, [7]),
        (["--actor", "dave", "--last", "1"], 5, [9]),
        (["talks", "--last", "2"], 5, [3, 4]),
        (["--last", "0"], 10, []),
    ]:
        report = listed(db_url, *args)
        assert (report["matched"], [e["seq"] for e in report["events"]]) == (matched, seqs), args


def test_the_terminal_table_says_who_did_what(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    _history(db_url, tmp_path)
    result = prov(db_url, "events", "talks@1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["seq", "time", "actor", "event", "what"]
    annotation = next(line for line in lines if "annotated" in line)
    assert "carol" in annotation and "label: None -> 'as printed'" in annotation
    assert "talks@2 <- talks@1 (revision)" in result.stdout
    none = prov(db_url, "events", "--actor", "mallory")
    assert none.exit_code == 0 and "No events match" in none.stdout


def test_bad_filters_are_one_line_errors(db_url, tmp_path):
    _history(db_url, tmp_path)
    for args, needle in [
        (["--kind", "version.deleted"], "unknown event kind 'version.deleted'"),
        (["--since", "yesterday"], "since 'yesterday' is not an ISO 8601"),
        (["nosuchdoc"], "no document"),
        (["talks@9"], "talks@9"),
    ]:
        result = prov(db_url, "events", *args)
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.output and len(result.output.strip().splitlines()) == 1, result.output


def test_show_names_who_registered_the_version(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    _history(db_url, tmp_path)
    shown = json.loads(prov(db_url, "show", "talks@2", "--json").stdout)
    assert shown["registered_by"] == "bob"
    assert json.loads(prov(db_url, "show", "wire@1", "--json").stdout)["registered_by"] == "dave"
    human = prov(db_url, "show", "talks@1").stdout
    registered = next(line for line in human.splitlines() if line.startswith("registered"))
    assert registered.rstrip().endswith("by alice")


def test_a_limit_above_the_matches_lists_every_match(db_url, tmp_path):
    _history(db_url, tmp_path)
    report = listed(db_url, "talks", "--last", "50")
    assert report["matched"] == len(report["events"]) > 0
