"""The service's commands as a user meets them: API tokens, `prov serve`, and the
hardening options (verify --deep, import --allow-outside and --max-size, a bounded
standard input), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import sqlalchemy as sa
from typer.testing import CliRunner

from provenance import store, text, tokens
from provenance_cli.app import app

from .test_cli_hardening import dump, one_line_error

runner = CliRunner()
PROV = [sys.executable, "-c", "from provenance_cli.app import main; main()"]


def prov(db_url: str, *args: str, input: bytes | None = None):
    return runner.invoke(app, ["--db", db_url, *args], input=input)


def ok(result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output)
    return result.stdout


def authenticate(db_url: str, secret: str) -> tokens.TokenInfo | None:
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"), access="read")
    try:
        with store.reader(engine) as session:
            return tokens.authenticate(session, secret)
    finally:
        engine.dispose()


# --- tokens ------------------------------------------------------------------


def test_a_token_made_listed_and_revoked_shows_its_secret_once_and_is_in_the_audit_log(db_url):
    made = prov(db_url, "--as", "alice", "token", "create", "ingest-bot")
    secret = ok(made).strip()
    assert secret.startswith("prov_") and "\n" not in secret  # the secret alone on stdout
    assert "shown only now" in made.stderr and secret not in made.stderr
    assert authenticate(db_url, secret).name == "ingest-bot"

    admin = json.loads(ok(prov(db_url, "--as", "alice", "token", "create", "root", "--scope", "admin", "--json")))
    assert admin["scope"] == "admin" and admin["secret"].startswith("prov_")
    assert authenticate(db_url, admin["secret"]).scope == "admin"

    listed = ok(prov(db_url, "token", "list"))
    lines = listed.splitlines()
    assert lines[0].split() == ["name", "scope", "created", "revoked"]
    assert lines[1].split()[:2] == ["ingest-bot", "write"] and lines[1].split()[-1] == "-"
    assert lines[1].index("write") == lines[2].index("admin") == lines[0].index("scope")  # aligned
    assert secret not in listed and admin["secret"] not in listed

    revoked = json.loads(ok(prov(db_url, "--as", "bob", "token", "revoke", "ingest-bot", "--json")))
    assert revoked["name"] == "ingest-bot" and revoked["revoked_at"] is not None
    assert "secret" not in revoked
    assert authenticate(db_url, secret).revoked_at == revoked["revoked_at"]
    again = json.loads(ok(prov(db_url, "token", "revoke", "ingest-bot", "--json")))
    assert again["revoked_at"] == revoked["revoked_at"]  # the first time is kept
    rows = json.loads(ok(prov(db_url, "token", "list", "--json")))
    assert [(r["name"], r["revoked_at"] is not None) for r in rows] == [("ingest-bot", True), ("root", False)]

    events = ok(prov(db_url, "events", "--json"))
    seen = [(e["kind"], e["actor"], e["event"]["token"]["name"]) for e in json.loads(events)["events"]]
    assert seen == [
        ("token.created", "alice", "ingest-bot"),
        ("token.created", "alice", "root"),
        ("token.revoked", "bob", "ingest-bot"),
    ]  # revoking again recorded nothing
    stored = json.dumps(dump(db_url))
    for secret_made in (secret, admin["secret"]):
        assert secret_made not in events and secret_made not in stored
        assert secret_made.removeprefix("prov_") not in stored
    full_hash = tokens.secret_hash(secret).removeprefix("sha256:")
    assert full_hash[:16] in events and full_hash not in events  # only the hash's first digits
    assert "token made" in ok(prov(db_url, "events")) and ok(prov(db_url, "verify"))


def test_token_mistakes_are_one_line_and_change_nothing(db_url):
    ok(prov(db_url, "token", "create", "bot"))
    before = dump(db_url)
    one_line_error(prov(db_url, "token", "create", "bot"), "exists already")
    one_line_error(prov(db_url, "token", "create", "other", "--scope", "read"), "scope", "write, admin")
    one_line_error(prov(db_url, "token", "create", "two\nlines"), "token name")
    one_line_error(prov(db_url, "token", "revoke", "nobody"), "no token named")
    one_line_error(prov(db_url, "token", "frobnicate"), "prov token --help")
    assert dump(db_url) == before


def test_a_token_row_put_in_behind_the_tools_back_fails_verify(db_url):
    ok(prov(db_url, "token", "create", "bot"))
    engine = store.open_engine(store.DatabaseLocation(db_url, "test"))
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO api_token (name, scope, hash, created_at) "
                    "VALUES ('mallory', 'admin', :hash, '2026-01-01T00:00:00Z')"
                ),
                {"hash": tokens.secret_hash("prov_known-to-mallory")},
            )
    finally:
        engine.dispose()
    result = prov(db_url, "verify")
    assert result.exit_code == 1
    assert 'API token 2 ("mallory") has no token.created event' in result.stdout


# --- prov serve --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_prov_serve_answers_the_api_and_takes_writes_only_with_a_valid_token(db_url, tmp_path):
    bot = ok(prov(db_url, "token", "create", "bot")).strip()
    gone = ok(prov(db_url, "token", "create", "gone")).strip()
    ok(prov(db_url, "token", "revoke", "gone"))
    port = _free_port()
    env = dict(os.environ, NO_COLOR="1", PROV_DB=db_url)
    server = subprocess.Popen(
        [*PROV, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"{base}/api/documents", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stderr.read().decode()) from None
                time.sleep(0.05)
        assert answer.status_code == 200 and answer.json() == []
        url = f"{base}/api/documents/notes/versions"
        assert httpx.post(url, content=b"a note\n").status_code == 401
        refused = httpx.post(url, content=b"a note\n", headers={"Authorization": f"Bearer {gone}"})
        assert refused.status_code == 401 and "revoked" in refused.text
        made = httpx.post(url, content=b"a note\n", headers={"Authorization": f"Bearer {bot}"})
        assert made.status_code == 201, made.text
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    first = stderr.decode().splitlines()[0]
    assert first == (
        f"serving {store.resolve(db_url).display()} on http://127.0.0.1:{port}/; "
        "changes need a token (prov token create NAME)"
    )
    assert [v["number"] for v in json.loads(ok(prov(db_url, "log", "notes", "--json")))["versions"]] == [1]
    registered = json.loads(ok(prov(db_url, "events", "--kind", "version.registered", "--json")))
    assert [e["actor"] for e in registered["events"]] == ["bot"]


def test_prov_serve_on_a_missing_archive_is_one_line_before_any_server_starts(tmp_path):
    missing = tmp_path / "none.db"
    result = prov(str(missing), "serve", "--port", str(_free_port()))
    one_line_error(result, "no archive at")
    assert not missing.exists()


def test_the_help_and_other_commands_start_without_the_web_skin():
    probe = (
        "import sys\n"
        "from provenance_cli.app import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'provenance_web', 'starlette') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


# --- verify --deep -----------------------------------------------------------


def test_verify_deep_recomputes_the_index_of_every_content(db_url, tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    n = 20  # more than the full check's sample (verify.INDEX_SAMPLE)
    lines = []
    for i in range(n):
        (folder / f"t{i}.txt").write_text(f"Text number {i} of the deep check, with words {i * 7}.\n")
        lines.append(json.dumps({"path": f"t{i}.txt", "doc": f"d{i}"}))
    (folder / "m.jsonl").write_text("\n".join(lines) + "\n")
    ok(prov(db_url, "import", str(folder / "m.jsonl")))
    usual = json.loads(ok(prov(db_url, "verify", "--json")))
    deep = json.loads(ok(prov(db_url, "verify", "--deep", "--json")))
    assert deep["ok"] and deep["contents"] == n
    assert deep["index_checked"] == n > usual["index_checked"]
    one_line_error(prov(db_url, "verify", "--deep", "--quick"), "--quick or --deep")


# --- import --allow-outside and --max-size -------------------------------------


def test_import_reads_outside_its_folder_only_with_allow_outside(db_url, tmp_path):
    (tmp_path / "outside.txt").write_text("A file beside the manifest's folder.\n")
    folder = tmp_path / "batch"
    folder.mkdir()
    manifest = folder / "m.jsonl"
    manifest.write_text(json.dumps({"path": "../outside.txt", "doc": "out"}) + "\n")
    before = dump(db_url)
    one_line_error(prov(db_url, "import", str(manifest)), "--allow-outside")
    assert dump(db_url) == before
    report = json.loads(ok(prov(db_url, "import", str(manifest), "--allow-outside", "--json")))
    assert report["versions"] == 1 and report["documents"] == ["out"]


def test_import_max_size_bounds_each_file(db_url, tmp_path):
    (tmp_path / "big.txt").write_text("x" * 100 + "\n")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"path": "big.txt", "doc": "big"}) + "\n")
    before = dump(db_url)
    one_line_error(prov(db_url, "import", str(manifest), "--max-size", "64"), "over the limit of 64")
    assert dump(db_url) == before
    ok(prov(db_url, "import", str(manifest), "--max-size", "1000"))
    one_line_error(prov(db_url, "import", str(manifest), "--max-size", "0"), "--max-size")


# --- standard input ------------------------------------------------------------


def test_standard_input_over_the_size_limit_is_refused_in_one_line(db_url):
    before = dump(db_url)
    result = prov(db_url, "register", "-", "--doc", "huge", input=b"x" * (text.MAX_SIZE + 1))
    one_line_error(result, "<stdin>", f"over the limit of {text.MAX_SIZE}")
    assert dump(db_url) == before
    result = prov(db_url, "identify", "-", input=b"y" * (text.MAX_SIZE + 1))
    one_line_error(result, "<stdin>", "over the limit")

