"""`prov --help` starts without the heavy libraries (issue 11: start-up).

Each check runs in a fresh interpreter, since this test process has long
imported the whole library. Not timed: what is pinned is which modules load;
benchmarks/scale.py measures the CPU time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.main import get_command

from provenance_cli.app import app

HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "numpy",
    "cryptography",
    "fastapi",
    "uvicorn",
    "zstandard",
    "rapidfuzz",
    "fast_diff_match_patch",
)

_PROBE = """
import json, sys
from typer.testing import CliRunner
from provenance_cli.app import app
result = CliRunner().invoke(app, sys.argv[1:])
assert result.exit_code == 0, result.output
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _loaded_by(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


def _commands() -> list[list[str]]:
    group = get_command(app)
    paths = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        if subcommands:
            paths += [[name, sub] for sub in subcommands]
        paths.append([name])
    return paths


def test_prov_help_loads_no_heavy_library():
    assert _loaded_by("--help") & set(HEAVY) == set()


def test_a_commands_help_loads_no_heavy_library():
    for args in (
        ["log", "--help"],
        ["events", "--help"],
        ["checkpoint", "--help"],
        ["serve", "--help"],
    ):
        assert _loaded_by(*args) & set(HEAVY) == set(), args


@pytest.mark.parametrize("path", _commands(), ids=" ".join)
def test_every_commands_help_works(path):
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_the_help_texts_library_values_are_their_owners():
    from provenance import audit, identify, kinds, proofs
    from provenance_cli import group

    assert tuple(kinds.KINDS) == group.EDIT_KINDS
    assert group.EVENT_KINDS == audit.KINDS
    assert group.DEFAULT_ORIGIN == proofs.DEFAULT_ORIGIN
    assert group.DEFAULT_TOP == identify.DEFAULT_TOP


# A `prov log` of a small SQLite archive needs the ORM and the stored records;
# these it never calls, so they must not load (each cost it 0.02-0.09 s of CPU:
# numpy alone was 0.09 of 0.71 s). The HTTP stack and the proofs' cryptography
# load only for `serve`, `checkpoint`, `prove` and `verify`.
NOT_FOR_A_LOG = ("numpy", "cryptography", "fastapi", "uvicorn", "httpx", "jieba", "lxml")


def _modules_loaded_by(db: str, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.replace("m.split(\".\")[0]", "m"), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PROV_DB": db, "NO_COLOR": "1"},
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_log_loads_neither_numpy_nor_the_other_backend(tmp_path):
    from typer.testing import CliRunner

    db = f"sqlite:///{tmp_path / 'a.db'}"
    (tmp_path / "one.txt").write_text("Mayor opens the bridge on Monday.\n")
    (tmp_path / "two.txt").write_text("The mayor opened the bridge on Tuesday, 3 May.\n")
    runner = CliRunner(env={"PROV_DB": db})
    assert runner.invoke(app, ["init"]).exit_code == 0
    for name in ("one.txt", "two.txt"):
        done = runner.invoke(app, ["register", str(tmp_path / name), "--doc", "bridge"])
        assert done.exit_code == 0, done.output
    loaded = _modules_loaded_by(db, "log", "bridge")
    assert "provenance.archive" in loaded  # the probe really ran the log
    assert {m.split(".")[0] for m in loaded} & set(NOT_FOR_A_LOG) == set()
    assert not any(m.startswith("sqlalchemy.dialects.postgresql") for m in loaded)
