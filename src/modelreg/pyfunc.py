"""``mlflow.pyfunc.load_model`` by its name: :func:`modelreg.load_model`, whose model of
any framework has ``predict`` (and ``.native``, the framework's object).

MLflow's ``pyfunc.log_model(python_model=…)`` has no counterpart here:
:func:`modelreg.log_model` saves any object with a ``predict`` method."""

from modelreg.models import load_model

__all__ = ["load_model"]
