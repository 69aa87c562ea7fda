"""The web application: the HTTP API under ``/api`` and the pages at ``/``, over one `Archive`.

``create_app(where)`` opens the archive as the CLI does (``where``, else
``$PROV_DB``, else the default archive) and the settings from ``PROV_WEB_*``
unless given; tests build it the same way and talk to it in process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from provenance import Archive
from provenance_web import access, api, errors, pages
from provenance_web.access import Actors
from provenance_web.limits import BodyLimit
from provenance_web.settings import Settings

API_PREFIX = "/api"
TITLE = "provenance"
VERSION = "1"
DESCRIPTION = (
    "Content-hashed text versions, their lineage and their edits, over HTTP. "
    "Every answer is the document `prov ... --json` prints; see docs/http.md."
)


def create_app(where: str | None = None, *, settings: Settings | None = None) -> FastAPI:
    archive = Archive(where)
    settings = settings if settings is not None else Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            app.state.actors.close()
            archive.close()

    app = FastAPI(title=TITLE, version=VERSION, description=DESCRIPTION, lifespan=lifespan)
    app.state.archive = archive
    app.state.settings = settings
    app.state.actors = Actors(archive)
    app.state.scrub = errors.Scrubber(errors.server_paths(archive.location.path))
    errors.install(app)
    app.add_middleware(BodyLimit, limit=settings.max_body)
    app.include_router(api.router, prefix=API_PREFIX)
    # The pages read the record as the API does: when reads are closed, they are
    # closed too (a request needs a token, which a browser does not send).
    app.include_router(pages.router, include_in_schema=False, dependencies=[Depends(access.reader)])
    _document_open_reads(app)
    return app


def _document_open_reads(app: FastAPI) -> None:
    """In the OpenAPI document, a read takes a token but needs none while reads are open:
    its security is ``[{}, {"HTTPBearer": []}]`` (FastAPI writes every bearer as required)."""
    generate = app.openapi

    def reads(dependant) -> bool:
        return any(d.call is access.reader or reads(d) for d in dependant.dependencies)

    def openapi() -> dict:
        if app.openapi_schema is None and app.state.settings.reads_open:
            document = generate()
            for route in api.router.routes:
                operations = document["paths"].get(API_PREFIX + getattr(route, "path_format", ""), {})
                if getattr(route, "include_in_schema", False) and reads(route.dependant):
                    for method in route.methods:
                        if method.lower() in operations:
                            operations[method.lower()]["security"] = [{}, {"HTTPBearer": []}]
        return generate()

    app.openapi = openapi  # type: ignore[method-assign]


def from_env() -> FastAPI:
    """The app on ``$PROV_DB`` with the ``PROV_WEB_*`` settings: uvicorn's factory
    for `provenance_web.serve`, in every worker process."""
    return create_app()
