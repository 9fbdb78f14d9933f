"""The scoring server's ASGI app (Starlette): MLflow's endpoints, plus following the registry.

=======================  ===================================================================
``POST /invocations``    predict; bodies as MLflow's scoring server takes them
                         (:mod:`modelreg.serving.payloads`); ``{"predictions": …}``
``GET /ping``            200 once a model is loaded
``GET /health``          JSON: what serves, whether it follows, the last refused version
``GET /version``         JSON: name, version, semver, digest of what serves
``GET /metrics``         Prometheus (:mod:`modelreg.serving.metrics`)
``POST /webhook``        a registry webhook delivery (signed with the secret given to
                         ``modelreg serve``): look at the registry now
=======================  ===================================================================

Every response carries ``X-Modelreg-Model-Version`` (and ``…-Semver``): for
``/invocations`` the version that made that prediction. Errors are JSON
``{"error_code", "message"}``: 400 for input the signature refuses (naming
the column and the problem) or the model fails on, 413 for a body over
:data:`MAX_BODY_BYTES`, 401 for a webhook with a bad signature.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from modelreg.errors import InvalidArgument, ModelregError, PayloadTooLarge, Unauthenticated
from modelreg.serving import metrics
from modelreg.serving.follow import Follower, Served
from modelreg.serving.payloads import (
    JSON_TYPE,
    json_input,
    media_type,
    predictions_json,
    read_json,
    request_input,
)
from modelreg.webhooks import SIGNATURE_HEADER, verify_signature

log = logging.getLogger("modelreg.serving")

MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_WEBHOOK_BYTES = 1024 * 1024
VERSION_HEADER = "X-Modelreg-Model-Version"
SEMVER_HEADER = "X-Modelreg-Model-Semver"


def _json(data: Any, status: int = 200, served: Served | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    return Response(body, status, headers=_version_headers(served), media_type=JSON_TYPE)


def _version_headers(served: Served | None) -> dict[str, str]:
    if served is None:
        return {}
    return {VERSION_HEADER: str(served.version), SEMVER_HEADER: served.semver}


def _error(exc: ModelregError, served: Served | None) -> Response:
    return _json({"error_code": exc.error_code, "message": exc.message}, exc.status, served)


async def _read_body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"the request body is over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class ModelFailed(InvalidArgument):
    """The model itself raised on an input its signature let through (HTTP 400)."""


def predict(served: Served, body: bytes, content_type: str | None) -> bytes:
    """The response body for one invocation.

    Raises InvalidArgument for input the signature refuses, ModelFailed when
    the model raises on it.
    """
    model = served.model
    if media_type(content_type) == JSON_TYPE:
        payload = read_json(body)
        rows = served.fast.rows(payload) if served.fast is not None else None
        if rows is not None:
            return predictions_json(served.fast.predict(rows))
        data, params = json_input(payload, model.signature)
    else:
        data, params = request_input(body, content_type, model.signature)
    try:
        result = model.predict(data, params=params)
    except ModelregError:
        raise
    except Exception as exc:
        log.warning("v%d failed to predict: %s: %s", served.version, type(exc).__name__, exc)
        raise ModelFailed(
            f"the model could not predict this input: {type(exc).__name__}: {exc}"
        ) from None
    return predictions_json(result)


def create_app(follower: Follower, *, webhook_secret: str | None = None) -> Starlette:
    """The app serving ``follower``'s model; follows the registry while it runs (unless pinned).

    ``webhook_secret`` enables ``POST /webhook`` (without it the endpoint
    answers 404).
    """

    def timed(endpoint: str, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def run(request: Request) -> Response:
            started = time.perf_counter()
            response: Response = await handler(request)
            metrics.observe(endpoint, response.status_code, time.perf_counter() - started)
            return response

        return run

    async def invocations(request: Request) -> Response:
        served = follower.current  # read once: this version answers the whole request
        assert served is not None
        try:
            body = await _read_body(request, MAX_BODY_BYTES)
            content = await run_in_threadpool(
                predict, served, body, request.headers.get("content-type")
            )
        except ModelregError as exc:
            metrics.ERRORS.labels("model" if isinstance(exc, ModelFailed) else "input").inc()
            return _error(exc, served)
        return Response(content, headers=_version_headers(served), media_type=JSON_TYPE)

    async def ping(request: Request) -> Response:
        served = follower.current
        return Response(b"\n", 200 if served else 503, headers=_version_headers(served))

    async def health(request: Request) -> Response:
        return _json(follower.health(), served=follower.current)

    async def version(request: Request) -> Response:
        served = follower.current
        data = {"uri": follower.uri, **(served.describe() if served else {})}
        return _json(data, served=served)

    async def metrics_page(request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, headers=_version_headers(follower.current), media_type=content_type)

    async def webhook(request: Request) -> Response:
        served = follower.current
        if webhook_secret is None:
            problem = "this server takes no webhooks: start it with --webhook-secret"
            return _json({"error_code": "ENDPOINT_NOT_FOUND", "message": problem}, 404, served)
        try:
            body = await _read_body(request, MAX_WEBHOOK_BYTES)
            if not verify_signature(webhook_secret, body, request.headers.get(SIGNATURE_HEADER)):
                raise Unauthenticated(f"the {SIGNATURE_HEADER} header does not sign this body")
        except ModelregError as exc:
            return _error(exc, served)
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        model_name = event.get("model_name") if isinstance(event, dict) else None
        if model_name not in (None, follower.name):
            return _json({"status": "ignored"}, served=served)
        follower.notify()
        return _json({"status": "checking"}, served=served)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        follower.start()
        yield
        follower.stop()

    routes = [
        Route("/invocations", timed("invocations", invocations), methods=["POST"]),
        Route("/ping", timed("ping", ping), methods=["GET"]),
        Route("/health", timed("health", health), methods=["GET"]),
        Route("/version", timed("version", version), methods=["GET"]),
        Route("/metrics", timed("metrics", metrics_page), methods=["GET"]),
        Route("/webhook", timed("webhook", webhook), methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
