"""The registered models phase: models, their versions (numbers, stages, files) and aliases.

A version's files come from where the import already put them when it can (the
logged model it was made from, or its run's artifacts), so they are not
downloaded twice; otherwise from the source's download URI. The
version keeps MLflow's number; its semver follows registration order.
"""

from __future__ import annotations

import re
from typing import Any

from modelreg.errors import ModelregError, NotFound
from modelreg.logged_models import logged_model_of
from modelreg.mlflow_import.context import Context
from modelreg.mlflow_import.files import copy_tree, logged_model_tree, proxied_tree, run_tree
from modelreg.mlflow_import.flavors import MANIFEST_NAME, MLMODEL, NOTE_TAG, modelreg_manifest
from modelreg.mlflow_import.logged_models import in_target
from modelreg.mlflow_import.source import proxied_root
from modelreg.prompts import PROMPT_SOURCES

_RUN_FOLDER = re.compile(r"(?:^|/)([0-9a-f]{32})/artifacts(?:/(.*))?$")


def _tags(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in items or []}


def selected_models(ctx: Context) -> list[dict[str, Any]]:
    wanted = set(ctx.options.models)
    return [
        m for m in ctx.source.registered_models() if ctx.options.all_models or m["name"] in wanted
    ]


def import_models(ctx: Context, models: list[dict[str, Any]]) -> None:
    with ctx.progress.start("models", len(models)):
        for model in models:
            try:
                _import_model(ctx, model)
            except ModelregError as exc:
                ctx.problem("model", model["name"], f"not imported ({exc})")
            ctx.progress.advance()


def _import_model(ctx: Context, model: dict[str, Any]) -> None:
    name = model["name"]
    ctx.backend.imports.import_registered_model(
        name,
        model.get("description") or None,
        int(model.get("creation_timestamp") or 0),
        int(model.get("last_updated_timestamp") or model.get("creation_timestamp") or 0),
        _tags(model.get("tags")),
        ctx.origin_of(),
    )
    for version in ctx.source.model_versions(name):
        try:
            _import_version(ctx, version)
        except ModelregError as exc:
            ctx.problem("version", f"{name} {version['version']}", f"not imported ({exc})")
    for alias in model.get("aliases") or []:
        try:
            number = int(alias["version"])
            ctx.backend.imports.import_alias(name, alias["alias"], number, ctx.origin_of())
        except ModelregError as exc:
            ctx.problem("alias", f"{name}@{alias['alias']}", f"not imported ({exc})")


def _import_version(ctx: Context, mv: dict[str, Any]) -> None:
    name, number = mv["name"], int(mv["version"])
    try:
        ctx.backend.registry.get_model_version(name, number)
        return  # imported before
    except NotFound:
        pass
    run_id = mv.get("run_id") or None
    if run_id and run_id not in ctx.imported_runs and ctx.source.run(run_id) is None:
        ctx.problem("version", f"{name} {number}", f"its run {run_id} no longer exists in MLflow")
    source, files = _version_files(ctx, mv)
    tags = _tags(mv.get("tags"))
    _make_loadable(ctx, files, tags)
    ctx.backend.imports.import_model_version(
        name,
        number,
        source,
        run_id,
        mv.get("current_stage") or "None",
        int(mv.get("creation_timestamp") or 0),
        int(mv.get("last_updated_timestamp") or mv.get("creation_timestamp") or 0),
        files,
        mv.get("user_id") or "",
        mv.get("status") or "READY",
        mv.get("description") or None,
        tags,
        ctx.origin_of(mlflow_source=mv.get("source")),
    )


def _make_loadable(ctx: Context, files: dict[str, dict[str, Any]], tags: dict[str, str]) -> None:
    """Adds modelreg's manifest to an MLflow model folder of a flavor modelreg loads, or a
    note to the version's tags saying it cannot load it (see :mod:`.flavors`)."""
    entry = files.get(MLMODEL)
    if entry is None or MANIFEST_NAME in files:
        return
    with ctx.backend.artifacts.blobs.open(entry["digest"]) as stored:
        text = stored.read(1 << 20).decode("utf-8", errors="replace")
    made = modelreg_manifest(text, files)
    if isinstance(made, str):
        tags.setdefault(NOTE_TAG, made)
        return
    ref = ctx.backend.artifacts.blobs.put_bytes(made)
    files[MANIFEST_NAME] = {"digest": ref.digest, "size": ref.size}


def _in_target(ctx: Context, run_id: str) -> bool:
    if run_id in ctx.imported_runs:
        return True
    try:
        ctx.backend.tracking.get_run(run_id)
    except NotFound:
        return False
    return True


def _logged_model_id(mv: dict[str, Any]) -> str | None:
    """The logged model the version was registered from, if any."""
    return mv.get("model_id") or logged_model_of(mv.get("source") or "")


def _held_at(ctx: Context, mv: dict[str, Any]) -> tuple[str, str] | None:
    """``(run id, path)`` where the target's run artifacts hold the version's files, if so."""
    source = mv.get("source") or ""
    if source.startswith("runs:/"):
        run_id, _, path = source[len("runs:/") :].partition("/")
    elif found := _RUN_FOLDER.search(source):
        run_id, path = found.group(1), found.group(2) or ""
    else:
        return None
    return (run_id, path.strip("/")) if _in_target(ctx, run_id) else None


def _relative(path: str, prefix: str) -> str:
    if not prefix:
        return path
    return path.rsplit("/", 1)[-1] if path == prefix else path[len(prefix) + 1 :]


def _version_files(ctx: Context, mv: dict[str, Any]) -> tuple[str, dict[str, dict[str, Any]]]:
    """The version's source URI in modelreg, and its files (``path: {"digest", "size"}``)."""
    if mv.get("source") in PROMPT_SOURCES:  # a prompt's version: its template is a tag
        return mv["source"], {}
    model_id = _logged_model_id(mv)
    if model_id and in_target(ctx, model_id):
        manifest = ctx.backend.logged_models.manifest(model_id)
        if manifest:
            files = {p: {"digest": r.digest, "size": r.size} for p, r in manifest.items()}
            return f"models:/{model_id}", files
    held = _held_at(ctx, mv)
    if held is not None:
        run_id, path = held
        manifest = ctx.backend.artifacts.manifest(run_id, path)
        if manifest:
            files = {
                _relative(p, path): {"digest": r.digest, "size": r.size}
                for p, r in manifest.items()
            }
            return f"runs:/{run_id}/{path}".rstrip("/"), files
    what = f"{mv['name']} {mv['version']}"
    uri = ctx.source.download_uri(mv["name"], str(mv["version"]))
    source = mv.get("source") or ""
    root = proxied_root(uri)
    if root is not None:
        tree = proxied_tree(ctx.source, root)
    elif uri.startswith("runs:/"):
        run_id, _, path = uri[len("runs:/") :].partition("/")
        tree = run_tree(ctx.source, run_id, path.strip("/"))
    elif model_id:
        tree = logged_model_tree(ctx.source, model_id)
    else:
        ctx.problem("version", what, f"its files at {uri} are not reachable through the server")
        return source, {}
    files = copy_tree(ctx, tree, None, prefix="")
    if not files:
        ctx.problem("version", what, f"has no files in MLflow ({uri})")
    return source, files
