"""The archive's tables.

The schema is created and upgraded only through the Alembic migrations in
`db/`; a test checks that migrating an empty database gives exactly these
models. Times are stored as ISO 8601 text so that the offset a user gave
(``+08:00`` for a Shanghai paper) survives on every backend unchanged.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from provenance.hashing import PREFIX
from provenance.packed import EventBody, PackedEdits, PackedJSON
from provenance.validate import RELATIONS


class Digest(sa.types.TypeDecorator):
    """A BLAKE3 digest, ``blake3:<64 hex>`` in Python, kept as its 32 bytes (BLOB /
    bytea): less than half the text's size, in the table and in every index on it.

    A stored value that is not 32 bytes (written behind the tool's back) reads as
    ``blake3:`` and the hex of what is there, or as the value itself when it is
    not bytes, so that the check comparing it with what the text gives names it
    instead of stopping.
    """

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        if not (isinstance(value, str) and value.startswith(PREFIX) and len(value) == 71):
            raise ValueError(f"not a BLAKE3 digest: {value!r}")
        return bytes.fromhex(value[len(PREFIX) :])

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, bytes | bytearray | memoryview):
            return PREFIX + bytes(value).hex()
        return value  # None, or damage: compared as it is


class Document(SQLModel, table=True):
    """The logical work (an article), addressed by a user-chosen key."""

    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=sa.Column(sa.String(1024), nullable=False, unique=True))
    created_at: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))


class Content(SQLModel, table=True):
    """The exact bytes of a text, stored once, addressed by their BLAKE3 hash.

    ``data`` is a zstd frame: of the bytes alone (``compression="zstd"``), or
    a delta against the content ``base_hash`` used as a raw dictionary
    (``"zstd-delta"``), with ``depth`` the length of that chain (bounded; see
    `provenance.contents`).
    """

    __tablename__ = "content"

    hash: str = Field(sa_column=sa.Column(Digest, primary_key=True))
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))  # bytes
    chars: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))  # code points
    compression: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    base_hash: str | None = Field(
        default=None, sa_column=sa.Column(Digest, sa.ForeignKey("content.hash"))
    )
    depth: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    # the bytes' character encoding when it is not UTF-8 (None: UTF-8)
    encoding: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), nullable=True))


class Version(SQLModel, table=True):
    """One registration of a content as a version of a document."""

    __tablename__ = "version"
    __table_args__ = (sa.UniqueConstraint("document_id", "number", name="uq_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("document.id"), nullable=False, index=True)
    )
    number: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    content_hash: str = Field(
        sa_column=sa.Column(Digest, sa.ForeignKey("content.hash"), nullable=False, index=True)
    )
    label: str | None = Field(default=None, sa_column=sa.Column(sa.String(512)))
    source: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    captured_at: str | None = Field(default=None, sa_column=sa.Column(sa.String(40)))
    registered_at: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))


class Sighting(SQLModel, table=True):
    """A version's exact bytes seen again: a source and capture time, not a new version.

    Who recorded it is the actor of its audit event, as for a version.
    """

    __tablename__ = "sighting"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("version.id"), nullable=False, index=True)
    )
    source: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    captured_at: str | None = Field(default=None, sa_column=sa.Column(sa.String(40)))
    recorded_at: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))


class Link(SQLModel, table=True):
    """A lineage edge: ``child`` is a ``relation`` of ``parent``."""

    __tablename__ = "link"
    __table_args__ = (
        sa.UniqueConstraint("child_id", "parent_id", name="uq_link_pair"),
        sa.CheckConstraint(
            "relation IN (" + ", ".join(f"'{r}'" for r in RELATIONS) + ")", name="ck_link_relation"
        ),
        sa.CheckConstraint("child_id <> parent_id", name="ck_link_not_self"),
    )

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("version.id"), nullable=False, index=True)
    )
    parent_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("version.id"), nullable=False, index=True)
    )
    relation: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))


class EditRecord(SQLModel, table=True):
    """The character-level edits from a link's parent to its child, computed once.

    ``edits`` holds ``[a_start, a_end, b_start, b_end, new]`` per edit (see
    `provenance.diff.to_compact`); applied to the parent they give the child
    byte for byte. ``edits`` and ``detail`` are stored as zstd frames of their
    compact JSON (`provenance.packed`), the edits by their gaps.

    ``detail`` (None for records written before it existed, and for plain
    revisions) says what the edits mean beyond replaying them: the passages an
    excerpt was cut from, with the lens they were found through and the
    statistics of the edits inside them, and the moved blocks. It is part of
    the record the audit log hashes whenever it is present.
    """

    __tablename__ = "edit_record"

    link_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("link.id"), primary_key=True)
    )
    edits: list = Field(sa_column=sa.Column(PackedEdits, nullable=False))
    edit_count: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    inserted: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    deleted: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    similarity: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    complete: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    engine: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    detail: dict | None = Field(default=None, sa_column=sa.Column(PackedJSON, nullable=True))


class Event(SQLModel, table=True):
    """One entry of the append-only audit log: a leaf of its Merkle tree.

    ``body`` is the event's canonical JSON (see `provenance.audit`), stored as a
    zstd frame (`provenance.packed.EventBody`); its leaf hash is
    ``merkle.leaf_hash(body.encode("utf-8"))``. ``seq`` numbers the events 0, 1,
    2, … with no gaps; ``kind``, ``subject`` (``version:12``), ``actor`` and
    ``time`` repeat fields of the body so that the database can find an event by
    what it is about, who acted and when (`prov verify` checks that they agree).
    Rows are only ever inserted.
    """

    __tablename__ = "event"

    seq: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    actor: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    time: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    body: str = Field(sa_column=sa.Column(EventBody, nullable=False))


class Checkpoint(SQLModel, table=True):
    """A signed tree head of the audit log (see `provenance.checkpoint`).

    ``text`` is the signed note as published; the other columns repeat its
    fields for queries. ``public_key`` is the PEM of the key that signed it,
    kept so that `prov verify` can check signatures without being told the
    key; trust still comes from the key published outside the database.
    """

    __tablename__ = "checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    origin: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, index=True))
    root: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))  # lowercase hex
    timestamp: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    key_id: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    public_key: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class ContentIndex(SQLModel, table=True):
    """What `prov identify` needs of a content, computed once per content hash.

    ``signature`` is the packed MinHash signature (`provenance.sketch.signature_to_bytes`);
    ``shingles`` and ``anchors`` count the content's shingle set and anchor keys,
    so containment can be estimated from the index alone. ``digest`` is
    `provenance.index.rows_digest` of all the content's index rows, which
    `prov verify` checks them against (NULL for rows indexed before it
    existed). ``chain`` and ``pos`` place the content in a `KeyChain`, whose
    runs hold its band keys and anchors. Rows are written at registration
    (`provenance.index`) and rebuilt by `prov reindex`.
    """

    __tablename__ = "content_index"
    # No foreign key on ``chain``: adding one would rebuild the table on SQLite
    # (`prov verify` checks that every chain a row names exists).
    __table_args__ = (sa.Index("ix_content_index_chain", "chain", "pos", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(
        sa_column=sa.Column(Digest, sa.ForeignKey("content.hash"), nullable=False, unique=True)
    )
    shingles: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    anchors: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    signature: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    digest: str | None = Field(default=None, sa_column=sa.Column(Digest, nullable=True))
    chain: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    pos: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))


class KeyChain(SQLModel, table=True):
    """A line of contents whose index keys are stored as runs (`KeyRun`), each
    content one position after the content it was registered as a revision of.

    ``tail`` is the last position taken. A content extends its parent's chain
    only when the parent is its tail (``UPDATE ... WHERE tail = :pos``, which
    two writers cannot both win, though writers take turns anyway); otherwise
    it starts a chain.
    """

    __tablename__ = "key_chain"

    id: int | None = Field(default=None, primary_key=True)
    tail: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class KeyRun(SQLModel, table=True):
    """One key of a content's sketch, an LSH band key (band 0..31) or an anchor
    (band -1, `provenance.sketch.ANCHOR_BAND`), held by the contents at positions
    ``lo``..``hi`` of a chain (``hi`` NULL: through the chain's tail, the run is open).

    A content's keys are the runs of its chain covering its position: a
    revision stores only the keys it adds and closes those it drops. On the
    corpus a revision keeps 93% of its parent's anchors and 84% of its band
    keys, and a row per key per content made the index 65% of the database.
    The primary key leads with (band, key): a lookup is one covering index
    scan. On SQLite a WITHOUT ROWID table.
    """

    __tablename__ = "key_run"
    # No index by chain: the open runs at a chain's tail are the tail content's own
    # keys, which a writer extending the chain knows from its text
    # (`provenance.index.place`); an index of them was 471 KB of the corpus.
    __table_args__ = ({"sqlite_with_rowid": False},)

    band: int = Field(sa_column=sa.Column(sa.SmallInteger, primary_key=True, autoincrement=False))
    key: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    chain: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("key_chain.id"), primary_key=True, autoincrement=False
        )
    )
    lo: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    hi: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))


class NormalHash(SQLModel, table=True):
    """The hash of an indexed content's text seen through a lens (whitespace, cjk,
    loose), keyed by its index row: an integer rather than the content's 71
    characters, and the hash as its 32 bytes (the table and its lookup index went
    from 868 KB to about 0.25 MB on the corpus)."""

    __tablename__ = "normal_hash"
    __table_args__ = (sa.Index("ix_normal_hash_lookup", "hash"), {"sqlite_with_rowid": False})

    index_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("content_index.id"), primary_key=True)
    )
    profile: str = Field(sa_column=sa.Column(sa.String(16), primary_key=True))
    hash: str = Field(sa_column=sa.Column(Digest, nullable=False))


class IndexState(SQLModel, table=True):
    """Which scheme built the identify index (``sketch_version``, ``normal_version``).

    `prov identify` refuses an index built by another scheme and says to run
    `prov reindex`.
    """

    __tablename__ = "index_state"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))


class ApiToken(SQLModel, table=True):
    """One API token of the HTTP service (`provenance.tokens`): its name (the actor it
    acts as), its scope and the SHA-256 hash of its secret, never the secret.

    Its creation and revocation are events (``token.created``, ``token.revoked``):
    ``created_at`` and ``revoked_at`` are those events' times.
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(256), nullable=False, unique=True))
    scope: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    hash: str = Field(sa_column=sa.Column(sa.String(71), nullable=False, unique=True))
    created_at: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    revoked_at: str | None = Field(default=None, sa_column=sa.Column(sa.String(40), nullable=True))
