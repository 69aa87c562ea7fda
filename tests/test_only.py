"""Issue 9: ``--only KIND`` on diff, trace and log, as each skin shows it.

The filter is the library's (`tests/test_front.py` checks the reports); here a
user sees the kept edits and is told how many of other kinds were left out, on
the command line, over HTTP and on the compare page. The revision changes one
number (12 to 15) and one word (praised to criticised).
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from provenance import Archive
from provenance_cli.app import app
from provenance_web.app import create_app

BEFORE = b"The council approved 12 new parks on Monday.\nThe mayor praised the plan.\n"
AFTER = b"The council approved 15 new parks on Monday.\nThe mayor criticised the plan.\n"

runner = CliRunner()


@pytest.fixture
def parks(db_url) -> str:
    with Archive(db_url, actor="desk") as archive:
        archive.register(BEFORE, doc="parks")
        archive.register(AFTER, doc="parks")
    return db_url


def prov(db_url: str, *args: str):
    result = runner.invoke(app, ["--db", db_url, *args], env={"COLUMNS": "200", "NO_COLOR": "1"})
    return result


def test_prov_diff_only_number_says_the_wording_edit_was_left_out(parks):
    shown = prov(parks, "diff", "parks@1", "parks@2", "--only", "number")
    assert shown.exit_code == 0, shown.output
    assert "showing the 1 number edit (--only); 1 edit of other kinds left out" in shown.stdout
    assert "{+15+}" in shown.stdout or "15" in shown.stdout
    assert "criticised" not in shown.stdout


def test_prov_trace_only_number_shows_the_number_and_says_what_it_left_out(parks):
    shown = prov(parks, "trace", "parks@1", "parks@2", "--only", "number")
    assert shown.exit_code == 0, shown.output
    assert "only number;" in shown.stdout and "of other kinds left out" in shown.stdout
    assert "showing the 1 number edit (--only); 1 edit of other kinds left out" in shown.stdout
    assert "criticised" not in shown.stdout
    document = json.loads(prov(parks, "trace", "parks@1", "parks@2", "--only", "number", "--json").stdout)
    assert document["only"] == "number"
    assert [(e["old"], e["new"]) for e in document["net"]["edits"]] == [("12", "15")]
    assert document["net"]["hidden"] == 1
    (step,) = document["steps"]
    assert step["kinds"] == [["number", 1]] and step["hidden"] >= 1


def test_prov_trace_without_only_hides_nothing(parks):
    document = json.loads(prov(parks, "trace", "parks@1", "parks@2", "--json").stdout)
    assert document["only"] is None and document["net"]["hidden"] == 0
    assert {k for k, _ in document["net"]["kinds"]} == {"number", "wording"}
    assert "left out" not in prov(parks, "trace", "parks@1", "parks@2").stdout


def test_prov_log_only_wording_counts_the_wording_and_says_the_number_was_left_out(parks):
    shown = prov(parks, "log", "parks", "--only", "wording")
    assert shown.exit_code == 0, shown.output
    assert "(edits counted: wording only, --only)" in shown.stdout
    assert "of other kinds left out (--only)" in shown.stdout
    assert "number changed" not in shown.stdout
    document = json.loads(prov(parks, "log", "parks", "--only", "wording", "--json").stdout)
    (link,) = document["versions"][1]["parents"]
    assert document["only"] == "wording" and [k for k, _ in link["kinds"]] == ["wording"]
    assert link["hidden"] >= 1


@pytest.mark.parametrize("command", [["diff", "parks@1", "parks@2"], ["trace", "parks@1", "parks@2"], ["log", "parks"]])
def test_an_unknown_kind_is_one_line_and_exit_code_2(parks, command):
    refused = prov(parks, *command, "--only", "typo")
    assert refused.exit_code == 2
    assert refused.stderr.strip().startswith("prov: error: unknown edit kind 'typo'")
    assert len(refused.stderr.strip().splitlines()) == 1


def test_the_api_trace_takes_only_as_prov_trace_does(parks):
    with TestClient(create_app(parks), raise_server_exceptions=False) as api:
        answer = api.get("/api/trace", params={"a": "parks@1", "b": "parks@2", "only": "number"})
        assert answer.status_code == 200, answer.text
        cli = json.loads(prov(parks, "trace", "parks@1", "parks@2", "--only", "number", "--json").stdout)
        assert answer.json() == cli
        refused = api.get("/api/trace", params={"a": "parks@1", "b": "parks@2", "only": "typo"})
        assert refused.status_code == 422 and "unknown value 'typo'" in refused.json()["message"]
        assert "'number'" in refused.json()["message"]  # the kinds it could be


def test_the_compare_page_filters_by_kind_and_says_what_it_left_out(parks):
    with TestClient(create_app(parks)) as client:
        form = client.get("/compare").text
        assert '<select id="only" name="only">' in form and '<option value="number"' in form
        page = client.get("/compare", params={"a": "parks@1", "b": "parks@2", "only": "number"}).text
        assert "<strong>Only number edits:</strong> 1 shown; 1 edit of other kinds left out." in page
        assert '<option value="number" title=' in page and "selected" in page
        assert 'data-kind="number"' in page and 'data-kind="wording"' not in page
        every = client.get("/compare", params={"a": "parks@1", "b": "parks@2"}).text
        assert 'data-kind="wording"' in every and "Only number edits" not in every
