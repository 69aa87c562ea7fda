"""API tokens: who may change the record through the HTTP service.

A token is a name, a scope and a secret. The secret (``prov_`` and 32 random
bytes in URL-safe base64) is returned once, by `create`, and stored only as
its SHA-256 hash: a copy of the database lets nobody act as anyone. A
presented secret is hashed, looked up by that hash and compared with
`hmac.compare_digest`. The name is the actor the audit log records for what
the token's holder does, so it obeys the actor's rules and is never reused,
not even after `revoke` (an old event's actor stays one holder).

Making and revoking a token are changes to the record: each appends an
event (``token.created``, ``token.revoked``, see `provenance.audit`) in the
caller's transaction, naming who did it; the event carries the first digits
of the hash, never the secret.

Scopes, each including the ones before it: ``write`` (register, link,
annotate), ``admin`` (also what costs the whole archive: reindex, a full
verify).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from provenance import audit, validate
from provenance.errors import InputError, NotFoundError
from provenance.models import ApiToken

SCOPES = ("write", "admin")
SECRET_PREFIX = "prov_"
SECRET_BYTES = 32
_HASH_PREFIX = "sha256:"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed: never its secret nor its hash."""

    name: str
    scope: str  # write or admin
    created_at: str
    revoked_at: str | None  # None while the token is valid


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """What `create` made; ``secret`` is shown this once and stored nowhere."""

    name: str
    scope: str
    created_at: str
    secret: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def secret_hash(secret: str) -> str:
    return _HASH_PREFIX + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise InputError(f"unknown token scope {validate.shown(scope)}; use one of {', '.join(SCOPES)}")
    return scope


def allows(scope: str, needed: str) -> bool:
    """Whether a token of ``scope`` may do what needs ``needed``."""
    return SCOPES.index(scope) >= SCOPES.index(needed)


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.name, row.scope, row.created_at, row.revoked_at)


def create(
    session: Session, name: str, scope: str = "write", *, actor: str = audit.UNKNOWN_ACTOR
) -> CreatedToken:
    """A new token called ``name``, made by ``actor`` (recorded in the audit log);
    refused when a token (even a revoked one) has that name."""
    validate.actor(name, field="token name")
    validate.actor(actor)
    check_scope(scope)
    if session.exec(select(ApiToken.id).where(ApiToken.name == name)).first() is not None:
        raise InputError(f"a token named {validate.shown(name)} exists already (names are never reused)")
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    row = ApiToken(name=name, scope=scope, hash=secret_hash(secret), created_at=_now())
    session.add(row)
    session.flush()
    audit.token_created(session, row, actor)
    return CreatedToken(row.name, row.scope, row.created_at, secret)


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token, valid and revoked, by name."""
    return [_info(r) for r in session.exec(select(ApiToken).order_by(ApiToken.name)).all()]


def revoke(session: Session, name: str, *, actor: str = audit.UNKNOWN_ACTOR) -> TokenInfo:
    """Make the token called ``name`` invalid from now on, as ``actor`` (recorded in the
    audit log); revoking twice keeps the first time and records nothing more."""
    validate.actor(actor)
    row = session.exec(select(ApiToken).where(ApiToken.name == name)).first()
    if row is None:
        raise NotFoundError(f"no token named {validate.shown(name)}")
    if row.revoked_at is None:
        row.revoked_at = _now()
        session.add(row)
        session.flush()
        audit.token_revoked(session, row, actor)
    return _info(row)


def authenticate(session: Session, secret: str) -> TokenInfo | None:
    """The token whose secret this is (revoked or not: see ``revoked_at``), or None."""
    presented = secret_hash(secret)
    row = session.exec(select(ApiToken).where(ApiToken.hash == presented)).first()
    stored = row.hash if row is not None else _HASH_PREFIX + "0" * 64
    if not hmac.compare_digest(stored.encode("ascii"), presented.encode("ascii")) or row is None:
        return None
    return _info(row)
