"""Shared by the compatibility scenarios, which run in MLflow's own interpreter.

A scenario is a function of the tracking URI that drives the unmodified MLflow
client and returns what it saw, as plain JSON data with the server's own ids
and times left out, so the answers of ``mlflow server`` and ``modelreg server``
can be compared as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mlflow.exceptions import MlflowException

SCENARIOS: dict[str, Callable[[str], Any]] = {}


def scenario(fn: Callable[[str], Any]) -> Callable[[str], Any]:
    """Registers ``fn`` under its name."""
    SCENARIOS[fn.__name__] = fn
    return fn


def outcome(call: Callable[[], Any], *, message: bool = False) -> Any:
    """What ``call`` returned, or ``{"error": code}`` (and the message, when asked)."""
    try:
        return call()
    except MlflowException as exc:
        out = {"error": exc.error_code}
        if message:
            out["message"] = exc.message
        return out


def http(base: str, method: str, path: str, body: Any = None, params: Any = None) -> dict:
    """A raw REST call: ``{"status", "error_code"}`` (the code only for an error)."""
    import requests

    response = requests.request(method, base + path, json=body, params=params, timeout=30)
    out: dict[str, Any] = {"status": response.status_code}
    if response.status_code >= 400:
        try:
            out["error_code"] = response.json().get("error_code")
        except ValueError:
            out["error_code"] = None
    return out


SYSTEM_TAGS = ("mlflow.user", "mlflow.source.name", "mlflow.source.type", "mlflow.source.git")


def user_tags(tags: dict[str, str]) -> dict[str, str]:
    """Tags without the ones the client fills in from its environment."""
    return {k: v for k, v in sorted(tags.items()) if not k.startswith(SYSTEM_TAGS)}


def run_view(run: Any) -> dict[str, Any]:
    """A run as the client sees it (its name only when it was given: random ones differ)."""
    tags = user_tags(run.data.tags)
    random_name = tags.pop("mlflow.runName", None) == run.info.run_name
    return {
        "name": None if random_name and "-" in run.info.run_name else run.info.run_name,
        "status": run.info.status,
        "lifecycle_stage": run.info.lifecycle_stage,
        "params": dict(sorted(run.data.params.items())),
        "metrics": dict(sorted(run.data.metrics.items())),
        "tags": tags,
    }


def version_view(v: Any) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": v.version,
        "stage": v.current_stage,
        "description": v.description,
        "status": v.status,
        "tags": dict(sorted(v.tags.items())),
        "aliases": sorted(v.aliases),
    }


def model_view(m: Any) -> dict[str, Any]:
    return {
        "name": m.name,
        "description": m.description,
        "tags": dict(sorted(m.tags.items())),
        "aliases": dict(sorted(m.aliases.items())),
        "latest": sorted((v.version, v.current_stage) for v in m.latest_versions or []),
    }


def logged_model_view(m: Any) -> dict[str, Any]:
    return {
        "name": m.name,
        "status": str(m.status),
        "model_type": m.model_type,
        "tags": user_tags(m.tags),
        "params": dict(sorted(m.params.items())),
        "metrics": sorted((x.key, x.value, x.step) for x in m.metrics or []),
        "has_run": bool(m.source_run_id),
        "uri_is_own": m.model_uri == f"models:/{m.model_id}",
    }


def pyfunc_predicted(uri: str, rows: Any) -> dict[str, Any]:
    """What ``mlflow.pyfunc.load_model(uri).predict(rows)`` gives, with the rows and
    their dtype, for the import tests to expect of the imported version."""
    import mlflow
    import numpy as np

    out = mlflow.pyfunc.load_model(uri).predict(rows)
    if isinstance(out, dict):  # ONNX: one array per output
        (out,) = out.values()
    return {"rows": rows.tolist(), "dtype": str(rows.dtype), "out": np.asarray(out).tolist()}


def dump(results: dict[str, Any]) -> str:
    return json.dumps(results, sort_keys=True, default=str)
