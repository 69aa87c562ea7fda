"""The web skin: the HTTP API and the pages a journalist or an auditor reads.

`serve` runs it (what ``prov serve`` calls); `provenance_web.app.create_app`
builds it for a test or another ASGI server.
"""

from __future__ import annotations

import os

__all__ = ["serve"]


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, where: str | None = None) -> None:
    """Serve the archive at ``where`` (as the CLI resolves ``--db``) until interrupted.

    The archive is opened and its schema checked first, so a wrong location
    fails here with the library's error. With several ``workers`` uvicorn
    starts that many processes; each builds the app from ``$PROV_DB``, which
    is set to the archive's URL for them.
    """
    import uvicorn

    from provenance import Archive
    from provenance_web.settings import Settings

    if workers < 1:
        raise ValueError("workers: give 1 or more")
    Settings.from_env()  # a wrong PROV_WEB_* variable fails before the server starts
    with Archive(where) as archive:
        archive.check()
        os.environ["PROV_DB"] = archive.location.url
    uvicorn.run(
        "provenance_web.app:from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
    )
