"""A model, experiment or run the caller may not read answers exactly as a missing one
(#14 point 10): the same status (404) and the same message, naming only what the caller
sent, on reads and on writes, on the REST API, the MLflow API and the web UI."""

from __future__ import annotations

import json

import pytest

from auth_fixtures import unique
from test_auth_matrix import _fill

MISSING_RUN = "0" * 32

# (method, path, params or JSON body): {model}, {exp}, {exp_name}, {run} name the target.
REQUESTS = {
    "model": [
        ("GET", "/api/v1/registered-models/{model}", None),
        ("PATCH", "/api/v1/registered-models/{model}", {"description": "x"}),
        ("DELETE", "/api/v1/registered-models/{model}", None),
        ("GET", "/api/v1/registered-models/{model}/versions/1", None),
        ("POST", "/api/v1/registered-models/{model}/versions", {"source": "runs:/{run}/m"}),
        ("GET", "/api/v1/model-versions/resolve", {"uri": "models:/{model}/1"}),
        ("GET", "/api/2.0/mlflow/registered-models/get", {"name": "{model}"}),
        ("DELETE", "/api/2.0/mlflow/registered-models/delete", {"name": "{model}"}),
    ],
    "experiment": [
        ("GET", "/api/v1/experiments/{exp}", None),
        ("PATCH", "/api/v1/experiments/{exp}", {"new_name": "renamed"}),
        ("POST", "/api/v1/runs", {"experiment_id": "{exp}"}),
        ("GET", "/api/v1/experiments/by-name/{exp_name}", None),
        ("GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": "{exp}"}),
        ("GET", "/api/2.0/mlflow/experiments/get-by-name", {"experiment_name": "{exp_name}"}),
        ("POST", "/api/2.0/mlflow/runs/create", {"experiment_id": "{exp}"}),
    ],
    "run": [
        ("GET", "/api/v1/runs/{run}", None),
        ("PATCH", "/api/v1/runs/{run}", {"run_name": "x"}),
        ("POST", "/api/v1/runs/{run}/batch", {"params": []}),
        ("GET", "/api/2.0/mlflow/runs/get", {"run_id": "{run}"}),
        ("POST", "/api/2.0/mlflow/runs/log-batch", {"run_id": "{run}"}),
    ],
}
UI = {
    "model": "/ui/models/{model}",
    "experiment": "/ui/experiments/{exp}",
    "run": "/ui/runs/{run}",
}


def _send(http, method, path, params, names):
    path, params = _fill(path, names), _fill(params, names)
    if params is None or method == "GET":
        return http.request(method, path, params=params)
    headers = {"Content-Type": "application/json"}
    return http.request(method, path, content=json.dumps(params), headers=headers)


def _answer(response, names):
    """Status and message, with what the request named taken out of the message."""
    try:
        body = response.json()
    except ValueError:
        body = response.text
    message = body.get("message", "") if isinstance(body, dict) else str(body)
    for value in sorted(names.values(), key=len, reverse=True):
        message = message.replace(value, "<name>")
    return response.status_code, message


def _hidden_and_missing(auth_server):
    world = auth_server.world()
    hidden = {
        "model": world.model,
        "exp": world.experiment_id,
        "exp_name": world.experiment_name,
        "run": world.run_id,
    }
    missing = {
        "model": unique("missing"),
        "exp": "987654321",
        "exp_name": unique("missing"),
        "run": MISSING_RUN,
    }
    return hidden, missing


@pytest.mark.parametrize(
    "request_",
    [pytest.param(r, id=f"{kind}: {r[0]} {r[1]}") for kind, rs in REQUESTS.items() for r in rs],
)
def test_hidden_and_missing_answer_the_same(auth_server, request_):
    method, path, params = request_
    hidden, missing = _hidden_and_missing(auth_server)

    with auth_server.http("stranger") as http:
        for_hidden = _answer(_send(http, method, path, params, hidden), hidden)
        for_missing = _answer(_send(http, method, path, params, missing), missing)

    assert for_hidden == for_missing
    assert for_hidden[0] in (404, 200)  # 200: by-name REST read answers null for both


@pytest.mark.parametrize("kind", UI)
def test_the_web_ui_answers_hidden_as_missing(auth_server, kind):
    hidden, missing = _hidden_and_missing(auth_server)

    with auth_server.http("stranger") as http:
        statuses = [http.get(_fill(UI[kind], names)).status_code for names in (hidden, missing)]

    assert statuses == [404, 404]


def test_a_reader_still_learns_that_an_edit_needs_more(auth_server, world):
    with auth_server.http("reader") as http:
        response = http.patch(
            f"/api/v1/registered-models/{world.model}",
            content=json.dumps({"description": "x"}),
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code == 403


def test_a_run_refusal_does_not_name_its_experiment(auth_server, world):
    with auth_server.http("stranger") as http:
        response = http.get(f"/api/v1/runs/{world.run_id}")

    assert response.status_code == 404
    assert world.experiment_id not in response.json()["message"].replace(world.run_id, "")
