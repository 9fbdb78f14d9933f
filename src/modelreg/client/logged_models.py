"""The ``Client`` methods for MLflow 3's logged models (what ``mlflow.<flavor>.log_model``
makes against a ``modelreg server``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelreg.entities import PagedList
from modelreg.logged_models import LoggedModel, LoggedModelOrder


class LoggedModelMethods:
    _backend: Any

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """The logged model ``m-<32 hex>``. Raises ``NotFound`` for an unknown or deleted one."""
        return self._backend.logged_models.get_logged_model(model_id)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[LoggedModelOrder] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """Logged models of these experiments, newest first unless ``order_by`` says
        otherwise: ``(field, ascending)`` pairs such as ``("name", True)`` or
        ``("metrics.accuracy", False)`` (a metric's latest value; add a dataset name
        and digest to take its value on one dataset). ``filter_string`` compares
        attributes (``name``, ``status``, ``source_run_id`` …), ``tags.<key>``,
        ``params.<key>`` and ``metrics.<key>``. Raises ``InvalidArgument`` for a bad
        filter or order."""
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        return self._backend.logged_models.search_logged_models(
            ids, filter_string, max_results, [tuple(o) for o in order_by or ()], page_token
        )

    def get_run_logged_models(self, run_id: str) -> list[LoggedModel]:
        """The logged models a run made, oldest first (lineage: run → logged model)."""
        return self._backend.logged_models.models_of_run(run_id)
