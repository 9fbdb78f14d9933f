"""MLflow 3's logged model, as plain data.

``mlflow.<flavor>.log_model`` in MLflow 3 creates a logged model: an id of its
own (``m-<32 hex>``), files under its own artifact location, tags, params and
metrics, made in an experiment and (usually) by a run. modelreg keeps them as
entities of their own, so they are listed, registered (``models:/m-<id>``)
and traced in lineage like runs and versions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelreg.entities import Metric
from modelreg.errors import InvalidArgument

__all__ = [
    "LOGGED_MODEL_ID_RE",
    "MODEL_VERSIONS_TAG",
    "STATUSES",
    "STATUS_FROM_MLFLOW",
    "STATUS_TO_MLFLOW",
    "LoggedModel",
    "LoggedModelDataset",
    "LoggedModelMetric",
    "RunModelLink",
    "dataset_filter",
    "logged_model_of",
]

# MLflow's logged model ids: ``m-`` and a uuid4's 32 hex digits.
LOGGED_MODEL_ID_RE = re.compile(r"m-[0-9a-f]{32}")
STATUSES = ("PENDING", "READY", "FAILED")
# MLflow's LoggedModelStatus enum: JSON names and numbers, and modelreg's names.
STATUS_TO_MLFLOW = {
    "PENDING": "LOGGED_MODEL_PENDING",
    "READY": "LOGGED_MODEL_READY",
    "FAILED": "LOGGED_MODEL_UPLOAD_FAILED",
}
STATUS_FROM_MLFLOW: dict[str | int, str] = {
    **{mlflow: ours for ours, mlflow in STATUS_TO_MLFLOW.items()},
    1: "PENDING",
    2: "READY",
    3: "FAILED",
    "1": "PENDING",
    "2": "READY",
    "3": "FAILED",
}
# The tag in which MLflow lists the registered versions made from a logged model.
MODEL_VERSIONS_TAG = "mlflow.modelVersions"


def logged_model_of(uri: str) -> str | None:
    """The logged model id a ``models:/m-<id>[/path]`` URI names; ``None`` for other URIs."""
    if not uri.startswith("models:/"):
        return None
    model_id = uri[len("models:/") :].split("/")[0]
    return model_id if LOGGED_MODEL_ID_RE.fullmatch(model_id) else None


def check_model_id_of_source(registry: Any, source: Any, model_id: str | None) -> None:
    """MLflow's rule for a ``model_id`` given with a new version: it must be the logged
    model the source is (``models:/m-<id>``) or was registered from (``models:/<name>/<n>``,
    looked up in ``registry``); a version takes it from its source, so another source
    cannot name one. Raises ``InvalidArgument`` in MLflow's words."""
    if model_id is None:
        return
    if not isinstance(source, str) or not source.startswith("models:/"):
        found = None
    else:
        found = logged_model_of(source) or registry.resolve_model_uri(source).model_id
    if found != model_id:
        raise InvalidArgument(
            f"Invalid model version source: '{source:.200}'. The model_id request parameter "
            "must identify the resource that contains the source."
        )


LoggedModelOrder = tuple[str, bool] | tuple[str, bool, str | None, str | None]
"""An ``order_by`` item of ``search_logged_models``: ``(field, ascending)``, or for a
metric ``("metrics.<key>", ascending, dataset_name, dataset_digest)``."""


LoggedModelDataset = tuple[str, str | None]
"""A ``datasets`` item of ``search_logged_models``: ``(dataset_name, dataset_digest)``,
the digest ``None`` for any version of the named dataset."""


def dataset_filter(item: Any) -> LoggedModelDataset:
    """A ``datasets`` item as MLflow writes it, ``{"dataset_name", "dataset_digest"}``, or
    a ``(name, digest)`` pair, as :data:`LoggedModelDataset`. Raises InvalidArgument."""
    if isinstance(item, Mapping):
        name, digest = item.get("dataset_name"), item.get("dataset_digest")
    elif isinstance(item, tuple | list) and len(item) == 2:
        name, digest = item
    else:
        raise InvalidArgument(
            "each datasets item is {'dataset_name': …, 'dataset_digest': …} (the digest "
            f"optional) or a (name, digest) pair; got {item!r:.80}"
        )
    if not isinstance(name, str) or not name:
        shown = f"{name!r:.80}"
        raise InvalidArgument(f"datasets: dataset_name must be a non-empty string, got {shown}")
    if digest is not None and not isinstance(digest, str):
        raise InvalidArgument(f"datasets: dataset_digest must be a string, got {digest!r:.80}")
    return (name, digest or None)


