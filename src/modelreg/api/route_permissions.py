"""What each server route requires of its caller, declared next to the route.

Every route carries one :class:`Permission`, declared where the route is
defined: the ``permission`` of its row in ``modelreg.api.operations``, the
``@guard.requires(…)`` of a hand-written route, the third argument of an
MLflow-compatible ``@endpoint``. The route checks it on its parsed request
(``modelreg.server.guard``) before it does anything else, and a test fails
when a route has none. Levels, weakest first:

- ``public``: anyone, without credentials (only ``/health``);
- ``user``: any authenticated, enabled user. Creating a model or experiment
  is a ``user`` action (the creator becomes its manager); searches are too,
  and return only what the caller may read;
- ``read`` < ``edit`` < ``manage``: that role or a higher one on the
  registered model or experiment the request names (a run counts as its
  experiment);
- ``admin``: a global admin;
- ``metrics``: an admin, unless the server runs with ``--public-metrics``.

Admins pass every check. With ``--auth`` off nothing is checked here, but
services still refuse what only an admin may choose (user management,
experiment artifact locations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ADMIN",
    "LEVELS",
    "METRICS",
    "PER_ENDPOINT",
    "PUBLIC",
    "RESOURCES",
    "ROLES",
    "USER",
    "Permission",
    "on_experiment",
    "on_model",
    "on_run",
    "role_rank",
]

ROLES = ("read", "edit", "manage")
LEVELS = ("public", "user", *ROLES, "admin", "metrics", "per-endpoint")

# Where a resource kind's name or id is found in the request, unless a
# declaration names another parameter. ``a|b`` means the first of a, b given.
RESOURCES: dict[str, str] = {
    "none": "",
    "model": "name",  # a registered model, by name
    "model_uri": "uri",  # a models:/ URI: the model it names
    "source": "source",  # a model version source: the run or model it copies from
    "parent": "parent",  # a fine-tuning parent: (model name, version) or a models:/ URI
    "experiment": "experiment_id",  # missing or empty means the Default experiment
    "experiment_name": "name",
    "run": "run_id",  # the run's experiment
    "logged_model": "model_id",  # an MLflow 3 logged model: its experiment
    "token": "token_id",  # an API token: only its owner (or an admin) may touch it
    # <experiment>/<run>/artifacts/…, <experiment>/models/<model_id>/artifacts/… or
    # _registered/<model>/…
    "mlflow_artifact": "path",
}


def role_rank(role: str | None) -> int:
    """0 for no role, then 1, 2, 3 for read, edit, manage."""
    return ROLES.index(role) + 1 if role in ROLES else 0


@dataclass(frozen=True)
class Permission:
    """``level`` on the resource of kind ``resource`` named by request parameter ``param``.

    ``also_read`` lists more ``(resource, param)`` pairs the caller must be
    able to read (a new version's source run or model). With
    ``create_if_missing``, a request naming a resource that does not exist
    is a creation, which any user may do.
    """

    level: str
    resource: str = "none"
    param: str = ""
    also_read: tuple[tuple[str, str], ...] = field(default=())
    create_if_missing: bool = False

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"permission level {self.level!r} is not one of {LEVELS}")
        if self.resource not in RESOURCES:
            raise ValueError(f"resource kind {self.resource!r} is not one of {list(RESOURCES)}")
        if (self.level in ROLES) != (self.resource != "none"):
            raise ValueError("read, edit and manage need a resource; other levels take none")
        if not self.param:
            object.__setattr__(self, "param", RESOURCES[self.resource])


PUBLIC = Permission("public")
USER = Permission("user")
ADMIN = Permission("admin")
METRICS = Permission("metrics")
# A route that dispatches to several endpoints, each declaring its own.
PER_ENDPOINT = Permission("per-endpoint")


def on_model(level: str, param: str = "name", **kwargs: Any) -> Permission:
    return Permission(level, "model", param, **kwargs)


def on_experiment(level: str, param: str = "experiment_id") -> Permission:
    return Permission(level, "experiment", param)


def on_run(level: str, param: str = "run_id") -> Permission:
    return Permission(level, "run", param)
