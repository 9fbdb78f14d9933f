"""Every error leaves the server as JSON ``{"error_code", "message"[, "details"]}``."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelreg.errors import ModelregError, ServiceUnavailable, Unauthenticated

log = logging.getLogger("modelreg.server")
# The schemes a 401 offers: a bearer token, or basic auth with the token as password.
WWW_AUTHENTICATE = 'Bearer realm="modelreg", Basic realm="modelreg"'


def _wants_html(request: Request | None) -> bool:
    """Pages of the web UI, and any URL outside the APIs that a browser asks for, answer
    errors as HTML pages."""
    if request is None:
        return False
    path = request.url.path
    if path == "/" or path == "/ui" or path.startswith("/ui/"):
        return True
    browser = "text/html" in request.headers.get("accept", "")
    return browser and not path.startswith("/api/")


def error_response(
    status: int,
    error_code: str,
    message: str,
    details: dict | None = None,
    request: Request | None = None,
):
    if _wants_html(request):
        from modelreg.server.ui import render

        return render(
            "error.html",
            status,
            status=status,
            error_code=error_code,
            message=message,
            failed_rules=(details or {}).get("failed_rules"),
            root=request.scope.get("root_path", "") if request is not None else "",
        )
    body: dict[str, Any] = {"error_code": error_code, "message": message}
    if details:
        body["details"] = details
    # ASCII JSON: a message quoting the input it refuses (an unpaired surrogate
    # included) is still a body that can be sent.
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "request body"


def new_error_id() -> str:
    """A short random id that ties a client's error answer to its line in the server log."""
    return uuid.uuid4().hex[:16]


def _from_database(exc: BaseException) -> bool:
    """Whether ``exc`` comes from the database driver (its text names hosts, ports,
    databases and SQL, which are the operator's business)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SQLAlchemyError) or type(seen).__module__.startswith(
            ("psycopg", "sqlite3")
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def modelreg_error_response(exc: ModelregError, request: Request | None = None):
    """The answer to a request the services refused with ``exc``.

    An error that comes from the database (it did not answer, or refused a
    query) is answered with a generic message and an error id; the detail
    goes to the log under that id."""
    if isinstance(exc, ServiceUnavailable) or _from_database(exc):
        error_id = new_error_id()
        if isinstance(exc, ServiceUnavailable):
            # A restart, a failover or a full pool: one line a request says it all; a
            # traceback for each of them would bury the log.
            log.warning("database unavailable %s: %s", error_id, exc.message)
        else:
            log.error("database error %s: %s", error_id, exc.message, exc_info=exc)
        message = f"the metadata database is unavailable; retry later (error id {error_id})"
        return error_response(exc.status, exc.error_code, message, {"error_id": error_id}, request)
    response = error_response(exc.status, exc.error_code, exc.message, exc.details, request)
    if isinstance(exc, Unauthenticated):
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


def internal_error_response(exc: Exception) -> JSONResponse:
    """The answer to a request that failed unexpectedly: a generic message and an error
    id; ``exc`` goes to the log under that id."""
    error_id = new_error_id()
    log.error("unhandled error %s", error_id, exc_info=exc)
    message = f"internal server error; the server log has the detail (error id {error_id})"
    return error_response(500, "INTERNAL_ERROR", message, {"error_id": error_id})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ModelregError)
    async def modelreg_error(request: Request, exc: ModelregError) -> JSONResponse:
        return modelreg_error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default is a 422 with pydantic's raw dump; say which field and why.
        problems = [f"{_field(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        return error_response(
            400, "INVALID_PARAMETER_VALUE", "; ".join(problems), {"fields": problems}, request
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "ENDPOINT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(
            exc.status_code, "INVALID_REQUEST"
        )
        return error_response(exc.status_code, code, str(exc.detail), request=request)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        response = internal_error_response(exc)
        # Sent by Starlette's outermost middleware, outside HardeningMiddleware.
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
