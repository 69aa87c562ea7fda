"""Errors as the HTTP service answers them: ``{"code": ..., "message": ...}``.

The library's hierarchy (`provenance.errors`) is mapped here once, class by
class (`LIBRARY_ERRORS`, most specific first), as the CLI maps it once in
`handles_errors`. A ``code`` is stable (scripts branch on it); a ``message``
is one line for a person. Nothing else reaches a client: no traceback, no
token, no file system path (the archive's file, its folder, the server's
working and home folders are replaced by ``…`` in every message, whichever
error carried them).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from provenance import errors
from provenance.validate import shown

log = logging.getLogger("provenance_web")

MESSAGE_MAX = 500  # characters of a message a client gets


class ErrorBody(BaseModel):
    """Every error response's body."""

    code: str = Field(description="A stable name for the error, e.g. not_found, ambiguous_ref.")
    message: str = Field(description="One line for a person; never a path, token or traceback.")
    candidates: list[str] | None = Field(
        default=None, description="ambiguous_ref: the versions the reference matches."
    )
    offset: int | None = Field(
        default=None, description="invalid_encoding: the byte offset of the first invalid byte."
    )
    limit: int | None = Field(default=None, description="too_large: the largest body accepted, in bytes.")


class ApiError(Exception):
    """An error the service answers with ``status`` and an `ErrorBody`."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra


# (library class, HTTP status, code): the first class an error is an instance of wins.
LIBRARY_ERRORS: tuple[tuple[type[errors.ProvenanceError], int, str], ...] = (
    (errors.EncodingError, 422, "invalid_encoding"),
    (errors.InputError, 422, "invalid_input"),
    (errors.NotFoundError, 404, "not_found"),
    (errors.AmbiguousRefError, 409, "ambiguous_ref"),
    (errors.LineageError, 409, "lineage_conflict"),
    (errors.SchemaError, 503, "schema_mismatch"),
    (errors.DatabaseError, 503, "database_unavailable"),
    (errors.IntegrityError, 500, "integrity_error"),
    (errors.ProvenanceError, 400, "error"),
)

# Messages that would say more about the server than the request deserves.
_FIXED_MESSAGES = {
    "schema_mismatch": "the archive's schema is not this server's version; an administrator must run prov init",
    "database_unavailable": "the archive's database cannot be used right now",
    "integrity_error": "stored data does not match what was registered; an administrator should run prov verify",
}

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
}


def library_error(exc: errors.ProvenanceError) -> ApiError:
    """The `ApiError` a library error is answered with."""
    status, code = next((s, c) for cls, s, c in LIBRARY_ERRORS if isinstance(exc, cls))
    extra: dict[str, Any] = {}
    message = _FIXED_MESSAGES.get(code, str(exc))
    if isinstance(exc, errors.EncodingError):
        message = f"the body is not valid {exc.encoding.upper()} at byte offset {exc.offset}"
        if exc.encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            message += "; send UTF-8, or name its encoding with ?encoding= (e.g. gb18030)"
        extra["offset"] = exc.offset
    elif isinstance(exc, errors.AmbiguousRefError):
        extra["candidates"] = list(exc.candidates)
    return ApiError(status, code, message, **extra)


class Scrubber:
    """Removes the server's paths from messages (longest first, so a folder
    inside another is removed whole)."""

    def __init__(self, paths: Iterable[str | Path | None]):
        found = {str(p) for p in paths if p and len(str(p)) > 1}
        self.paths = sorted(found, key=len, reverse=True)

    def __call__(self, message: str) -> str:
        line = " ".join(message.split())  # one line
        for path in self.paths:
            line = line.replace(path, "…")
        if len(line) > MESSAGE_MAX:
            line = line[: MESSAGE_MAX - 1] + "…"
        return line


def server_paths(archive_path: Path | None) -> list[str | Path | None]:
    """The paths no message may show: the archive's file and folder, the working,
    home and temporary folders."""
    paths: list[str | Path | None] = [os.getcwd(), Path.home(), tempfile.gettempdir()]
    if archive_path is not None:
        paths += [archive_path, archive_path.parent, archive_path.resolve(), archive_path.resolve().parent]
    return paths


def respond(request: Request, err: ApiError) -> JSONResponse:
    scrub: Scrubber = request.app.state.scrub
    body: dict[str, Any] = {"code": err.code, "message": scrub(err.message)}
    for key, value in err.extra.items():
        body[key] = [scrub(v) for v in value] if isinstance(value, list) else value
    return JSONResponse(body, status_code=err.status, headers=err.headers)


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for item in exc.errors()[:3]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "request"
        expected = (item.get("ctx") or {}).get("expected")
        if item.get("type") == "literal_error" and isinstance(item.get("input"), str) and expected:
            # an enum parameter: say what was given, as the CLI does ("unknown edit kind 'typo'")
            problems.append(f"{where}: unknown value {shown(item['input'])}; use {expected}")
        else:
            problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(problems)


def install(app: FastAPI) -> None:
    """Answer every error, expected or not, with an `ErrorBody`."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return respond(request, exc)

    @app.exception_handler(errors.ProvenanceError)
    async def _library(request: Request, exc: errors.ProvenanceError) -> JSONResponse:
        return respond(request, library_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return respond(request, ApiError(422, "invalid_request", _validation_message(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "no such route"
        return respond(request, ApiError(exc.status_code, code, message, headers=dict(exc.headers or {})))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return respond(request, ApiError(500, "internal_error", "internal error; the server's log has the details"))
