"""The FastAPI application: REST API v1, artifacts, health and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from modelreg import __version__
from modelreg.server.api import build_router
from modelreg.server.errors import install_error_handlers
from modelreg.server.middleware import HardeningMiddleware


def create_app(backend: Any) -> FastAPI:
    """The app serving ``backend`` (an ``EmbeddedBackend``)."""
    app = FastAPI(
        title="modelreg",
        version=__version__,
        description="Experiment tracking and model registry.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.backend = backend
    install_error_handlers(app)
    app.include_router(build_router(backend))

    from modelreg.server.artifacts import build_artifact_router

    app.include_router(build_artifact_router(backend))

    from modelreg.server.mlflow_compat import build_mlflow_router

    app.include_router(build_mlflow_router(backend))

    from modelreg.server.ui import build_ui_router

    app.include_router(build_ui_router(backend))

    @app.get("/health", tags=["server"])
    def health() -> Response:
        """200 when the metadata database answers, 503 otherwise."""
        try:
            with backend.db.read() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "reason": str(exc)[:200]}, 503)
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/metrics", tags=["server"])
    def metrics() -> Response:
        """Prometheus metrics: requests by route and status, latency histogram."""
        from modelreg.server.metrics import render

        body, content_type = render()
        return Response(body, media_type=content_type)

    app.add_middleware(HardeningMiddleware)
    return app


def create_app_from_env() -> FastAPI:
    """Factory used by uvicorn workers: configuration comes from the environment."""
    import os

    from modelreg.backend import EmbeddedBackend

    backend = EmbeddedBackend(
        os.environ["MODELREG_SERVER_BACKEND_STORE_URI"],
        os.environ["MODELREG_SERVER_ARTIFACTS_URI"],
        upgrade=False,
    )
    return create_app(backend)
