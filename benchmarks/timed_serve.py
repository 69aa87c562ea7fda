"""``prov serve`` with every registration's time and its hold of the write lock
written down, for benchmarks/api_load.py (not a test, not part of the service).

Each worker process builds the app as ``prov serve`` does
(`provenance_web.app.create_app` on ``$PROV_DB``) after two measuring hooks:
`provenance.store.observe_lock`, which reports each write transaction's wait
for the lock and its hold of it (from taking it to the end of the commit), and
a wrapper of `provenance.Archive.register` that times the whole call (the
preparation before the lock, the write, any retry). One line per registration,
tab-separated ``whole  waited  held  writes`` in seconds, goes to
``$PROV_BENCH_TIMES/<pid>.tsv``.

Run by the benchmark: python benchmarks/timed_serve.py PORT WORKERS
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

ENV_TIMES = "PROV_BENCH_TIMES"


def from_env():
    """uvicorn's factory, in every worker: the service's app, its registrations timed."""
    from provenance import Archive, store
    from provenance_web.app import create_app

    out = open(Path(os.environ[ENV_TIMES]) / f"{os.getpid()}.tsv", "a", buffering=1)  # noqa: SIM115
    local = threading.local()
    guard = threading.Lock()

    def observe(waited: float, held: float) -> None:
        totals = getattr(local, "totals", None)
        if totals is not None:
            totals[0] += waited
            totals[1] += held
            totals[2] += 1

    store.observe_lock(observe)
    register = Archive.register

    def timed_register(self, data, **options):
        local.totals = [0.0, 0.0, 0]
        started = time.perf_counter()
        try:
            return register(self, data, **options)
        finally:
            whole = time.perf_counter() - started
            waited, held, writes = local.totals
            local.totals = None
            with guard:
                out.write(f"{whole}\t{waited}\t{held}\t{writes}\n")

    Archive.register = timed_register
    return create_app()


def read_times(folder: Path) -> list[tuple[float, float, float, int]]:
    """Every line the workers wrote so far: (whole, waited, held, writes) per registration."""
    rows = []
    for file in sorted(folder.glob("*.tsv")):
        for line in file.read_text().splitlines():
            whole, waited, held, writes = line.split("\t")
            rows.append((float(whole), float(waited), float(held), int(writes)))
    return rows


def clear_times(folder: Path) -> None:
    """Empty the workers' files (they append, so their next lines start them again)."""
    for file in folder.glob("*.tsv"):
        os.truncate(file, 0)


if __name__ == "__main__":
    import uvicorn

    port, workers = int(sys.argv[1]), int(sys.argv[2])
    here = str(Path(__file__).resolve().parent)
    sys.path.insert(0, here)
    uvicorn.run(
        "timed_serve:from_env",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        server_header=False,
        log_level="warning",
        app_dir=here,
    )
