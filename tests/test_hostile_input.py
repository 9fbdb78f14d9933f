"""Bad input is a 400 naming what is wrong, never a 500, on SQLite and PostgreSQL.

Each case is one request of the review of #14 (point 9) that answered 500:
integers beyond what their column holds, JSON nested too deep, MLflow bodies
of the wrong shape, unpaired surrogates and NUL characters. Both databases
must answer alike, so the checks sit at the edge and in ``validation``,
before any SQL. A property test (Hypothesis) and a schema-driven one
(schemathesis) then look for any other 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from auth_fixtures import AuthServer, World

BIG = 2**63


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# (method, path, body: JSON value or raw text, query, words the message must hold).
# {model} and {run} are the world's model and run.
CASES = [
    pytest.param(
        "GET",
        "/api/v1/registered-models",
        None,
        {"page_token": _page_token(BIG)},
        "page_token",
        id="page-token-2^63",
    ),
    pytest.param(
        "GET",
        "/api/v1/registered-models/{model}/versions/9223372036854775808",
        None,
        None,
        "version",
        id="version-2^63",
    ),
    pytest.param(
        "GET",
        "/api/2.0/mlflow/model-versions/get",
        None,
        {"name": "{model}", "version": str(BIG)},
        "version",
        id="mlflow-version-2^63",
    ),
    pytest.param(
        "GET",
        "/api/v1/registered-models/{model}/versions/1e30",
        None,
        None,
        "version",
        id="version-1e30",
    ),
    pytest.param(
        "GET",
        "/api/v1/model-versions/resolve",
        None,
        {"uri": f"models:/{{model}}/{BIG}"},
        "version",
        id="uri-version-2^63",
    ),
    pytest.param("DELETE", "/api/v1/tokens/2147483648", None, None, "token_id", id="token-2^31"),
    pytest.param(
        "DELETE", "/api/v1/tokens/9223372036854775808", None, None, "token_id", id="token-2^63"
    ),
    pytest.param(
        "POST",
        "/api/v1/runs/{run}/batch",
        {"metrics": [{"key": "m", "value": 1, "timestamp": BIG, "step": 0}]},
        None,
        "timestamp",
        id="metric-timestamp-2^63",
    ),
    pytest.param(
        "POST",
        "/api/v1/runs/{run}/batch",
        {"metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": 2**70}]},
        None,
        "step",
        id="metric-step-2^70",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/runs/log-metric",
        {"run_id": "{run}", "key": "m", "value": 1, "timestamp": BIG},
        None,
        "timestamp",
        id="mlflow-metric-timestamp-2^63",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/runs/log-metric",
        {"run_id": "{run}", "key": "m", "value": 1, "timestamp": 1, "step": 2**70},
        None,
        "step",
        id="mlflow-metric-step-2^70",
    ),
    pytest.param(
        "POST",
        "/api/v1/runs",
        {"experiment_id": "0", "start_time": BIG},
        None,
        "start_time",
        id="start-time-2^63",
    ),
    pytest.param(
        "GET",
        "/api/v1/model-versions",
        None,
        {"filter_string": f"version = {10**20}"},
        "out of range",
        id="filter-number-10^20",
    ),
    pytest.param(
        "GET",
        "/api/v1/model-versions",
        None,
        {"filter_string": "version = 1e999"},
        "out of range",
        id="filter-number-1e999",
    ),
    pytest.param(
        "GET",
        "/api/v1/model-versions",
        None,
        {"filter_string": "(" * 5000 + "version = 1" + ")" * 5000},
        "limit",
        id="filter-5000-parentheses",
    ),
    pytest.param(
        "GET",
        "/api/v1/model-versions",
        None,
        {"filter_string": "(" * 100 + "version = 1" + ")" * 100},
        "deeper than",
        id="filter-100-parentheses",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/registered-models/create",
        '{"name": ' + _nested(100_000) + "}",
        None,
        "JSON",
        id="mlflow-json-nested-100000",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/runs/log-batch",
        {"run_id": "{run}", "metrics": "abc"},
        None,
        "metrics",
        id="mlflow-metrics-a-string",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/runs/log-batch",
        {"run_id": "{run}", "tags": [{"value": "x"}]},
        None,
        "key",
        id="mlflow-tag-without-key",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/runs/log-batch",
        {"run_id": "{run}", "params": [1, 2]},
        None,
        "params",
        id="mlflow-params-numbers",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/runs/search",
        {"experiment_ids": ["0"], "order_by": 5},
        None,
        "order_by",
        id="mlflow-order-by-a-number",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/registered-models/create",
        {"name": "m", "tags": [{"key": "k"}, 5]},
        None,
        "tags",
        id="mlflow-tags-a-number",
    ),
    pytest.param(
        "POST",
        "/api/v1/registered-models",
        '{"name": "a\\ud800b"}',
        None,
        "surrogate",
        id="name-surrogate",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/registered-models/create",
        '{"name": "a\\udfffb"}',
        None,
        "surrogate",
        id="mlflow-name-surrogate",
    ),
    pytest.param(
        "PUT",
        "/api/v1/registered-models/{model}/tags/k",
        '{"value": "a\\ud800b"}',
        None,
        "surrogate",
        id="tag-surrogate",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/runs/set-tag",
        '{"run_id": "{run}", "key": "k", "value": "\\ud800"}',
        None,
        "surrogate",
        id="mlflow-run-tag-surrogate",
    ),
    pytest.param(
        "POST",
        "/api/v1/experiments",
        '{"name": "e\\u0000"}',
        None,
        "NUL",
        id="experiment-name-nul",
    ),
    pytest.param(
        "PUT",
        "/api/v1/registered-models/{model}/tags/k",
        '{"value": "a\\u0000b"}',
        None,
        "NUL",
        id="tag-nul",
    ),
    pytest.param(
        "PATCH",
        "/api/v1/registered-models/{model}",
        '{"description": "a\\u0000b"}',
        None,
        "NUL",
        id="description-nul",
    ),
    pytest.param(
        "POST",
        "/api/2.0/mlflow/runs/log-parameter",
        '{"run_id": "{run}", "key": "k", "value": "a\\u0000"}',
        None,
        "NUL",
        id="mlflow-param-nul",
    ),
    pytest.param(
        "GET",
        "/api/v1/registered-models",
        None,
        {"filter_string": "name = 'a\x00'"},
        "NUL",
        id="filter-nul",
    ),
    pytest.param(
        "POST",
        "/api/v1/runs",
        '{"experiment_id": "0", "run_name": "r\\u0000"}',
        None,
        "NUL",
        id="run-name-nul",
    ),
]


@pytest.fixture
def target(any_auth_server: AuthServer) -> tuple[AuthServer, World]:
    return any_auth_server, any_auth_server.world()


def _fill(value: Any, world: World) -> Any:
    if isinstance(value, str):
        return value.replace("{model}", world.model).replace("{run}", world.run_id)
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


@pytest.mark.parametrize(("method", "path", "body", "query", "words"), CASES)
def test_bad_input_is_a_400_naming_the_problem(target, method, path, body, query, words):
    server, world = target
    body = _fill(body, world)
    content = body if isinstance(body, str) or body is None else json.dumps(body)

    with server.http("admin") as http:
        response = http.request(
            method,
            _fill(path, world),
            content=content,
            params=_fill(query, world),
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code == 400, response.text
    assert words in response.json()["message"]
