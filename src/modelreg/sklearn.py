"""scikit-learn models by MLflow's names (``mlflow.sklearn``).

``log_model``, ``save_model``, ``autolog``, and ``load_model``, which gives the scikit-learn object
itself; see :mod:`modelreg.frameworks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelreg.frameworks import default_requirements_for, functions_for

log_model, save_model, load_model = functions_for("sklearn", __name__)
get_default_pip_requirements = default_requirements_for("sklearn", __name__)

__all__ = ["autolog", "get_default_pip_requirements", "load_model", "log_model", "save_model"]


def autolog(
    log_models: bool = True,
    disable: bool = False,
    *,
    max_tuning_runs: int | None = 5,
    pos_label: Any = None,
    log_post_training_metrics: bool = True,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_datasets: bool = True,
    exclusive: bool = False,
    silent: bool = False,
    extra_tags: Mapping[str, str] | None = None,
    registered_model_name: str | None = None,
    disable_for_unsupported_versions: bool = False,
) -> None:
    """Logs every scikit-learn ``fit`` from now on (``disable=True`` stops it), as
    ``mlflow.sklearn.autolog``: :func:`modelreg.autolog` for scikit-learn alone, with its
    arguments; ``registered_model_name`` registers each model it logs as a new version
    of that model.

    A hyperparameter search (``GridSearchCV``, ``RandomizedSearchCV``, the halving
    searches) logs its own settings and the best candidate's (``best_C`` …),
    ``best_cv_score``, ``cv_results.csv``, the best estimator as ``best_estimator``,
    and its ``max_tuning_runs`` best candidates (by rank; None: every one, 0: none) as
    child runs with their parameters and cross-validation scores (see
    :mod:`modelreg.autolog_search`). A classifier's training precision, recall and F1
    are of ``pos_label`` alone when given, else averaged over the classes weighted by
    their support (see :mod:`modelreg.autolog_training`). With
    ``log_post_training_metrics``, a fitted model's later ``score`` and the
    ``sklearn.metrics`` functions given its predictions are logged to its run
    (``accuracy_score_X_test``; see :mod:`modelreg.autolog_post_training`). Raises
    ``InvalidArgument`` naming a wrong argument, ``MissingDependency`` without
    scikit-learn.

    >>> modelreg.sklearn.autolog(max_tuning_runs=10)
    >>> GridSearchCV(SVC(), {"C": [0.1, 1, 10]}).fit(X, y)
    """
    from modelreg.autolog_runs import AutologOptions
    from modelreg.autologging import autolog_framework, check_tags

    options = AutologOptions(
        log_models, log_input_examples, log_model_signatures, log_datasets, exclusive, silent,
        check_tags(extra_tags), registered_model_name, max_tuning_runs=max_tuning_runs,
        pos_label=pos_label, log_post_training_metrics=log_post_training_metrics,
    )  # fmt: skip
    autolog_framework("sklearn", options, disable)
