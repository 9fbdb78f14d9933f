"""The REST API v1, declared once: one row per operation.

Each :class:`Operation` names a service method and the HTTP route that
exposes it. The server builds its routes from this table (request models
come from the method's signature, so input is validated at the edge) and the
remote client builds its proxies from the very same rows, so the two cannot
drift apart. Parameters named in the path go in the path; the others go in
the query string for GET and DELETE, and in the JSON body otherwise.

Artifact transfers (streams of bytes) are not in this table: they have
hand-written routes in ``modelreg.server.artifacts``.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from modelreg.api.route_permissions import (
    ADMIN,
    USER,
    Permission,
    on_experiment,
    on_model,
    on_run,
)
from modelreg.api_contract import PROTOCOLS
from modelreg.entities import PagedList

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Operation:
    service: str
    name: str
    http_method: str
    path: str
    summary: str = ""
    # What the caller needs (see modelreg.api.route_permissions); None fails the route-walk test.
    permission: Permission | None = None
    # A lookup by key that clients repeat: the server answers it ahead of FastAPI's
    # routing (modelreg.server.point_reads).
    point_read: bool = False

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)(?::path)?}", self.path))

    @property
    def plain_path(self) -> str:
        """The path as OpenAPI writes it, and ``str.format`` fills it (see
        :func:`openapi_path`)."""
        return openapi_path(self.path)

    @property
    def slashed_params(self) -> frozenset[str]:
        """The path parameters that may hold '/' (keys: ``train/loss``)."""
        return frozenset(re.findall(r"{(\w+):path}", self.path))

    @property
    def in_body(self) -> bool:
        return self.http_method in ("POST", "PUT", "PATCH")


# The reads clients repeat most (serving code resolving its model, dashboards).
POINT_READS = frozenset(
    {
        "get_experiment",
        "get_run",
        "get_registered_model",
        "get_model_version",
        "get_model_version_by_alias",
    }
)


def openapi_path(route_path: str) -> str:
    """A route's path as OpenAPI writes it: ``{key}`` for a ``{key:path}`` parameter."""
    return route_path.replace(":path}", "}")


def _on_logged_model(
    name: str, method: str, below: str, level: str, service: str = "logged_models"
) -> Operation:
    """An operation on one logged model, at ``/logged-models/{model_id}`` + ``below``; access
    follows the model's experiment."""
    path = "/logged-models/{model_id}" + below
    return _op(service, name, method, path, Permission(level, "logged_model"))


def _op(
    service: str, name: str, method: str, path: str, permission: Permission | None = None
) -> Operation:
    return Operation(
        service, name, method, path, permission=permission, point_read=name in POINT_READS
    )


# A new version copies files and links a parent: its caller must be able to read them.
SOURCE_AND_RUN = (("source", "source"), ("run", "run_id"), ("parent", "parent"))


