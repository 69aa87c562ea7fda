"""Who may do what: bearer tokens (`provenance.tokens`) checked per request.

Reads need no token unless the settings close them; every route that
changes the record needs a ``write`` token, the costly ones an ``admin``
token. A request is answered by an `Archive` whose actor is the token's
name, so the audit log says which token did what. Those archives are opened
once per name and kept (`Actors`), since opening one costs an engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from provenance import Archive, tokens
from provenance_web.errors import ApiError

bearer = HTTPBearer(auto_error=False, description="A token made with `prov token create NAME`.")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="provenance"'}


class Actors:
    """One `Archive` per acting token name, on the app's archive's database."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._by_name: dict[str, Archive] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Archive:
        with self._lock:
            found = self._by_name.get(name)
            if found is None:
                found = self._by_name[name] = Archive(self.archive.location.url, actor=name)
            return found

    def close(self) -> None:
        with self._lock:
            for archive in self._by_name.values():
                archive.close()
            self._by_name.clear()


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> tokens.TokenInfo | None:
    if credentials is None:
        if request.headers.get("authorization"):
            raise ApiError(401, "unauthorized", "give the token as: Authorization: Bearer TOKEN", _CHALLENGE)
        return None
    archive: Archive = request.app.state.archive
    found = archive.authenticate(credentials.credentials)
    if found is None:
        raise ApiError(401, "invalid_token", "the token is not valid", _CHALLENGE)
    if found.revoked_at is not None:
        raise ApiError(401, "revoked_token", "the token was revoked", _CHALLENGE)
    return found


def needs(scope: str | None) -> Callable[..., Archive]:
    """A dependency: the `Archive` to answer with, once the request may do what needs
    ``scope`` (None: a read)."""

    def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Archive:
        token = _token(request, credentials)
        if token is None:
            if scope is None and request.app.state.settings.reads_open:
                return request.app.state.archive
            what = "reading" if scope is None else "this change"
            raise ApiError(401, "unauthorized", f"{what} needs a token: Authorization: Bearer TOKEN", _CHALLENGE)
        if scope is not None and not tokens.allows(token.scope, scope):
            raise ApiError(403, "forbidden", f"this needs a token of scope {scope}; this one is {token.scope}")
        return request.app.state.actors.get(token.name)

    return dependency


reader = needs(None)
writer = needs("write")
admin = needs("admin")
