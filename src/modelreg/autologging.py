"""Automatic logging of training: ``modelreg.autolog()``, as MLflow's.

Once enabled, every ``fit`` of a scikit-learn estimator (and of XGBoost's and
LightGBM's scikit-learn estimators, when installed; their own ``xgboost.train`` and
``lightgbm.train`` are logged too, see :mod:`modelreg.autolog_boosting`), every Keras
``Model.fit``
(see :mod:`modelreg.autolog_keras`), every Hugging Face ``Trainer.train``
(:mod:`modelreg.autolog_transformers`) and every PyTorch Lightning ``Trainer.fit``
(:mod:`modelreg.autolog_lightning`) logs to the active run
(or to a run of its own, started before and ended after the fit): the
estimator's parameters (``get_params(deep=True)``), its score and the usual
metrics on the training data (``training_accuracy_score``, ``training_f1_score``
… for a classifier, ``training_mean_squared_error``, ``training_r2_score`` … for
a regressor; see :mod:`modelreg.autolog_training`, which also draws a classifier's
plots), the tags ``estimator_name`` and ``estimator_class``, and the fitted model
(``runs:/<run_id>/model``). A hyperparameter search logs its best candidates as child
runs too (:mod:`modelreg.autolog_search`). Only the outermost ``fit`` logs: a
pipeline's steps are part of the pipeline's run, and the folds of a cross-validation
(``cross_val_score`` …) log nothing (:mod:`modelreg.autolog_cross_validation`). How a
fitted scikit-learn-style model is evaluated afterwards (``model.score(X_test, y_test)``,
``sklearn.metrics.accuracy_score(y_test, y_pred)``) is logged to its run too
(:mod:`modelreg.autolog_post_training`).

Autologging never changes what ``fit`` does or returns: a failure to log is
a ``ModelregWarning``, and a ``fit`` that raises ends the run it started as
``FAILED`` and raises as before.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from modelreg import autolog_post_training as post_training
from modelreg.autolog_cross_validation import cross_validating
from modelreg.autolog_runs import (
    AutologOptions,
    autolog_busy,
    busy,
    estimator_tags,
    example_options,
    fit_in_run,
    log_model_of_fit,
    log_training_data,
    options_for,
    param_text,
    set_options,
)
from modelreg.autolog_training import (
    Outcome,
    Training,
    log_training_plots,
    training_metrics,
    training_of,
)
from modelreg.entities import Metric, Param, RunTag
from modelreg.timeutil import now_ms

_ORIGINAL = "__modelreg_original_fit__"
# Frameworks autolog covers. XGBoost's and LightGBM's are their scikit-learn estimators
# (by their base class); Keras, Transformers and PyTorch (Lightning's Trainer, as
# MLflow's pytorch autolog) have modules of their own.
FRAMEWORKS = ("sklearn", "xgboost", "lightgbm", "keras", "transformers", "pytorch")
# The packages whose training a framework's autolog logs, where not named as it is.
_PACKAGES = {"pytorch": ("lightning", "pytorch_lightning")}
_SKLEARN_STYLE = {"xgboost": "XGBModel", "lightgbm": "LGBMModel"}
# framework -> the estimator classes whose fit is wrapped, each with whether the fit it
# wraps was its own (else inherited: putting it back removes the wrapper)
_patched: dict[str, list[tuple[Any, bool]]] = {}


def autolog(
    log_models: bool = True,
    disable: bool = False,
    exclude_flavors: Iterable[str] | None = (),
    *,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_datasets: bool = True,
    exclusive: bool = False,
    silent: bool = False,
    extra_tags: Mapping[str, str] | None = None,
    disable_for_unsupported_versions: bool = False,
    log_traces: bool = True,
) -> None:
    """Logs every scikit-learn ``fit`` (XGBoost's and LightGBM's estimators too), Keras
    ``Model.fit``, Hugging Face ``Trainer.train`` and PyTorch Lightning ``Trainer.fit`` from
    now on (``disable=True`` stops it).

    ``log_models=False`` logs parameters, metrics and tags but not the model;
    ``exclude_flavors`` leaves frameworks out (``["keras"]``; names as in
    :data:`FRAMEWORKS`). ``modelreg.sklearn.autolog()`` and the like turn on (or off)
    one framework. MLflow's other arguments mean what they do there: a scikit-learn
    model is logged with its first training rows as input example
    (``log_input_examples``, off by default: they are data) and the signature they
    give (``log_model_signatures``), and its training data becomes an input of the run
    (``log_datasets``); ``exclusive`` leaves runs the caller started alone;
    ``silent`` turns autolog's warnings off; ``extra_tags`` are set on the runs it
    starts. ``disable_for_unsupported_versions`` and ``log_traces`` (MLflow's GenAI
    traces) are taken for MLflow's code and change nothing. Raises
    ``MissingDependency`` when none of those libraries is installed,
    ``InvalidArgument`` for an unknown framework name.

    >>> modelreg.autolog()
    >>> LogisticRegression().fit(X, y)   # a run with its params, metrics and model
    """
    excluded = _framework_names(exclude_flavors or ())
    chosen = [f for f in FRAMEWORKS if f not in excluded]
    installed = [f for f in chosen if _framework_installed(f)]
    if not installed and not disable:
        raise _missing(chosen[0] if chosen else "sklearn")
    options = AutologOptions(
        log_models, log_input_examples, log_model_signatures, log_datasets, exclusive, silent,
        check_tags(extra_tags),
    )  # fmt: skip
    for framework in installed:
        autolog_framework(framework, options, disable)


def check_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """``extra_tags`` as a dict of strings; raises InvalidArgument for another value."""
    from modelreg.errors import InvalidArgument

    if tags is not None and not isinstance(tags, Mapping):
        raise InvalidArgument("extra_tags must be a dict of tag names to values")
    return {str(k): str(v) for k, v in (tags or {}).items()}


def autolog_framework(
    framework: str, options: AutologOptions | None = None, disable: bool = False
) -> None:
    """Turns autologging of one of :data:`FRAMEWORKS` on (or off) with ``options``,
    leaving the others as they are. Raises ``MissingDependency`` when the framework is
    not installed."""
    from modelreg import autolog_boosting, autolog_keras, autolog_lightning, autolog_transformers

    (framework,) = _framework_names([framework])
    if not disable and not _framework_installed(framework):
        raise _missing(framework)
    if disable:
        for cls, own in _patched.pop(framework, []):
            if own:
                cls.fit = getattr(vars(cls)["fit"], _ORIGINAL)
            else:
                del cls.fit
        post_training.disable(framework)
        if framework == "keras":
            autolog_keras.disable()
        elif framework == "transformers":
            autolog_transformers.disable()
        elif framework == "pytorch":
            autolog_lightning.disable()
        elif framework in _SKLEARN_STYLE:
            autolog_boosting.disable(framework)
        return
    options = options or AutologOptions()
    set_options(framework, options)
    if framework == "keras":
        autolog_keras.enable()
    elif framework == "transformers":
        autolog_transformers.enable()
    elif framework == "pytorch":
        autolog_lightning.enable()
    else:
        _enable_estimators(framework, options)
    if framework in _SKLEARN_STYLE:
        autolog_boosting.enable(framework)


def _enable_estimators(framework: str, options: AutologOptions) -> None:
    """Wraps the fits of a scikit-learn-style framework's estimators, and their
    predictions and scores as ``log_post_training_metrics`` says."""
    if framework in _patched and not options.log_post_training_metrics:
        post_training.disable(framework)
        return
    classes = _estimator_classes(framework)
    if framework not in _patched:
        _patched[framework] = _wrap_fits(classes, framework)
    if options.log_post_training_metrics:
        post_training.enable(framework, classes)


def _framework_names(names: Iterable[str]) -> list[str]:
    from modelreg.errors import InvalidArgument

    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in FRAMEWORKS]
    if unknown:
        raise InvalidArgument(
            f"autolog: unknown framework {unknown[0]!r:.40}; known: {', '.join(FRAMEWORKS)}"
        )
    return names


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except ValueError:  # in sys.modules as None: an import that is refused
        return False


def _framework_installed(framework: str) -> bool:
    return any(_installed(package) for package in _PACKAGES.get(framework, (framework,)))


def _missing(framework: str) -> Exception:
    from modelreg.extras import missing_dependency

    package = _PACKAGES.get(framework, (framework,))[0]
    absent = ModuleNotFoundError(f"No module named {package!r}", name=package)
    return missing_dependency(absent) or absent


def _estimator_classes(framework: str) -> list[Any]:
    """The estimator classes of ``framework`` (each with a ``fit``)."""
    from modelreg.extras import needs_extras

    with needs_extras():
        if framework == "sklearn":
            from sklearn.utils import all_estimators

            classes = [cls for _, cls in all_estimators()]
        else:
            base = getattr(importlib.import_module(framework), _SKLEARN_STYLE[framework])
            classes = _with_subclasses(base)
    return [cls for cls in classes if callable(getattr(cls, "fit", None))]


def _wrap_fits(classes: list[Any], framework: str) -> list[tuple[Any, bool]]:
    """Wraps the ``fit`` of each of ``classes`` not wrapped yet, its own or the one it
    inherits (most estimators inherit theirs from a base class that is not an estimator
    of its own, such as a random forest's); returns them as :data:`_patched` keeps them."""
    wrapped = []
    for cls in classes:
        if hasattr(cls.fit, _ORIGINAL):  # wrapped, or inherits a wrapped fit
            continue
        own = "fit" in vars(cls)
        cls.fit = _logging(cls.fit, framework)
        wrapped.append((cls, own))
    return wrapped


def _tabular(x: Any) -> bool:
    """Whether training features ``x`` are an array or a DataFrame, which a dataset and a
    signature describe."""
    import numpy as np

    return isinstance(x, np.ndarray) or (hasattr(x, "iloc") and hasattr(x, "columns"))


def _sparse(x: Any) -> bool:
    """Whether training features ``x`` are a SciPy sparse matrix (a text model's TF-IDF):
    a dataset describes it, a signature does not."""
    return type(x).__module__.startswith("scipy.sparse") and hasattr(x, "tocsr")


def _with_subclasses(cls: Any) -> list[Any]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _with_subclasses(child))]


