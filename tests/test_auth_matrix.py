"""The permission matrix: every endpoint, driven as each role, against one expected table.

``MATRIX`` says, for every route of the server and every MLflow-compatible
endpoint, the least a caller needs: ``public``, ``user`` (any authenticated
user), ``read``, ``edit``, ``manage`` (on the model or experiment the request
names) or ``admin``. Each row runs on a fresh world (see ``auth_fixtures``) as
a stranger (no role), reader, editor, manager and admin, weakest first: those
below the row's level must get 403, or 404 when they hold no role on what the row
names (hidden answers as missing); the others anything but 401 and 403 (a 404
or 409 from the operation itself still means the check let them through).
Unprotected aliases and stages are ``edit``; protections are tested apart.
"""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from auth_fixtures import MLMODEL, served_routes, unique

V1 = "/api/v1"
EXP = V1 + "/experiments/{experiment_id}"
RUN = V1 + "/runs/{run_id}"
M = V1 + "/registered-models/{name}"
V = M + "/versions/{version}"
USERS = V1 + "/users/{username}"
MLFLOW = "/api/2.0/mlflow"
MLFLOW_ANY = MLFLOW + "/{path:path}"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
DIGEST = hashlib.sha256(MLMODEL).hexdigest()
UI_M = "/ui/models/{name}"
UI_V = UI_M + "/versions/{version}"
UI_MODEL_ACTIONS = ("/description", "/tags", "/tags/delete", "/aliases", "/aliases/delete")
UI_MODEL_ACTIONS += ("/rollback",)
UI_VERSION_ACTIONS = ("/stage", "/description", "/tags", "/tags/delete", "/card")
UI_RUN_ACTIONS = [
    ("/name", "edit"),
    ("/description", "edit"),
    ("/tags", "edit"),
    ("/tags/delete", "edit"),
    ("/delete", "manage"),
    ("/restore", "manage"),
]
UI_EXPERIMENT_ACTIONS = [
    ("/name", "manage"),
    ("/tags", "edit"),
    ("/tags/delete", "edit"),
    ("/delete", "manage"),
    ("/restore", "manage"),
]

# Bodies the import routes accept (a request the route refuses as malformed never
# reaches its permission check, so the rows send valid ones).
_TIMES = {"creation_time": 1, "last_updated_time": 1}
IMPORTED_EXPERIMENT = {"name": "{fresh}", "lifecycle_stage": "active", "creation_time": 1}
IMPORTED_EXPERIMENT["last_update_time"] = 1
IMPORTED_RUN = {"run_id": "{fresh}", "experiment_id": "{exp}", "run_name": "r", "user_id": "u"}
IMPORTED_RUN["start_time"] = 1
IMPORT_FINISH = {"status": "FINISHED", "end_time": 2, "lifecycle_stage": "active"}
IMPORTED_MODEL = {"name": "{fresh}", "description": None, **_TIMES}
IMPORTED_VERSION = {"name": "{model}", "version": 9, "source": "s", "run_id": None, **_TIMES}
IMPORTED_VERSION.update(stage="None", files={})
IMPORTED_LOGGED_MODEL = {"model_id": "{fresh_model_id}", "experiment_id": "{exp}", "name": "m"}
IMPORTED_LOGGED_MODEL.update(status="READY", files={}, **_TIMES)

