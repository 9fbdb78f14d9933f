"""CatBoost models by MLflow's names (``mlflow.catboost``).

``log_model``, ``save_model``, and ``load_model``, which gives the CatBoost object
itself; see :mod:`modelreg.frameworks`.
"""

from modelreg.frameworks import default_requirements_for, functions_for

log_model, save_model, load_model = functions_for("catboost", __name__)
get_default_pip_requirements = default_requirements_for("catboost", __name__)

__all__ = ["get_default_pip_requirements", "load_model", "log_model", "save_model"]
