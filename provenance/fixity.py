"""Fixity: every stored content decompressed and hashed again, on every core.

A content is stored whole or as a zstd delta against its base (`contents`), so
contents form trees: a content stored whole, the deltas made against it, the
deltas made against those, and so on (chains are at most
``contents.MAX_DEPTH`` deep). Each tree is rebuilt once, in order, each frame
against its base's bytes, and every content's BLAKE3 hash, size and character
count are compared with its row; a content recorded in an encoding other than
UTF-8 is decoded in it (`provenance.contents.decoded`), and bytes that do not
decode so are a finding.

On a large archive the work is done by forked worker processes while the
caller reads the audit log and the record (see `Run`); the caller's session
does every database read, so the whole check sees one snapshot. A ``derive``
function given to `Run` is called on each content that checks clean, where its
bytes are already in memory (verify computes what the identify index should
hold there).

Damage of any kind is a `Finding`, never an exception: a column holding a
value of the wrong type (text where bytes or a number belong, as SQLite
allows) reads as a value that matches nothing.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
import zstandard
from blake3 import blake3
from sqlmodel import Session

from provenance import contents
from provenance.errors import IntegrityError
from provenance.hashing import PREFIX
from provenance.models import Content

ABSENT: Any = ...
"""An `expected` or `found` that a finding does not state."""

PARALLEL_MIN_BYTES = 32 << 20
"""Text to check below which `Run` does not start worker processes."""

PARALLEL_MIN_DERIVE_BYTES = 1 << 20
"""The same with a ``derive`` function, which costs about a hundred times more per byte."""

ROUND_BYTES = 4 << 30
"""Text whose stored bytes `Run` holds in memory at once (typically 3-10% of it)."""

MAX_WORKERS = 8
"""More workers than this wait on the caller's thread, which checks the log meanwhile."""

_TASK_CONTENTS = 256  # contents checked as one task (whole trees, so a few more)
_TASK_BYTES = 32 << 20  # or fewer, when their texts add up to this many bytes
_FETCH = 500  # stored frames read per query

Progress = Callable[[int, int], None]
Derive = Callable[[str, bytes | bytearray, str | None], Any]
"""(content hash, its bytes, checked; their recorded encoding) -> a value
`Outcome.derived` carries back."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with a stored content."""

    digest: str
    field: str | None
    expected: Any
    found: Any
    message: str  # what is wrong, as a predicate: "content X (version N) <message>"


@dataclass(frozen=True, slots=True)
class Outcome:
    findings: tuple[Finding, ...]
    checked: int  # contents rebuilt and hashed (or that failed to be)
    nbytes: int  # their bytes
    derived: tuple[tuple[str, Any], ...] = ()  # (hash, derive's value) of each clean content


def is_int(value: Any) -> bool:
    """A column value that is an integer (not a bool, text or float stored in its place)."""
    return type(value) is int


def nbytes_of(row: Any) -> int:
    """A row's size column as a number of bytes, 0 when the column holds something else."""
    return row.size if is_int(row.size) and row.size > 0 else 0


def _order(digest: Any) -> tuple[int, str]:
    """Sort key for content hashes that may be damaged into another type."""
    return (0, digest) if isinstance(digest, str) else (1, repr(digest))


def rows(session: Session) -> dict[str, Any]:
    """Every content row without its stored bytes, by hash."""
    c = Content.__table__
    query = sa.select(
        c.c.hash, c.c.size, c.c.chars, c.c.compression, c.c.base_hash, c.c.depth, c.c.encoding
    )
    return {r.hash: r for r in session.execute(query)}


def with_bases(table: dict[str, Any], chosen: set[str]) -> set[str]:
    """``chosen`` with every content its delta chains need (a sample's closure)."""
    out = set(chosen)
    for digest in chosen:
        row, steps = table[digest], 0
        while row.base_hash in table and row.base_hash not in out and steps <= len(table):
            out.add(row.base_hash)
            row = table[row.base_hash]
            steps += 1
    return out


