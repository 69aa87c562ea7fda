"""A file's history in a git repository: every commit that changed it, a version.

Read through the git program (``git log --follow`` and ``git cat-file
--batch``), not dulwich: the versions are then exactly the commits
``git log --follow FILE`` shows the person importing them, renames found by
git's own detection, and no dependency is added (a machine with a git
repository to import has git). dulwich's ``Walker(follow=True)`` reimplements
that detection, with its own thresholds.

The commits are registered oldest first, each a revision of the one before
(a branchy history is flattened in the order ``git log`` gives); a commit
that deleted the file gives no version. Each version records the commit's
author (``Name <email>``) as its source, the commit time as its capture
time, and in its metadata ``git_commit`` (the original a re-run matches),
``git_path`` (the file's name in that commit: a rename shows here),
``git_subject`` and ``git_authored_at``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from provenance import validate
from provenance.errors import InputError
from provenance.importer import Collection, Entry
from provenance.text import MAX_SIZE

_FORMAT = "%x1e%H%x00%cI%x00%aI%x00%an%x00%ae%x00%s"
_SETTINGS = (  # settings of the user's that would change what git prints
    "-c", "log.showSignature=false",
    "-c", "color.ui=false",
    "-c", "core.quotepath=false",
)  # fmt: skip


def _environment() -> dict[str, str]:
    """The environment git runs in: no prompt, no lock taken, and none of the
    variables (set inside a git hook, say) that would point it at another repository."""
    env = {k: v for k, v in os.environ.items() if k not in _ELSEWHERE}
    return {**env, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


_ELSEWHERE = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
)


def _git(repo: str, *args: str, stdin: bytes | None = None) -> bytes:
    env = _environment()
    try:
        done = subprocess.run(
            ["git", "--no-pager", *_SETTINGS, "-C", repo, *args],
            input=stdin,
            capture_output=True,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(
            f"{repo}: the git program is not installed; prov import --git reads repositories through it"
        ) from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = said[0].removeprefix("fatal: ") if said else f"git exited with {done.returncode}"
        raise InputError(f"{repo}: {reason}")
    return done.stdout


class _Blobs:
    """One ``git cat-file --batch`` for the whole import: a blob per request."""

    def __init__(self, repo: str, max_size: int) -> None:
        self.repo, self.max_size = repo, max_size
        self.process: subprocess.Popen[bytes] | None = None

    def read(self, commit: str, path: bytes, where: str) -> bytes:
        if b"\n" in path:
            raise InputError(f"{where}: a file name with a line break cannot be read from git")
        if self.process is None:
            env = _environment()
            self.process = subprocess.Popen(
                ["git", "--no-pager", "-C", self.repo, "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(commit.encode("ascii") + b":" + path + b"\n")
        self.process.stdin.flush()
        header = self.process.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise InputError(f"{where}: git has no such file in that commit")
        size = int(header[2])
        data = self.process.stdout.read(size)
        self.process.stdout.read(1)  # the newline after the object
        if size > self.max_size:
            raise InputError(f"{where}: {size} bytes, over the limit of {self.max_size}")
        return data

    def close(self) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


def collection(
    repo: str,
    path: str,
    *,
    doc: str | None = None,
    max_size: int = MAX_SIZE,
    encoding: str | None = None,
) -> Collection:
    """Every commit of ``repo`` that changed ``path`` (relative to ``repo``), oldest first,
    as versions of ``doc`` (default: ``path``), each read in ``encoding`` (None: by
    `provenance.text.decode`'s rule)."""
    validate.recorded_path(repo, field="repository")
    if not Path(repo).is_dir():
        raise InputError(f"{repo}: not a folder, so not a git repository")
    if not path or Path(path).is_absolute():
        raise InputError(f"--path: {validate.shown(path)} is a file's path inside the repository")
    _git(repo, "rev-parse", "--git-dir")  # "not a git repository" in one line
    key = validate.document(doc if doc is not None else path)
    raw = _git(
        repo,
        "log",
        "--follow",
        "-z",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        f"--format={_FORMAT}",
        "--name-status",
        "--",
        path,
    )
    try:
        commits = _parse(raw, path.encode("utf-8", "surrogateescape"))
    except _Folder:
        raise InputError(
            f"{repo}: --path {validate.shown(path)} is a folder; give one file"
        ) from None
    if not commits:
        raise InputError(f"{repo}: no commit changed {validate.shown(path)}")
    blobs = _Blobs(repo, max_size)
    entries = []
    where = validate.display_path(repo)
    for number, c in enumerate(reversed(commits), start=1):
        shown_path = c.path.decode("utf-8", "replace")
        name = f"{shown_path} at {c.commit[:12]}"
        entries.append(
            Entry(
                line=number,
                path=None,
                name=name,
                doc=key,
                parents=(),
                relation=None,
                source=validate.source(f"{c.author} <{c.email}>", where=name, field="author"),
                captured_at=validate.time(c.committed_at, where=name, field="commit time"),
                label=None,
                encoding=encoding,
                meta=validate.meta(
                    {
                        "git_commit": c.commit,
                        "git_path": shown_path,
                        "git_subject": c.subject,
                        "git_authored_at": c.authored_at,
                    },
                    where=name,
                ),
                load=lambda c=c, name=name: blobs.read(c.commit, c.path, f"{where}: {name}"),
                where=where,
                original=("git_commit", c.commit),
            )
        )
    return Collection("git", where, tuple(entries), close=blobs.close)


class _Commit:
    __slots__ = ("author", "authored_at", "commit", "committed_at", "email", "path", "subject")

    def __init__(self, fields: list[bytes], path: bytes) -> None:
        text = [f.decode("utf-8", "replace") for f in fields]
        self.commit, self.committed_at, self.authored_at, self.author, self.email, self.subject = (
            text
        )
        self.path = path


class _Folder(Exception):
    pass


def _parse(raw: bytes, path: bytes) -> list[_Commit]:
    """The commits of ``git log --follow -z --name-status``, newest first, each with the
    file's path in it (``path`` is its newest name); deletions left out."""
    commits = []
    current = path
    for chunk in raw.split(b"\x1e")[1:]:
        parts = chunk.split(b"\0")
        header, rest = parts[:6], [p for p in parts[6:] if p.strip(b"\n")]
        rest = [p.lstrip(b"\n") for p in rest]
        here, deleted, older = current, False, current
        i = changes = 0
        while i < len(rest):
            changes += 1
            if changes > 1:  # git log --follow of a folder lists its files
                raise _Folder
            status = rest[i]
            if status[:1] in (b"R", b"C") and i + 2 < len(rest) + 1:
                old, new = rest[i + 1], rest[i + 2]
                here, older = new, old
                i += 3
            else:
                here = older = rest[i + 1] if i + 1 < len(rest) else current
                deleted = status[:1] == b"D"
                i += 2
        if not deleted:
            commits.append(_Commit(header, here))
        current = older
    return commits
