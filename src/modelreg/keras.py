"""Keras models by MLflow's names (``mlflow.keras``).

``log_model``, ``save_model``, ``autolog``, and ``load_model``, which gives the Keras object
itself; see :mod:`modelreg.frameworks`.
"""

from __future__ import annotations

from collections.abc import Mapping

from modelreg.frameworks import default_requirements_for, functions_for

log_model, save_model, load_model = functions_for("keras", __name__)
get_default_pip_requirements = default_requirements_for("keras", __name__)

__all__ = ["autolog", "get_default_pip_requirements", "load_model", "log_model", "save_model"]


def autolog(
    log_models: bool = True,
    disable: bool = False,
    *,
    log_every_epoch: bool = True,
    log_every_n_steps: int | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_datasets: bool = True,
    exclusive: bool = False,
    silent: bool = False,
    extra_tags: Mapping[str, str] | None = None,
    registered_model_name: str | None = None,
    disable_for_unsupported_versions: bool = False,
) -> None:
    """Logs every Keras ``Model.fit`` from now on (``disable=True`` stops it), as
    ``mlflow.keras.autolog``: :func:`modelreg.autolog` for Keras alone, with its
    arguments (see :mod:`modelreg.autolog_keras`); ``registered_model_name`` registers
    each model it logs as a new version of that model.

    The metrics Keras reports go to the run at the end of each epoch (the epoch as the
    step) or, with ``log_every_epoch=False`` and ``log_every_n_steps=N``, at the end of
    every N-th batch, and the validation metrics at each epoch's end (the optimizer's
    step count as the step; written in the background). Raises ``InvalidArgument``
    naming a wrong argument (both ways at once among them), ``MissingDependency``
    without Keras.

    >>> modelreg.keras.autolog(log_every_epoch=False, log_every_n_steps=100)
    >>> model.fit(x, y, epochs=5)
    """
    from modelreg.autolog_runs import AutologOptions, KerasOptions
    from modelreg.autologging import autolog_framework, check_tags

    options = AutologOptions(
        log_models, log_input_examples, log_model_signatures, log_datasets, exclusive, silent,
        check_tags(extra_tags), registered_model_name,
        keras=KerasOptions(log_every_epoch, log_every_n_steps),
    )  # fmt: skip
    autolog_framework("keras", options, disable)
