"""Pages of experiments and runs: the runs table, a run, and runs compared."""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote as urlquote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from modelreg import image_series
from modelreg.api.route_permissions import USER, on_experiment, on_run
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.filter_text import TOP_LEVEL_RUNS, all_of, child_runs_of, quote
from modelreg.server.charts import line_chart, scatter_chart
from modelreg.server.guard import Guard
from modelreg.server.ui import file_listing, files
from modelreg.server.ui.images import comparison_view, series_view
from modelreg.server.ui.logged_models import (
    LOGGED_MODELS_SHOWN,
    logged_models_listed,
    run_logged_models,
)
from modelreg.server.ui.models import typed_filter
from modelreg.server.ui.nesting import page_nesting, parent_id, run_children
from modelreg.server.ui.session import allowed, page
from modelreg.services.tracking import CHART_POINTS
from modelreg.system_metrics import is_system_metric

RUNS_PER_PAGE = 50
EXPERIMENTS_PER_PAGE = 100
EXPERIMENT_SORTS = {"name": "name", "created": "creation_time", "updated": "last_update_time"}
DEFAULT_PARAMS = 6
DEFAULT_METRICS = 10
MAX_COMPARED_RUNS = 10
STATUS_CLASS = {"FINISHED": "prod", "RUNNING": "staging", "FAILED": "failed", "KILLED": "archived"}
# What a runs table sorts by: a column id as search_runs' order_by reads it.
_SORTABLE = re.compile(
    r"(metrics|params|tags)\.[\w.\- ]{1,250}|attributes\.(start_time|end_time|run_name|status)"
)


def _columns(runs: list[Any], chosen: list[str]) -> tuple[list[str], list[str]]:
    """The metric and param columns present on the page, and those to show: by default
    the first few of the model's metrics (not the machine's) and params."""
    available = sorted({f"metrics.{k}" for r in runs for k in r.data.metrics})
    available += sorted({f"params.{k}" for r in runs for k in r.data.params})
    if chosen:
        return available, [c for c in chosen if c in available]
    metrics = [
        c
        for c in available
        if c.startswith("metrics.") and not is_system_metric(c.removeprefix("metrics."))
    ][:DEFAULT_METRICS]
    params = [c for c in available if c.startswith("params.")][:DEFAULT_PARAMS]
    return available, metrics + params


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def scatter(runs: list[Any], available: list[str], x: str, y: str) -> tuple[str, str, Any]:
    """A param (or metric) against a metric over the runs shown; defaults to the first
    numeric param whose value varies, and the first metric."""
    params = [c for c in available if c.startswith("params.")]
    numeric = [c for c in params if any(_number(cell(r, c)) is not None for r in runs)]
    numeric.sort(key=lambda c: len({cell(r, c) for r in runs}) < 2)  # varying params first
    metrics = [c for c in available if c.startswith("metrics.")]
    x = x if x in available else (numeric[:1] or [""])[0]
    y = y if y in metrics else (metrics[:1] or [""])[0]
    if not x or not y:
        return x, y, None
    points = [
        (_number(cell(r, x)), _number(cell(r, y)), r.info.run_name or r.info.run_id[:8])
        for r in runs
    ]
    usable = [(px, py, label) for px, py, label in points if px is not None and py is not None]
    return x, y, scatter_chart(usable, x, y)


def cell(run: Any, column: str) -> Any:
    kind, _, key = column.partition(".")
    return (run.data.metrics if kind == "metrics" else run.data.params).get(key)


def metric_chart(
    tracking: Any, key: str, runs: dict[str, str], least_values: int = 1
) -> Markup | None:
    """The chart of metric ``key`` of ``runs`` (shown name → run id), however long their
    histories: each is sampled by the database to what the chart can show, and the chart
    says so. A metric logged without steps is drawn over seconds since its first value.
    ``None`` when no run has ``least_values`` values of it (one value needs no chart)."""
    samples = {name: tracking.sample_metric_history(run_id, key) for name, run_id in runs.items()}
    if max(s.total for s in samples.values()) < least_values:
        return None
    if len({s.axis for s in samples.values()}) > 1:  # one x axis for all: the step
        samples = {
            name: tracking.sample_metric_history(run_id, key, axis="step")
            for name, run_id in runs.items()
        }
    axis = next(iter(samples.values())).axis
    scale = 1000 if axis == "time" else 1
    series = {name: [(x / scale, v) for x, v in s.points] for name, s in samples.items()}
    sampled = any(s.sampled for s in samples.values())
    note = ""
    if sampled:
        total = sum(s.total for s in samples.values())
        note = (
            f"{total:,} values, drawn as the lowest and highest value "
            f"in each of {CHART_POINTS // 2} {axis} intervals."
        )
    x_label = "seconds" if axis == "time" else "step"
    return line_chart(series, x_label, dots=not sampled, note=note)