OPERATIONS: tuple[Operation, ...] = (
    # experiments
    _op("tracking", "create_experiment", "POST", "/experiments", USER),
    _op("tracking", "search_experiments", "GET", "/experiments", USER),
    _op(
        "tracking",
        "get_experiment_by_name",
        "GET",
        "/experiments/by-name/{name:path}",
        Permission("read", "experiment_name"),
    ),
    _op("tracking", "get_experiment", "GET", "/experiments/{experiment_id}", on_experiment("read")),
    _op(
        "tracking",
        "rename_experiment",
        "PATCH",
        "/experiments/{experiment_id}",
        on_experiment("manage"),
    ),
    _op(
        "tracking",
        "delete_experiment",
        "DELETE",
        "/experiments/{experiment_id}",
        on_experiment("manage"),
    ),
    _op(
        "tracking",
        "restore_experiment",
        "POST",
        "/experiments/{experiment_id}/restore",
        on_experiment("manage"),
    ),
    _op(
        "tracking",
        "set_experiment_tag",
        "PUT",
        "/experiments/{experiment_id}/tags/{key:path}",
        on_experiment("edit"),
    ),
    _op(
        "tracking",
        "delete_experiment_tag",
        "DELETE",
        "/experiments/{experiment_id}/tags/{key:path}",
        on_experiment("edit"),
    ),
    # runs
    _op("tracking", "create_run", "POST", "/runs", on_experiment("edit")),
    _op("tracking", "search_runs", "POST", "/runs/search", USER),
    _op("tracking", "get_run", "GET", "/runs/{run_id}", on_run("read")),
    _op("tracking", "update_run", "PATCH", "/runs/{run_id}", on_run("edit")),
    _op("tracking", "set_terminated", "POST", "/runs/{run_id}/terminate", on_run("edit")),
    _op("tracking", "renew_run_lease", "PUT", "/runs/{run_id}/lease", on_run("edit")),
    _op("tracking", "delete_run", "DELETE", "/runs/{run_id}", on_run("manage")),
    _op("tracking", "restore_run", "POST", "/runs/{run_id}/restore", on_run("manage")),
    _op("tracking", "log_batch", "POST", "/runs/{run_id}/batch", on_run("edit")),
    _op("tracking", "delete_tag", "DELETE", "/runs/{run_id}/tags/{key:path}", on_run("edit")),
    _op(
        "tracking",
        "get_metric_history",
        "GET",
        "/runs/{run_id}/metrics/{key:path}/history",
        on_run("read"),
    ),
    # registered models
    _op("registry", "create_registered_model", "POST", "/registered-models", USER),
    _op("registry", "search_registered_models", "GET", "/registered-models", USER),
    _op(
        "registry",
        "get_or_create_registered_model",
        "PUT",
        "/registered-models/{name}",
        on_model("read", create_if_missing=True),
    ),
    _op("registry", "get_registered_model", "GET", "/registered-models/{name}", on_model("read")),
    _op(
        "registry",
        "update_registered_model",
        "PATCH",
        "/registered-models/{name}",
        on_model("edit"),
    ),
    _op(
        "registry",
        "delete_registered_model",
        "DELETE",
        "/registered-models/{name}",
        on_model("manage"),
    ),
    _op(
        "registry",
        "rename_registered_model",
        "POST",
        "/registered-models/{name}/rename",
        on_model("manage"),
    ),
    _op(
        "registry",
        "set_registered_model_tag",
        "PUT",
        "/registered-models/{name}/tags/{key:path}",
        on_model("edit"),
    ),
    _op(
        "registry",
        "delete_registered_model_tag",
        "DELETE",
        "/registered-models/{name}/tags/{key:path}",
        on_model("edit"),
    ),
    _op("registry", "get_history", "GET", "/registered-models/{name}/history", on_model("read")),
    _op("registry", "rollback", "POST", "/registered-models/{name}/rollback", on_model("edit")),
    _op(
        "registry",
        "get_latest_versions",
        "GET",
        "/registered-models/{name}/latest-versions",
        on_model("read"),
    ),
    _op(
        "registry",
        "set_registered_model_alias",
        "PUT",
        "/registered-models/{name}/aliases/{alias}",
        on_model("edit"),
    ),
    _op(
        "registry",
        "get_model_version_by_alias",
        "GET",
        "/registered-models/{name}/aliases/{alias}",
        on_model("read"),
    ),
    _op(
        "registry",
        "delete_registered_model_alias",
        "DELETE",
        "/registered-models/{name}/aliases/{alias}",
        on_model("edit"),
    ),
    # model versions
    _op(
        "registry",
        "create_model_version",
        "POST",
        "/registered-models/{name}/versions",
        on_model("edit", also_read=SOURCE_AND_RUN),
    ),
    _op("registry", "search_model_versions", "GET", "/model-versions", USER),
    _op(
        "registry",
        "resolve_model_uri",
        "GET",
        "/model-versions/resolve",
        Permission("read", "model_uri"),
    ),
    _op(
        "registry",
        "get_model_version",
        "GET",
        "/registered-models/{name}/versions/{version}",
        on_model("read"),
    ),
    _op(
        "registry",
        "update_model_version",
        "PATCH",
        "/registered-models/{name}/versions/{version}",
        on_model("edit"),
    ),
    _op(
        "registry",
        "delete_model_version",
        "DELETE",
        "/registered-models/{name}/versions/{version}",
        on_model("manage"),
    ),
    _op(
        "registry",
        "transition_model_version_stage",
        "POST",
        "/registered-models/{name}/versions/{version}/stage",
        on_model("edit"),
    ),
    _op(
        "registry",
        "set_model_version_tag",
        "PUT",
        "/registered-models/{name}/versions/{version}/tags/{key:path}",
        on_model("edit"),
    ),
    _op(
        "registry",
        "delete_model_version_tag",
        "DELETE",
        "/registered-models/{name}/versions/{version}/tags/{key:path}",
        on_model("edit"),
    ),
    # governance: model cards, lineage, scores, policies, retention, webhooks
    _op(
        "governance",
        "get_model_card",
        "GET",
        "/registered-models/{name}/versions/{version}/card",
        on_model("read"),
    ),
    _op(
        "governance",
        "set_model_card",
        "PUT",
        "/registered-models/{name}/versions/{version}/card",
        on_model("edit"),
    ),
    _op(
        "governance",
        "delete_model_card",
        "DELETE",
        "/registered-models/{name}/versions/{version}/card",
        on_model("edit"),
    ),
    _op("governance", "log_inputs", "POST", "/runs/{run_id}/inputs", on_run("edit")),
    _op("governance", "get_run_inputs", "GET", "/runs/{run_id}/inputs", on_run("read")),
    _op(
        "governance",
        "get_lineage",
        "GET",
        "/registered-models/{name}/versions/{version}/lineage",
        on_model("read"),
    ),
    _op(
        "governance",
        "set_scoring_weights",
        "PUT",
        "/registered-models/{name}/scoring-weights",
        on_model("manage"),
    ),
    _op(
        "governance",
        "get_scoring_weights",
        "GET",
        "/registered-models/{name}/scoring-weights",
        on_model("read"),
    ),
    _op(
        "governance",
        "compare_versions",
        "POST",
        "/registered-models/{name}/compare",
        on_model("read"),
    ),
    _op("governance", "diff_versions", "GET", "/registered-models/{name}/diff", on_model("read")),
    _op(
        "governance",
        "set_promotion_policy",
        "PUT",
        "/registered-models/{name}/promotion-policy",
        on_model("manage"),
    ),
    _op(
        "governance",
        "get_promotion_policy",
        "GET",
        "/registered-models/{name}/promotion-policy",
        on_model("read"),
    ),
    _op(
        "governance",
        "check_promotion",
        "GET",
        "/registered-models/{name}/versions/{version}/promotion-check",
        on_model("read"),
    ),
    _op("governance", "cleanup", "POST", "/registered-models/{name}/cleanup", on_model("manage")),
    _op("governance", "create_webhook", "POST", "/webhooks", ADMIN),
    _op("governance", "list_webhooks", "GET", "/webhooks", ADMIN),
    _op("governance", "get_webhook", "GET", "/webhooks/{webhook_id}", ADMIN),
    _op("governance", "update_webhook", "PATCH", "/webhooks/{webhook_id}", ADMIN),
    _op("governance", "test_webhook", "POST", "/webhooks/{webhook_id}/test", ADMIN),
    _op(
        "governance",
        "list_webhook_deliveries",
        "GET",
        "/webhooks/{webhook_id}/deliveries",
        ADMIN,
    ),
    _op(
        "governance",
        "redeliver_webhook",
        "POST",
        "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        ADMIN,
    ),
    _op("governance", "delete_webhook", "DELETE", "/webhooks/{webhook_id}", ADMIN),
    # protected aliases and stages
    _op(
        "protections",
        "get_model_protection",
        "GET",
        "/registered-models/{name}/protection",
        on_model("read"),
    ),
    _op(
        "protections",
        "set_model_protection",
        "PUT",
        "/registered-models/{name}/protection",
        on_model("manage"),
    ),
    _op(
        "protections",
        "swap_aliases",
        "POST",
        "/registered-models/{name}/aliases/swap",
        on_model("edit"),
    ),
    # users, tokens and permissions
    _op("access", "whoami", "GET", "/whoami", USER),
    _op("access", "create_user", "POST", "/users", ADMIN),
    _op("access", "list_users", "GET", "/users", ADMIN),
    _op("access", "get_user", "GET", "/users/{username}", ADMIN),
    _op("access", "update_user", "PATCH", "/users/{username}", ADMIN),
    _op("access", "create_user_token", "POST", "/users/{username}/tokens", ADMIN),
    _op("access", "list_user_tokens", "GET", "/users/{username}/tokens", ADMIN),
    _op("access", "list_user_permissions", "GET", "/users/{username}/permissions", ADMIN),
    _op("access", "get_audit_events", "GET", "/audit-events", ADMIN),
    _op("access", "create_token", "POST", "/tokens", USER),
    _op("access", "list_tokens", "GET", "/tokens", USER),
    _op("access", "revoke_token", "DELETE", "/tokens/{token_id}", Permission("manage", "token")),
    _op(
        "access",
        "list_model_permissions",
        "GET",
        "/registered-models/{name}/permissions",
        on_model("manage"),
    ),
    _op(
        "access",
        "set_model_permission",
        "PUT",
        "/registered-models/{name}/permissions/{username}",
        on_model("manage"),
    ),
    _op(
        "access",
        "delete_model_permission",
        "DELETE",
        "/registered-models/{name}/permissions/{username}",
        on_model("manage"),
    ),
    _op(
        "access",
        "list_experiment_permissions",
        "GET",
        "/experiments/{experiment_id}/permissions",
        on_experiment("manage"),
    ),
    _op(
        "access",
        "set_experiment_permission",
        "PUT",
        "/experiments/{experiment_id}/permissions/{username}",
        on_experiment("manage"),
    ),
    _op(
        "access",
        "delete_experiment_permission",
        "DELETE",
        "/experiments/{experiment_id}/permissions/{username}",
        on_experiment("manage"),
    ),
    # artifacts (metadata only; bytes move through the blob routes)
    _op("artifacts", "list_artifacts", "GET", "/runs/{run_id}/artifacts", on_run("read")),
    _on_logged_model("record_logged_model_artifacts", "POST", "/artifacts", "edit", "artifacts"),
    # MLflow 3's logged models (their files also go through the MLflow-compatible API)
    _op("logged_models", "create_logged_model", "POST", "/logged-models", on_experiment("edit")),
    _op("logged_models", "search_logged_models", "POST", "/logged-models/search", USER),
    _on_logged_model("get_logged_model", "GET", "", "read"),
    _on_logged_model("finalize_logged_model", "PATCH", "", "edit"),
    _on_logged_model("delete_logged_model", "DELETE", "", "edit"),
    _on_logged_model("set_logged_model_tags", "PATCH", "/tags", "edit"),
    _on_logged_model("delete_logged_model_tag", "DELETE", "/tags/{key:path}", "edit"),
    _on_logged_model("record_run_files", "POST", "/run-files", "edit"),
    _on_logged_model("log_logged_model_params", "POST", "/params", "edit"),
    _on_logged_model("log_logged_model_metrics", "POST", "/metrics", "edit"),
    _op("logged_models", "models_of_run", "GET", "/runs/{run_id}/logged-models", on_run("read")),
    _op("logged_models", "run_links", "GET", "/runs/{run_id}/model-links", on_run("read")),
    _op("logged_models", "link_run", "POST", "/runs/{run_id}/model-links", on_run("edit")),
    _on_logged_model("manifest", "GET", "/manifest", "read"),
    _on_logged_model("model_run_links", "GET", "/run-links", "read"),
    # import-mlflow: history written as it was (ids and times kept), by admins only
    _op("imports", "import_experiment", "POST", "/imports/experiments", ADMIN),
    _op("imports", "import_run", "POST", "/imports/runs", ADMIN),
    _op("imports", "import_metric_history", "POST", "/imports/runs/{run_id}/metrics", ADMIN),
    _op("imports", "import_run_artifacts", "POST", "/imports/runs/{run_id}/artifacts", ADMIN),
    _op("imports", "finish_run_import", "POST", "/imports/runs/{run_id}/finish", ADMIN),
    _op("imports", "import_logged_model", "POST", "/imports/logged-models", ADMIN),
    _op("imports", "import_run_model_links", "POST", "/imports/runs/{run_id}/model-links", ADMIN),
    _op("imports", "import_registered_model", "POST", "/imports/registered-models", ADMIN),
    _op("imports", "import_model_version", "POST", "/imports/model-versions", ADMIN),
    _op("imports", "import_alias", "POST", "/imports/aliases", ADMIN),
)


