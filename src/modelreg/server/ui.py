"""The web UI: server-rendered HTML (Jinja2, autoescaped) over the same services.

Pages: models, a model's versions with stage and alias badges and its stage
history, a version (source, signature, files, tags, model card, lineage),
version comparison with a score chart, experiments, runs, and a run's metric
plots. No JavaScript is needed to read any of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from modelreg.api.route_permissions import USER, on_experiment, on_model, on_run
from modelreg.server.charts import bar_chart, line_chart
from modelreg.server.guard import Guard

TEMPLATES = Path(__file__).with_name("templates")
STAGE_CLASS = {"Production": "prod", "Staging": "staging", "Archived": "archived"}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _datetime(ms: int | None) -> str:
    from datetime import UTC, datetime

    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


environment.filters["datetime"] = _datetime
environment.globals["stage_class"] = lambda stage: STAGE_CLASS.get(stage, "none")


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    page = environment.get_template(template).render(**context)
    return HTMLResponse(page, status_code=status_code)


def _optional(client: Any, method: str, *args: Any) -> Any:
    """Governance features (cards, lineage, comparison) when this build has them."""
    from modelreg.errors import NotFound

    call = getattr(client, method, None)
    if call is None:
        return None
    try:
        return call(*args)
    except NotFound:
        return None


def build_ui_router(backend: Any, guard: Guard) -> APIRouter:
    from modelreg.client import Client

    client = Client.from_backend(backend)
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    @guard.requires(USER)
    def home() -> Response:
        return RedirectResponse("/ui/models", status_code=307)

    @router.get("/ui/models")
    @guard.requires(USER)
    def models(request: Request, filter: str = Query("")) -> HTMLResponse:
        found = client.search_registered_models(filter or None, max_results=500)
        return render("models.html", models=found, filter=filter)

    @router.get("/ui/models/{name}")
    @guard.requires(on_model("read"))
    def model(name: str) -> HTMLResponse:
        registered = client.get_registered_model(name)
        versions = client.search_model_versions(
            f"name = '{_quote(name)}'", max_results=1000, order_by=["version DESC"]
        )
        history = [
            e
            for e in client.get_history(name)
            if "stage" in e.action or "alias" in e.action or e.action == "rollback"
        ]
        return render("model.html", model=registered, versions=versions, history=history[-50:])

    @router.get("/ui/models/{name}/versions/{version}")
    @guard.requires(on_model("read"))
    def version(name: str, version: int) -> HTMLResponse:
        found = client.get_model_version(name, version)
        files = backend.artifacts.version_manifest(name, version)
        card = _optional(client, "export_model_card", name, version, "html")
        lineage = _optional(client, "lineage", name, version)
        history = client.get_history(name, version)
        return render(
            "version.html",
            version=found,
            files=files,
            card=card,
            lineage=lineage,
            history=history,
        )

    @router.get("/ui/models/{name}/compare")
    @guard.requires(on_model("read"))
    def compare(name: str, versions: str = Query("")) -> HTMLResponse:
        numbers = [v for v in versions.replace(" ", "").split(",") if v] or None
        table = _optional(client, "compare_versions", name, numbers)
        rows = table.to_dicts() if table is not None else []
        chart = bar_chart({f"v{r['version']}": r.get("score") for r in rows}) if rows else None
        metrics = list(getattr(table, "metrics", ()) or ())
        return render("compare.html", name=name, rows=rows, metrics=metrics, chart=chart)

    @router.get("/ui/experiments")
    @guard.requires(USER)
    def experiments() -> HTMLResponse:
        return render("experiments.html", experiments=client.search_experiments(max_results=500))

    @router.get("/ui/experiments/{experiment_id}")
    @guard.requires(on_experiment("read"))
    def experiment(experiment_id: str, filter: str = Query("")) -> HTMLResponse:
        found = client.get_experiment(experiment_id)
        runs = client.search_runs([experiment_id], filter, max_results=500)
        metric_keys = sorted({k for r in runs for k in r.data.metrics})
        return render(
            "experiment.html", experiment=found, runs=runs, metric_keys=metric_keys, filter=filter
        )

    @router.get("/ui/runs/{run_id}")
    @guard.requires(on_run("read"))
    def run(run_id: str) -> HTMLResponse:
        found = client.get_run(run_id)
        series = {
            key: [(m.step, m.value) for m in client.get_metric_history(run_id, key)]
            for key in sorted(found.data.metrics)
        }
        plots = {
            key: line_chart({key: points}) for key, points in series.items() if len(points) > 1
        }
        files = backend.artifacts.manifest(run_id)
        return render("run.html", run=found, plots=plots, files=files)

    return router


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace("'", "\\'")