# (method, route, least level needed, request parameters: JSON body, query string or bytes)
MATRIX = [
    # experiments
    ("POST", V1 + "/experiments", "user", {"name": "{fresh}"}),
    ("GET", V1 + "/experiments", "user", {}),
    ("GET", V1 + "/experiments/by-name/{name:path}", "read", {}),
    ("GET", EXP, "read", {}),
    ("PATCH", EXP, "manage", {"new_name": "{fresh}"}),
    ("DELETE", EXP, "manage", {}),
    ("POST", EXP + "/restore", "manage", None),
    ("PUT", EXP + "/tags/{key:path}", "edit", {"value": "v"}),
    ("DELETE", EXP + "/tags/{key:path}", "edit", {}),
    ("GET", EXP + "/permissions", "manage", {}),
    ("PUT", EXP + "/permissions/{username}", "manage", {"role": "read"}),
    ("DELETE", EXP + "/permissions/{username}", "manage", {}),
    # runs
    ("POST", V1 + "/runs", "edit", {"experiment_id": "{exp}"}),
    ("POST", V1 + "/runs/search", "user", {"experiment_ids": ["{exp}"]}),
    ("GET", RUN, "read", {}),
    ("PATCH", RUN, "edit", {"run_name": "renamed"}),
    ("POST", RUN + "/terminate", "edit", {}),
    ("PUT", RUN + "/lease", "edit", {"seconds": 60}),
    ("DELETE", RUN, "manage", {}),
    ("POST", RUN + "/restore", "manage", None),
    ("POST", RUN + "/batch", "edit", {"params": []}),
    ("DELETE", RUN + "/tags/{key:path}", "edit", {}),
    ("GET", RUN + "/metrics/{key:path}/history", "read", {}),
    ("POST", RUN + "/inputs", "edit", {"inputs": []}),
    ("GET", RUN + "/inputs", "read", {}),
    ("GET", RUN + "/artifacts", "read", {}),
    ("POST", RUN + "/artifacts", "edit", {"entries": {}}),
    ("GET", RUN + "/manifest", "read", {}),
    ("GET", RUN + "/logged-models", "read", {}),
    ("GET", RUN + "/model-links", "read", {}),
    (
        "POST",
        RUN + "/model-links",
        "edit",
        {"links": [{"model_id": "{model_id}", "direction": "output", "step": 0}]},
    ),
    # MLflow 3 logged models: access follows their experiment
    ("POST", V1 + "/logged-models", "edit", {"experiment_id": "{exp}"}),
    ("GET", V1 + "/logged-models/{model_id}", "read", {}),
    ("PATCH", V1 + "/logged-models/{model_id}", "edit", {"status": "READY"}),
    ("DELETE", V1 + "/logged-models/{model_id}", "edit", {}),
    ("PATCH", V1 + "/logged-models/{model_id}/tags", "edit", {"tags": {"t": "v"}}),
    ("DELETE", V1 + "/logged-models/{model_id}/tags/{key:path}", "edit", {}),
    ("POST", V1 + "/logged-models/{model_id}/params", "edit", {"params": {"p": "1"}}),
    ("POST", V1 + "/logged-models/{model_id}/metrics", "edit", {"metrics": []}),
    ("POST", V1 + "/logged-models/{model_id}/run-files", "edit", {"path": "model"}),
    ("POST", V1 + "/logged-models/{model_id}/artifacts", "edit", {"entries": {}}),
    ("GET", V1 + "/logged-models/{model_id}/manifest", "read", {}),
    ("GET", V1 + "/logged-models/{model_id}/run-links", "read", {}),
    ("POST", V1 + "/logged-models/search", "user", {"experiment_ids": ["{exp}"]}),
    # registered models
    ("POST", V1 + "/registered-models", "user", {"name": "{fresh}"}),
    ("GET", V1 + "/registered-models", "user", {}),
    ("PUT", M, "read", {}),
    ("GET", M, "read", {}),
    ("PATCH", M, "edit", {"description": "d"}),
    ("DELETE", M, "manage", {}),
    ("POST", M + "/rename", "manage", {"new_name": "{fresh}"}),
    ("PUT", M + "/tags/{key:path}", "edit", {"value": "v"}),
    ("DELETE", M + "/tags/{key:path}", "edit", {}),
    ("GET", M + "/history", "read", {}),
    ("POST", M + "/rollback", "edit", {}),
    ("GET", M + "/latest-versions", "read", {}),
    ("PUT", M + "/aliases/{alias}", "edit", {"version": 1}),
    ("GET", M + "/aliases/{alias}", "read", {}),
    ("DELETE", M + "/aliases/{alias}", "edit", {}),
    ("POST", M + "/aliases/swap", "edit", {"alias": "champion", "other_alias": "challenger"}),
    ("GET", M + "/protection", "read", {}),
    ("PUT", M + "/protection", "manage", {"protect_production": True}),
    ("GET", M + "/scoring-weights", "read", {}),
    ("PUT", M + "/scoring-weights", "manage", {"weights": {"auc": 1.0}}),
    ("POST", M + "/compare", "read", {}),
    ("GET", M + "/diff", "read", {"a": 1, "b": 1}),
    ("GET", M + "/promotion-policy", "read", {}),
    ("PUT", M + "/promotion-policy", "manage", {"policy": None}),
    ("POST", M + "/cleanup", "manage", {"dry_run": True}),
    ("GET", M + "/permissions", "manage", {}),
    ("PUT", M + "/permissions/{username}", "manage", {"role": "read"}),
    ("DELETE", M + "/permissions/{username}", "manage", {}),
    # model versions
    ("POST", M + "/versions", "edit", {"source": "runs:/{run}/model"}),
    ("GET", V1 + "/model-versions", "user", {}),
    ("GET", V1 + "/model-versions/resolve", "read", {"uri": "models:/{model}/1"}),
    ("GET", V1 + "/model-versions/current", "read", {"uri": "models:/{model}/1"}),
    ("GET", V, "read", {}),
    ("PATCH", V, "edit", {"description": "d"}),
    ("DELETE", V, "manage", {}),
    ("POST", V + "/stage", "edit", {"stage": "Staging"}),
    ("PUT", V + "/tags/{key:path}", "edit", {"value": "v"}),
    ("DELETE", V + "/tags/{key:path}", "edit", {}),
    ("GET", V + "/card", "read", {}),
    ("PUT", V + "/card", "edit", {"card": {"summary": "s"}}),
    ("DELETE", V + "/card", "edit", {}),
    ("GET", V + "/lineage", "read", {}),
    ("GET", V + "/promotion-check", "read", {"target": "Staging"}),
    ("GET", V + "/manifest", "read", {}),
    # webhooks send event data anywhere: only admins set them up
    (
        "POST",
        V1 + "/webhooks",
        "admin",
        {
            "url": "https://hooks.example.com/x",
            "events": ["*"],
            "secret": "s" * 32,
            "model_name": "{model}",
        },
    ),
    ("GET", V1 + "/webhooks", "admin", {}),
    ("GET", V1 + "/webhooks/{webhook_id}", "admin", {}),
    ("PATCH", V1 + "/webhooks/{webhook_id}", "admin", {"description": "d"}),
    ("POST", V1 + "/webhooks/{webhook_id}/test", "admin", {}),
    ("GET", V1 + "/webhooks/{webhook_id}/deliveries", "admin", {}),
    ("POST", V1 + "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", "admin", {}),
    ("DELETE", V1 + "/webhooks/{webhook_id}", "admin", {}),
    # users and tokens
    ("GET", V1 + "/whoami", "user", {}),
    ("POST", V1 + "/users", "admin", {"username": "{fresh}"}),
    ("GET", V1 + "/users", "admin", {}),
    ("GET", USERS, "admin", {}),
    ("PATCH", USERS, "admin", {}),
    ("POST", USERS + "/tokens", "admin", {}),
    ("GET", USERS + "/tokens", "admin", {}),
    ("GET", USERS + "/permissions", "admin", {}),
    ("POST", V1 + "/tokens", "user", {"name": "{fresh}"}),
    ("GET", V1 + "/tokens", "user", {}),
    ("DELETE", V1 + "/tokens/{token_id}", "admin", {}),  # the victim's: only its owner or admins
    ("GET", V1 + "/audit-events", "admin", {}),
    # blobs: any user, but a blob they may not read is one the server lacks (test_auth_blobs)
    ("HEAD", V1 + "/blobs/{digest}", "user", {}),
    ("GET", V1 + "/blobs/{digest}", "user", {}),
    ("PUT", V1 + "/blobs/{digest}", "user", MLMODEL),
    # big and many files: any user; what they name is checked as for one blob
    ("POST", V1 + "/uploads", "user", {}),
    ("PUT", V1 + "/blobs/chunks/{upload_id}/{index}", "user", b"chunk"),
    ("POST", V1 + "/uploads/{upload_id}/complete", "user", {}),
    ("DELETE", V1 + "/uploads/{upload_id}", "user", {}),
    ("POST", V1 + "/uploads/missing", "user", {"digests": []}),
    ("POST", V1 + "/downloads", "user", {"digests": []}),
    ("POST", V1 + "/blobs/batch", "user", b""),
    # imports from MLflow: admins only
    ("POST", V1 + "/imports/experiments", "admin", IMPORTED_EXPERIMENT),
    ("POST", V1 + "/imports/runs", "admin", IMPORTED_RUN),
    ("POST", V1 + "/imports/runs/{run_id}/metrics", "admin", {"key": "m", "metrics": []}),
    ("POST", V1 + "/imports/runs/{run_id}/artifacts", "admin", {"entries": {}}),
    ("POST", V1 + "/imports/runs/{run_id}/finish", "admin", IMPORT_FINISH),
    ("POST", V1 + "/imports/logged-models", "admin", IMPORTED_LOGGED_MODEL),
    ("POST", V1 + "/imports/runs/{run_id}/model-links", "admin", {"links": []}),
    ("POST", V1 + "/imports/registered-models", "admin", IMPORTED_MODEL),
    ("POST", V1 + "/imports/model-versions", "admin", IMPORTED_VERSION),
    ("POST", V1 + "/imports/aliases", "admin", {"name": "{model}", "alias": "a", "version": 1}),
    # server
    ("GET", "/health", "public", {}),
    ("GET", "/metrics", "admin", {}),
    ("GET", V1 + "/openapi.json", "user", {}),
    ("GET", V1 + "/docs", "user", {}),
    # web UI
    ("GET", "/", "user", {}),
    ("GET", "/ui/models", "user", {}),
    ("GET", "/ui/models/{name}", "read", {}),
    ("GET", "/ui/models/{name}/versions/{version}", "read", {}),
    ("GET", "/ui/models/{name}/compare", "read", {}),
    ("GET", "/ui/experiments", "user", {}),
    ("GET", "/ui/experiments/{experiment_id}", "read", {}),
    ("GET", "/ui/runs/{run_id}", "read", {}),
    ("GET", "/ui/experiments/{experiment_id}/compare", "read", {}),
    ("GET", "/ui/runs/{run_id}/files/{path:path}", "read", {}),
    ("GET", "/ui/runs/{run_id}/preview/{path:path}", "read", {}),
    ("GET", "/ui/logged-models/{model_id}", "read", {}),
    ("GET", "/ui/logged-models/{model_id}/files/{path:path}", "read", {}),
    ("GET", "/ui/logged-models/{model_id}/preview/{path:path}", "read", {}),
    ("GET", UI_V + "/files/{path:path}", "read", {}),
    ("GET", UI_V + "/preview/{path:path}", "read", {}),
    ("GET", "/ui/audit", "admin", {}),
    ("GET", "/ui/webhooks", "admin", {}),
    ("GET", "/ui/webhooks/{webhook_id}", "admin", {}),
    ("GET", "/ui/static/ui.css", "public", {}),
    ("GET", "/ui/static/ui.js", "public", {}),
    ("GET", "/ui/sign-in", "public", {}),
    ("POST", "/ui/sign-in", "public", {}),
    ("POST", "/ui/sign-out", "public", {}),
    # web UI actions (forms; the JSON sent here is refused after the permission check)
    *[("POST", UI_M + action, "edit", {}) for action in UI_MODEL_ACTIONS],
    *[("POST", UI_V + action, "edit", {}) for action in UI_VERSION_ACTIONS],
    *[("POST", "/ui/runs/{run_id}" + action, level, {}) for action, level in UI_RUN_ACTIONS],
    *[
        ("POST", "/ui/experiments/{experiment_id}" + action, level, {})
        for action, level in UI_EXPERIMENT_ACTIONS
    ],
    # MLflow-compatible artifacts
    ("GET", ARTIFACTS, "read", {"path": "{exp}/{run}/artifacts"}),
    ("GET", ARTIFACTS + "/{path:path}", "read", {}),
    ("PUT", ARTIFACTS + "/{path:path}", "edit", b"new"),
    # MLflow's multipart uploads: refused as MLflow refuses them without an object store
    ("POST", "/api/2.0/mlflow-artifacts/mpu/{step}/{path:path}", "user", {}),
]

