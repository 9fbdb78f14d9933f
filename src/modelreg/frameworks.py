"""MLflow's per-framework modules by their names: ``modelreg.sklearn``, ``modelreg.pytorch`` …

Code written for ``mlflow.sklearn.log_model(model, name="model")`` and
``mlflow.sklearn.load_model(uri)`` runs with ``modelreg.sklearn`` in their
place. Each module's ``log_model`` and ``save_model`` are
:func:`modelreg.log_model` and :func:`modelreg.save_model` for its
framework's objects: an object of another framework is refused, naming the
module that takes it. Its ``load_model`` returns the framework's object
itself (the estimator, the ``nn.Module`` …; ``modelreg.load_model(uri).native``)
and refuses a model of another framework before loading it. A model saved as
a plain Python object (``python`` flavor, as scikit-learn pickles imported
from MLflow are) loads through any of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelreg import models
from modelreg.errors import InvalidArgument
from modelreg.extras import needs_extras
from modelreg.model_folders import model_folder

if TYPE_CHECKING:
    from modelreg.flavors import ModelInfo

__all__ = ["FRAMEWORKS", "Framework", "autolog_for", "functions_for"]


@dataclass(frozen=True)
class Framework:
    """One framework's module: the flavor it saves, its name for people, the keyword
    MLflow's functions take the model by (``sk_model``), and the flavors of the
    objects it also takes (scikit-learn's API of XGBoost …)."""

    flavor: str
    label: str
    keyword: str
    also: tuple[str, ...] = ()

    @property
    def flavors(self) -> tuple[str, ...]:
        return (self.flavor, *self.also)


FRAMEWORKS = {
    f.flavor: f
    for f in (
        Framework("sklearn", "scikit-learn", "sk_model", ("xgboost", "lightgbm", "catboost")),
        Framework("pytorch", "PyTorch", "pytorch_model"),
        Framework("onnx", "ONNX", "onnx_model"),
        Framework("xgboost", "XGBoost", "xgb_model"),
        Framework("lightgbm", "LightGBM", "lgb_model"),
        Framework("catboost", "CatBoost", "cb_model"),
        Framework("keras", "Keras", "model"),
        Framework("transformers", "Transformers", "transformers_model"),
    )
}

LogModel = Callable[..., "models.LoggedModel"]
SaveModel = Callable[..., "ModelInfo"]
LoadModel = Callable[..., Any]


def functions_for(flavor: str, module: str) -> tuple[LogModel, SaveModel, LoadModel]:
    """``log_model``, ``save_model`` and ``load_model`` of the framework saved with
    ``flavor``, documented as functions of ``module``."""
    framework = FRAMEWORKS[flavor]

    def log_model(*args: Any, **options: Any) -> Any:
        model, rest = _model_argument(framework, "log_model", args, options)
        return models.log_model(model, *rest, **options)

    def save_model(*args: Any, **options: Any) -> Any:
        model, rest = _model_argument(framework, "save_model", args, options)
        return models.save_model(model, *rest, **options)

    def load_model(
        model_uri: str | os.PathLike[str],
        *,
        dst_path: str | os.PathLike[str] | None = None,
        client: Any = None,
        **options: Any,
    ) -> Any:
        from modelreg.flavors import read_model_info

        folder = model_folder(model_uri, dst_path=dst_path, client=client)
        found = read_model_info(folder).flavor
        if found not in (*framework.flavors, "python"):
            raise InvalidArgument(
                f"model_uri '{os.fspath(model_uri):.200}' holds a {_label(found)} model, not a "
                f"{framework.label} one: load it with {_function(found, 'load_model')}"
            )
        return models.load_model(folder, **options).native

    label = framework.label
    docs = {
        log_model: f"""Logs a {label} model into the run's artifacts: :func:`modelreg.log_model`
        with the same arguments, for {label} objects only (``mlflow.{flavor}.log_model``);
        the model goes first or as ``{framework.keyword}=``, as MLflow names it.

        Raises ``InvalidArgument`` naming the module that takes an object of another
        framework, and what :func:`modelreg.log_model` raises.
        """,
        save_model: f"""Saves a {label} model into a new folder with no store or run:
        :func:`modelreg.save_model` for {label} objects only (``mlflow.{flavor}.save_model``);
        the model goes first or as ``{framework.keyword}=``.
        """,
        load_model: f"""The {label} object a logged, registered or saved model holds
        (``mlflow.{flavor}.load_model``): :func:`modelreg.load_model`'s ``.native``, with its
        arguments and errors.

        Raises ``InvalidArgument`` for a model of another framework, before loading it.
        """,
    }
    for function, doc in docs.items():
        function.__module__ = module
        function.__qualname__ = function.__name__
        function.__doc__ = doc
    return log_model, save_model, load_model


def autolog_for(flavor: str, module: str) -> Callable[..., None]:
    """``autolog`` of the framework saved with ``flavor``, documented as ``module``'s."""
    label = FRAMEWORKS[flavor].label

    def autolog(
        log_models: bool = True,
        disable: bool = False,
        *,
        log_input_examples: bool = False,
        log_model_signatures: bool = True,
        log_datasets: bool = True,
        exclusive: bool = False,
        silent: bool = False,
        extra_tags: Mapping[str, str] | None = None,
        registered_model_name: str | None = None,
        importance_types: Sequence[str] | None = None,
        disable_for_unsupported_versions: bool = False,
    ) -> None:
        from modelreg.autolog_runs import AutologOptions
        from modelreg.autologging import autolog_framework, check_tags

        if importance_types is not None and flavor != "xgboost":
            raise InvalidArgument("importance_types: only XGBoost's autolog takes them")
        options = AutologOptions(
            log_models, log_input_examples, log_model_signatures, log_datasets, exclusive,
            silent, check_tags(extra_tags), registered_model_name, tuple(importance_types or ()),
        )  # fmt: skip
        autolog_framework(flavor, options, disable)

    autolog.__module__ = module
    autolog.__doc__ = f"""Logs every {label} training from now on (``disable=True`` stops it),
    as ``mlflow.{flavor}.autolog``: :func:`modelreg.autolog` for {label} alone (with its
    arguments), the other frameworks left as they are. ``log_models=False`` logs all but
    the model; ``registered_model_name`` registers each model it logs as a new version
    of that model (XGBoost's ``importance_types``, ``["weight", "gain"]``, choose the
    feature importances logged).
    """
    return autolog


def _model_argument(
    framework: Framework, function: str, args: tuple[Any, ...], options: dict[str, Any]
) -> tuple[Any, tuple[Any, ...]]:
    """The model, given first or by MLflow's keyword (``sk_model=``), checked to be the
    framework's; and the other positional arguments."""
    given = options.pop(framework.keyword, None) if framework.keyword != "model" else None
    if given is None:
        given = options.pop("model", None)
    if args and given is not None:
        raise TypeError(f"{function}() got the model twice: first and as a keyword")
    if not args and given is None:
        raise TypeError(f"{function}() missing the model: pass it first or as {framework.keyword}=")
    model, rest = (args[0], args[1:]) if args else (given, ())
    if framework.flavor == "transformers":
        from modelreg.flavors.transformers import pipeline_of

        with needs_extras():
            model = pipeline_of(model, options.pop("task", None))
    _check_object(framework, model, function)
    return model, rest


def _check_object(framework: Framework, model: Any, function: str) -> None:
    from modelreg.flavors import detect_flavor

    found = detect_flavor(model)
    if found not in framework.flavors:
        raise InvalidArgument(
            f"model: modelreg.{framework.flavor}.{function} takes {framework.label} models; "
            f"this {type(model).__qualname__} is a {_label(found)} model: use "
            f"{_function(found, function)}"
        )


def _label(flavor: str) -> str:
    return FRAMEWORKS[flavor].label if flavor in FRAMEWORKS else flavor


def _function(flavor: str, function: str) -> str:
    own = f"modelreg.{flavor}.{function} or " if flavor in FRAMEWORKS else ""
    return f"{own}modelreg.{function}"


def default_requirements_for(flavor: str, module: str) -> Callable[[], list[str]]:
    """``get_default_pip_requirements`` of the framework saved with ``flavor``."""
    label = FRAMEWORKS[flavor].label if flavor in FRAMEWORKS else "Python"

    def get_default_pip_requirements() -> list[str]:
        from modelreg.environment import capture_environment, requirements_for
        from modelreg.flavors.detect import flavor_module

        packages = getattr(flavor_module(flavor), "PACKAGES", [])
        return requirements_for(capture_environment([*packages, "modelreg"]))

    get_default_pip_requirements.__module__ = module
    get_default_pip_requirements.__doc__ = f"""The pip requirements ``log_model`` records for a
    {label} model in this environment (the installed versions of what loading it needs,
    and modelreg), as ``mlflow.{flavor}.get_default_pip_requirements``; for
    ``extra_pip_requirements`` to add to, or a requirements file.
    """
    return get_default_pip_requirements