def build_tracking_router(client: Any, backend: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    read_run = on_run("read")

    @router.get("/ui/experiments")
    @guard.requires(USER)
    def experiments(
        request: Request,
        view: str = "active",
        q: str = Query("", max_length=8192),
        sort: str = "created",
        order: str = "desc",
        page_token: str = "",
    ) -> HTMLResponse:
        """The experiments the viewer may read whose name holds every word typed (or
        matching a filter), a page at a time (``view=deleted``: the deleted ones)."""
        if sort not in EXPERIMENT_SORTS or order not in ("asc", "desc"):
            sorts = ", ".join(EXPERIMENT_SORTS)
            raise InvalidArgument(f"sort by one of {sorts}, in order asc or desc")
        deleted = view == "deleted"
        found = client.search_experiments(
            "DELETED_ONLY" if deleted else "ACTIVE_ONLY",
            max_results=EXPERIMENTS_PER_PAGE,
            filter_string=typed_filter(q, ("name",)),
            order_by=[f"{EXPERIMENT_SORTS[sort]} {order.upper()}"],
            page_token=page_token or None,
        )
        return page(
            request,
            "experiments.html",
            experiments=found,
            deleted=deleted,
            view="deleted" if deleted else "active",
            q=q,
            sort=sort,
            order=order,
            paged=bool(page_token),
        )

    @router.get("/ui/experiments/{experiment_id}")
    @guard.requires(on_experiment("read"))
    def experiment(
        request: Request,
        experiment_id: str,
        filter: str = Query("", max_length=8192),
        sort: str = "attributes.start_time",
        order: str = "desc",
        col: Annotated[list[str] | None, Query()] = None,
        page_token: str = "",
        x: str = "",
        y: str = "",
        top_level: bool = False,
    ) -> HTMLResponse:
        """The runs of an experiment: filter, sort, page, choose columns, pick to compare,
        a param plotted against a metric; ``top_level`` hides child runs."""
        if not _SORTABLE.fullmatch(sort) or order not in ("asc", "desc"):
            raise InvalidArgument("sort by a metric, param, tag, start_time, end_time or run_name")
        found = client.get_experiment(experiment_id)
        runs = client.search_runs(
            [experiment_id],
            all_of(filter, TOP_LEVEL_RUNS) if top_level else filter,
            max_results=RUNS_PER_PAGE,
            order_by=[f"{sort} {order.upper()}"],
            page_token=page_token or None,
        )
        col = col or []
        available, shown = _columns(runs, col)
        nesting = page_nesting(client, experiment_id, list(runs))
        x, y, plot = scatter(runs, available, x, y)
        return page(
            request,
            "experiment.html",
            experiment=found,
            runs=runs,
            available=available,
            shown=shown,
            cell=cell,
            filter=filter,
            sort=sort,
            order=order,
            col=col,
            paged=bool(page_token),
            status_class=STATUS_CLASS,
            x=x,
            y=y,
            plot=plot,
            nesting=nesting,
            top_level=top_level,
            children_filter=child_runs_of,
            parent_id=parent_id,
            **logged_models_listed(
                client.search_logged_models([experiment_id], max_results=LOGGED_MODELS_SHOWN)
            ),
            can_edit=allowed(request, on_experiment("edit"), {"experiment_id": experiment_id}),
            can_manage=allowed(request, on_experiment("manage"), {"experiment_id": experiment_id}),
        )

    @router.get("/ui/experiments/{experiment_id}/compare")
    @guard.requires(on_experiment("read"))
    def compare_runs(
        request: Request, experiment_id: str, run: Annotated[list[str] | None, Query()] = None
    ) -> HTMLResponse:
        """Runs of one experiment side by side: metric curves overlaid, image series at
        one step, params that differ."""
        ids = list(dict.fromkeys(run or []))
        if not 2 <= len(ids) <= MAX_COMPARED_RUNS:
            raise InvalidArgument(f"pick 2 to {MAX_COMPARED_RUNS} runs to compare")
        found = client.get_experiment(experiment_id)
        runs = [client.get_run(i) for i in ids]
        for r in runs:
            if r.info.experiment_id != found.experiment_id:
                raise NotFound(f"run '{r.info.run_id}' is not in experiment {experiment_id}")
        keys = sorted({k for r in runs for k in r.data.metrics})
        curves = {
            key: metric_chart(
                backend.tracking,
                key,
                {
                    r.info.run_name or r.info.run_id[:8]: r.info.run_id
                    for r in runs
                    if key in r.data.metrics
                },
            )
            for key in keys
        }
        params = sorted({k for r in runs for k in r.data.params})
        differing = [k for k in params if len({r.data.params.get(k) for r in runs}) > 1]
        images = comparison_view(
            [backend.artifacts.manifest(r.info.run_id, image_series.FOLDER) for r in runs]
        )
        return page(
            request,
            "compare_runs.html",
            experiment=found,
            runs=runs,
            images=images,
            keys=keys,
            curves=curves,
            system_keys=[k for k in keys if is_system_metric(k)],
            is_system_metric=is_system_metric,
            params=differing,
            same_params=len(params) - len(differing),
        )

    @router.get("/ui/runs/{run_id}")
    @guard.requires(read_run)
    def run_page(request: Request, run_id: str, folder: str = "") -> HTMLResponse:
        """A run: metrics with their curves, params, tags, datasets, files, versions made."""
        found = client.get_run(run_id)
        charts = {
            key: metric_chart(backend.tracking, key, {key: found.info.run_id}, least_values=2)
            for key in sorted(found.data.metrics)
        }
        plots = {key: chart for key, chart in charts.items() if chart is not None}
        latest = found.data.metrics
        model_metrics = {k: v for k, v in latest.items() if not is_system_metric(k)}
        versions = client.search_model_versions(f"run_id = '{quote(run_id)}'", max_results=100)
        children = run_children(client, found)
        return page(
            request,
            "run.html",
            run=found,
            experiment=client.get_experiment(found.info.experiment_id),
            plots={k: chart for k, chart in plots.items() if not is_system_metric(k)},
            system_plots={k: chart for k, chart in plots.items() if is_system_metric(k)},
            model_metrics=model_metrics,
            system_metrics={k: v for k, v in latest.items() if is_system_metric(k)},
            listing=file_listing.folder_of(partial(backend.artifacts.manifest, run_id), folder),
            files_base=f"/ui/runs/{urlquote(run_id, safe='')}",
            previewable=files.previewable,
            images=series_view(backend.artifacts.manifest(run_id, image_series.FOLDER)),
            datasets=found.inputs.dataset_inputs,
            versions=versions,
            parent=_parent(client, found),
            parent_id=parent_id(found),
            children=children,
            children_filter=child_runs_of(run_id),
            **run_logged_models(client, run_id),
            status_class=STATUS_CLASS,
            can_edit=allowed(request, on_run("edit"), {"run_id": run_id}),
            can_manage=allowed(request, on_run("manage"), {"run_id": run_id}),
        )

    @router.get("/ui/runs/{run_id}/files/{path:path}")
    @guard.requires(read_run)
    def run_file(run_id: str, path: str, inline: bool = False) -> Response:
        """One of the run's files, as a download."""
        ref = files.entry(backend.artifacts.manifest(run_id, path), path)
        return files.download(backend.blobs, ref, path, inline)

    @router.get("/ui/runs/{run_id}/preview/{path:path}")
    @guard.requires(read_run)
    def run_preview(request: Request, run_id: str, path: str) -> HTMLResponse:
        """One of the run's files shown on a page."""
        ref = files.entry(backend.artifacts.manifest(run_id, path), path)
        base = f"/ui/runs/{urlquote(run_id, safe='')}"
        return files.preview_page(request, backend.blobs, ref, path, base, f"run {run_id[:8]}")

    return router


def _parent(client: Any, run: Any) -> Any:
    """The run ``run`` is nested in, or None when it is top-level or the parent cannot be
    read (gone, or another's)."""
    found = parent_id(run)
    if found is None:
        return None
    try:
        return client.get_run(found)
    except (NotFound, PermissionDenied):
        return None
