"""Keras models by MLflow's names (``mlflow.keras``).

``log_model``, ``save_model``, ``autolog``, and ``load_model``, which gives the Keras object
itself; see :mod:`modelreg.frameworks`.
"""

from modelreg.frameworks import autolog_for, default_requirements_for, functions_for

log_model, save_model, load_model = functions_for("keras", __name__)
get_default_pip_requirements = default_requirements_for("keras", __name__)
autolog = autolog_for("keras", __name__)

__all__ = ["autolog", "get_default_pip_requirements", "load_model", "log_model", "save_model"]
