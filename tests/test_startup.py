"""`prov --help` starts without the heavy libraries (issue 11: start-up).

Each check runs in a fresh interpreter, since this test process has long
imported the whole library. Not timed: what is pinned is which modules load;
benchmarks/scale.py measures the CPU time.
"""

from __future__ import annotations

import json
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
