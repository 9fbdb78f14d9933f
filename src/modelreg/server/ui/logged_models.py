"""The page of one MLflow 3 logged model: what it is, the run that made it, its metrics
with the datasets they were measured on, params, tags, the versions registered from it
and its files. Experiment and run pages list their logged models."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote as urlquote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from modelreg.api.route_permissions import Permission
from modelreg.errors import NotFound
from modelreg.server.guard import Guard
from modelreg.server.ui import file_listing, files
from modelreg.server.ui.session import page

LOGGED_MODELS_SHOWN = 50
VERSIONS_SHOWN = 100
LOGGED_MODEL_STATUS_CLASS = {"READY": "prod", "PENDING": "staging", "FAILED": "failed"}


def latest_metrics(model: Any) -> dict[str, float]:
    """Each metric's latest value (newest time, then step) on each dataset, labelled
    ``key`` or ``key (dataset)``: values measured on different data are not one series."""
    latest: dict[str, Any] = {}
    for m in model.metrics:
        label = m.metric.key + (f" ({m.dataset_name})" if m.dataset_name else "")
        shown = latest.get(label)
        if shown is None or (m.metric.timestamp, m.metric.step) >= (shown.timestamp, shown.step):
            latest[label] = m.metric
    return {label: metric.value for label, metric in sorted(latest.items())}


def run_logged_models(client: Any, run_id: str) -> dict[str, Any]:
    """What a run's page lists of logged models: those it made, those it output
    (``log_outputs``) and those it used (model inputs); of the last two, at most
    ``LOGGED_MODELS_SHOWN`` each, and only models the caller may read."""
    made = list(client.get_run_logged_models(run_id))
    known = {m.model_id for m in made}
    linked: dict[str, list[Any]] = {"output": [], "input": []}
    for link in client.get_run_model_links(run_id):
        shown = linked[link.direction]
        if link.model_id in known or len(shown) >= LOGGED_MODELS_SHOWN:
            continue
        try:
            shown.append(client.get_logged_model(link.model_id))
        except NotFound:  # deleted, or hidden from the caller: both are left out
            continue
        known.add(link.model_id)
    return {**logged_models_listed([*made, *linked["output"]]), "used_models": linked["input"]}


def logged_models_listed(found: Any) -> dict[str, Any]:
    """What ``_logged_models.html`` shows: the models found, and whether more matched."""
    return {
        "logged_models": list(found),
        "more_logged_models": bool(getattr(found, "token", None)),
        "logged_model_status_class": LOGGED_MODEL_STATUS_CLASS,
        "latest_metrics": latest_metrics,
    }


def build_logged_models_router(client: Any, backend: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    read_model = Permission("read", "logged_model")

    @router.get("/ui/logged-models/{model_id}")
    @guard.requires(read_model)
    def logged_model(request: Request, model_id: str, folder: str = "") -> HTMLResponse:
        """A logged model: status, source run, the runs that logged or used it, metrics
        by dataset, params, tags, registered versions and files."""
        model = client.get_logged_model(model_id)
        metrics = sorted(
            model.metrics,
            key=lambda m: (m.metric.key, m.dataset_name or "", m.metric.step, m.metric.timestamp),
        )
        return page(
            request,
            "logged_model.html",
            model=model,
            experiment=client.get_experiment(model.experiment_id),
            metrics=metrics,
            versions=client.search_model_versions(
                f"source = '{model.model_uri}'", max_results=VERSIONS_SHOWN
            ),
            run_links=client.get_logged_model_run_links(model_id),
            status_class=LOGGED_MODEL_STATUS_CLASS,
            listing=file_listing.folder_of(
                partial(backend.logged_models.manifest, model_id), folder
            ),
            files_base=f"/ui/logged-models/{urlquote(model_id, safe='')}",
            previewable=files.previewable,
        )

    @router.get("/ui/logged-models/{model_id}/files/{path:path}")
    @guard.requires(read_model)
    def logged_model_file(model_id: str, path: str, inline: bool = False) -> Response:
        """One of the logged model's files, as a download."""
        ref = files.entry(backend.logged_models.manifest(model_id, path), path)
        return files.download(backend.blobs, ref, path, inline)

    @router.get("/ui/logged-models/{model_id}/preview/{path:path}")
    @guard.requires(read_model)
    def logged_model_preview(request: Request, model_id: str, path: str) -> HTMLResponse:
        """One of the logged model's files shown on a page."""
        ref = files.entry(backend.logged_models.manifest(model_id, path), path)
        base = f"/ui/logged-models/{urlquote(model_id, safe='')}"
        return files.preview_page(request, backend.blobs, ref, path, base, f"model {model_id}")

    return router