def _logging(fit: Callable[..., Any], framework: str) -> Callable[..., Any]:
    @functools.wraps(fit)
    def logged_fit(estimator: Any, *args: Any, **kwargs: Any) -> Any:
        # A step of an estimator being fitted, or a fold of a cross-validation.
        if busy() or cross_validating():
            return fit(estimator, *args, **kwargs)
        # What is fitted and predicted while fitting and logging (steps, a metric's label
        # encoder, the training metrics) is part of this fit.
        with autolog_busy():
            return fit_in_run(
                framework,
                lambda _: fit(estimator, *args, **kwargs),
                lambda _: _log(framework, estimator, training_of(fit, estimator, args, kwargs)),
            )

    setattr(logged_fit, _ORIGINAL, fit)
    return logged_fit


def _log(framework: str, estimator: Any, data: Training) -> None:
    from modelreg import fluent
    from modelreg.autolog_search import is_search, log_search, search_params

    options = options_for(framework)
    run_id = fluent.get_or_start_run_id()
    search = framework == "sklearn" and is_search(estimator)
    given = search_params(estimator) if search else estimator.get_params(deep=True)
    params = [Param(k, param_text(v)) for k, v in given.items()]
    tags = [RunTag(k, v) for k, v in estimator_tags(estimator).items()]
    timestamp = now_ms()
    outcome = Outcome(estimator, data)
    found = training_metrics(outcome, options.pos_label)
    metrics = [Metric(k, v, timestamp, 0) for k, v in found.items()]
    client = fluent.current_client()
    client.log_batch(run_id, metrics, params, tags)
    tabular = _tabular(data.x)
    described = tabular or _sparse(data.x)
    train = log_training_data(run_id, data.x) if described and options.log_datasets else None
    log_training_plots(client, run_id, outcome)
    # Not of a search that does not refit, or a transformer: they do not predict.
    example = data.x[:5] if tabular and hasattr(estimator, "predict") else None
    model_options = example_options(framework, example, lambda rows: estimator.predict(rows))
    logged = log_model_of_fit(framework, estimator, run_id, **model_options)
    if options.log_post_training_metrics:
        post_training.track(estimator, framework, run_id, getattr(logged, "model_id", None))
    if search:
        best = getattr(estimator, "best_estimator_", None)
        if best is not None:
            log_model_of_fit(framework, best, run_id, "best_estimator", **model_options)
        log_search(client, run_id, estimator, options.max_tuning_runs, train)