@dataclass(frozen=True, slots=True)
class LoggedModelMetric:
    """A metric of a logged model: the run and dataset it was measured in, if any.

    It reads as MLflow 3's ``Metric`` of a logged model: ``m.key``, ``m.value``,
    ``m.step``, ``m.timestamp``, ``m.model_id``, ``m.dataset_name``, ``m.run_id``.
    """

    metric: Metric
    run_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    model_id: str | None = None

    @property
    def key(self) -> str:
        return self.metric.key

    @property
    def value(self) -> float:
        return self.metric.value

    @property
    def timestamp(self) -> int:
        return self.metric.timestamp

    @property
    def step(self) -> int:
        return self.metric.step


@dataclass(frozen=True, slots=True)
class LoggedModel:
    """A logged model; ``status`` is one of :data:`STATUSES`."""

    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    status: str
    creation_timestamp: int
    last_updated_timestamp: int
    source_run_id: str | None = None
    model_type: str | None = None
    status_message: str | None = None
    lifecycle_stage: str = "active"
    user_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[LoggedModelMetric] = field(default_factory=list)

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "experiment_id": self.experiment_id,
            "name": self.name,
            "artifact_location": self.artifact_location,
            "status": self.status,
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "source_run_id": self.source_run_id,
            "model_type": self.model_type,
            "status_message": self.status_message,
            "lifecycle_stage": self.lifecycle_stage,
            "user_id": self.user_id,
            "tags": dict(self.tags),
            "params": dict(self.params),
            "metrics": [
                {
                    **m.metric.to_dict(),
                    "run_id": m.run_id,
                    "dataset_name": m.dataset_name,
                    "dataset_digest": m.dataset_digest,
                    "model_id": m.model_id,
                }
                for m in self.metrics
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LoggedModel:
        metrics = [
            LoggedModelMetric(
                Metric.from_dict(m),
                m.get("run_id"),
                m.get("dataset_name"),
                m.get("dataset_digest"),
                m.get("model_id"),
            )
            for m in d.get("metrics", [])
        ]
        fields = {k: v for k, v in d.items() if k != "metrics"}
        return cls(**fields, metrics=metrics)


@dataclass(frozen=True, slots=True)
class RunModelLink:
    """A run's use of a logged model: ``direction`` is ``output`` (it logged the model)
    or ``input`` (it used it); ``step`` is the run's step then."""

    model_id: str
    direction: str
    step: int = 0


@dataclass(frozen=True, slots=True)
class ModelRunLink:
    """A run's use of a logged model, seen from the model: the run, ``output`` (it logged
    the model) or ``input`` (it used it), and the run's step then."""

    run_id: str
    direction: str
    step: int = 0


def run_model_links(models: Any, direction: str, field: str = "models") -> list[RunModelLink]:
    """``models`` (``LoggedModelOutput``/``LoggedModelInput`` objects, MLflow's too, or
    model ids) as links of ``direction``; raises ``InvalidArgument`` naming ``field``
    for anything else or a step that is not an integer."""
    if isinstance(models, (str, bytes)) or not hasattr(models, "__iter__"):
        raise InvalidArgument(f"{field} must be a list of logged models")
    links = []
    for model in models:
        model_id = model if isinstance(model, str) else getattr(model, "model_id", None)
        if not isinstance(model_id, str):
            raise InvalidArgument(
                f"{field}: {type(model).__name__} is not a logged model or its id"
            )
        step = getattr(model, "step", 0) if direction == "output" else 0
        if isinstance(step, bool) or not isinstance(step, int):
            raise InvalidArgument(f"{field}: the step of {model_id!r:.60} must be an integer")
        links.append(RunModelLink(model_id, direction, step))
    return links
