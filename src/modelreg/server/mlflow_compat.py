"""MLflow's REST API (``/api/2.0/mlflow/…``, ``/api/2.0/mlflow-artifacts/…``) over modelreg.

An unmodified ``mlflow`` client pointed at a modelreg server tracks runs,
registers models and moves artifacts through these routes. Each endpoint is
a small translation: MLflow's request fields in, a service call, MLflow's
response shape out. Errors keep MLflow's error codes (modelreg's codes are
the same strings), so the client raises what it would raise against MLflow.

Artifacts live where modelreg keeps them (content-addressed blobs and
manifests); MLflow's artifact paths map onto manifests:
``<experiment_id>/<run_id>/artifacts/<path>`` is a run's file, and
``_registered/<model>/<version>/<path>`` a registered version's snapshot
(what ``get-download-uri`` points the client at). How a request's parameters
and an artifact path are read lives in :mod:`modelreg.server.mlflow_routes`,
which the permission checks share.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from modelreg.actor import acting_as
from modelreg.api.route_permissions import USER, Permission
from modelreg.errors import InvalidArgument, ModelregError, NotFound

# The handler modules fill HANDLERS as they are imported.
from modelreg.server import (  # noqa: F401
    mlflow_logged_models,
    mlflow_registry,
    mlflow_tracking,
    mlflow_webhooks,
)
from modelreg.server.api import json_response
from modelreg.server.guard import Guard
from modelreg.server.identity import actor_for
from modelreg.server.mlflow_endpoints import HANDLERS, PERMISSIONS
from modelreg.server.mlflow_names import error_to_mlflow
from modelreg.server.mlflow_routes import (
    ARTIFACTS_PREFIX,
    PREFIX,
    artifact_target,
    endpoint_key,
    request_params,
)
from modelreg.server.uploads import consume_body
from modelreg.validation import check_int

MULTIPART_PREFIX = "/api/2.0/mlflow-artifacts/mpu"
# The words MLflow's client looks for before it falls back to a single upload.
NO_MULTIPART = "Multipart upload is not supported for the current artifact repository"
READ_ARTIFACT = Permission("read", "mlflow_artifact")
EDIT_ARTIFACT = Permission("edit", "mlflow_artifact")

# -- plumbing ----------------------------------------------------------------------


def _entries(backend: Any, kind: str, owner: str, rel: str) -> dict[str, Any]:
    if kind == "run":
        return backend.artifacts.manifest(owner, rel)
    if kind == "logged_model":
        return backend.logged_models.manifest(owner, rel)
    name, version = owner.rsplit("/", 1)
    return backend.artifacts.version_manifest(name, check_int(version, "version", 1), rel)


def build_mlflow_router(backend: Any, guard: Guard) -> APIRouter:
    router = APIRouter(tags=["mlflow-compatible"], include_in_schema=False)

    @router.api_route(PREFIX + "/{path:path}", methods=["GET", "POST", "PATCH", "DELETE"])
    @guard.dispatches
    async def mlflow_api(path: str, request: Request) -> Response:
        key = (request.method, endpoint_key(path)[0])
        handler = HANDLERS.get(key)
        if handler is None:  # ENDPOINT_NOT_FOUND, as MLflow's clients expect
            raise HTTPException(404, f"MLflow endpoint {request.method} /{path} is not served")
        params = await request_params(request)

        def call() -> Any:
            # On the parameters just parsed, which are the ones the handler gets.
            guard.check(PERMISSIONS[key], params)
            with acting_as(actor_for(request)):
                try:
                    return handler(backend, params)
                except ModelregError as exc:
                    raise error_to_mlflow(exc) from None

        return json_response(await run_in_threadpool(call) or {})

    @router.get(ARTIFACTS_PREFIX)
    @guard.requires(READ_ARTIFACT)
    def list_artifacts(request: Request, path: str = "") -> Response:
        kind, owner, rel = artifact_target(path)
        entries = _entries(backend, kind, owner, rel)
        base = f"{rel}/" if rel else ""
        files: dict[str, dict[str, Any]] = {}
        for full, ref in entries.items():
            if not full.startswith(base):
                continue  # the path names a file: MLflow lists nothing under it
            name, _, rest = full[len(base) :].partition("/")
            if rest:
                files[name] = {"path": name, "is_dir": True}
            else:
                files[name] = {"path": name, "is_dir": False, "file_size": ref.size}
        return json_response({"files": [files[n] for n in sorted(files)]})

    @router.get(ARTIFACTS_PREFIX + "/{path:path}")
    @guard.requires(READ_ARTIFACT)
    def download(path: str) -> Response:
        kind, owner, rel = artifact_target(path)
        ref = _entries(backend, kind, owner, rel).get(rel)
        if ref is None:
            raise NotFound(f"no artifact at '{path[:200]}'")
        stream = backend.blobs.open(ref.digest)

        def chunks() -> Any:
            with stream:
                while data := stream.read(1024 * 1024):
                    yield data

        return StreamingResponse(
            chunks(),
            media_type="application/octet-stream",
            headers={"Content-Length": str(ref.size), "Content-Disposition": "attachment"},
        )

    @router.put(ARTIFACTS_PREFIX + "/{path:path}")
    @guard.requires(EDIT_ARTIFACT)
    async def upload(path: str, request: Request) -> Response:
        kind, owner, rel = artifact_target(path)
        if kind == "version" or not rel:
            raise InvalidArgument(
                "artifacts are uploaded to <experiment>/<run>/artifacts/<path> or "
                "<experiment>/models/<model_id>/artifacts/<path>"
            )
        actor = actor_for(request)

        def store(body: BinaryIO) -> Response:
            ref = backend.blobs.put_stream(body)
            backend.artifacts.note_upload(ref.digest)  # the caller sent the bytes
            with acting_as(actor):
                if kind == "run":
                    backend.artifacts.record_artifacts(owner, {rel: ref})
                else:
                    backend.logged_models.record_files(owner, {rel: ref})
            return json_response({})

        return await consume_body(request, store)

    @router.post(MULTIPART_PREFIX + "/{step}/{path:path}")
    @guard.requires(USER)
    def multipart_upload(step: str, path: str) -> Response:
        # MLflow clients (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD) try this for large files
        # first; MLflow's answer for a store without multipart uploads makes them send the
        # file in one PUT, which the server streams to a blob.
        return json_response({"error_code": "NOT_IMPLEMENTED", "message": NO_MULTIPART}, 501)

    return router
