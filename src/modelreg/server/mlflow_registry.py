"""MLflow's model registry endpoints: registered models, versions, stages, aliases, tags."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from modelreg.api.route_permissions import USER, on_model
from modelreg.errors import InvalidArgument, NotFound
from modelreg.logged_models import check_model_id_of_source
from modelreg.server.mlflow_endpoints import endpoint
from modelreg.server.mlflow_routes import REGISTERED_ROOT, as_list
from modelreg.server.mlflow_shapes import (
    from_kv,
    max_results,
    model_json,
    page,
    required,
    version_json,
)
from modelreg.services.model_sources import runs_as_pointers
from modelreg.store.registry_search import without_prompts

# MLflow's page sizes and limits (above a limit its server answers 400).
MODELS_DEFAULT, MODELS_LIMIT = 100, 1000
VERSIONS_DEFAULT, VERSIONS_LIMIT = 10_000, 200_000

# -- registry ----------------------------------------------------------------------


@endpoint("POST", "/registered-models/create", USER)
def create_registered_model(b: Any, p: dict[str, Any]) -> Any:
    model = b.registry.create_registered_model(
        required(p, "name"), p.get("description"), from_kv(p.get("tags"))
    )
    return {"registered_model": model_json(model)}


@endpoint("GET", "/registered-models/get", on_model("read"))
def get_registered_model(b: Any, p: dict[str, Any]) -> Any:
    return {"registered_model": model_json(b.registry.get_registered_model(required(p, "name")))}


@endpoint("POST", "/registered-models/rename", on_model("manage"))
def rename_registered_model(b: Any, p: dict[str, Any]) -> Any:
    model = b.registry.rename_registered_model(required(p, "name"), required(p, "new_name"))
    return {"registered_model": model_json(model)}


@endpoint("PATCH", "/registered-models/update", on_model("edit"))
def update_registered_model(b: Any, p: dict[str, Any]) -> Any:
    model = b.registry.update_registered_model(required(p, "name"), p.get("description"))
    return {"registered_model": model_json(model)}


@endpoint("DELETE", "/registered-models/delete", on_model("manage"))
def delete_registered_model(b: Any, p: dict[str, Any]) -> Any:
    # MLflow deletes a model with versions in Production; modelreg's own API asks for force.
    b.registry.delete_registered_model(required(p, "name"), force=True)


@endpoint("GET", "/registered-models/search", USER)
def search_registered_models(b: Any, p: dict[str, Any]) -> Any:
    found = b.registry.search_registered_models(
        without_prompts(p.get("filter")),
        max_results(p, MODELS_LIMIT) or MODELS_DEFAULT,
        as_list(p.get("order_by")),
        p.get("page_token"),
    )
    return page(found, "registered_models", model_json)


@endpoint("POST", "/registered-models/get-latest-versions", on_model("read"))
def get_latest_versions(b: Any, p: dict[str, Any]) -> Any:
    found = b.registry.get_latest_versions(required(p, "name"), as_list(p.get("stages")) or None)
    return {"model_versions": [version_json(v) for v in found]}


@endpoint("POST", "/registered-models/set-tag", on_model("edit"))
def set_registered_model_tag(b: Any, p: dict[str, Any]) -> Any:
    b.registry.set_registered_model_tag(required(p, "name"), required(p, "key"), p.get("value"))


@endpoint("DELETE", "/registered-models/delete-tag", on_model("edit"))
def delete_registered_model_tag(b: Any, p: dict[str, Any]) -> Any:
    name, key = required(p, "name"), required(p, "key")
    try:
        b.registry.delete_registered_model_tag(name, key)
    except NotFound:
        # Removing a tag the model does not have succeeds on MLflow's server (as for
        # aliases and version tags); an unknown model is still not found.
        b.registry.get_registered_model(name)


@endpoint("POST", "/registered-models/alias", on_model("edit"))
def set_alias(b: Any, p: dict[str, Any]) -> Any:
    b.registry.set_registered_model_alias(
        required(p, "name"), required(p, "alias"), required(p, "version")
    )


@endpoint("DELETE", "/registered-models/alias", on_model("edit"))
def delete_alias(b: Any, p: dict[str, Any]) -> Any:
    name, alias = required(p, "name"), required(p, "alias")
    try:
        b.registry.delete_registered_model_alias(name, alias)
    except NotFound:
        # Removing an alias the model does not have succeeds on MLflow's server; an
        # unknown model is still not found.
        b.registry.get_registered_model(name)


@endpoint("GET", "/registered-models/alias", on_model("read"))
def get_by_alias(b: Any, p: dict[str, Any]) -> Any:
    version = b.registry.get_model_version_by_alias(required(p, "name"), required(p, "alias"))
    return {"model_version": version_json(version)}


@endpoint(
    "POST",
    "/model-versions/create",
    on_model("edit", also_read=(("source", "source"), ("run", "run_id"))),
)
def create_model_version(b: Any, p: dict[str, Any]) -> Any:
    source = required(p, "source")
    run_id = p.get("run_id") or None
    pointer = isinstance(source, str) and source.startswith("runs:/")
    if pointer and (run_id is None or source[len("runs:/") :].split("/")[0] != run_id):
        # MLflow's rule: a runs:/ source needs the same run_id; the run need not exist.
        raise InvalidArgument(
            f"Invalid model version source: '{source}'. The run_id request parameter must "
            "identify the resource that contains the source."
        )
    check_model_id_of_source(b.registry, source, p.get("model_id") or None)
    with runs_as_pointers() if pointer else nullcontext():
        version = b.registry.create_model_version(
            required(p, "name"),
            source,
            run_id=run_id,
            description=p.get("description") or None,
            tags=from_kv(p.get("tags")),
        )
    return {"model_version": version_json(version)}


@endpoint("GET", "/model-versions/get", on_model("read"))
def get_model_version(b: Any, p: dict[str, Any]) -> Any:
    version = b.registry.get_model_version(required(p, "name"), required(p, "version"))
    return {"model_version": version_json(version)}


@endpoint("PATCH", "/model-versions/update", on_model("edit"))
def update_model_version(b: Any, p: dict[str, Any]) -> Any:
    version = b.registry.update_model_version(
        required(p, "name"), required(p, "version"), p.get("description")
    )
    return {"model_version": version_json(version)}


@endpoint("DELETE", "/model-versions/delete", on_model("manage"))
def delete_model_version(b: Any, p: dict[str, Any]) -> Any:
    b.registry.delete_model_version(required(p, "name"), required(p, "version"))


@endpoint("POST", "/model-versions/transition-stage", on_model("edit"))
def transition_stage(b: Any, p: dict[str, Any]) -> Any:
    archive = str(p.get("archive_existing_versions", False)).lower() in ("true", "1")
    version = b.registry.transition_model_version_stage(
        required(p, "name"), required(p, "version"), required(p, "stage"), archive
    )
    return {"model_version": version_json(version)}


@endpoint("GET", "/model-versions/search", USER)
def search_model_versions(b: Any, p: dict[str, Any]) -> Any:
    found = b.registry.search_model_versions(
        without_prompts(p.get("filter")),
        max_results(p, VERSIONS_LIMIT) or VERSIONS_DEFAULT,
        as_list(p.get("order_by")) or ["last_updated_timestamp DESC"],  # MLflow's default
        p.get("page_token"),
    )
    return page(found, "model_versions", version_json)


@endpoint("GET", "/model-versions/get-download-uri", on_model("read"))
def get_download_uri(b: Any, p: dict[str, Any]) -> Any:
    version = b.registry.get_model_version(required(p, "name"), required(p, "version"))
    return {"artifact_uri": f"mlflow-artifacts:/{REGISTERED_ROOT}/{version.name}/{version.version}"}


@endpoint("POST", "/model-versions/set-tag", on_model("edit"))
def set_model_version_tag(b: Any, p: dict[str, Any]) -> Any:
    b.registry.set_model_version_tag(
        required(p, "name"), required(p, "version"), required(p, "key"), p.get("value")
    )


@endpoint("DELETE", "/model-versions/delete-tag", on_model("edit"))
def delete_model_version_tag(b: Any, p: dict[str, Any]) -> Any:
    name, version = required(p, "name"), required(p, "version")
    try:
        b.registry.delete_model_version_tag(name, version, required(p, "key"))
    except NotFound:
        b.registry.get_model_version(name, version)  # a missing tag is no error on MLflow
