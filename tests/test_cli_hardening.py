"""The `prov` command under hostile input and on real media (issue 12).

Every error is one line on stderr with exit code 2 and leaves the archive as
it was (compared by a dump of every table before and after); a reference is
never silently a file; read commands work on an archive the user cannot
write; the files the tool creates are private unless asked otherwise.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from provenance import store
from provenance.errors import DatabaseError
from provenance_cli.app import app

runner = CliRunner()
PROV = [sys.executable, "-c", "from provenance_cli.app import main; main()"]
READ_COMMANDS = [
    ("log", "d"),
    ("show", "d@2"),
    ("diff", "d@1", "d@2"),
    ("trace", "d@1", "d@2"),
    ("blame", "d@2"),
    ("events",),
    ("verify",),
    ("prove", "d@2"),
    ("export", "d"),
    ("docs",),
]


def prov(db_url: str, *args: str, input: bytes | None = None):
    return runner.invoke(app, ["--db", db_url, *args], input=input)


def one_line_error(result, *needles: str) -> str:
    """The one error line of a failed command (exit 2, no traceback), checked for ``needles``."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    message = result.stderr.strip()
    assert message.startswith("prov: error: ") and "\n" not in message, message
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in message, message
    return message


def one_line_error_of(process: subprocess.CompletedProcess, *needles: str) -> str:
    """The same for a command run as its own process."""
    stderr = process.stderr.decode()
    assert process.returncode == 2, (process.returncode, stderr)
    message = stderr.strip()
    assert message.startswith("prov: error: ") and "\n" not in message, stderr
    for needle in needles:
        assert needle in message, message
    return message


def dump(url: str) -> dict[str, list[str]]:
    """Every row of every table, to tell whether a command changed the archive."""
    engine = store.open_engine(store.DatabaseLocation(url, "test"), access="read")
    try:
        with engine.connect() as conn:
            meta = sa.MetaData()
            meta.reflect(conn)
            return {
                t.name: sorted(repr(tuple(r)) for r in conn.execute(t.select()).all())
                for t in meta.sorted_tables
            }
    finally:
        engine.dispose()


