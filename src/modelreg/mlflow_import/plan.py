"""``--dry-run``: what an import would copy, read from the source, with nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelreg.errors import NotFound
from modelreg.mlflow_import.context import Context
from modelreg.mlflow_import.logged_models import in_target


@dataclass
class Plan:
    """Per experiment: runs and logged models in the source and how many the target
    lacks (with the runs' artifact files and bytes); per model: versions the target
    lacks, and aliases."""

    experiments: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"experiments": self.experiments, "models": self.models}


def _in_target(ctx: Context, run_id: str) -> bool:
    try:
        ctx.backend.tracking.get_run(run_id)
    except NotFound:
        return False
    return True


def _experiment(ctx: Context, e: dict[str, Any]) -> dict[str, Any]:
    runs = list(ctx.source.runs(e["experiment_id"]))
    new = [r for r in runs if not _in_target(ctx, r["info"]["run_id"])]
    files = [f for r in new for f in ctx.source.run_files(r["info"]["run_id"])]
    logged = [m["info"]["model_id"] for m in ctx.source.logged_models(e["experiment_id"])]
    return {
        "mlflow_id": e["experiment_id"],
        "name": e["name"],
        "exists": ctx.backend.tracking.get_experiment_by_name(e["name"]) is not None,
        "runs": len(runs),
        "new_runs": len(new),
        "new_files": len(files),
        "new_bytes": sum(f.size or 0 for f in files),
        "logged_models": len(logged),
        "new_logged_models": sum(not in_target(ctx, m) for m in logged),
    }


def _model(ctx: Context, m: dict[str, Any]) -> dict[str, Any]:
    versions = ctx.source.model_versions(m["name"])
    new = 0
    for mv in versions:
        try:
            ctx.backend.registry.get_model_version(m["name"], int(mv["version"]))
        except NotFound:
            new += 1
    return {
        "name": m["name"],
        "versions": len(versions),
        "new_versions": new,
        "aliases": len(m.get("aliases") or []),
    }


def make_plan(
    ctx: Context, experiments: list[dict[str, Any]], models: list[dict[str, Any]]
) -> Plan:
    return Plan([_experiment(ctx, e) for e in experiments], [_model(ctx, m) for m in models])
