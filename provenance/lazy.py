"""Modules imported when first used, so that a command pays only for what it calls.

`prov log` on a small archive spends nearly all of its time importing
(benchmarks/scale.py): numpy (the lenses' and the sketch's array passes),
the PostgreSQL dialect on an SQLite archive, the proofs' cryptography.
`module` defers such an import to the first attribute read.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any


class module:  # lower case: it is used like the module it stands for
    """Module ``name``, imported when one of its attributes is first used.

    Each use goes through `importlib.import_module`, whose module locks make a
    first use from two threads at once (the HTTP service's) safe, unlike
    `importlib.util.LazyLoader` before Python 3.12. A use costs a dictionary
    lookup more than a plain module's: fine for a call per text, not for a
    call per character.
    """

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


@cache
def dialect_insert(dialect: str) -> Any:
    """``sqlalchemy.dialects.<dialect>.insert`` (with ``on_conflict_do_nothing``), imported on first use."""
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
