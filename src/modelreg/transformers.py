"""Transformers models by MLflow's names (``mlflow.transformers``).

``log_model``, ``save_model``, ``autolog``, and ``load_model``, which gives the Transformers object
itself; see :mod:`modelreg.frameworks`. As MLflow's, ``log_model`` and ``save_model`` take
a pipeline or a dict of its components with the task:
``log_model({"model": model, "tokenizer": tokenizer}, task="text-classification")``.
"""

from modelreg.frameworks import autolog_for, default_requirements_for, functions_for

log_model, save_model, load_model = functions_for("transformers", __name__)
get_default_pip_requirements = default_requirements_for("transformers", __name__)
autolog = autolog_for("transformers", __name__)

__all__ = ["autolog", "get_default_pip_requirements", "load_model", "log_model", "save_model"]