# The endpoints behind the MLflow API's one dispatching route: (method, endpoint, level, params)
MLFLOW_MATRIX = [
    ("POST", "/experiments/create", "user", {"name": "{fresh}"}),
    ("GET", "/experiments/get", "read", {"experiment_id": "{exp}"}),
    ("GET", "/experiments/get-by-name", "read", {"experiment_name": "{exp_name}"}),
    ("POST", "/experiments/search", "user", {}),
    ("POST", "/experiments/delete", "manage", {"experiment_id": "{exp}"}),
    ("POST", "/experiments/restore", "manage", {"experiment_id": "{exp}"}),
    ("POST", "/experiments/update", "manage", {"experiment_id": "{exp}", "new_name": "{fresh}"}),
    (
        "POST",
        "/experiments/set-experiment-tag",
        "edit",
        {"experiment_id": "{exp}", "key": "t", "value": "v"},
    ),
    ("POST", "/runs/create", "edit", {"experiment_id": "{exp}"}),
    ("GET", "/runs/get", "read", {"run_id": "{run}"}),
    ("POST", "/runs/update", "edit", {"run_id": "{run}", "status": "RUNNING"}),
    ("POST", "/runs/delete", "manage", {"run_id": "{run}"}),
    ("POST", "/runs/restore", "manage", {"run_id": "{run}"}),
    ("POST", "/runs/log-metric", "edit", {"run_uuid": "{run}", "key": "m", "value": 1.0}),
    ("POST", "/runs/log-parameter", "edit", {"run_id": "{run}", "key": "p", "value": "1"}),
    ("POST", "/runs/set-tag", "edit", {"run_id": "{run}", "key": "t", "value": "v"}),
    ("POST", "/runs/delete-tag", "edit", {"run_id": "{run}", "key": "t"}),
    ("POST", "/runs/log-batch", "edit", {"run_id": "{run}"}),
    ("POST", "/runs/log-model", "edit", {"run_id": "{run}", "model_json": "{}"}),
    ("POST", "/runs/log-inputs", "edit", {"run_id": "{run}"}),
    ("POST", "/logged-models/search", "user", {}),
    ("POST", "/experiments/delete-experiment-tag", "edit", {"experiment_id": "{exp}", "key": "t"}),
    ("POST", "/logged-models", "edit", {"experiment_id": "{exp}"}),
    ("GET", "/logged-models/{model_id}", "read", {}),
    ("PATCH", "/logged-models/{model_id}", "edit", {"status": "LOGGED_MODEL_READY"}),
    ("DELETE", "/logged-models/{model_id}", "edit", {}),
    ("PATCH", "/logged-models/{model_id}/tags", "edit", {"tags": [{"key": "t", "value": "v"}]}),
    ("DELETE", "/logged-models/{model_id}/tags/{tag_key}", "edit", {}),
    ("POST", "/logged-models/{model_id}/params", "edit", {"params": [{"key": "p", "value": "1"}]}),
    ("GET", "/logged-models/{model_id}/artifacts/directories", "read", {}),
    ("POST", "/runs/outputs", "edit", {"run_id": "{run}", "models": []}),
    (
        "POST",
        "/webhooks",
        "admin",
        {
            "name": "h",
            "url": "https://hooks.example.com/x",
            "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}],
            # Off: each admin's row adds one, and the rows after would post to them all.
            "status": "DISABLED",
        },
    ),
    ("GET", "/webhooks", "admin", {}),
    ("GET", "/webhooks/{webhook_id}", "admin", {}),
    ("PATCH", "/webhooks/{webhook_id}", "admin", {"name": "n"}),
    ("POST", "/webhooks/{webhook_id}/test", "admin", {}),
    ("DELETE", "/webhooks/{webhook_id}", "admin", {}),
    ("POST", "/runs/search", "user", {"experiment_ids": ["{exp}"]}),
    ("GET", "/metrics/get-history", "read", {"run_id": "{run}", "metric_key": "m"}),
    ("GET", "/artifacts/list", "read", {"run_id": "{run}"}),
    ("POST", "/registered-models/create", "user", {"name": "{fresh}"}),
    ("GET", "/registered-models/get", "read", {"name": "{model}"}),
    ("POST", "/registered-models/rename", "manage", {"name": "{model}", "new_name": "{fresh}"}),
    ("PATCH", "/registered-models/update", "edit", {"name": "{model}", "description": "d"}),
    ("DELETE", "/registered-models/delete", "manage", {"name": "{model}"}),
    ("GET", "/registered-models/search", "user", {}),
    ("POST", "/registered-models/get-latest-versions", "read", {"name": "{model}"}),
    ("POST", "/registered-models/set-tag", "edit", {"name": "{model}", "key": "t", "value": "v"}),
    ("DELETE", "/registered-models/delete-tag", "edit", {"name": "{model}", "key": "t"}),
    ("POST", "/registered-models/alias", "edit", {"name": "{model}", "alias": "a", "version": 1}),
    ("DELETE", "/registered-models/alias", "edit", {"name": "{model}", "alias": "champion"}),
    ("GET", "/registered-models/alias", "read", {"name": "{model}", "alias": "champion"}),
    ("POST", "/model-versions/create", "edit", {"name": "{model}", "source": "runs:/{run}/model"}),
    ("GET", "/model-versions/get", "read", {"name": "{model}", "version": "1"}),
    ("PATCH", "/model-versions/update", "edit", {"name": "{model}", "version": "1"}),
    ("DELETE", "/model-versions/delete", "manage", {"name": "{model}", "version": "1"}),
    ("POST", "/model-versions/transition-stage", "edit", {"name": "{model}", "version": "1"}),
    ("GET", "/model-versions/search", "user", {}),
    ("GET", "/model-versions/get-download-uri", "read", {"name": "{model}", "version": "1"}),
    ("POST", "/model-versions/set-tag", "edit", {"name": "{model}", "version": "1", "key": "t"}),
    ("DELETE", "/model-versions/delete-tag", "edit", {"name": "{model}", "version": "1"}),
]

