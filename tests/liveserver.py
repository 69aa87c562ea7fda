"""A real `prov serve` on loopback, and `prov` itself, as subprocesses.

The live tests and the API benchmarks start the worktree's own ``prov``
(the console script beside the running Python, else ``python -c`` of its
``main``) on a free port of 127.0.0.1, wait until it answers, and stop it
with SIGTERM, as a user's Ctrl-C would; the whole process group is killed
only if it has not stopped in time. The server runs in its own session, so a
failing test never leaves a worker behind.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

_SCRIPT = Path(sys.executable).parent / "prov"
PROV = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-c", "from provenance_cli.app import main; main()"]
"""The ``prov`` command of this environment."""

START_WAIT_S = 60.0
"""How long a server may take to answer its first request (the imports of
FastAPI and the library take seconds on a loaded machine)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(**extra: str) -> dict[str, str]:
    """The environment of a `prov` subprocess: no colour, no terminal width, no
    archive but the one named."""
    env = {k: v for k, v in os.environ.items() if k not in ("PROV_DB", "COLUMNS", "LINES")}
    env.update(NO_COLOR="1", **extra)
    return env


def prov(db_url: str, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """``prov --db DB_URL ARGS...`` as a subprocess; with ``check``, exit code 0 or 1
    (``verify`` and ``identify`` answer 1 for a finding) and stderr in the failure."""
    done = subprocess.run(
        [*PROV, "--db", db_url, *args], input=input, capture_output=True, env=environment(), timeout=300
    )
    if check and done.returncode not in (0, 1):
        raise AssertionError(f"prov {' '.join(args)}: exit {done.returncode}: {done.stderr.decode()}")
    return done


def prov_json(db_url: str, *args: str, input: bytes | None = None) -> object:
    """The one JSON document ``prov ... --json`` prints."""
    done = prov(db_url, *args, "--json", input=input)
    return json.loads(done.stdout)


_MANY = """
import base64, json, sys
from typer.testing import CliRunner
from provenance_cli.app import app
runner = CliRunner()
done = []
for args in json.loads(sys.stdin.read()):
    r = runner.invoke(app, args)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    done.append([r.exit_code] + [base64.b64encode(b).decode() for b in (r.stdout_bytes, r.stderr_bytes)])
print(json.dumps(done))
"""


def prov_many(db_url: str, *commands: tuple[str, ...]) -> list[subprocess.CompletedProcess]:
    """``prov --db DB_URL ARGS...`` of each command, in the order given, in one process
    of its own: the CLI's app called as the ``prov`` script calls it, once per command,
    after one import of the CLI (a ``prov`` spends a second of CPU importing before it
    reads anything; twenty of them were most of a live test's time). With exit code 0
    or 1 for each, as `prov` checks."""
    argv = [["--db", db_url, *args] for args in commands]
    done = subprocess.run(
        [sys.executable, "-c", _MANY], input=json.dumps(argv).encode(), capture_output=True,
        env=environment(), timeout=600,
    )
    if done.returncode != 0:
        raise AssertionError(f"prov of {len(argv)} commands: exit {done.returncode}: {done.stderr.decode()}")
    results = []
    for args, (code, out, err) in zip(commands, json.loads(done.stdout), strict=True):
        result = subprocess.CompletedProcess(
            ["prov", *args], code, base64.b64decode(out), base64.b64decode(err)
        )
        if code not in (0, 1):
            raise AssertionError(f"prov {' '.join(args)}: exit {code}: {result.stderr.decode()}")
        results.append(result)
    return results


def prov_json_many(db_url: str, *commands: tuple[str, ...]) -> list[object]:
    """The one JSON document ``prov ... --json`` prints, of each command (`prov_many`)."""
    return [json.loads(done.stdout) for done in prov_many(db_url, *((*c, "--json") for c in commands))]


@dataclass
class LiveServer:
    """A running ``prov serve``: its base URL and process."""

    db_url: str
    port: int
    process: subprocess.Popen
    log: object = field(repr=False)  # the server's stderr, a temporary file (a pipe could fill up)
    stderr: bytes = field(default=b"", repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return self.base + "/api"

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait; the process group is killed if it has not stopped in
        ``timeout`` s. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        if not self.log.closed:
            self.log.seek(0)
            self.stderr = self.log.read()
            self.log.close()
        return self.process.returncode

    def answering(self) -> LiveServer:
        """This server once it answers a request, or stopped and an error with its log."""
        deadline = time.monotonic() + START_WAIT_S
        while True:
            try:
                if httpx.get(f"{self.api}/documents", params={"limit": 1}, timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop(timeout=5)
                raise RuntimeError(f"the server did not answer: {self.stderr.decode(errors='replace')[-2000:]}")
            time.sleep(0.1)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(db_url: str, *, workers: int = 1, env: dict[str, str] | None = None) -> LiveServer:
    """``prov --db DB_URL serve --host 127.0.0.1 --port FREE [--workers N]``, once it answers."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by LiveServer.stop)
    process = subprocess.Popen(
        [*PROV, "--db", db_url, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=environment(**(env or {})),
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    return LiveServer(db_url, port, process, log).answering()


def registering_client(api: str, secret: str, client: int, jobs: list[tuple[str, bytes]], replies) -> None:
    """A client process: register each (document, bytes) of ``jobs`` through the API, one
    request each, and put ``[(client, i, status, reply), ...]`` on ``replies``. Defined
    here, beside nothing heavier than httpx, so that a spawned client starts quickly."""
    out = []
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {secret}"}, timeout=300) as http:
        for i, (doc, data) in enumerate(jobs):
            r = http.post(f"/documents/{doc}/versions", content=data)
            out.append((client, i, r.status_code, r.json() if r.status_code == 201 else r.text))
    replies.put(out)