def plan(table: dict[str, Any], todo: set[str]) -> tuple[list[list[str]], list[Finding]]:
    """The trees to rebuild (each a list, every base before its deltas) and damaged chains.

    A delta whose base is not stored, a content stored whole that names a
    base, a wrong depth and a cycle of bases are findings; contents that
    depend on a missing base or a cycle are left out of the trees.
    """
    delta = contents.DELTA
    findings: list[Finding] = []
    children: dict[str, list[str]] = {}
    roots = []
    for digest in sorted(todo, key=_order):
        row = table[digest]
        if row.compression == delta:
            if row.base_hash not in table:
                findings.append(
                    Finding(
                        digest,
                        "base_hash",
                        ABSENT,
                        row.base_hash,
                        f"is a delta against {row.base_hash}, which is not stored",
                    )
                )
                continue
            children.setdefault(row.base_hash, []).append(digest)
        else:
            if row.base_hash is not None or row.depth != 0:
                findings.append(
                    Finding(
                        digest,
                        "depth",
                        0,
                        row.depth,
                        f"is stored whole but names base {row.base_hash} and depth {row.depth}",
                    )
                )
            roots.append(digest)
    trees: list[list[str]] = []
    visited: set[str] = set()
    for root in roots:
        tree: list[str] = []
        stack = [root]
        while stack:
            digest = stack.pop()
            if digest in visited:
                continue
            visited.add(digest)
            tree.append(digest)
            kids = [k for k in children.get(digest, ()) if k in todo]
            depth = table[digest].depth
            want = depth + 1 if is_int(depth) else ABSENT
            for kid in kids:
                if table[kid].depth != want or not is_int(table[kid].depth):
                    findings.append(
                        Finding(
                            kid,
                            "depth",
                            want,
                            table[kid].depth,
                            f"says its delta chain is {table[kid].depth} deep, "
                            f"but its base {digest} is at depth {table[digest].depth}",
                        )
                    )
            stack.extend(reversed(kids))
        trees.append(tree)
    for digest in sorted(todo - visited, key=_order):
        row = table[digest]
        if row.compression == delta and row.base_hash in table:
            findings.append(
                Finding(
                    digest,
                    "base_hash",
                    ABSENT,
                    row.base_hash,
                    "has a delta chain that does not lead to a content stored whole "
                    "(a cycle of bases)",
                )
            )
    return trees, findings


def count_chars(data: bytes | bytearray, encoding: str | None = None) -> int:
    """Characters of the text ``data`` holds in ``encoding`` (None: UTF-8).

    In UTF-8 they are its bytes that are not continuation bytes (0x80-0xBF):
    those are exactly the bytes below -64 as signed bytes, so numpy counts
    them in one pass without decoding (and without the GIL). Another
    encoding is decoded (`provenance.contents.decoded`, which raises
    `IntegrityError` for bytes that do not decode).
    """
    if encoding is not None:
        return len(contents.decoded(data, encoding))
    if data.isascii():
        return len(data)
    signed = np.frombuffer(data, dtype=np.int8)
    return len(data) - int(np.count_nonzero(signed < -64))


def _chars(digest: str, row: Any, data: bytes | bytearray) -> tuple[int | None, Finding | None]:
    """The characters of a content's text, or the finding that its bytes have none."""
    encoding = row.encoding
    if encoding is not None and not isinstance(encoding, str):
        kind = type(encoding).__name__
        return None, Finding(
            digest, "encoding", "str", kind, f"has its encoding held as {kind}, not a name"
        )
    try:
        return count_chars(data, encoding), None
    except IntegrityError:
        try:
            data.decode(encoding)
        except UnicodeDecodeError as exc:
            said = f"are not valid {encoding} at byte offset {exc.start}"
        except (LookupError, UnicodeError) as exc:
            said = f"cannot be decoded as {encoding!r} ({exc})"
        else:  # pragma: no cover - count_chars failed, so decoding does
            said = f"do not decode as {encoding}"
        return None, Finding(
            digest, "encoding", encoding, ABSENT, f"has bytes that {said}, its recorded encoding"
        )


def _check_one(digest: str, row: Any, data: bytes | bytearray) -> list[Finding]:
    size = len(data)
    actual = PREFIX + blake3(data).hexdigest()
    chars, undecodable = _chars(digest, row, data)
    if (
        actual == digest
        and row.size == size
        and row.chars == chars
        and is_int(row.size)
        and is_int(row.chars)
    ):
        return []
    out = [] if undecodable is None else [undecodable]
    if actual != digest:
        out.append(
            Finding(digest, "hash", digest, actual, "has stored bytes that hash to another value")
        )
    if row.size != size or not is_int(row.size):
        out.append(
            Finding(digest, "size", size, row.size, "has a size column that differs from its bytes")
        )
    if undecodable is None and (row.chars != chars or not is_int(row.chars)):
        out.append(
            Finding(
                digest,
                "chars",
                chars,
                row.chars,
                "has a character count column that differs from its bytes",
            )
        )
    return out


