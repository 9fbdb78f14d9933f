"""The argument names of MLflow's public calls, run with MLflow's interpreter.

Prints ``RESULTS {json}``: ``"mlflow.<name>"``, ``"mlflow.<module>.<name>"`` and
``"client.<method>"`` (``MlflowClient``) → the names of their arguments, in order.
"""

import importlib
import inspect
import json
import sys

import mlflow
from mlflow import MlflowClient

MODULES = ("sklearn", "pyfunc", "pytorch", "models", "artifacts", "data", "xgboost", "lightgbm")


def arguments(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    return [p.name for p in parameters if p.name != "self"]


def main() -> None:
    found = {}
    for name in dir(mlflow):
        if inspect.isfunction(getattr(mlflow, name)) and not name.startswith("_"):
            found[f"mlflow.{name}"] = arguments(getattr(mlflow, name))
    for name in dir(MlflowClient):
        if inspect.isfunction(getattr(MlflowClient, name)) and not name.startswith("_"):
            found[f"client.{name}"] = arguments(getattr(MlflowClient, name))
    for module_name in MODULES:
        try:
            module = importlib.import_module(f"mlflow.{module_name}")
        except ImportError:
            continue
        for name in getattr(module, "__all__", dir(module)):
            function = getattr(module, name, None)
            if inspect.isfunction(function) and not name.startswith("_"):
                found[f"mlflow.{module_name}.{name}"] = arguments(function)
    found = {k: v for k, v in found.items() if v is not None}
    sys.stdout.write("RESULTS " + json.dumps(found) + "\n")


if __name__ == "__main__":
    main()