CALLERS = ("stranger", "reader", "editor", "manager", "admin")
RANK = {"public": 0, "user": 0, "read": 1, "edit": 2, "manage": 3, "admin": 4}
_JSON = {"Content-Type": "application/json"}


def all_rows() -> list[tuple[str, str, str, object]]:
    rows = [(method, path, level, params) for method, path, level, params in MATRIX]
    for method, endpoint, level, params in MLFLOW_MATRIX:
        rows.append((method, MLFLOW + endpoint, level, params))
    return rows


def _fill(value, names):
    if isinstance(value, str):
        for key, replacement in names.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


def request(http, method, route, params, world, logged_model_id=""):
    """Sends one request to ``route`` with every path parameter naming the world's resources
    (and ``logged_model_id``, an MLflow 3 logged model in its experiment)."""
    artifact = "model/MLmodel" if method == "GET" else "new.txt"
    names = {
        "exp": world.experiment_id,
        "exp_name": world.experiment_name,
        "run": world.run_id,
        "model": world.model,
        "fresh": unique("fresh"),
        "fresh_model_id": f"m-{uuid.uuid4().hex}",
        "name": world.model,
        "name:path": world.experiment_name,
        "version": "1",
        "experiment_id": world.experiment_id,
        "run_id": world.run_id,
        "key": "t",
        "key:path": "t/a",
        "alias": "champion",
        "username": "victim",
        "token_id": str(world.victim_token_id),
        "digest": DIGEST,
        "webhook_id": "0" * 32,
        "delivery_id": "0" * 32,
        "upload_id": "0" * 32,
        "model_id": logged_model_id,
        "tag_key": "t",
        "index": "0",
        "step": "create",
        "path:path": f"{world.experiment_id}/{world.run_id}/artifacts/{artifact}",
    }
    path = _fill(route, names)
    if isinstance(params, bytes):
        return http.request(method, path, content=params)
    params = _fill(params, names)
    if params is None or method in ("GET", "HEAD", "DELETE"):
        return http.request(method, path, params=params or None)
    return http.request(method, path, content=json.dumps(params), headers=_JSON)