def check_trees(
    table: dict[str, Any],
    digests: Sequence[str],
    blobs: dict[str, Any],
    derive: Derive | None = None,
) -> Outcome:
    """Rebuild and check whole trees (``digests``: bases before their deltas).

    ``derive(hash, bytes, encoding)`` is called on each content that checks clean; its
    values come back in `Outcome.derived` (an exception it raises comes back
    as the value, for the caller to report).
    """
    findings: list[Finding] = []
    derived: list[tuple[str, Any]] = []
    kept: dict[str, bytes | bytearray | None] = {}
    waiting: dict[str, int] = {}
    for digest in digests:
        row = table[digest]
        if row.compression == contents.DELTA:
            waiting[row.base_hash] = waiting.get(row.base_hash, 0) + 1
    nbytes = 0
    for digest in digests:
        row = table[digest]
        base = None
        if row.compression == contents.DELTA:
            base = kept.get(row.base_hash)
            waiting[row.base_hash] -= 1
            if not waiting[row.base_hash]:
                kept.pop(row.base_hash, None)
            if base is None:  # the base could not be rebuilt: reported there
                findings.append(
                    Finding(
                        digest,
                        "base_hash",
                        ABSENT,
                        ABSENT,
                        f"cannot be rebuilt: its base {row.base_hash} is damaged",
                    )
                )
                continue
        blob = blobs.get(digest)
        if blob is None:
            findings.append(
                Finding(digest, "data", None, None, "has no stored bytes (its row is gone)")
            )
            continue
        if not isinstance(blob, bytes | bytearray | memoryview):
            kind = type(blob).__name__
            findings.append(
                Finding(
                    digest,
                    "data",
                    "bytes",
                    kind,
                    f"has its stored frame held as {kind}, not bytes, so it cannot be read",
                )
            )
            continue
        try:
            data = contents.decompress_into(blob, row.compression, base)
        except (IntegrityError, zstandard.ZstdError) as exc:
            findings.append(Finding(digest, "data", None, None, f"cannot be read ({exc})"))
            continue
        except Exception as exc:  # damage no check foresaw: still a finding
            findings.append(
                Finding(digest, "data", None, None, f"cannot be read ({type(exc).__name__}: {exc})")
            )
            continue
        nbytes += len(data)
        if digest in waiting:
            kept[digest] = data
        found = _check_one(digest, row, data)
        findings.extend(found)
        if derive is not None and not found:
            try:
                derived.append((digest, derive(digest, data, row.encoding)))
            except Exception as exc:  # reported by the caller, which knows what it derives
                derived.append((digest, exc))
    return Outcome(tuple(findings), len(digests), nbytes, tuple(derived))


def _tasks(table: dict[str, Any], trees: list[list[str]], limit: int) -> list[list[str]]:
    """Consecutive whole trees grouped into tasks of about ``limit`` contents (or `_TASK_BYTES`)."""
    tasks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for tree in trees:
        current.extend(tree)
        size += sum(nbytes_of(table[d]) for d in tree)
        if len(current) >= limit or size >= _TASK_BYTES:
            tasks.append(current)
            current, size = [], 0
    if current:
        tasks.append(current)
    return tasks


def workers() -> int:
    """Worker processes worth starting: one per core this process may run on, but one
    (the caller's thread is busy too), and at most `MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(0, min(cores - 1, MAX_WORKERS))


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


# What forked workers inherit (set just before the fork, cleared just after):
# the content rows, the stored bytes and derive, so that a task is only two numbers.
_inherited: tuple[dict[str, Any], list[list[str]], dict[str, Any], Derive | None] | None = None


def _leave_interrupts_to_the_caller() -> None:
    """In a worker: Ctrl-C is the caller's to handle (it then stops the pool), so that
    an interrupted verify prints one message, not a traceback per worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_inherited(bounds: tuple[int, int]) -> Outcome:
    assert _inherited is not None, "only called in a worker forked by Run"
    table, tasks, blobs, derive = _inherited
    lo, hi = bounds
    return check_trees(table, [d for task in tasks[lo:hi] for d in task], blobs, derive)