@cache
def signature_of(op: Operation) -> tuple[inspect.Signature, dict[str, Any]]:
    """The signature and resolved type hints ``modelreg.api_contract`` declares for ``op``."""
    method = getattr(PROTOCOLS[op.service], op.name)
    return inspect.signature(method), typing.get_type_hints(method)


# -- JSON encoding of results ----------------------------------------------------


def encode(value: Any) -> Any:
    """A service result as JSON-ready data (entities through their ``to_dict``)."""
    if isinstance(value, PagedList):
        return {"items": [encode(v) for v in value], "next_page_token": value.token}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def decode(data: Any, annotation: Any) -> Any:
    """The inverse of ``encode`` for a value of type ``annotation``."""
    if data is None or annotation is Any or annotation is type(None):
        return data
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return decode(data, options[0]) if len(options) == 1 else data
    if origin is PagedList:
        return PagedList([decode(v, args[0]) for v in data["items"]], data["next_page_token"])
    if origin in (list, Sequence, tuple):
        return [decode(v, args[0]) for v in data]
    if origin is dict:
        return {k: decode(v, args[1]) for k, v in data.items()}
    if isinstance(annotation, type):
        if issubclass(annotation, tuple) and hasattr(annotation, "_fields"):
            return annotation(*data)  # a NamedTuple, encoded as a list
        if hasattr(annotation, "from_dict"):
            return annotation.from_dict(data)
        if dataclasses.is_dataclass(annotation):
            return annotation(**data)
    return data
