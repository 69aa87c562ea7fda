"""The documented JSON schemas are the ones the code produces, for every command."""

from __future__ import annotations

from pathlib import Path

import typer

from provenance_cli.app import app
from provenance_cli.contracts import CONTRACTS, schemas

DOCS = Path(__file__).resolve().parents[1] / "docs" / "json"


def test_checked_in_json_schemas_match_the_code():
    expected = schemas()
    stale = [
        name
        for name, text in expected.items()
        if not (DOCS / name).is_file() or (DOCS / name).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"regenerate with: python -m provenance_cli.contracts docs/json ({stale})"
    extra = {p.name for p in DOCS.glob("*.schema.json")} - set(expected)
    assert not extra, f"schemas for commands that no longer exist: {extra}"


def test_every_command_with_json_output_has_a_documented_contract():
    group = typer.main.get_command(app)
    with_json = {
        name
        for name, command in group.commands.items()
        if any(param.name == "json" for param in command.params)
    }
    assert with_json == set(CONTRACTS)


def test_checked_in_cli_reference_matches_the_commands_help():
    from provenance_cli.reference import reference

    path = DOCS.parent / "cli.md"
    assert path.is_file() and path.read_text(encoding="utf-8") == reference(), (
        "regenerate with: python -m provenance_cli.reference docs/cli.md"
    )
