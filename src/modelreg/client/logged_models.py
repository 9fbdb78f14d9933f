"""The ``Client`` methods for MLflow 3's logged models (what ``mlflow.<flavor>.log_model``
makes against a ``modelreg server``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from modelreg.api_contract import Backend
from modelreg.entities import FileInfo, Metric, PagedList
from modelreg.errors import InvalidArgument
from modelreg.logged_models import (
    LoggedModel,
    LoggedModelDataset,
    LoggedModelMetric,
    LoggedModelOrder,
    ModelRunLink,
    RunModelLink,
    dataset_filter,
    run_model_links,
)


class LoggedModelMethods:
    _backend: Backend

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new logged model, ``PENDING`` until :meth:`finalize_logged_model`, in the
        experiment; ``name`` defaults to a random one, ``source_run_id`` is the run that
        made it. Raises ``NotFound`` for an unknown experiment or run, ``InvalidArgument``
        for a deleted experiment or a bad name, tag or param.

        >>> model = client.create_logged_model("1", name="ranker", params={"k": "10"})
        """
        return self._backend.logged_models.create_logged_model(
            str(experiment_id),
            name,
            source_run_id,
            None if tags is None else _strings(tags),
            None if params is None else _strings(params),
            model_type,
        )

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        """Marks the model ``READY`` (its files are complete) or ``FAILED``. Raises
        ``InvalidArgument`` for another status, ``NotFound`` for an unknown model."""
        return self._backend.logged_models.finalize_logged_model(model_id, str(status))

    def record_logged_model_files(
        self, model_id: str, artifact_path: str, step: int = 0
    ) -> LoggedModel:
        """Makes the files the model's source run holds under ``artifact_path`` the
        model's own, at paths relative to it (the same stored blobs: nothing is copied);
        ``log_model`` does this for the model it saved into the run. The model is the
        run's output at ``step``; the run's metrics at that step measure it.

        Raises ``NotFound`` for an unknown model or a source run holding nothing
        there, ``InvalidArgument`` for a model without a source run, a bad path or a
        negative step."""
        return self._backend.logged_models.record_run_files(model_id, artifact_path, step)

    def log_model_artifacts(
        self, model_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Uploads every file below ``local_dir`` as the logged model's files (under
        ``artifact_path``), keeping the layout, all recorded together or none (MLflow's
        ``log_model_artifacts``); then
        :meth:`finalize_logged_model` marks it ``READY``. Raises ``NotFound`` for an
        unknown model, ``InvalidArgument`` for a folder that is missing or holds a bad
        path.

        >>> model = client.create_logged_model("1", name="agent")
        >>> client.log_model_artifacts(model.model_id, "build/agent")
        """
        self._backend.artifacts.log_model_artifacts(model_id, local_dir, artifact_path)

    def log_model_artifact(
        self, model_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Uploads one file as a file of the logged model (under ``artifact_path``), as
        MLflow's ``log_model_artifact``. Raises ``InvalidArgument`` for a path that is no
        file, and as :meth:`log_model_artifacts`."""
        import tempfile

        source = Path(local_path)
        if not source.is_file():
            raise InvalidArgument(f"local_path '{local_path}' is not a file")
        with tempfile.TemporaryDirectory(prefix="modelreg-file-") as folder:
            # A link, not a copy: the upload reads the file where it is.
            (Path(folder) / source.name).symlink_to(source.resolve())
            self.log_model_artifacts(model_id, folder, artifact_path)

    def list_logged_model_artifacts(self, model_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and folders directly inside ``path`` (default: the root) of the logged
        model, sorted by path (MLflow's ``list_logged_model_artifacts``). Raises
        ``NotFound`` for an unknown model, ``InvalidArgument`` for a bad path."""
        from modelreg.artifact_files import check_artifact_path, one_level

        prefix = check_artifact_path(path or "", "path", allow_root=True)
        return one_level(self._backend.logged_models.manifest(model_id, prefix), prefix)

    def set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None:
        """Sets (or replaces) tags on the model; values are kept as strings."""
        self._backend.logged_models.set_logged_model_tags(model_id, _strings(tags))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Removes one tag from the model."""
        self._backend.logged_models.delete_logged_model_tag(model_id, key)

    def log_model_params(self, model_id: str, params: dict[str, str]) -> None:
        """Records params of the model (its configuration, beside its run's params);
        values are kept as strings, as a run's params are."""
        self._backend.logged_models.log_logged_model_params(model_id, _strings(params))

    def delete_logged_model(self, model_id: str) -> None:
        """Marks the model deleted: searches skip it and reads answer ``NotFound``;
        versions registered from it keep their files."""
        self._backend.logged_models.delete_logged_model(model_id)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """The logged model ``m-<32 hex>``. Raises ``NotFound`` for an unknown or deleted one."""
        return self._backend.logged_models.get_logged_model(model_id)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any] | LoggedModelDataset] | None = None,
        max_results: int | None = None,
        order_by: Sequence[LoggedModelOrder] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """Logged models of these experiments, newest first unless ``order_by`` says
        otherwise: ``(field, ascending)`` pairs such as ``("name", True)`` or
        ``("metrics.accuracy", False)`` (a metric's latest value; add a dataset name
        and digest to take its value on one dataset). ``filter_string`` compares
        attributes (``name``, ``status``, ``source_run_id`` …), ``tags.<key>``,
        ``params.<key>`` and ``metrics.<key>``. ``datasets``, as on MLflow
        (``[{"dataset_name": "test", "dataset_digest": "4d5e"}]``, the digest optional),
        compares metrics only as measured on one of those datasets, and without a
        metric in the filter keeps the models with a metric measured on one. The
        arguments are MLflow's, in its order. Raises ``InvalidArgument`` for a bad
        filter, order or dataset.

        >>> client.search_logged_models(exp_id, "metrics.accuracy > 0.9",
        ...                             datasets=[{"dataset_name": "holdout"}])
        """
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        if isinstance(datasets, Mapping | str) or not isinstance(datasets, Sequence | None):
            raise InvalidArgument(f"datasets must be a list of datasets, got {datasets!r:.80}")
        return self._backend.logged_models.search_logged_models(
            ids,
            filter_string,
            max_results,
            # Lists are taken too, as JSON gives them.
            [cast(LoggedModelOrder, tuple(o)) for o in order_by or ()],
            page_token,
            [dataset_filter(d) for d in datasets or ()],
        )

    def log_logged_model_metrics(
        self,
        model_id: str,
        metrics: Sequence[Metric],
        run_id: str | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
    ) -> None:
        """Records metric values as the logged model's: measured in run ``run_id`` (one
        the caller may read) on the dataset named, if given. The run's own metrics are
        not touched (``log_metric(..., model_id=)`` logs both). Raises ``NotFound`` for
        an unknown model or run, ``InvalidArgument`` for a bad value or dataset."""
        measured = [LoggedModelMetric(m, run_id, dataset_name, dataset_digest) for m in metrics]
        self._backend.logged_models.log_logged_model_metrics(model_id, measured)

    def get_run_logged_models(self, run_id: str) -> list[LoggedModel]:
        """The logged models a run made, oldest first (lineage: run → logged model)."""
        return self._backend.logged_models.models_of_run(run_id)

    def log_outputs(self, run_id: str, models: Sequence[Any]) -> None:
        """Records logged models as outputs of the run (MLflow's ``log_outputs``): each a
        ``LoggedModelOutput(model_id, step)`` (MLflow's too) or a model id (step 0).
        (``modelreg.log_outputs`` also makes the active run's metrics at that step
        measure the model.)

        Raises ``NotFound`` for an unknown run, or a model that does not exist or the
        caller may not read; ``InvalidArgument`` for a deleted run or anything else in
        ``models``.

        >>> client.log_outputs(run_id, [LoggedModelOutput(model.model_id, step=10)])
        """
        self._backend.logged_models.link_run(run_id, run_model_links(models, "output"))

    def get_logged_model_run_links(self, model_id: str) -> list[ModelRunLink]:
        """The runs that logged the model (``output``) or used it (``input``), newest
        first (the 100 newest), each with the run's step then; runs deleted, or that the
        caller may not read, are left out. Raises ``NotFound`` for an unknown model."""
        return self._backend.logged_models.model_run_links(model_id)

    def get_run_model_links(self, run_id: str) -> list[RunModelLink]:
        """The run's links to logged models, as MLflow's ``run.outputs.model_outputs``
        and ``run.inputs.model_inputs`` hold them: each model it logged (``output``, at
        a step) or used (``input``). Raises ``NotFound`` for an unknown run."""
        return self._backend.logged_models.run_links(run_id)


def _strings(values: dict[str, Any]) -> dict[str, str]:
    # MLflow's clients send str(value) for each, as they do for a run's params and tags.
    return {str(k): str(v) for k, v in values.items()}
