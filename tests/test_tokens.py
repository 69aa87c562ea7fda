"""API tokens (`provenance.tokens`): a secret shown once, stored only as its hash, on both backends."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from provenance import store, tokens
from provenance.errors import InputError, NotFoundError


@pytest.fixture
def write(engine):
    def run(fn, *args):
        with store.transaction(engine) as session:
            return fn(session, *args)

    return run


def _stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT * FROM api_token"))]


def test_the_secret_is_returned_once_and_only_its_hash_is_stored(engine, write):
    made = write(tokens.create, "ingest-bot", "write")
    assert made.secret.startswith("prov_") and len(made.secret) > 40
    rows = _stored(engine)
    assert len(rows) == 1
    assert not any(made.secret in str(value) for value in rows[0])
    assert f"sha256:{hashlib.sha256(made.secret.encode()).hexdigest()}" in rows[0]
    listed = write(tokens.list_tokens)
    assert [(t.name, t.scope, t.revoked_at) for t in listed] == [("ingest-bot", "write", None)]
    assert made.secret not in repr(listed)


def test_a_secret_authenticates_its_token_and_nothing_else_does(write):
    bot = write(tokens.create, "bot", "write")
    root = write(tokens.create, "root", "admin")
    assert write(tokens.authenticate, bot.secret).name == "bot"
    assert write(tokens.authenticate, root.secret).scope == "admin"
    for wrong in ("", "prov_", bot.secret[:-1], bot.secret + "x", root.secret.upper()):
        assert write(tokens.authenticate, wrong) is None
    assert tokens.allows("admin", "write") and not tokens.allows("write", "admin")


def test_two_tokens_never_share_a_secret(write):
    secrets = {write(tokens.create, f"t{i}").secret for i in range(20)}
    assert len(secrets) == 20


def test_a_revoked_token_stays_listed_as_revoked_and_its_name_is_not_reused(write):
    made = write(tokens.create, "temp")
    first = write(tokens.revoke, "temp")
    assert first.revoked_at is not None
    assert write(tokens.revoke, "temp").revoked_at == first.revoked_at
    assert write(tokens.authenticate, made.secret).revoked_at == first.revoked_at
    with pytest.raises(InputError, match="never reused"):
        write(tokens.create, "temp")
    with pytest.raises(NotFoundError):
        write(tokens.revoke, "nobody")


def test_names_and_scopes_are_checked(write):
    with pytest.raises(InputError, match="scope"):
        write(tokens.create, "x", "read")
    for bad in ("", "two\nlines", "x" * 300):
        with pytest.raises(InputError):
            write(tokens.create, bad)
