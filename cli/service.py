"""`prov` commands for the HTTP service: serve, and the API tokens its writers present.

Loaded by `provenance_cli.app`; registered on the `app` of
`provenance_cli.group`, whose `opened` and conventions these commands share.
`serve` imports the web skin (`provenance_web`, FastAPI and uvicorn) only when
it runs, so that every other command starts without them.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from provenance.errors import InputError
from provenance_cli import render_service
from provenance_cli.group import JsonOpt, _ctx, app, handles_errors, opened

token_app = typer.Typer(
    name="token",
    help="The HTTP service's API tokens: who may change the record through it.",
    no_args_is_help=True,
)
app.add_typer(token_app)


@token_app.command("create")
@handles_errors
def token_create(
    name: Annotated[
        str,
        typer.Argument(help="The token's name: the actor the audit log records for its holder."),
    ],
    scope: Annotated[
        str,
        typer.Option(
            "--scope",
            metavar="SCOPE",
            help="write (register, link, annotate) or admin (also reindex and a full verify).",
        ),
    ] = "write",
    json: JsonOpt = False,
) -> None:
    """Make an API token and print its secret, this once: only its hash is stored.

    The creation is an event of the audit log (token.created), naming who made it.
    A name is never reused, not even after the token is revoked.
    """
    with opened(write=True) as archive:
        made = archive.create_token(name, scope)
    render_service.token_created(made, json)


@token_app.command("list")
@handles_errors
def token_list(json: JsonOpt = False) -> None:
    """Every API token, valid and revoked, by name: never a secret or a hash."""
    with opened() as archive:
        listed = archive.tokens()
    render_service.token_list(listed, json)


@token_app.command("revoke")
@handles_errors
def token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")],
    json: JsonOpt = False,
) -> None:
    """Make an API token invalid from now on (an event of the audit log, token.revoked).

    Revoking a revoked token changes nothing and keeps the first time.
    """
    with opened(write=True) as archive:
        info = archive.revoke_token(name)
    render_service.token_revoked(info, json)


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
@handles_errors
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="The address to listen on; 0.0.0.0 or a public address lets other machines in.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, metavar="N", help="Server processes.")
    ] = 1,
) -> None:
    """Serve the archive over HTTP (the API, its pages and feeds; docs/http.md) until interrupted.

    Anyone who reaches the address may read; changes need a token made with
    prov token create NAME.
    """
    with opened() as archive:  # a wrong --db fails here, in one line, before the server starts
        archive.check()
        where = archive.location.display()
    import provenance_web  # here, not at the top: FastAPI and uvicorn take time to import

    reach = "" if _is_loopback(host) else ", reachable from other machines"
    render_service.serving(where, _url(host, port), reach)
    try:
        provenance_web.serve(host, port, workers, where=_ctx.db)
    except ValueError as exc:  # a PROV_WEB_* setting the service refuses
        raise InputError(str(exc)) from None
