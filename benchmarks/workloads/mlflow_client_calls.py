"""Run with MLflow's Python: times calls of the unmodified MLflow client against one server.

    python mlflow_client_calls.py URL CALLS

Prints one JSON object: for each call, the median milliseconds through
``MlflowClient``, and the same request through a bare keep-alive ``requests``
session on the same endpoint (what the server itself costs).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid

import requests
from mlflow import MlflowClient
from mlflow.entities import Metric


def median_ms(call, calls: int) -> float:
    for _ in range(min(10, calls)):
        call()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 3)


def main() -> None:
    uri, calls = sys.argv[1], int(sys.argv[2])
    client = MlflowClient(uri)
    bare = requests.Session()
    api = uri + "/api/2.0/mlflow"
    tag = uuid.uuid4().hex[:8]
    experiment_id = client.create_experiment(f"bench-{tag}")
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "weights", "model/weights.txt")
    name = f"bench-{tag}"
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias(name, "champion", "1")
    out = {
        "create_run": median_ms(lambda: client.create_run(experiment_id), calls),
        "log_metric": median_ms(lambda: client.log_metric(run_id, "m", 0.5), calls),
        "log_batch": median_ms(
            lambda: client.log_batch(run_id, [Metric("b", 1.0, 0, i) for i in range(10)]), calls
        ),
        "get_run": median_ms(lambda: client.get_run(run_id), calls),
        "search_runs": median_ms(
            lambda: client.search_runs([experiment_id], max_results=10), calls
        ),
        "create_model_version": median_ms(
            lambda: client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id),
            max(1, calls // 5),
        ),
        "get_model_version": median_ms(lambda: client.get_model_version(name, "1"), calls),
        "get_model_version_by_alias": median_ms(
            lambda: client.get_model_version_by_alias(name, "champion"), calls
        ),
        "get_registered_model": median_ms(lambda: client.get_registered_model(name), calls),
        "search_model_versions": median_ms(
            lambda: client.search_model_versions(f"name = '{name}'", max_results=10), calls
        ),
    }
    now = int(time.time() * 1000)
    batch = [{"key": "b", "value": 1.0, "timestamp": now, "step": i} for i in range(10)]
    # The same requests the client sends, from a bare keep-alive session: what the server costs.
    requests_of = {
        "create_run": ("POST", "/runs/create", {"experiment_id": experiment_id}),
        "log_metric": (
            "POST",
            "/runs/log-metric",
            {"run_id": run_id, "key": "m", "value": 0.5, "timestamp": now, "step": 0},
        ),
        "log_batch": ("POST", "/runs/log-batch", {"run_id": run_id, "metrics": batch}),
        "get_run": ("GET", "/runs/get", {"run_id": run_id}),
        "search_runs": (
            "POST",
            "/runs/search",
            {"experiment_ids": [experiment_id], "max_results": 10},
        ),
        "create_model_version": (
            "POST",
            "/model-versions/create",
            {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id},
        ),
        "get_model_version": ("GET", "/model-versions/get", {"name": name, "version": "1"}),
        "get_model_version_by_alias": (
            "GET",
            "/registered-models/alias",
            {"name": name, "alias": "champion"},
        ),
        "get_registered_model": ("GET", "/registered-models/get", {"name": name}),
        "search_model_versions": (
            "GET",
            "/model-versions/search",
            {"filter": f"name = '{name}'", "max_results": 10},
        ),
    }
    for op, (method, path, body) in requests_of.items():

        def call(m=method, p=path, b=body):
            if m == "GET":
                answer = bare.get(api + p, params=b)
            else:
                answer = bare.post(api + p, json=b)
            answer.raise_for_status()

        out[f"bare {op}"] = median_ms(
            call, max(1, calls // 5) if op == "create_model_version" else calls
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
