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

from collections.abc import Callable
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from modelreg.actor import acting_as
from modelreg.api.route_permissions import Permission
from modelreg.entities import Experiment, Metric, ModelVersion, Param, RegisteredModel, Run, RunTag
from modelreg.errors import InvalidArgument, NotFound
from modelreg.server.api import json_response
from modelreg.server.declarations import mlflow_endpoint_permission
from modelreg.server.guard import Guard
from modelreg.server.identity import actor_for
from modelreg.server.mlflow_names import (
    tag_from_mlflow,
    tag_to_mlflow,
    uri_to_mlflow,
)
from modelreg.server.mlflow_routes import (
    ARTIFACTS_PREFIX,
    PREFIX,
    REGISTERED_ROOT,
    artifact_target,
    as_list,
    request_params,
)
from modelreg.server.uploads import consume_body
from modelreg.timeutil import now_ms
from modelreg.validation import check_int, check_objects, check_string

Handler = Callable[[Any, dict[str, Any]], Any]
READ_ARTIFACT = Permission("read", "mlflow_artifact")
EDIT_ARTIFACT = Permission("edit", "mlflow_artifact")
HANDLERS: dict[tuple[str, str], Handler] = {}


def endpoint(method: str, path: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[(method, path)] = handler
        return handler

    return register


# -- shapes ------------------------------------------------------------------------


def _kv(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in mapping.items()]


def _raw(obj: dict[str, Any], key: str) -> Any:
    """A field of a request body as sent (maybe missing): the service validates it."""
    return obj.get(key)


def _from_kv(items: Any, field: str = "tags") -> dict[str, str]:
    return {
        tag_from_mlflow(_raw(item, "key")): _raw(item, "value")
        for item in check_objects(items, field)
    }


def _experiment(e: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": uri_to_mlflow(e.artifact_location),
        "lifecycle_stage": e.lifecycle_stage,
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
        "tags": _kv(e.tags),
    }


def _run_info(info: Any) -> dict[str, Any]:
    out = {
        "run_id": info.run_id,
        "run_uuid": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "artifact_uri": uri_to_mlflow(info.artifact_uri),
        "lifecycle_stage": info.lifecycle_stage,
    }
    if info.end_time is not None:
        out["end_time"] = info.end_time
    return out


def _metric_value(value: float) -> Any:
    return Metric("m", value, 0).to_dict()["value"]


def _run(run: Run) -> dict[str, Any]:
    tags = {tag_to_mlflow(k): v for k, v in run.data.tags.items()}
    tags = {"mlflow.runName": run.info.run_name, "mlflow.user": run.info.user_id, **tags}
    return {
        "info": _run_info(run.info),
        "data": {
            "metrics": [
                {"key": k, "value": _metric_value(v), "timestamp": 0, "step": 0}
                for k, v in run.data.metrics.items()
            ],
            "params": _kv(run.data.params),
            "tags": _kv(tags),
        },
        "inputs": {},
    }


def _version(v: ModelVersion) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "current_stage": v.current_stage,
        "description": v.description or "",
        "source": uri_to_mlflow(v.source),
        "run_id": v.run_id or "",
        "status": v.status,
        "user_id": v.user_id,
        "tags": _kv(v.tags),
        "aliases": list(v.aliases),
    }


def _model(m: RegisteredModel) -> dict[str, Any]:
    return {
        "name": m.name,
        "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp,
        "description": m.description or "",
        "latest_versions": [_version(v) for v in m.latest_versions],
        "tags": _kv(m.tags),
        "aliases": [{"alias": a, "version": str(n)} for a, n in m.aliases.items()],
    }


