"""docs/cli.md, generated from the commands' own --help so the reference cannot drift.

Run ``python -m provenance_cli.reference docs/cli.md``; a test fails when the
checked-in file differs from what the code produces.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from provenance_cli.app import app

WIDTH = "100"


def _help(args: list[str]) -> str:
    env = {"COLUMNS": WIDTH, "NO_COLOR": "1", "TERM": "dumb", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    result = CliRunner().invoke(app, [*args, "--help"], env=env, prog_name="prov")
    return "\n".join(line.rstrip() for line in result.stdout.splitlines()).strip("\n")


def reference() -> str:
    group = typer.main.get_command(app)
    parts = [
        "# prov command reference",
        "",
        "Generated from the commands' `--help` by `python -m provenance_cli.reference docs/cli.md`;",
        "the JSON printed by each command's `--json` is described in [json/](json/).",
        "",
        "```",
        _help([]),
        "```",
    ]
    for path in _paths(group, []):
        parts += ["", f"## prov {' '.join(path)}", "", "```", _help(path), "```"]
    return "\n".join(parts) + "\n"


def _paths(group: TyperGroup, above: list[str]) -> list[list[str]]:
    """Every command's path under ``group``, a sub-group's (``token``) before its commands."""
    out = []
    for name in sorted(group.commands):
        command = group.commands[name]
        out.append([*above, name])
        if isinstance(command, TyperGroup):
            out += _paths(command, [*above, name])
    return out


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("COLUMNS", WIDTH)
    Path(sys.argv[1] if len(sys.argv) > 1 else "docs/cli.md").write_text(
        reference(), encoding="utf-8"
    )
