"""The FastAPI application: REST API v1, artifacts, health and metrics."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from modelreg.api.operations import openapi_path
from modelreg.api.route_permissions import METRICS, PUBLIC, USER
from modelreg.server.access_log import AccessLogMiddleware, enable_access_log
from modelreg.server.api import build_routers
from modelreg.server.auth import AuthConfig, AuthenticationMiddleware, public_paths
from modelreg.server.csrf import CrossSiteMiddleware
from modelreg.server.errors import install_error_handlers
from modelreg.server.guard import Guard, iter_routes, permission_of, refuse_undeclared
from modelreg.server.idempotency import IdempotencyMiddleware
from modelreg.server.middleware import HardeningMiddleware
from modelreg.server.point_reads import PointReadMiddleware
from modelreg.server.root_path import RootPathMiddleware, check_root_path
from modelreg.server.threads import DEFAULT_THREADS, lifespan
from modelreg.settings import SERVER_ROOT_PATH, SERVER_THREADS
from modelreg.version import __version__

OPENAPI_URL = "/api/v1/openapi.json"
log = logging.getLogger(__name__)


def _resume_webhooks(backend: Any) -> None:
    """Sends the webhook deliveries a stopped server left pending."""
    try:
        resumed = backend.webhooks.resume()
    except Exception:  # a database that is not there yet must not stop the server
        log.exception("could not resume pending webhook deliveries")
        return
    if resumed:
        log.info("resumed %d pending webhook deliveries", resumed)


def create_app(
    backend: Any,
    auth: AuthConfig | None = None,
    *,
    access_log: bool = False,
    threads: int = DEFAULT_THREADS,
    root_path: str = "",
) -> FastAPI:
    """The app serving ``backend`` (an ``EmbeddedBackend``); ``auth`` turns on users and roles,
    ``access_log`` a line per request (``server.access_log``), ``threads`` is how many
    requests' blocking work runs at once (``server.threads``), ``root_path`` the path a
    proxy publishes it under (``server.root_path``).

    The caller is authenticated before anything else
    (``server.auth.AuthenticationMiddleware``); every route then checks the
    permission it declares on its parsed request (``server.guard``).
    """
    auth = auth or AuthConfig()
    guard = Guard(backend.access, public_metrics=auth.public_metrics)
    app = FastAPI(
        lifespan=lifespan(threads, lambda: _resume_webhooks(backend)),
        title="modelreg",
        version=__version__,
        description="Experiment tracking and model registry.",
        # Served by the declared routes below, so they are checked like any other.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # A route added without a declaration fails closed; without auth every
        # caller is anonymous and may do everything, so nothing is checked.
        dependencies=[Depends(refuse_undeclared)] if auth.enabled else [],
    )
    app.state.backend = backend
    app.state.auth = auth
    install_error_handlers(app)
    for router in build_routers(backend, guard):
        app.include_router(router)

    from modelreg.server.artifacts import build_artifact_router

    app.include_router(build_artifact_router(backend, guard))

    from modelreg.server.current_version import build_current_version_router

    app.include_router(build_current_version_router(backend, guard))

    from modelreg.server.mlflow_compat import build_mlflow_router

    app.include_router(build_mlflow_router(backend, guard))

    from modelreg.server.ui import build_ui_router

    app.include_router(build_ui_router(backend, guard))

    @app.get("/health", tags=["server"])
    @guard.requires(PUBLIC)
    def health() -> Response:
        """200 when the metadata database answers, 503 otherwise."""
        try:
            with backend.db.read() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            # Anyone may ask: the detail (hosts, ports, users) goes to the log only.
            log.error("health check: the metadata database did not answer", exc_info=exc)
            return JSONResponse({"status": "unavailable", "reason": "database unavailable"}, 503)
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/metrics", tags=["server"])
    @guard.requires(METRICS)
    def metrics() -> Response:
        """Prometheus metrics: requests by route and status, latency histogram."""
        from modelreg.server.metrics import render

        body, content_type = render()
        return Response(body, media_type=content_type)

    @app.get(OPENAPI_URL, include_in_schema=False)
    @guard.requires(USER)
    def openapi() -> Response:
        """The OpenAPI document of the REST API v1."""
        return JSONResponse(app.openapi())

    @app.get("/api/v1/docs", include_in_schema=False)
    @guard.requires(USER)
    def docs(request: Request) -> Response:
        """Documentation of the REST API v1: one page, served whole (works offline)."""
        from modelreg.server.ui.apidocs import api_docs_page

        permissions = {
            (method, openapi_path(route.path)): permission
            for route in iter_routes(app.routes)
            if (permission := permission_of(route)) is not None
            for method in getattr(route, "methods", None) or ()
        }
        return api_docs_page(app.openapi(), permissions, request.scope.get("root_path", ""))

    # Added first, so every later middleware wraps the point reads as it wraps the routes.
    app.add_middleware(PointReadMiddleware, fastapi_app=app, guard=guard)
    app.add_middleware(IdempotencyMiddleware, db=backend.db)
    app.add_middleware(
        AuthenticationMiddleware,
        access=backend.access,
        enabled=auth.enabled,
        public=lambda: public_paths(app.routes, auth),
    )
    app.add_middleware(CrossSiteMiddleware)
    app.add_middleware(HardeningMiddleware)
    if access_log:
        app.add_middleware(AccessLogMiddleware)
    if root_path:  # outermost: every other part sees the server's own paths
        app.add_middleware(RootPathMiddleware, root=check_root_path(root_path))
    return app


def create_app_from_env() -> FastAPI:
    """Factory used by uvicorn workers: configuration comes from the environment."""
    import gc
    import os

    from modelreg.backend import EmbeddedBackend

    backend = EmbeddedBackend(
        os.environ["MODELREG_SERVER_BACKEND_STORE_URI"],
        os.environ["MODELREG_SERVER_ARTIFACTS_URI"],
        upgrade=False,
    )
    auth = AuthConfig(
        enabled=os.environ.get("MODELREG_SERVER_AUTH") == "1",
        public_metrics=os.environ.get("MODELREG_SERVER_PUBLIC_METRICS") == "1",
    )
    access_log = os.environ.get("MODELREG_SERVER_ACCESS_LOG") == "1"
    if access_log:
        enable_access_log()
    threads = int(SERVER_THREADS.get() or DEFAULT_THREADS)
    root_path = SERVER_ROOT_PATH.get() or ""
    app = create_app(backend, auth, access_log=access_log, threads=threads, root_path=root_path)
    # The modules and the app built so far live as long as the worker: moved out
    # of the collector's reach, they make each full collection (a pause every
    # request in flight waits for) scan only what requests allocate.
    gc.freeze()
    return app