def _page(items: Any, key: str, convert: Callable[[Any], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {key: [convert(i) for i in items]}
    if items.token:
        out["next_page_token"] = items.token
    return out


def _required(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise InvalidArgument(f"missing value for required parameter '{name}'")
    return value


# -- experiments -------------------------------------------------------------------


@endpoint("POST", "/experiments/create")
def create_experiment(b: Any, p: dict[str, Any]) -> Any:
    experiment_id = b.tracking.create_experiment(
        _required(p, "name"), p.get("artifact_location") or None, _from_kv(p.get("tags"))
    )
    return {"experiment_id": experiment_id}


@endpoint("GET", "/experiments/get")
def get_experiment(b: Any, p: dict[str, Any]) -> Any:
    return {"experiment": _experiment(b.tracking.get_experiment(_required(p, "experiment_id")))}


@endpoint("GET", "/experiments/get-by-name")
def get_experiment_by_name(b: Any, p: dict[str, Any]) -> Any:
    name = _required(p, "experiment_name")
    experiment = b.tracking.get_experiment_by_name(name)
    if experiment is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return {"experiment": _experiment(experiment)}


@endpoint("POST", "/experiments/search")
def search_experiments(b: Any, p: dict[str, Any]) -> Any:
    found = b.tracking.search_experiments(
        p.get("view_type") or "ACTIVE_ONLY",
        p.get("max_results"),
        p.get("filter"),
        as_list(p.get("order_by")),
        p.get("page_token"),
    )
    return _page(found, "experiments", _experiment)


@endpoint("POST", "/experiments/delete")
def delete_experiment(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.delete_experiment(_required(p, "experiment_id"))


@endpoint("POST", "/experiments/restore")
def restore_experiment(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.restore_experiment(_required(p, "experiment_id"))


@endpoint("POST", "/experiments/update")
def update_experiment(b: Any, p: dict[str, Any]) -> Any:
    if p.get("new_name"):
        b.tracking.rename_experiment(_required(p, "experiment_id"), p["new_name"])


@endpoint("POST", "/experiments/set-experiment-tag")
def set_experiment_tag(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.set_experiment_tag(
        _required(p, "experiment_id"), _required(p, "key"), p.get("value")
    )


# -- runs --------------------------------------------------------------------------


@endpoint("POST", "/runs/create")
def create_run(b: Any, p: dict[str, Any]) -> Any:
    tags = _from_kv(p.get("tags"))
    run = b.tracking.create_run(
        p.get("experiment_id") or "0",
        p.get("start_time"),
        tags,
        p.get("run_name") or tags.get("mlflow.runName"),
    )
    return {"run": _run(run)}


@endpoint("GET", "/runs/get")
def get_run(b: Any, p: dict[str, Any]) -> Any:
    return {"run": _run(b.tracking.get_run(p.get("run_id") or _required(p, "run_uuid")))}


@endpoint("POST", "/runs/update")
def update_run(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or _required(p, "run_uuid")
    info = b.tracking.update_run(run_id, p.get("status"), p.get("end_time"), p.get("run_name"))
    return {"run_info": _run_info(info)}


@endpoint("POST", "/runs/delete")
def delete_run(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.delete_run(_required(p, "run_id"))


@endpoint("POST", "/runs/restore")
def restore_run(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.restore_run(_required(p, "run_id"))


def _metric(run_key: dict[str, Any]) -> Metric:
    return Metric(
        _raw(run_key, "key"),
        _raw(run_key, "value"),
        run_key.get("timestamp") or now_ms(),
        run_key.get("step") or 0,
    )


@endpoint("POST", "/runs/log-metric")
def log_metric(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or _required(p, "run_uuid")
    b.tracking.log_batch(run_id, metrics=[_metric(p)])


@endpoint("POST", "/runs/log-parameter")
def log_param(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or _required(p, "run_uuid")
    b.tracking.log_batch(run_id, params=[Param(_raw(p, "key"), _raw(p, "value"))])


@endpoint("POST", "/runs/set-tag")
def set_tag(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or _required(p, "run_uuid")
    b.tracking.log_batch(run_id, tags=[RunTag(tag_from_mlflow(_raw(p, "key")), _raw(p, "value"))])


@endpoint("POST", "/runs/delete-tag")
def delete_tag(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.delete_tag(_required(p, "run_id"), tag_from_mlflow(_required(p, "key")))


@endpoint("POST", "/runs/log-batch")
def log_batch(b: Any, p: dict[str, Any]) -> Any:
    b.tracking.log_batch(
        _required(p, "run_id"),
        metrics=[_metric(m) for m in check_objects(p.get("metrics"), "metrics")],
        params=[
            Param(_raw(i, "key"), _raw(i, "value"))
            for i in check_objects(p.get("params"), "params")
        ],
        tags=[
            RunTag(tag_from_mlflow(_raw(i, "key")), _raw(i, "value"))
            for i in check_objects(p.get("tags"), "tags")
        ],
    )


@endpoint("POST", "/runs/log-model")
def log_model(b: Any, p: dict[str, Any]) -> Any:
    # MLflow records logged-model metadata as a run tag; the files arrive as artifacts.
    model_json = p.get("model_json")
    if model_json:
        text = check_string(model_json, "model_json", 1 << 20)[:8000]
        b.tracking.log_batch(
            _required(p, "run_id"), tags=[RunTag("mlflow.log-model.history", text)]
        )


@endpoint("POST", "/runs/log-inputs")
def log_inputs(b: Any, p: dict[str, Any]) -> Any:
    _required(p, "run_id")


@endpoint("POST", "/logged-models/search")
def search_logged_models(b: Any, p: dict[str, Any]) -> Any:
    # MLflow 3's "logged model" entities do not exist here; with none found, the
    # client resolves runs:/ sources to the run's own artifacts.
    return {"models": []}


@endpoint("POST", "/runs/search")
def search_runs(b: Any, p: dict[str, Any]) -> Any:
    found = b.tracking.search_runs(
        as_list(p.get("experiment_ids")),
        p.get("filter") or "",
        p.get("run_view_type") or "ACTIVE_ONLY",
        p.get("max_results"),
        as_list(p.get("order_by")),
        p.get("page_token"),
    )
    return _page(found, "runs", _run)


@endpoint("GET", "/metrics/get-history")
def get_metric_history(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or _required(p, "run_uuid")
    history = b.tracking.get_metric_history(run_id, _required(p, "metric_key"))
    return {"metrics": [m.to_dict() for m in history]}


@endpoint("GET", "/artifacts/list")
def list_run_artifacts(b: Any, p: dict[str, Any]) -> Any:
    run_id = p.get("run_id") or _required(p, "run_uuid")
    files = b.artifacts.list_artifacts(run_id, p.get("path") or None)
    root = uri_to_mlflow(b.tracking.get_run(run_id).info.artifact_uri)
    return {"root_uri": root, "files": [f.to_dict() for f in files]}


# -- registry ----------------------------------------------------------------------


@endpoint("POST", "/registered-models/create")
def create_registered_model(b: Any, p: dict[str, Any]) -> Any:
    model = b.registry.create_registered_model(
        _required(p, "name"), p.get("description"), _from_kv(p.get("tags"))
    )
    return {"registered_model": _model(model)}


@endpoint("GET", "/registered-models/get")
def get_registered_model(b: Any, p: dict[str, Any]) -> Any:
    return {"registered_model": _model(b.registry.get_registered_model(_required(p, "name")))}


@endpoint("POST", "/registered-models/rename")
def rename_registered_model(b: Any, p: dict[str, Any]) -> Any:
    model = b.registry.rename_registered_model(_required(p, "name"), _required(p, "new_name"))
    return {"registered_model": _model(model)}


@endpoint("PATCH", "/registered-models/update")
def update_registered_model(b: Any, p: dict[str, Any]) -> Any:
    model = b.registry.update_registered_model(_required(p, "name"), p.get("description"))
    return {"registered_model": _model(model)}


@endpoint("DELETE", "/registered-models/delete")
def delete_registered_model(b: Any, p: dict[str, Any]) -> Any:
    b.registry.delete_registered_model(_required(p, "name"))


@endpoint("GET", "/registered-models/search")
def search_registered_models(b: Any, p: dict[str, Any]) -> Any:
    found = b.registry.search_registered_models(
        p.get("filter"), p.get("max_results"), as_list(p.get("order_by")), p.get("page_token")
    )
    return _page(found, "registered_models", _model)


@endpoint("POST", "/registered-models/get-latest-versions")
def get_latest_versions(b: Any, p: dict[str, Any]) -> Any:
    found = b.registry.get_latest_versions(_required(p, "name"), as_list(p.get("stages")) or None)
    return {"model_versions": [_version(v) for v in found]}


@endpoint("POST", "/registered-models/set-tag")
def set_registered_model_tag(b: Any, p: dict[str, Any]) -> Any:
    b.registry.set_registered_model_tag(_required(p, "name"), _required(p, "key"), p.get("value"))


@endpoint("DELETE", "/registered-models/delete-tag")
def delete_registered_model_tag(b: Any, p: dict[str, Any]) -> Any:
    b.registry.delete_registered_model_tag(_required(p, "name"), _required(p, "key"))


@endpoint("POST", "/registered-models/alias")
def set_alias(b: Any, p: dict[str, Any]) -> Any:
    b.registry.set_registered_model_alias(
        _required(p, "name"), _required(p, "alias"), _required(p, "version")
    )


@endpoint("DELETE", "/registered-models/alias")
def delete_alias(b: Any, p: dict[str, Any]) -> Any:
    b.registry.delete_registered_model_alias(_required(p, "name"), _required(p, "alias"))


@endpoint("GET", "/registered-models/alias")
def get_by_alias(b: Any, p: dict[str, Any]) -> Any:
    version = b.registry.get_model_version_by_alias(_required(p, "name"), _required(p, "alias"))
    return {"model_version": _version(version)}


@endpoint("POST", "/model-versions/create")
def create_model_version(b: Any, p: dict[str, Any]) -> Any:
    version = b.registry.create_model_version(
        _required(p, "name"),
        _required(p, "source"),
        run_id=p.get("run_id") or None,
        description=p.get("description") or None,
        tags=_from_kv(p.get("tags")),
    )
    return {"model_version": _version(version)}


@endpoint("GET", "/model-versions/get")
def get_model_version(b: Any, p: dict[str, Any]) -> Any:
    version = b.registry.get_model_version(_required(p, "name"), _required(p, "version"))
    return {"model_version": _version(version)}


@endpoint("PATCH", "/model-versions/update")
def update_model_version(b: Any, p: dict[str, Any]) -> Any:
    version = b.registry.update_model_version(
        _required(p, "name"), _required(p, "version"), p.get("description")
    )
    return {"model_version": _version(version)}


@endpoint("DELETE", "/model-versions/delete")
def delete_model_version(b: Any, p: dict[str, Any]) -> Any:
    b.registry.delete_model_version(_required(p, "name"), _required(p, "version"))


@endpoint("POST", "/model-versions/transition-stage")
def transition_stage(b: Any, p: dict[str, Any]) -> Any:
    archive = str(p.get("archive_existing_versions", False)).lower() in ("true", "1")
    version = b.registry.transition_model_version_stage(
        _required(p, "name"), _required(p, "version"), _required(p, "stage"), archive
    )
    return {"model_version": _version(version)}


@endpoint("GET", "/model-versions/search")
def search_model_versions(b: Any, p: dict[str, Any]) -> Any:
    found = b.registry.search_model_versions(
        p.get("filter"), p.get("max_results"), as_list(p.get("order_by")), p.get("page_token")
    )
    return _page(found, "model_versions", _version)


@endpoint("GET", "/model-versions/get-download-uri")
def get_download_uri(b: Any, p: dict[str, Any]) -> Any:
    version = b.registry.get_model_version(_required(p, "name"), _required(p, "version"))
    return {"artifact_uri": f"mlflow-artifacts:/{REGISTERED_ROOT}/{version.name}/{version.version}"}


@endpoint("POST", "/model-versions/set-tag")
def set_model_version_tag(b: Any, p: dict[str, Any]) -> Any:
    b.registry.set_model_version_tag(
        _required(p, "name"), _required(p, "version"), _required(p, "key"), p.get("value")
    )


@endpoint("DELETE", "/model-versions/delete-tag")
def delete_model_version_tag(b: Any, p: dict[str, Any]) -> Any:
    b.registry.delete_model_version_tag(
        _required(p, "name"), _required(p, "version"), _required(p, "key")
    )


# -- plumbing ----------------------------------------------------------------------


def _entries(backend: Any, kind: str, owner: str, rel: str) -> dict[str, Any]:
    if kind == "run":
        return backend.artifacts.manifest(owner, rel)
    name, version = owner.rsplit("/", 1)
    return backend.artifacts.version_manifest(name, check_int(version, "version", 1), rel)


def build_mlflow_router(backend: Any, guard: Guard) -> APIRouter:
    router = APIRouter(tags=["mlflow-compatible"], include_in_schema=False)

    @router.api_route(PREFIX + "/{path:path}", methods=["GET", "POST", "PATCH", "DELETE"])
    @guard.dispatches
    async def mlflow_api(path: str, request: Request) -> Response:
        handler = HANDLERS.get((request.method, "/" + path))
        if handler is None:
            raise NotFound(f"MLflow endpoint {request.method} /{path} is not supported")
        params = await request_params(request)
        from starlette.concurrency import run_in_threadpool

        def call() -> Any:
            # On the parameters just parsed, which are the ones the handler gets.
            guard.check(mlflow_endpoint_permission(request.method, path), params)
            with acting_as(actor_for(request)):
                return handler(backend, params)

        return json_response(await run_in_threadpool(call) or {})

    @router.get(ARTIFACTS_PREFIX)
    @guard.requires(READ_ARTIFACT)
    def list_artifacts(request: Request, path: str = "") -> Response:
        kind, owner, rel = artifact_target(path)
        entries = _entries(backend, kind, owner, rel)
        base = f"{rel}/" if rel else ""
        files: dict[str, dict[str, Any]] = {}
        for full, ref in entries.items():
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
        kind, run_id, rel = artifact_target(path)
        if kind != "run" or not rel:
            raise InvalidArgument("artifacts are uploaded to <experiment>/<run>/artifacts/<path>")
        actor = actor_for(request)

        def store(body: BinaryIO) -> Response:
            ref = backend.blobs.put_stream(body)
            backend.artifacts.note_upload(ref.digest)  # the caller sent the bytes
            with acting_as(actor):
                backend.artifacts.record_artifacts(run_id, {rel: ref})
            return json_response({})

        return await consume_body(request, store)

    return router
