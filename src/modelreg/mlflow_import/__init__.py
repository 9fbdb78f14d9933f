"""``modelreg import-mlflow``: a whole MLflow tracking server's history, copied faithfully.

Reading goes through MLflow's public REST API (:mod:`.source`, httpx only);
writing goes through the target's import operations
(:mod:`modelreg.services.imports`), embedded or over a ``modelreg server``,
so imported data is validated, audited and content-addressed like any other.

Phases, in order: experiments (ids mapped, the mapping written to a file),
runs (ids kept; params, tags, every metric value, dataset inputs, artifact
files), MLflow 3 logged models (ids kept; fields, metrics and files),
registered models (versions with their numbers, stages and files; aliases), and
with them the registry's webhooks, created disabled as MLflow keeps their
secrets (:mod:`.webhooks`). Each phase skips
what an earlier import finished, so running it again changes nothing and an
interrupted import resumes. A count of both sides ends it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelreg.mlflow_import.context import Context, Options, Problem
from modelreg.mlflow_import.logged_models import (
    import_logged_models,
    import_run_model_links,
    source_logged_models,
)
from modelreg.mlflow_import.plan import Plan, make_plan
from modelreg.mlflow_import.progress import Phase, Progress
from modelreg.mlflow_import.registry import import_models, selected_models
from modelreg.mlflow_import.source import MlflowSource, SourceAuth, SourceError
from modelreg.mlflow_import.tracking import (
    import_experiments,
    import_runs,
    selected_experiments,
    source_runs,
)
from modelreg.mlflow_import.verify import compare
from modelreg.mlflow_import.webhooks import import_webhooks, imported_webhooks, source_webhooks

__all__ = [
    "ImportResult",
    "Options",
    "Plan",
    "Problem",
    "SourceAuth",
    "SourceError",
    "import_mlflow",
]

DEFAULT_MAPPING_FILE = "mlflow-experiment-ids.json"


@dataclass
class ImportResult:
    """What an import did: the experiment id mapping, the counts of both sides
    (``row: (source, target)``), the problems met, and each phase's progress."""

    experiment_ids: dict[str, str] = field(default_factory=dict)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    plan: Plan | None = None

    @property
    def complete(self) -> bool:
        """Every count matches and nothing was reported."""
        return not self.problems and all(s == t for s, t in self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment_ids": self.experiment_ids,
            "counts": {row: {"source": s, "target": t} for row, (s, t) in self.counts.items()},
            "problems": [vars(p) for p in self.problems],
            "phases": [vars(p) for p in self.phases],
            "plan": None if self.plan is None else self.plan.to_dict(),
        }


def _write_mapping(path: Path, source: str, ids: dict[str, str]) -> None:
    """Merges ``ids`` into the mapping file (an import of a subset keeps the others)."""
    known: dict[str, str] = {}
    if path.exists():
        try:
            known = json.loads(path.read_text()).get("experiments", {})
        except ValueError:
            known = {}
    data = {"source": source, "experiments": {**known, **ids}}
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(temp, path)


def import_mlflow(
    source_url: str,
    tracking_uri: str | None = None,
    *,
    auth: SourceAuth | None = None,
    options: Options | None = None,
    mapping_file: str | os.PathLike[str] | None = DEFAULT_MAPPING_FILE,
    progress: Progress | None = None,
) -> ImportResult:
    """Copies the MLflow server at ``source_url`` into ``tracking_uri`` (default: the current one).

    Raises :class:`SourceError` when the source cannot be read at all; problems
    with single objects are collected in the result instead.
    """
    from modelreg.backend import open_backend

    options = options or Options()
    source = MlflowSource(source_url, auth)
    try:
        ctx = Context(
            source, open_backend(tracking_uri), options, progress or Progress(), source.url
        )
        wanted_experiments = options.all_experiments or bool(options.experiments)
        experiments = selected_experiments(ctx) if wanted_experiments else []
        wanted_models = options.all_models or bool(options.models)
        models = selected_models(ctx) if wanted_models else []
        if options.dry_run:
            return ImportResult(plan=make_plan(ctx, experiments, models))
        import_experiments(ctx, experiments)
        if mapping_file is not None:
            _write_mapping(Path(mapping_file), source.url, ctx.experiment_ids)
        runs = list(source_runs(ctx, experiments))
        import_runs(ctx, runs)
        logged = source_logged_models(ctx, [e["experiment_id"] for e in experiments])
        import_logged_models(ctx, logged)
        import_run_model_links(ctx, runs, logged)
        import_models(ctx, models)
        # Webhooks are registry-wide: they come with any import of registered models.
        hooks = source_webhooks(ctx) if wanted_models else []
        import_webhooks(ctx, hooks)
        counts = compare(ctx, experiments, runs, logged, models, digests=options.verify)
        present = imported_webhooks(ctx)
        found = sum((h.get("name") or None, h.get("url", "")) in present for h in hooks)
        counts["webhooks"] = (len(hooks), found)
        return ImportResult(dict(ctx.experiment_ids), counts, ctx.problems, ctx.progress.finished)
    finally:
        source.close()