def archive_with_two_versions(db_url: str, folder: Path) -> list[Path]:
    """Versions d@1 and d@2 (d@2 with an excerpt of a longer text), registered through the CLI."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, text in enumerate(["The talks resume soon.\n", "The talks resume next week.\n"], 1):
        path = folder / f"v{i}.txt"
        path.write_text(text, encoding="utf-8")
        result = prov(db_url, "register", str(path), "--doc", "d")
        assert result.exit_code == 0, result.output
        files.append(path)
    return files


def sqlite_archive(tmp_path: Path) -> tuple[str, Path]:
    """A new SQLite archive with d@1 and d@2 and a checkpoint, made through the CLI:
    (its URL, its file)."""
    file = tmp_path / "arch" / "a.db"
    url = store.to_url(str(file))
    assert prov(url, "init").exit_code == 0
    archive_with_two_versions(url, tmp_path / "src")
    keys = json.loads(runner.invoke(app, ["keygen", "--dir", str(tmp_path / "k"), "--json"]).stdout)
    assert prov(url, "checkpoint", "--key", keys["private_key"]).exit_code == 0
    return url, file


def run(*args: str, db: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", PROV_DB=db)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([*PROV, *args], env=env, cwd=cwd, timeout=120, **kwargs)


# --- one line, exit 2, nothing written ---------------------------------------


def test_a_usage_error_is_one_line_naming_the_option_not_a_panel(db_url):
    before = dump(db_url)
    message = one_line_error(prov(db_url, "events", "--last", "-1"), "--last", "prov events --help")
    assert "╭" not in message
    one_line_error(prov(db_url, "show"), "Missing argument")
    one_line_error(prov(db_url, "nosuchcommand"), "No such command")
    one_line_error(prov(db_url, "log", "d", "--limit", "many"), "--limit")
    assert dump(db_url) == before


@pytest.mark.parametrize(
    "ref", ["²", "99999999999999999999999", "d@99999999999999999999999", "d@²", "", "1\x00"]
)
def test_a_reference_that_cannot_name_a_version_is_one_line(db_url, tmp_path, ref):
    archive_with_two_versions(db_url, tmp_path / "src")
    before = dump(db_url)
    for command in (("show", ref), ("annotate", ref, "--label", "x"), ("blame", ref)):
        one_line_error(prov(db_url, *command))
    assert dump(db_url) == before


@pytest.mark.parametrize(
    "db, needles",
    [
        ("http://x", ["http://x", "not a supported database"]),
        ("mysql://h/db", ["mysql://h/db", "not a supported database"]),
        ("postgresql+psycopg2://h/db", ["not a supported database"]),
        ("postgresql://alice:s3cret@h:notaport/db", ["alice:***@h:notaport", "not a database URL"]),
        ("", ["--db is empty"]),
        ("  ", ["--db is empty"]),
    ],
)
def test_a_database_url_that_cannot_be_used_is_one_line_without_its_password(db, needles):
    for command in (("log", "d"), ("register", "-", "--doc", "d"), ("init",)):
        message = one_line_error(prov(db, *command, input=b"text"), *needles)
        assert "s3cret" not in message


def test_an_unreachable_postgresql_server_is_named_without_its_password():
    message = one_line_error(
        prov("postgresql://alice:s3cret@127.0.0.1:1/db", "log", "d"), "cannot open database"
    )
    assert "s3cret" not in message and "alice:***@" in message


def test_a_mistyped_db_path_leaves_no_empty_file_behind(tmp_path):
    sqlite_archive(tmp_path)
    typo = tmp_path / "arch" / "a.bd"
    for command in (("log", "d"), ("verify",), ("register", "-", "--doc", "d"), ("annotate", "1")):
        one_line_error(prov(str(typo), *command, input=b"text"), "no archive at", "init")
        assert not typo.exists()
    one_line_error(prov(str(tmp_path / "no" / "such" / "a.db"), "log", "d"), "no archive at")
    assert not (tmp_path / "no").exists()


def test_a_file_that_is_not_an_archive_is_one_line_and_left_as_it_was(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    one_line_error(prov(str(notes), "log", "d"), "not a database")
    one_line_error(prov(str(notes), "register", "-", "--doc", "d", input=b"x"), "not a database")
    assert notes.read_text() == "not a database\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    "command",
    [("show", "d@2"), ("show", "d@2", "--raw"), ("log", "d", "--json"), ("export", "d"), ("--help",)],
)
def test_a_full_disk_on_standard_output_is_one_line(tmp_path, command):
    url, file = sqlite_archive(tmp_path)
    before = dump(url)
    with open("/dev/full", "wb") as full:
        result = run(*command, db=str(file), stdout=full, stderr=subprocess.PIPE)
    one_line_error_of(result, "cannot write to standard output", "No space left")
    assert dump(url) == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_write_whose_report_cannot_be_printed_says_the_change_was_recorded(tmp_path):
    url, file = sqlite_archive(tmp_path)
    with open("/dev/full", "wb") as full:
        result = run("annotate", "d@1", "--label", "seen", db=str(file), stdout=full, stderr=subprocess.PIPE)
    one_line_error_of(result, "cannot write to standard output", "recorded")
    assert json.loads(prov(url, "show", "d@1", "--json").stdout)["label"] == "seen"


def _file_size_limit(limit: int):
    def apply() -> None:
        # Beyond the limit a write fails with EFBIG, as on a full disk, instead of killing us.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_init_that_runs_out_of_space_leaves_no_file_or_folder(tmp_path):
    folder = tmp_path / "new" / "place"
    result = run("init", db=str(folder / "a.db"), preexec_fn=_file_size_limit(16_384))
    one_line_error_of(result)
    assert not (tmp_path / "new").exists()


def _can_mount() -> str | None:
    """Why a private mount namespace cannot be used here, or None when it can."""
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("unshare"):
        return "needs Linux, root and unshare(1) to mount in a private namespace"
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
        timeout=30,
    )
    if probe.returncode != 0:
        return f"mounting is not allowed here: {probe.stderr.decode().strip()}"
    return None


def test_init_on_a_full_disk_leaves_nothing(tmp_path):
    why = _can_mount()
    if why:
        pytest.skip(why)
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f"mount -t tmpfs -o size=48k tmpfs {disk} && "
        f'"$@" --db {disk}/sub/a.db init; echo "rc=$?"; ls -A {disk}'
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *PROV], capture_output=True, timeout=120
    )
    out = result.stdout.decode().split()
    assert out == ["rc=2"], (out, result.stderr)  # nothing left in the mounted folder
    assert "full" in result.stderr.decode() and result.stderr.decode().count("\n") == 1


def _disk_full_on_fsync(monkeypatch):
    """Writes that fail as on a full disk: the data is handed over, then fsync says ENOSPC."""

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)


@pytest.mark.parametrize("command", ["prove", "export"])
def test_out_that_cannot_be_written_leaves_no_partial_file_and_keeps_the_old_one(
    tmp_path, monkeypatch, command
):
    url, _ = sqlite_archive(tmp_path)
    target = tmp_path / "out" / "result.json"
    target.parent.mkdir()
    args = [command, "d@2" if command == "prove" else "d", "--out"]
    one_line_error(prov(url, *args, str(tmp_path / "missing" / "x.json")), "cannot write")
    assert not (tmp_path / "missing").exists()
    with monkeypatch.context() as patch:
        _disk_full_on_fsync(patch)
        one_line_error(prov(url, *args, str(target)), str(target), "No space left")
        assert list(target.parent.iterdir()) == []
        target.write_text("the previous export\n")
        one_line_error(prov(url, *args, str(target)), str(target), "No space left")
    assert target.read_text() == "the previous export\n"
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]
    ok = prov(url, *args, str(target))
    assert ok.exit_code == 0, ok.output
    assert target.read_text().startswith("{")


def test_a_bagit_export_that_fails_leaves_no_partial_bag(tmp_path, monkeypatch):
    pytest.importorskip("bagit")
    url, _ = sqlite_archive(tmp_path)
    bag = tmp_path / "out" / "bag"
    bag.parent.mkdir()
    real = Path.write_bytes
    written = []

    def full_after_one(path, data):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        return real(path, data)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "write_bytes", full_after_one)
        one_line_error(prov(url, "export", "d", "--format", "bagit", str(bag)), str(bag), "No space")
    assert written and list(bag.parent.iterdir()) == []
    ok = prov(url, "export", "d", "--format", "bagit", str(bag))
    assert ok.exit_code == 0, ok.output
    assert (bag / "bagit.txt").is_file() and (bag / "data" / "versions" / "0002.txt").is_file()


def test_out_on_a_full_disk_leaves_no_file(tmp_path):
    why = _can_mount()
    if why:
        pytest.skip(why)
    _, file = sqlite_archive(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f"mount -t tmpfs -o size=4k tmpfs {disk} && head -c 3000 /dev/zero > {disk}/filler && "
        f'"$@" export d --out {disk}/lineage.json; echo "rc=$?"; '
        f'"$@" export d --format bagit {disk}/bag; echo "rc=$?"; ls -A {disk}'
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *PROV],
        capture_output=True,
        env=dict(os.environ, PROV_DB=str(file), NO_COLOR="1"),
        timeout=120,
    )
    assert result.stdout.decode().split() == ["rc=2", "rc=2", "filler"], result.stderr
    assert result.stderr.decode().count("\n") == 2 and "Traceback" not in result.stderr.decode()


# --- a reference is never silently a file -------------------------------------


def test_a_file_named_like_a_version_id_does_not_stand_for_a_version(db_url, tmp_path, monkeypatch):
    _, v2 = archive_with_two_versions(db_url, tmp_path / "src")
    here = tmp_path / "here"
    here.mkdir()
    (here / "1").write_bytes(v2.read_bytes())  # a file named 1 holding d@2's bytes
    monkeypatch.chdir(here)
    before = dump(db_url)
    one_line_error(prov(db_url, "annotate", "1", "--label", "retracted"), "./1", "file:1")
    for command in (("show", "1"), ("blame", "1"), ("diff", "1", "d@2"), ("events", "1")):
        one_line_error(prov(db_url, *command), "./1", "file:1")
    assert dump(db_url) == before

    for named in ("./1", "file:1"):
        shown = json.loads(prov(db_url, "show", named, "--json").stdout)
        assert shown["document"] == "d" and shown["number"] == 2
    assert prov(db_url, "annotate", "file:1", "--label", "retracted").exit_code == 0
    labels = {v["number"]: v["label"] for v in json.loads(prov(db_url, "log", "d", "--json").stdout)["versions"]}
    assert labels == {1: None, 2: "retracted"}


def test_a_bare_file_name_is_refused_and_file_colon_names_it(db_url, tmp_path, monkeypatch):
    archive_with_two_versions(db_url, tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "draft.txt").write_text("The talks resume next month.\n")
    one_line_error(prov(db_url, "diff", "d@2", "draft.txt"), "./draft.txt", "file:draft.txt")
    for named in ("file:draft.txt", "./draft.txt"):
        result = prov(db_url, "diff", "d@2", named, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["b"] is None  # the file in hand, not a version
    one_line_error(prov(db_url, "show", "file:nosuch.txt"), "nosuch.txt", "no such file")
    one_line_error(prov(db_url, "show", "file:"), "file:")


def test_a_document_key_that_is_also_a_file_is_still_the_document(db_url, tmp_path, monkeypatch):
    archive_with_two_versions(db_url, tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").write_text("a file named like the document\n")
    result = prov(db_url, "events", "d", "--json")
    assert result.exit_code == 0, result.output
    assert prov(db_url, "log", "d").exit_code == 0


# --- read-only archives -------------------------------------------------------


def test_a_read_through_the_library_never_writes_or_creates(tmp_path):
    url, _ = sqlite_archive(tmp_path)
    missing = store.DatabaseLocation(store.to_url(str(tmp_path / "typo.db")), "test")
    with pytest.raises(DatabaseError, match="no archive at"):
        store.open_engine(missing, access="read")
    assert not (tmp_path / "typo.db").exists()
    engine = store.open_engine(store.DatabaseLocation(url, "test"), access="read")
    try:
        with pytest.raises(DatabaseError, match="read-only"), store.reader(engine) as session:
            session.execute(sa.text("UPDATE version SET label = 'forged'"))
    finally:
        engine.dispose()
    assert all("forged" not in row for row in dump(url)["version"])


def test_an_archive_sqlite_cannot_keep_its_wal_files_beside_is_read_immutable(tmp_path, monkeypatch):
    """What a read-only folder or mount looks like to the library, without one: reads go
    through ``immutable=1`` and still see every version."""
    url, file = sqlite_archive(tmp_path)
    monkeypatch.setattr(store.os, "access", lambda path, mode: mode != os.W_OK)
    assert "immutable=1" in store._read_options(file)
    with pytest.raises(DatabaseError, match="read-only"):
        store.open_engine(store.DatabaseLocation(url, "test"), access="write")
    engine = store.open_engine(store.DatabaseLocation(url, "test"), access="read")
    try:
        with store.reader(engine) as session:
            assert session.execute(sa.text("SELECT count(*) FROM version")).scalar() == 2
    finally:
        engine.dispose()


def _as_other_user() -> list[str] | None:
    """A command prefix that runs as a user without write access to our files, or None."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return None
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import provenance_cli.app"], capture_output=True, timeout=60
    )
    return prefix if probe.returncode == 0 else None


