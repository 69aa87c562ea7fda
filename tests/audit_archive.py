"""A populated archive for the audit tests: revisions, copies, an excerpt, a merge,
annotations, sightings."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from provenance import annotate, archive, index, proofs, store
from provenance import checkpoint as signing
from provenance.errors import SchemaError

WORDS = [
    "the",
    "minister",
    "said",
    "on",
    "monday",
    "that",
    "talks",
    "would",
    "resume",
    "after",
    "a",
    "pause",
    "of",
    "two",
    "weeks",
    "officials",
    "in",
    "the",
    "capital",
    "declined",
    "to",
    "comment",
    "while",
    "the",
    "opposition",
    "called",
    "for",
    "an",
    "inquiry",
    "prices",
    "rose",
    "sharply",
    "in",
    "the",
    "third",
    "quarter",
    "according",
    "to",
    "figures",
    "published",
    "by",
    "the",
    "bureau",
]


def paragraph(rng: random.Random, n: int = 60) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def revise(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for _ in range(3):
        i = rng.randrange(len(words))
        words[i] = rng.choice(WORDS)
    return " ".join(words) + " " + paragraph(rng, 8)


@dataclass
class Populated:
    key_dir: Path
    public_key: Path
    private_key: Path


def populate(engine: sa.Engine, key_dir: Path, seed: int = 7) -> Populated:
    """Fill an empty archive; ends with a checkpoint covering every event."""
    rng = random.Random(seed)
    private_path, public_path = signing.write_keypair(key_dir)
    key = signing.load_private_key(private_path)
    with store.transaction(engine) as s:
        text = "\n\n".join(paragraph(rng) for _ in range(4)) + "\n中文段落：部长周一表示。\n"
        wire = []
        for i in range(4):
            r = archive.register(
                s,
                text.encode(),
                name=f"wire{i}",
                doc="wire",
                source="agency feed",
                captured_at=f"2024-03-0{i + 1}",
                actor="alice",
            )
            wire.append(r.version)
            text = revise(rng, text)
        copy = archive.register(
            s,
            archive.raw(s, str(wire[1])),
            name="copy",
            doc="paper",
            parents=[str(wire[1])],
            relation="copy",
            label="as printed",
            meta={"page": "3"},
            actor="bob",
        )
        archive.register(
            s,
            revise(rng, archive.raw(s, str(copy.version)).decode()).encode(),
            name="paper2",
            doc="paper",
            actor="bob",
        )
        excerpt = archive.register(
            s,
            archive.raw(s, str(wire[2])).decode()[:300].encode(),
            name="excerpt",
            doc="digest",
            parents=[str(wire[2])],
            relation="excerpt",
            actor="carol",
        )
        archive.register(
            s,
            (archive.raw(s, "paper@2").decode() + "\n" + paragraph(rng, 20)).encode(),
            name="merged",
            doc="roundup",
            parents=[str(wire[3]), "paper@2"],
            actor="carol",
        )
    with store.transaction(engine) as s:
        proofs.create(s, key, "test.example/audit")
    with store.transaction(engine) as s:
        archive.link(s, str(excerpt.version), "paper@1", "derived", actor="dave")
        annotate.annotate(s, "wire@1", label="first take", meta={"desk": "politics"}, actor="erin")
        annotate.annotate(s, "wire@1", meta={"desk": "economy"}, actor="erin")
        archive.register(s, archive.raw(s, "wire@1"), name="same", doc="mirror", actor="frank")
        for day, source in ((5, "agency feed"), (6, "mirror site")):  # the latest seen again
            archive.register(
                s,
                archive.raw(s, "wire@4"),
                name=f"seen{day}",
                doc="wire",
                source=source,
                captured_at=f"2024-03-0{day}",
                meta={"crawl": day},
                actor="gina",
            )
        proofs.create(s, key, None)
    with store.transaction(engine) as s:
        try:
            index.check_current(s)
        except SchemaError:  # the migrations marked the empty archive with an older index scheme
            index.rebuild(s)
    return Populated(key_dir, public_path, private_path)