class Run:
    """A fixity check of ``trees``, started now and collected by `finish` (and `poll`).

    On a large archive (at least `PARALLEL_MIN_BYTES` of text) and where the
    platform forks cheaply (Linux), the stored bytes are read and
    ``processes`` forked workers (by default `workers()`) rebuild and hash
    them while the caller goes on reading the log and the record on its own
    thread; the workers inherit the bytes, so nothing large is sent to them.
    Processes, not threads: a content takes a few dozen microseconds in
    libzstd, BLAKE3 and numpy, too short for a thread to win the GIL back
    from a caller busy in Python. At most `ROUND_BYTES` of text is read
    into memory at once; later rounds run in `finish`. Otherwise (or with
    ``processes=0``, or when the system cannot fork) the work is done in
    `finish`, reading the stored bytes a batch at a time. The workers never touch the database, and leave with
    ``os._exit`` (as multiprocessing's forked workers do), so the caller's
    connections are never closed under it.
    """

    def __init__(
        self,
        session: Session,
        table: dict[str, Any],
        trees: list[list[str]],
        *,
        processes: int | None = None,
        progress: Progress | None = None,
        derive: Derive | None = None,
    ) -> None:
        self._session = session
        self._table = table
        self._derive = derive
        self._total = sum(map(len, trees))
        self._done = 0
        self._progress = progress
        self._outcomes: list[Outcome] = []
        self._pool: Any = None
        self._pending: Any = None
        self._processes = workers() if processes is None else processes
        text = sum(nbytes_of(table[d]) for tree in trees for d in tree)
        least = PARALLEL_MIN_BYTES
        if derive is not None:
            least = min(least, PARALLEL_MIN_DERIVE_BYTES)
        self._parallel = self._processes > 0 and text >= least and _can_fork()
        if not self._parallel:
            self._rounds = deque([_tasks(table, trees, _TASK_CONTENTS)])
            if progress:
                progress(0, self._total)
            return
        # Small tasks (a few per worker at least) keep the workers evenly busy
        # and the progress bar moving; a task costs two numbers to send.
        limit = max(1, min(_TASK_CONTENTS, self._total // (8 * self._processes) + 1))
        self._rounds = deque()
        round_: list[list[str]] = []
        size = 0
        for task in _tasks(table, trees, limit):
            round_.append(task)
            size += sum(nbytes_of(table[d]) for d in task)
            if size >= ROUND_BYTES:
                self._rounds.append(round_)
                round_, size = [], 0
        if round_:
            self._rounds.append(round_)
        if self._rounds:
            self._start(self._rounds.popleft())
        if progress:  # after the fork: a progress bar may start a thread
            progress(0, self._total)

    def _start(self, tasks: list[list[str]]) -> None:
        """Fork workers for one round; if the system cannot fork now, check it in-process."""
        global _inherited
        blobs = self._blobs([d for task in tasks for d in task])
        _inherited = (self._table, tasks, blobs, self._derive)
        try:
            self._pool = mp.get_context("fork").Pool(
                min(self._processes, len(tasks)), initializer=_leave_interrupts_to_the_caller
            )
        except OSError:  # out of processes or memory: the same checks, one at a time
            self._parallel = False
            self._rounds.appendleft(tasks)
            return
        finally:
            _inherited = None
        self._pending = self._pool.imap(_check_inherited, [(i, i + 1) for i in range(len(tasks))])

    def _stop(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self._pending = None

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop()

    def _blobs(self, digests: list[str]) -> dict[str, Any]:
        """The stored frames, as stored: a frame damaged into text stays text (reported)."""
        c = Content.__table__
        out: dict[str, Any] = {}
        if 2 * len(digests) > len(self._table):
            # Most of the table: one scan costs a third of looking them up in batches.
            wanted = set(digests)
            for digest, blob in self._session.execute(
                sa.select(c.c.hash, c.c.data).execution_options(yield_per=_FETCH)
            ):
                if digest in wanted:
                    out[digest] = _as_bytes(blob)
            return out
        for i in range(0, len(digests), _FETCH):
            query = sa.select(c.c.hash, c.c.data).where(c.c.hash.in_(digests[i : i + _FETCH]))
            out.update((digest, _as_bytes(blob)) for digest, blob in self._session.execute(query))
        return out

    def _collect(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)
        self._done += outcome.checked
        if self._progress:
            self._progress(self._done, self._total)

    def poll(self) -> None:
        """Take in what the workers have finished (for the progress bar); never waits."""
        while self._pending is not None:
            try:
                outcome = self._pending.next(timeout=0)
            except mp.TimeoutError:
                return
            except StopIteration:
                self._pending = None
                return
            self._collect(outcome)

    def finish(self) -> Outcome:
        """Do or wait for the rest; every finding, in the order of the trees."""
        while True:
            if self._pending is not None:
                for outcome in self._pending:
                    self._collect(outcome)
                self._stop()
            if not self._rounds:
                break
            tasks = self._rounds.popleft()
            if self._parallel:
                self._start(tasks)
                continue
            for task in tasks:
                self._collect(check_trees(self._table, task, self._blobs(task), self._derive))
        findings = tuple(f for outcome in self._outcomes for f in outcome.findings)
        return Outcome(
            findings,
            sum(o.checked for o in self._outcomes),
            sum(o.nbytes for o in self._outcomes),
            tuple(d for outcome in self._outcomes for d in outcome.derived),
        )


def _as_bytes(blob: Any) -> Any:
    """A stored frame as bytes; anything that is not bytes-like is passed on as it is."""
    return bytes(blob) if isinstance(blob, bytes | bytearray | memoryview) else blob
