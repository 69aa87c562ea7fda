"""How the service commands' results look (see `render` for the conventions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from provenance_cli.render import _json, note, out

if TYPE_CHECKING:
    from provenance.tokens import CreatedToken, TokenInfo


def token_created(made: CreatedToken, as_json: bool) -> None:
    """The secret alone on standard output (``> file`` keeps just it); what it is on stderr."""
    if as_json:
        return _json(made)
    out.file.write(made.secret + "\n")
    out.file.flush()
    note(
        f"token {made.name} ({made.scope}) created: its secret, above, is shown only now "
        "(only its hash is stored); send it as Authorization: Bearer SECRET"
    )


def token_list(listed: list[TokenInfo], as_json: bool) -> None:
    if as_json:
        from provenance.tokens import TokenInfo

        return _json(listed, list[TokenInfo])
    if not listed:
        out.print("No API tokens yet: make one with prov token create NAME")
        return
    table = Table(box=None, pad_edge=False)
    for col in ("name", "scope", "created", "revoked"):
        table.add_column(col, no_wrap=True)
    for t in listed:
        table.add_row(t.name, t.scope, _when(t.created_at), _when(t.revoked_at) if t.revoked_at else "-")
    out.print(table)


def token_revoked(info: TokenInfo, as_json: bool) -> None:
    if as_json:
        return _json(info)
    out.print(Text(f"token {info.name} revoked at {_when(info.revoked_at or '')}"), soft_wrap=True)


def serving(database: str, url: str, reach: str) -> None:
    note(f"serving {database} on {url}{reach}; changes need a token (prov token create NAME)")


def _when(time: str) -> str:
    return time.replace("T", " ")[:19]