def refusal(caller: str, route: str, level: str) -> int:
    """404 for a caller with no role on the resource a row names (200 for the REST
    experiment read by name, which answers null for a missing one), 403 for a lesser role."""
    if caller != "stranger" or level not in ("read", "edit", "manage"):
        return 403
    return 200 if route == V1 + "/experiments/by-name/{name:path}" else 404


@pytest.mark.parametrize("row", all_rows(), ids=lambda row: f"{row[0]} {row[1]}")
def test_each_role_gets_exactly_what_the_matrix_says(auth_server, row):
    method, route, level, params = row
    world = auth_server.world()
    logged_model_id = ""
    if "{model_id}" in route:
        logged = auth_server.backend.logged_models.create_logged_model(world.experiment_id)
        logged_model_id = logged.model_id
    outcomes = {}
    for caller in CALLERS:
        with auth_server.http(caller) as http:
            response = request(http, method, route, params, world, logged_model_id)
            outcomes[caller] = response.status_code

    expected = {caller: RANK[level] <= rank for rank, caller in enumerate(CALLERS)}
    let_through = {c: outcomes[c] not in (401, 403) for c in CALLERS if expected[c]}
    assert all(let_through.values()), outcomes
    # What a caller holds no role on answers as if it did not exist.
    assert {c: outcomes[c] for c in CALLERS if not expected[c]} == {
        c: refusal(c, route, level) for c in CALLERS if not expected[c]
    }, outcomes


def test_the_matrix_lists_every_route_and_mlflow_endpoint_once(auth_app):
    from modelreg.server.mlflow_compat import HANDLERS

    served = [r for r in served_routes(auth_app) if r[1] != MLFLOW_ANY]

    assert sorted((method, route) for method, route, *_ in MATRIX) == served
    assert sorted((method, endpoint) for method, endpoint, *_ in MLFLOW_MATRIX) == sorted(HANDLERS)


def test_the_matrix_is_what_the_routes_declare(auth_app):
    from modelreg.server.guard import iter_routes, permission_of
    from modelreg.server.mlflow_compat import PERMISSIONS

    declared = {
        (method, route.path): permission_of(route)
        for route in iter_routes(auth_app.routes)
        for method in route.methods
    }
    for method, route, level, _ in MATRIX:
        permission = declared[(method, route)]
        if permission.resource == "token":  # its owner, or an admin: the victim's is admin-only
            assert level == "admin"
        else:
            assert permission.level.replace("metrics", "admin") == level, route
    for method, endpoint, level, _ in MLFLOW_MATRIX:
        assert PERMISSIONS[(method, endpoint)].level == level, endpoint