@pytest.fixture
def open_folder():
    """A folder other users can reach (pytest's own are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="prov-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in (folder, *folder.rglob("*")):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def test_every_read_command_works_on_an_archive_the_user_cannot_write(open_folder):
    prefix = _as_other_user()
    if prefix is None:
        pytest.skip(
            "running as root, and no other user can run prov here (no setpriv, or the checkout "
            "or its .venv is in a folder other users cannot enter, such as a 0700 mktemp -d): "
            "chmod does not stop root; the library's read-only mode is tested above"
        )
    tmp_path = open_folder
    url, file = sqlite_archive(tmp_path)
    before = dump(url)
    (tmp_path / "src").chmod(0o755)
    for source in (tmp_path / "src").iterdir():
        source.chmod(0o644)
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    file.chmod(0o444)
    file.parent.chmod(0o555)
    try:
        env = dict(os.environ, NO_COLOR="1", PROV_DB=str(file), HOME=str(out))
        for command in [*READ_COMMANDS, ("identify", str(tmp_path / "src" / "v2.txt"))]:
            result = subprocess.run([*prefix, *PROV, *command], capture_output=True, env=env, timeout=120)
            assert result.returncode == 0, (command, result.stderr.decode())
        exported = subprocess.run(
            [*prefix, *PROV, "export", "d", "--format", "bagit", str(out / "bag")], capture_output=True, env=env
        )
        assert exported.returncode == 0, exported.stderr.decode()
        for command in (("annotate", "d@1", "--label", "x"), ("register", "-", "--doc", "e"), ("init",)):
            result = subprocess.run([*prefix, *PROV, *command], capture_output=True, env=env, input=b"new", timeout=120)
            one_line_error_of(result, "the archive is read-only", str(file))
        assert sorted(p.name for p in file.parent.iterdir()) == ["a.db"]
    finally:
        file.parent.chmod(0o755)
        file.chmod(0o644)
    assert dump(url) == before


def test_every_read_command_works_on_a_read_only_mount(tmp_path):
    why = _can_mount()
    if why:
        pytest.skip(why)
    url, file = sqlite_archive(tmp_path)
    before = dump(url)
    mounted = tmp_path / "mnt"
    mounted.mkdir()
    reads = [*READ_COMMANDS, ("identify", str(tmp_path / "src" / "v2.txt"))]
    commands = [*reads, ("annotate", "d@1", "--label", "x")]
    lines = [f"mount --bind {file.parent} {mounted} && mount -o remount,bind,ro {mounted} || exit 99"]
    for command in commands:
        lines.append(f'"$@" {" ".join(command)} >/dev/null 2>>{tmp_path}/err; echo $?')
    lines.append(f"ls -A {mounted}")
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", "\n".join(lines), "sh", *PROV],
        capture_output=True,
        env=dict(os.environ, PROV_DB=str(mounted / "a.db"), NO_COLOR="1"),
        timeout=300,
    )
    assert result.returncode != 99, result.stderr
    codes = result.stdout.decode().split()
    assert codes == ["0"] * len(reads) + ["2", "a.db"], (codes, (tmp_path / "err").read_text())
    assert "read-only file system" in (tmp_path / "err").read_text()
    assert dump(url) == before


# --- private files ------------------------------------------------------------


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_archive_is_private_even_under_umask_022(tmp_path, umask_022):
    file = tmp_path / "new" / "deeper" / "a.db"
    assert prov(str(file), "init").exit_code == 0
    assert mode(file) == 0o600
    assert mode(file.parent) == mode(file.parent.parent) == 0o700
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    assert prov(str(existing / "a.db"), "init").exit_code == 0
    assert mode(existing / "a.db") == 0o600 and mode(existing) == 0o755


def test_wal_and_shm_files_take_the_archive_files_mode(tmp_path, umask_022):
    for shared, expected in ((False, 0o600), (True, 0o660)):
        file = tmp_path / str(shared) / "a.db"
        args = ["init", "--shared"] if shared else ["init"]
        assert prov(str(file), *args).exit_code == 0
        engine = store.open_engine(store.DatabaseLocation(store.to_url(str(file)), "test"), access="write")
        try:
            with store.transaction(engine) as session:
                session.execute(sa.text("UPDATE document SET key = key"))
                wal, shm = Path(f"{file}-wal"), Path(f"{file}-shm")
                assert wal.exists() and shm.exists()
                assert mode(file) == mode(wal) == mode(shm) == expected
        finally:
            engine.dispose()


def test_init_shared_makes_a_group_archive(tmp_path, umask_022):
    file = tmp_path / "group" / "a.db"
    assert prov(str(file), "init", "--shared").exit_code == 0
    assert mode(file) == 0o660
    assert mode(file.parent) & 0o770 == 0o770 and not mode(file.parent) & 0o007


def test_checkpoint_refuses_a_private_key_others_can_read(db_url, tmp_path):
    archive_with_two_versions(db_url, tmp_path / "src")
    keys = json.loads(runner.invoke(app, ["keygen", "--dir", str(tmp_path / "k"), "--json"]).stdout)
    key = Path(keys["private_key"])
    key.chmod(0o644)
    before = dump(db_url)
    one_line_error(prov(db_url, "checkpoint", "--key", str(key)), str(key), "chmod 600")
    assert dump(db_url) == before
    key.chmod(0o600)
    assert prov(db_url, "checkpoint", "--key", str(key)).exit_code == 0
    assert len(json.loads(prov(db_url, "checkpoint", "--list", "--json").stdout)) == 1


def test_an_archive_not_in_wal_mode_is_read_without_being_changed(tmp_path):
    """A read does not switch the journal mode (a write), so a copy made in rollback mode stays
    byte for byte what it was."""
    url, file = sqlite_archive(tmp_path)
    conn = sqlite3.connect(file)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    before = file.read_bytes()
    assert prov(url, "log", "d").exit_code == 0
    assert file.read_bytes() == before
