"""modelreg: a model registry and experiment tracker.

``import modelreg`` is cheap: the names below load their modules on first use.

>>> import modelreg
>>> modelreg.set_experiment("my_experiment")
>>> with modelreg.start_run():
...     modelreg.log_metric("accuracy", 0.93)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from modelreg.version import __version__

# name -> module that defines it; resolved lazily by __getattr__ below.
_LAZY = {
    "Client": "modelreg.client",
    "autolog": "modelreg.autologging",
    "delete_run": "modelreg.fluent",
    "delete_tag": "modelreg.fluent",
    "flush_async_logging": "modelreg.fluent",
    "get_parent_run": "modelreg.fluent",
    "is_tracking_uri_set": "modelreg.fluent",
    "get_artifact_uri": "modelreg.fluent_artifacts",
    "create_experiment": "modelreg.fluent_experiments",
    "delete_experiment": "modelreg.fluent_experiments",
    "get_experiment": "modelreg.fluent_experiments",
    "get_experiment_by_name": "modelreg.fluent_experiments",
    "search_experiments": "modelreg.fluent_experiments",
    "set_experiment_tag": "modelreg.fluent_experiments",
    "set_experiment_tags": "modelreg.fluent_experiments",
    "ActiveRun": "modelreg.fluent",
    "active_run": "modelreg.fluent",
    "end_run": "modelreg.fluent",
    "get_registry_uri": "modelreg.fluent",
    "get_run": "modelreg.fluent",
    "get_tracking_uri": "modelreg.fluent",
    "last_active_run": "modelreg.fluent",
    "download_artifacts": "modelreg.fluent_artifacts",
    "infer_signature": "modelreg.signature",
    "load_dict": "modelreg.fluent_artifacts",
    "load_text": "modelreg.fluent_artifacts",
    "load_model": "modelreg.models",
    "load_table": "modelreg.fluent_tables",
    "log_model": "modelreg.models",
    "register_model": "modelreg.models",
    "save_model": "modelreg.models",
    "log_artifact": "modelreg.fluent_artifacts",
    "log_artifacts": "modelreg.fluent_artifacts",
    "log_batch": "modelreg.fluent",
    "log_dict": "modelreg.fluent_artifacts",
    "log_figure": "modelreg.fluent_artifacts",
    "log_image": "modelreg.fluent_artifacts",
    "log_input": "modelreg.fluent",
    "log_metric": "modelreg.fluent",
    "log_metrics": "modelreg.fluent",
    "log_param": "modelreg.fluent",
    "log_params": "modelreg.fluent",
    "log_table": "modelreg.fluent_tables",
    "log_text": "modelreg.fluent_artifacts",
    "load_prompt": "modelreg.fluent",
    "register_prompt": "modelreg.fluent",
    "search_prompts": "modelreg.fluent",
    "set_prompt_alias": "modelreg.fluent",
    "delete_prompt_alias": "modelreg.fluent",
    "search_model_versions": "modelreg.fluent_registry",
    "search_registered_models": "modelreg.fluent_registry",
    "search_runs": "modelreg.fluent_search",
    "set_experiment": "modelreg.fluent",
    "set_tag": "modelreg.fluent",
    "set_tags": "modelreg.fluent",
    "set_registry_uri": "modelreg.fluent",
    "set_tracking_uri": "modelreg.fluent",
    "start_run": "modelreg.fluent",
    "log_stream": "modelreg.fluent_artifacts",
    "enable_system_metrics_logging": "modelreg.system_metrics",
    "disable_system_metrics_logging": "modelreg.system_metrics",
    "set_system_metrics_sampling_interval": "modelreg.system_metrics",
    "set_system_metrics_samples_before_logging": "modelreg.system_metrics",
    "set_system_metrics_node_id": "modelreg.system_metrics",
    "restore_run": "modelreg.fluent",
    "restore_experiment": "modelreg.fluent_experiments",
    "delete_experiment_tag": "modelreg.fluent_experiments",
    "set_model_version_tag": "modelreg.fluent_registry",
    "initialize_logged_model": "modelreg.fluent_logged_models",
    "create_external_model": "modelreg.fluent_logged_models",
    "finalize_logged_model": "modelreg.fluent_logged_models",
    "get_logged_model": "modelreg.fluent_logged_models",
    "last_logged_model": "modelreg.fluent_logged_models",
    "set_logged_model_tags": "modelreg.fluent_logged_models",
    "delete_logged_model_tag": "modelreg.fluent_logged_models",
    "log_model_params": "modelreg.fluent_logged_models",
    "set_active_model": "modelreg.fluent_logged_models",
    "get_active_model_id": "modelreg.fluent_logged_models",
    "clear_active_model": "modelreg.fluent_logged_models",
    "search_logged_models": "modelreg.fluent_logged_models",
}
_SUBMODULES = {"entities", "errors", "uris", "settings"}

__all__ = [
    "ActiveRun",
    "Client",
    "__version__",
    "active_run",
    "autolog",
    "clear_active_model",
    "create_experiment",
    "create_external_model",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_logged_model_tag",
    "delete_prompt_alias",
    "delete_run",
    "delete_tag",
    "disable_system_metrics_logging",
    "download_artifacts",
    "enable_system_metrics_logging",
    "end_run",
    "entities",
    "errors",
    "finalize_logged_model",
    "flush_async_logging",
    "get_active_model_id",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_logged_model",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "infer_signature",
    "initialize_logged_model",
    "is_tracking_uri_set",
    "last_active_run",
    "last_logged_model",
    "load_dict",
    "load_model",
    "load_prompt",
    "load_table",
    "load_text",
    "log_artifact",
    "log_artifacts",
    "log_batch",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_model_params",
    "log_param",
    "log_params",
    "log_stream",
    "log_table",
    "log_text",
    "register_model",
    "register_prompt",
    "restore_experiment",
    "restore_run",
    "save_model",
    "search_experiments",
    "search_logged_models",
    "search_model_versions",
    "search_prompts",
    "search_registered_models",
    "search_runs",
    "set_active_model",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_logged_model_tags",
    "set_model_version_tag",
    "set_prompt_alias",
    "set_registry_uri",
    "set_system_metrics_node_id",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "settings",
    "start_run",
    "uris",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"modelreg.{name}")
    raise AttributeError(f"module 'modelreg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from modelreg import entities, errors, settings, uris
    from modelreg.autologging import autolog
    from modelreg.client import Client
    from modelreg.fluent import (
        ActiveRun,
        active_run,
        delete_prompt_alias,
        delete_tag,
        end_run,
        get_run,
        get_tracking_uri,
        last_active_run,
        load_prompt,
        log_batch,
        log_input,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        register_prompt,
        restore_run,
        search_prompts,
        set_experiment,
        set_prompt_alias,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
    )
    from modelreg.fluent_artifacts import (
        download_artifacts,
        get_artifact_uri,
        load_dict,
        load_text,
        log_artifact,
        log_artifacts,
        log_dict,
        log_figure,
        log_image,
        log_stream,
        log_text,
    )
    from modelreg.fluent_experiments import (
        create_experiment,
        delete_experiment,
        delete_experiment_tag,
        get_experiment,
        get_experiment_by_name,
        restore_experiment,
        search_experiments,
        set_experiment_tag,
        set_experiment_tags,
    )
    from modelreg.fluent_logged_models import (
        clear_active_model,
        create_external_model,
        delete_logged_model_tag,
        finalize_logged_model,
        get_active_model_id,
        get_logged_model,
        initialize_logged_model,
        last_logged_model,
        log_model_params,
        search_logged_models,
        set_active_model,
        set_logged_model_tags,
    )
    from modelreg.fluent_registry import (
        search_model_versions,
        search_registered_models,
        set_model_version_tag,
    )
    from modelreg.fluent_search import search_runs
    from modelreg.models import load_model, log_model, register_model, save_model
    from modelreg.signature import infer_signature
    from modelreg.system_metrics import (
        disable_system_metrics_logging,
        enable_system_metrics_logging,
        set_system_metrics_node_id,
        set_system_metrics_samples_before_logging,
        set_system_metrics_sampling_interval,
    )
