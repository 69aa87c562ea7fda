"""Signatures stored packed: 16 bits a MinHash value instead of 32 (sketch scheme 5)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 09:20:00

A content's MinHash signature was 128 values of 32 bits, 512 bytes a row: 425 KB
of the corpus's 4.6 MB database. Identify compares signatures position by
position, and two different minima agree in their low 16 bits with probability
2**-16 (`provenance.sketch.PACKED_BITS`), so only those bits are kept: 256
bytes. Band keys are cut from the full values, computed from the text; they do
not change.

Each row's low bits are taken from its stored values, which is what scheme 5
computes from the text, and its ``digest`` (`provenance.index.rows_digest`,
frozen below) is written again over the packed signature, but only where the
old digest held over the old row: a row changed behind the tool's back keeps
the digest that does not match it, so `prov verify` still names it; packing
must not make a damaged row look whole. A row whose signature is not 512 bytes
is left as it is, for verify to report. This runs only on an index of scheme 4;
one of another scheme is rebuilt by `prov reindex` anyway.

The downgrade cannot give back the 16 bits not kept: it leaves the rows as
they are, under scheme 5, which 0012's code refuses to use until
`prov reindex` rebuilds the index from the texts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from blake3 import blake3

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FROM, _TO = "4", "5"
_PREFIX = "blake3:"
_VALUES = 128  # values per signature
_BATCH = 1000  # index rows read and written at a time
_P, _Q = 2_147_483_629, 2_147_483_587
_OPEN = 2147483647

# Frozen copies of provenance.index.key_summary_query and rows_digest as of 0012.
_SQLITE_ODD = (
    "SUM(CASE WHEN typeof(r.band) != 'integer' OR typeof(r.key) != 'integer' THEN 1 ELSE 0 END)"
)
_SUMMARY = """
SELECT c.id, COUNT(*), {odd}, SUM({band}), SUM({key} % {p}), SUM({key} % {q}),
       SUM(({key} % {p}) * ({band} + 2) % {q})
FROM key_run r JOIN content_index c
  ON c.chain = r.chain AND c.pos >= r.lo AND c.pos <= COALESCE(r.hi, {open})
WHERE c.id >= :lo AND c.id < :hi
GROUP BY c.id
"""


def _summary_sql(dialect: str) -> str:
    if dialect == "sqlite":
        band, key, odd = "r.band", "r.key", _SQLITE_ODD
    else:
        band, key, odd = "CAST(r.band AS BIGINT)", "CAST(r.key AS BIGINT)", "0"
    return _SUMMARY.format(odd=odd, band=band, key=key, p=_P, q=_Q, open=_OPEN)


def _rows_digest(normals: dict, shingles, anchors, signature, keys: tuple) -> str:
    if isinstance(signature, bytes | bytearray | memoryview):
        signature = bytes(signature).hex()
    else:
        signature = repr(signature)
    body = repr(
        (
            sorted((repr(p), repr(h)) for p, h in normals.items()),
            repr(shingles),
            repr(anchors),
            signature,
            tuple(int(x) if x is not None else None for x in keys),
        )
    )
    return _PREFIX + blake3(body.encode("utf-8", "surrogateescape")).hexdigest()


def _hash_text(value):
    if isinstance(value, bytes | bytearray | memoryview):
        return _PREFIX + bytes(value).hex()
    return value


def _pack(signature: bytes) -> bytes:
    out = bytearray()
    for i in range(0, 4 * _VALUES, 4):
        out += signature[i : i + 2]  # little-endian: the low 16 bits come first
    return bytes(out)


def _state(conn) -> str | None:
    return conn.execute(
        sa.text("SELECT value FROM index_state WHERE name = 'sketch_version'")
    ).scalar()


def upgrade() -> None:
    conn = op.get_bind()
    if _state(conn) != _FROM:
        return
    summary_sql = sa.text(_summary_sql(conn.dialect.name))
    empty = (0, 0, 0, 0, 0, 0)
    top = conn.execute(sa.text("SELECT MAX(id) FROM content_index")).scalar() or 0
    for low in range(0, top + 1, _BATCH):
        bounds = {"lo": low, "hi": low + _BATCH}
        rows = conn.execute(
            sa.text(
                "SELECT id, shingles, anchors, signature, digest FROM content_index"
                " WHERE id >= :lo AND id < :hi"
            ),
            bounds,
        ).all()
        if not rows:
            continue
        sums = {cid: tuple(rest) for cid, *rest in conn.execute(summary_sql, bounds)}
        normals: dict = {}
        for iid, profile, value in conn.execute(
            sa.text(
                "SELECT index_id, profile, hash FROM normal_hash"
                " WHERE index_id >= :lo AND index_id < :hi"
            ),
            bounds,
        ):
            normals.setdefault(iid, {})[profile] = _hash_text(value)
        changes = []
        for cid, shingles, anchors, signature, digest in rows:
            if not isinstance(signature, bytes | bytearray | memoryview):
                continue
            signature = bytes(signature)
            if len(signature) != 4 * _VALUES:
                continue
            new = _pack(signature)
            if digest is not None:
                keys = sums.get(cid, empty)
                held = _rows_digest(normals.get(cid, {}), shingles, anchors, signature, keys)
                if held == digest:
                    digest = _rows_digest(normals.get(cid, {}), shingles, anchors, new, keys)
            changes.append({"cid": cid, "signature": new, "digest": digest})
        if changes:
            conn.execute(
                sa.text(
                    "UPDATE content_index SET signature = :signature, digest = :digest"
                    " WHERE id = :cid"
                ),
                changes,
            )
    conn.execute(
        sa.text("UPDATE index_state SET value = :to WHERE name = 'sketch_version'"), {"to": _TO}
    )


def downgrade() -> None:
    """Nothing to undo that can be undone: see the module's docstring."""
