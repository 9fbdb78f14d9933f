"""Comparing 2–10 versions of a model: metrics (best highlighted), score formula and
ranking, params and signature differences, one bar chart per metric."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from modelreg.api.route_permissions import on_model, on_run
from modelreg.errors import InvalidArgument, NotFound
from modelreg.server.charts import bar_chart
from modelreg.server.guard import Guard
from modelreg.server.ui.models import version_filter
from modelreg.server.ui.session import allowed, page
from modelreg.server.ui.versions import signature_rows

MIN_VERSIONS, MAX_VERSIONS = 2, 10
PICKER_SIZE = 50
HIDDEN = "(hidden)"
# Without a weight saying which way is better, metrics named like these are lower-is-better.
_LOWER_IS_BETTER = ("loss", "error", "latency", "rmse", "mae", "mse", "time", "size")


def parse_versions(picked: list[str], listed: str) -> list[int]:
    """The version numbers asked for, from ``?v=1&v=2`` and/or ``?versions=1,2``."""
    raw = [*picked, *listed.replace(" ", "").split(",")]
    numbers: list[int] = []
    for text in filter(None, raw):
        if not text.isdigit() or int(text) < 1:
            raise InvalidArgument(f"'{text[:20]}' is not a version number")
        if int(text) not in numbers:
            numbers.append(int(text))
    if numbers and not MIN_VERSIONS <= len(numbers) <= MAX_VERSIONS:
        raise InvalidArgument(
            f"pick {MIN_VERSIONS} to {MAX_VERSIONS} versions to compare, not {len(numbers)}"
        )
    return numbers


def parse_weights(text: str) -> dict[str, float] | None:
    """``accuracy=0.7, latency_ms=-0.01`` as weights; empty text means the model's own."""
    if not text.strip():
        return None
    weights: dict[str, float] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = math.nan
        if not sep or not key.strip() or not math.isfinite(weight):
            shown = part.strip()[:60]
            raise InvalidArgument(f"weights read 'metric=number, …'; '{shown}' does not")
        weights[key.strip()] = weight
    return weights


def lower_is_better(metric: str, weights: dict[str, float]) -> bool:
    if metric in weights:
        return weights[metric] < 0
    return any(word in metric.lower() for word in _LOWER_IS_BETTER)


def best_versions(table: Any, metric: str, weights: dict[str, float]) -> set[int]:
    values = {
        r.version: r.metrics.get(metric)
        for r in table.rows
        if r.metrics.get(metric) is not None and math.isfinite(r.metrics[metric])
    }
    if len(values) < 2:
        return set()
    target = (min if lower_is_better(metric, weights) else max)(values.values())
    return {v for v, value in values.items() if value == target}


def formula(weights: dict[str, float]) -> str:
    """``score = 0.7 × accuracy − 0.01 × latency_ms``."""
    terms = []
    for i, (key, w) in enumerate(weights.items()):
        sign = "−" if w < 0 else ("+" if i else "")
        terms.append(f"{sign} {abs(w):g} × {key}".strip())
    return "score = " + " ".join(terms)


def worked(row: Any, weights: dict[str, float]) -> str:
    """The score of one row with its numbers filled in, or why it has none."""
    if row.score is None:
        missing = ", ".join(row.missing) or "no weights"
        return f"no score: missing {missing}"
    parts = [f"{w:g} × {row.metrics[k]:.6g}" for k, w in weights.items()]
    return " + ".join(parts).replace("+ -", "− ") + f" = {row.score:.6g}"


def _params(request: Request, client: Any, run_id: str | None) -> dict[str, str] | None:
    """The params of a version's run; ``None`` when the viewer may not read the run."""
    if not run_id:
        return {}
    if not allowed(request, on_run("read"), {"run_id": run_id}):
        return None
    try:
        return client.get_run(run_id).data.params
    except NotFound:  # the run was deleted; the version keeps its files
        return {}


def params_diff(
    request: Request, client: Any, versions: list[Any]
) -> tuple[list[str], dict[str, list[Any]], int]:
    """Params whose values differ between the versions' runs: keys, values per key (a run
    the viewer may not read shows "hidden"), and how many are the same everywhere."""
    params = [_params(request, client, v.run_id) for v in versions]
    keys = sorted({k for p in params if p for k in p})
    values = {k: [HIDDEN if p is None else p.get(k) for p in params] for k in keys}
    differing = [k for k in keys if len(set(values[k])) > 1]
    return differing, values, len(keys) - len(differing)


def build_compare_router(client: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/ui/models/{name}/compare")
    @guard.requires(on_model("read"))
    def compare(
        request: Request,
        name: str,
        v: Annotated[list[str] | None, Query()] = None,
        versions: str = Query("", max_length=200),
        weights: str = Query("", max_length=2000),
    ) -> HTMLResponse:
        """The comparison of the versions picked, with a picker to choose others."""
        client.get_registered_model(name)  # an unknown model is a 404 page
        numbers = parse_versions(v or [], versions)
        picker = client.search_model_versions(
            version_filter(name), max_results=PICKER_SIZE, order_by=["version DESC"]
        )
        context: dict[str, Any] = {"name": name, "picker": picker, "picked": numbers}
        context["weights_text"] = weights
        if numbers:
            table = client.compare_versions(name, numbers, weights=parse_weights(weights))
            chosen = {n: client.get_model_version(name, n) for n in numbers}
            ordered = [chosen[r.version] for r in table.rows]
            differing, values, same = params_diff(request, client, ordered)
            signatures = [signature_rows(x.signature) for x in ordered]
            context.update(
                table=table,
                best={m: best_versions(table, m, table.weights) for m in table.metrics},
                formula=formula(table.weights) if table.weights else None,
                worked={r.version: worked(r, table.weights) for r in table.rows},
                charts={
                    m: bar_chart({f"v{r.version}": r.metrics.get(m) for r in table.rows})
                    for m in table.metrics
                },
                score_chart=bar_chart({f"v{r.version}": r.score for r in table.rows})
                if table.weights
                else None,
                params=differing,
                param_values=values,
                same_params=same,
                signatures=signatures,
                same_signature=all(s == signatures[0] for s in signatures),
            )
        return page(request, "compare.html", **context)

    return router
