"""Each call modelreg shares with MLflow (``modelreg.<name>``, ``modelreg.<module>.<name>``
or a ``Client`` method of MLflow's name) takes every argument MLflow's takes, by
name, except those listed in ``NOT_TAKEN`` with the reason. MLflow's signatures are
read with its own interpreter (``tests/compat/mlflow_signatures.py``), so a new
MLflow argument or a modelreg change that drops one shows here."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest

import mlflow_source_fixtures
import modelreg

SCRIPT = Path(__file__).with_name("compat") / "mlflow_signatures.py"
# Functions that pass their keywords on: they take what these take.
PASSED_ON = {
    "log_model": "modelreg.models:log_model",
    "save_model": "modelreg.flavors:save_model",
    "load_model": "modelreg.models:load_model",
}

# Why an MLflow argument is not taken.
DATABRICKS = "Databricks only"
TRACES = "traces (MLflow's GenAI tracing) are not kept by modelreg"
PIP_ENV = "environments are recorded as pip requirements"
PROMPT_FIELDS = "prompts keep a template and tags only"
PROMPT_LINKS = "prompts are not linked to logged models"
PROMPT_CACHE = "prompts are read from the store each time"
WEBHOOK_LIST = "modelreg lists every webhook at once"
LOAD_TABLE = "Client.load_table reads one run's table; modelreg.load_table takes these"
SKOPS = "scikit-learn models are saved with skops, loaded with the types modelreg trusts"
TORCH = "PyTorch models are saved by torch_format (state dict, TorchScript, export)"
LIGHTGBM = "LightGBM models are saved in LightGBM's text format"
UBJSON = "XGBoost models are saved as UBJSON"
OLD_PYFUNC = "MLflow's older custom-model form; use python_model and artifacts"

SAVED = {"mlflow_model": "MLflow's Model object"}
PYFUNC = {
    "loader_module": OLD_PYFUNC,
    "data_path": OLD_PYFUNC,
    "infer_code_paths": "code_paths are given, not inferred",
    "streamable": "predict_stream is not supported",
    "resources": DATABRICKS,
    "auth_policy": DATABRICKS,
    **{key: PIP_ENV for key in ("uv_project_path", "uv_groups", "uv_extras")},
}
SKLEARN = {"serialization_format": SKOPS, "skops_trusted_types": SKOPS}
LIGHTGBM_FORMAT = {"serialization_format": LIGHTGBM, "skops_trusted_types": LIGHTGBM}
PYTORCH = {key: TORCH for key in ("pickle_module", "export_model", "serialization_format")}


def _same(reasons: dict[str, str], *calls: str) -> dict[str, dict[str, str]]:
    return {call: reasons for call in calls}


NOT_TAKEN: dict[str, dict[str, str]] = {
    **_same(
        {"deployment_job_id": DATABRICKS},
        "client.create_registered_model",
        "client.update_registered_model",
    ),
    "client.list_webhooks": {"max_results": WEBHOOK_LIST, "page_token": WEBHOOK_LIST},
    "client.load_prompt": {"cache_ttl_seconds": PROMPT_CACHE},
    "mlflow.load_prompt": {
        "link_to_model": PROMPT_LINKS,
        "model_id": PROMPT_LINKS,
        "cache_ttl_seconds": PROMPT_CACHE,
    },
    **_same(
        {"response_format": PROMPT_FIELDS, "model_config": PROMPT_FIELDS},
        "client.register_prompt",
        "client.create_prompt_version",
        "mlflow.register_prompt",
    ),
    "mlflow.search_prompts": {"order_by": "prompts are listed by name"},
    "client.load_table": {key: LOAD_TABLE for key in ("experiment_id", "run_ids", "extra_columns")},
    **_same({"trace_location": TRACES}, "mlflow.create_experiment", "mlflow.set_experiment"),
    "mlflow.register_model": {"env_pack": DATABRICKS},
    "mlflow.sklearn.autolog": {
        "serialization_format": SKOPS,
    },
    "mlflow.xgboost.autolog": {"model_format": UBJSON},
    **_same(
        {
            "env_manager": "the model is evaluated in this environment",
            "_called_from_genai_evaluate": "MLflow's own",
        },
        "mlflow.evaluate",
        "mlflow.models.evaluate",
    ),
    "mlflow.models.make_metric": {"genai_metric_args": "GenAI metrics are not supported"},
    "mlflow.pyfunc.log_model": {**PYFUNC, "prompts": PROMPT_LINKS},
    "mlflow.pyfunc.save_model": {**SAVED, **PYFUNC},
    "mlflow.sklearn.log_model": {**SKLEARN},
    "mlflow.sklearn.save_model": {**SAVED, **SKLEARN},
    "mlflow.pytorch.log_model": {**PYTORCH},
    "mlflow.pytorch.save_model": {**SAVED, **PYTORCH},
    "mlflow.xgboost.log_model": {"model_format": UBJSON},
    "mlflow.xgboost.save_model": {**SAVED, "model_format": UBJSON},
    "mlflow.sklearn.get_default_pip_requirements": {
        key: "skops is always required (models are saved with it), cloudpickle never"
        for key in ("include_cloudpickle", "include_skops")
    },
    "mlflow.lightgbm.get_default_pip_requirements": {
        key: LIGHTGBM for key in ("include_cloudpickle", "include_skops")
    },
    "mlflow.lightgbm.log_model": {**LIGHTGBM_FORMAT},
    "mlflow.lightgbm.save_model": {**SAVED, **LIGHTGBM_FORMAT},
}


@pytest.fixture(scope="module")
def mlflow_signatures() -> dict[str, list[str]]:
    return mlflow_source_fixtures.cached_results("mlflow-signatures", SCRIPT)


def ours(key: str) -> Any:
    """modelreg's call of MLflow's ``key``, or None when modelreg has none by that name."""
    kind, *path = key.split(".")
    if kind == "client":
        return getattr(modelreg.Client, path[0], None)
    if len(path) == 1:
        return getattr(modelreg, path[0], None)
    try:
        module = importlib.import_module(f"modelreg.{path[0]}")
    except ImportError:
        return None
    return getattr(module, path[1], None)


def taken(key: str, function: Any) -> set[str] | None:
    """The argument names ``function`` takes; None when it takes any keyword."""
    parameters = inspect.signature(function).parameters
    names = set(parameters)
    if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return names
    target = PASSED_ON.get(key.rsplit(".", 1)[-1])
    if target is None or key.count(".") != 2:
        return None
    module, name = target.split(":")
    passed_to = getattr(importlib.import_module(module), name)
    from modelreg.frameworks import FRAMEWORKS

    framework = FRAMEWORKS.get(key.split(".")[1])
    keyword = {framework.keyword} if framework is not None else set()
    return names | set(inspect.signature(passed_to).parameters) | keyword


def gaps(mlflow_signatures: dict[str, list[str]]) -> dict[str, list[str]]:
    found = {}
    for key, arguments in sorted(mlflow_signatures.items()):
        function = ours(key)
        if function is None or not callable(function):
            continue
        names = taken(key, function)
        if names is None:
            continue
        lacking = [a for a in arguments if a not in names and a not in ("args", "kwargs")]
        if lacking:
            found[key] = lacking
    return found


def test_every_shared_call_takes_mlflows_arguments(mlflow_signatures):
    lacking = {
        key: [a for a in arguments if a not in NOT_TAKEN.get(key, {})]
        for key, arguments in gaps(mlflow_signatures).items()
    }

    assert {k: v for k, v in lacking.items() if v} == {}


def test_every_argument_listed_as_not_taken_is_still_not_taken(mlflow_signatures):
    found = gaps(mlflow_signatures)

    stale = {
        key: [a for a in reasons if a not in found.get(key, [])]
        for key, reasons in NOT_TAKEN.items()
    }
    assert {k: v for k, v in stale.items() if v} == {}
