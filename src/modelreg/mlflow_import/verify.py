"""After an import: what the source holds against what the target holds, counted on both sides.

Both sides are read again for the selected experiments and models: runs,
params, every metric value, artifact files and bytes, logged models,
registered models, versions and aliases. With ``digests`` every artifact is
downloaded from the source again and its SHA-256 compared with the target's.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from modelreg.blobs import BlobRef
from modelreg.errors import InvalidArgument, ModelregError, NotFound
from modelreg.mlflow_import.context import Context
from modelreg.mlflow_import.files import FileTree, logged_model_tree, run_tree, target_path
from modelreg.mlflow_import.source import SourceError

ROWS = (
    "experiments",
    "runs",
    "params",
    "metric values",
    "artifacts",
    "artifact bytes",
    "logged models",
    "models",
    "versions",
    "aliases",
)


def _source_digest(tree: FileTree, path: str) -> str:
    h = hashlib.sha256()
    with tree.open_file(path) as response:
        for chunk in response.iter_bytes(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _target_digest(ctx: Context, digest: str) -> str | None:
    """The SHA-256 of the bytes the target holds under ``digest`` (``None``: it has none, or
    refuses to give bytes that do not match it)."""
    h = hashlib.sha256()
    try:
        with ctx.backend.artifacts.blobs.open(digest) as stored:
            while chunk := stored.read(1 << 20):
                h.update(chunk)
    except ModelregError:
        return None
    return h.hexdigest()


def _count_files(
    ctx: Context, tree: FileTree, have: dict[str, BlobRef], digests: bool, counts: Counter
) -> None:
    """Counts the source's files of ``tree`` and the target's (``have``); checks digests."""
    counts["target", "artifacts"] += len(have)
    counts["target", "artifact bytes"] += sum(r.size for r in have.values())
    for f in tree.list_files():
        counts["source", "artifacts"] += 1
        counts["source", "artifact bytes"] += f.size or 0
        if not digests:
            continue
        try:
            stored = have.get(target_path(f.path))
        except InvalidArgument:
            stored = None  # left out, and reported, by the import
        if stored is None:
            continue  # counted short on the target side already
        what = f"{tree.describe}: {f.path}"
        if _source_digest(tree, f.path) != stored.digest:
            ctx.problem("artifact", what, "differs from the source")
        elif _target_digest(ctx, stored.digest) != stored.digest:
            ctx.problem("artifact", what, "is missing or damaged in the target")


def _count_run(ctx: Context, run: dict[str, Any], digests: bool) -> Counter:
    counts: Counter = Counter()
    info, data = run["info"], run.get("data") or {}
    run_id = info["run_id"]
    counts["source", "runs"] += 1
    counts["source", "params"] += len(data.get("params") or [])
    for key in {m["key"] for m in data.get("metrics") or []}:
        counts["source", "metric values"] += sum(
            len(page) for page in ctx.source.metric_history(run_id, key)
        )
    try:
        target = ctx.backend.tracking.get_run(run_id)
    except NotFound:
        return counts
    counts["target", "runs"] += 1
    counts["target", "params"] += len(target.data.params)
    for key in target.data.metrics:
        page = ctx.backend.tracking.get_metric_history(run_id, key)
        counts["target", "metric values"] += len(page)
        while page.token:
            page = ctx.backend.tracking.get_metric_history(run_id, key, None, page.token)
            counts["target", "metric values"] += len(page)
    manifest = ctx.backend.artifacts.manifest(run_id)
    try:
        files = run_tree(ctx.source, run_id, artifact_uri=info.get("artifact_uri") or "")
        _count_files(ctx, files, manifest, digests, counts)
    except SourceError as exc:
        ctx.problem("verify", f"run {run_id}", f"source files cannot be read ({exc})")
    return counts


def _count_logged_model(ctx: Context, model: dict[str, Any], digests: bool) -> Counter:
    counts: Counter = Counter()
    model_id = model["info"]["model_id"]
    counts["source", "logged models"] += 1
    try:
        manifest = ctx.backend.logged_models.manifest(model_id)
    except NotFound:
        manifest = {}
    else:
        counts["target", "logged models"] += 1
    try:
        _count_files(ctx, logged_model_tree(ctx.source, model_id), manifest, digests, counts)
    except SourceError as exc:
        ctx.problem("verify", f"logged model {model_id}", f"source files cannot be read ({exc})")
    return counts


def _count_models(ctx: Context, models: list[dict[str, Any]]) -> Counter:
    counts: Counter = Counter()
    for model in models:
        name = model["name"]
        counts["source", "models"] += 1
        counts["source", "versions"] += len(ctx.source.model_versions(name))
        counts["source", "aliases"] += len(model.get("aliases") or [])
        try:
            target = ctx.backend.registry.get_registered_model(name)
        except NotFound:
            continue
        counts["target", "models"] += 1
        found = ctx.backend.registry.search_model_versions(f"name = '{_quoted(name)}'")
        counts["target", "versions"] += len(found)
        counts["target", "aliases"] += len(target.aliases)
    return counts


def _quoted(name: str) -> str:
    return name.replace("\\", "\\\\").replace("'", "\\'")


def compare(
    ctx: Context,
    experiments: list[dict[str, Any]],
    runs: list[dict[str, Any]],
    logged_models: list[dict[str, Any]],
    models: list[dict[str, Any]],
    digests: bool = False,
) -> dict[str, tuple[int, int]]:
    """``row: (source count, target count)`` for each of :data:`ROWS`."""
    counts: Counter = Counter()
    counts["source", "experiments"] = len(experiments)
    for e in experiments:
        target_id = ctx.experiment_ids.get(e["experiment_id"])
        if target_id is not None:
            try:
                ctx.backend.tracking.get_experiment(target_id)
                counts["target", "experiments"] += 1
            except NotFound:
                pass
    with ThreadPoolExecutor(max(1, ctx.options.workers)) as pool:
        for run_counts in pool.map(lambda r: _count_run(ctx, r, digests), runs):
            counts.update(run_counts)
        for model_counts in pool.map(lambda m: _count_logged_model(ctx, m, digests), logged_models):
            counts.update(model_counts)
    counts.update(_count_models(ctx, models))
    return {row: (counts["source", row], counts["target", row]) for row in ROWS}
