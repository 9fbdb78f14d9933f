"""Plain data returned by the API: experiments, runs, models, versions, events.

The names and attributes follow MLflow's where MLflow has them
(``run.info.run_id``, ``run.data.metrics``, ``version.current_stage``), so code
written for MLflow reads the same. Every entity is immutable and converts to
and from a JSON-ready dict with ``to_dict`` / ``from_dict``; the REST API and
the remote client use exactly those.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, TypeVar

from modelreg.datasets import Dataset, DatasetInput, InputTag
from modelreg.errors import InvalidArgument

__all__ = [
    "AuditEvent",
    "Dataset",
    "DatasetInput",
    "Experiment",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModelInput",
    "LoggedModelOutput",
    "Metric",
    "ModelVersion",
    "PagedList",
    "Param",
    "RegisteredModel",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "ViewType",
]

T = TypeVar("T")

STAGES = ("None", "Staging", "Production", "Archived")
"""A model version's stages, in the order it usually moves through them."""


class RunStatus:
    """The states of a run; ``FINISHED``, ``FAILED`` and ``KILLED`` are terminal.

    A state is its name (``run.info.status == RunStatus.FINISHED``); MLflow's helpers
    work on names too, so ``RunStatus.is_terminated(RunStatus.from_string(s))`` reads
    the same as with MLflow.
    """

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    ALL = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)
    TERMINAL = (FINISHED, FAILED, KILLED)

    @staticmethod
    def from_string(status: str) -> str:
        """``status`` checked to be a run state's name. Raises ``InvalidArgument``."""
        if status not in RunStatus.ALL:
            allowed = ", ".join(RunStatus.ALL)
            raise InvalidArgument(f"run status {status!r:.40} is not one of {allowed}")
        return status

    @staticmethod
    def to_string(status: str) -> str:
        """The state's name (the state itself). Raises ``InvalidArgument``."""
        return RunStatus.from_string(status)

    @staticmethod
    def is_terminated(status: str) -> bool:
        """Whether a run in ``status`` has ended. Raises ``InvalidArgument``."""
        return RunStatus.from_string(status) in RunStatus.TERMINAL

    @staticmethod
    def all_status() -> list[str]:
        """Every run state."""
        return list(RunStatus.ALL)


class LifecycleStage:
    """Whether an experiment or a run is in use (``active``) or in the bin (``deleted``)."""

    ACTIVE = "active"
    DELETED = "deleted"

    @staticmethod
    def view_type_to_stages(view_type: str | int | None = None) -> tuple[str, ...]:
        """The stages a search with ``view_type`` (a :class:`ViewType`) returns."""
        return {
            ViewType.ACTIVE_ONLY: (LifecycleStage.ACTIVE,),
            ViewType.DELETED_ONLY: (LifecycleStage.DELETED,),
            ViewType.ALL: (LifecycleStage.ACTIVE, LifecycleStage.DELETED),
        }[ViewType.from_string(view_type)]


class ViewType:
    """Which runs or experiments a search returns, by lifecycle stage.

    >>> client.search_runs([experiment_id], run_view_type=ViewType.ALL)
    """

    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"

    @staticmethod
    def from_string(view_type: str | int | None) -> str:
        """The view's name: ``None`` is ``ACTIVE_ONLY``, names are read in any case and
        MLflow's integer codes (1, 2, 3) are accepted. Raises ``InvalidArgument``."""
        if view_type is None:
            return ViewType.ACTIVE_ONLY
        if not isinstance(view_type, str | int) or isinstance(view_type, bool):
            raise InvalidArgument(f"view_type must be a string, got {view_type!r:.40}")
        names = (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL)
        codes: dict[str | int, str] = {1: names[0], 2: names[1], 3: names[2]}
        name = codes.get(view_type, str(view_type).upper())
        if name not in names:
            raise InvalidArgument(f"view_type {view_type!r:.40} is not one of {', '.join(names)}")
        return name

    @staticmethod
    def to_string(view_type: str | int | None) -> str:
        """The view's name, as :meth:`from_string`. Raises ``InvalidArgument``."""
        return ViewType.from_string(view_type)


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One entry of an artifact listing; ``file_size`` is ``None`` for folders."""

    path: str
    is_dir: bool
    file_size: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "is_dir": self.is_dir, "file_size": self.file_size}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FileInfo:
        return cls(d["path"], bool(d["is_dir"]), d.get("file_size"))


class PagedList(list[T]):
    """A page of results; ``token`` fetches the next page and is ``None`` on the last."""

    def __init__(self, items: list[T] | tuple[T, ...] = (), token: str | None = None) -> None:
        super().__init__(items)
        self.token = token

    def to_list(self) -> list[T]:
        """The page's items as a plain list (MLflow's ``PagedList.to_list``)."""
        return list(self)


def _float_to_json(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def float_from_json(value: float | int | str) -> float:
    """Reads a float written by ``to_dict``: NaN and infinities travel as strings."""
    return float(value)


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": _float_to_json(self.value),
            "timestamp": self.timestamp,
            "step": self.step,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Metric:
        return cls(d["key"], float_from_json(d["value"]), int(d["timestamp"]), int(d["step"]))


@dataclass(frozen=True, slots=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Experiment:
        return cls(**d)


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for ``run_id``."""
        return self.run_id


@dataclass(frozen=True, slots=True)
class RunData:
    """``metrics`` holds the latest value of each metric; params and tags are strings."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoggedModelOutput:
    """A logged model as an output of a run, made at the run's ``step`` (MLflow's
    ``LoggedModelOutput``), for ``log_outputs``."""

    model_id: str
    step: int = 0


@dataclass(frozen=True, slots=True)
class LoggedModelInput:
    """A logged model a run used (MLflow's ``LoggedModelInput``), for
    ``log_inputs(models=)`` and ``log_input(model=)``."""

    model_id: str


@dataclass(frozen=True, slots=True)
class RunInputs:
    """What a run used (MLflow's ``RunInputs``): datasets, each with its context, in
    the order they were logged, and logged models."""

    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[LoggedModelInput] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunOutputs:
    """What a run made (MLflow's ``RunOutputs``): the logged models, each at its step."""

    model_outputs: list[LoggedModelOutput] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Run:
    """A run: ``info``, ``data`` (params, latest metrics, tags), and as MLflow's ``Run``
    has them, its ``inputs`` (datasets and logged models it used) and ``outputs`` (the
    logged models it made).

    >>> run.inputs.dataset_inputs[0].dataset.digest
    """

    info: RunInfo
    data: RunData
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "info": _field_values(self.info),
            "data": {
                "params": self.data.params,
                "metrics": {k: _float_to_json(v) for k, v in self.data.metrics.items()},
                "tags": self.data.tags,
            },
            "inputs": {
                "dataset_inputs": [i.to_dict() for i in self.inputs.dataset_inputs],
                "model_inputs": [i.model_id for i in self.inputs.model_inputs],
            },
            "outputs": {
                "model_outputs": [[o.model_id, o.step] for o in self.outputs.model_outputs]
            },
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        data = d["data"]
        inputs = d.get("inputs") or {}
        outputs = d.get("outputs") or {}
        return cls(
            RunInfo(**d["info"]),
            RunData(
                params=data["params"],
                metrics={k: float_from_json(v) for k, v in data["metrics"].items()},
                tags=data["tags"],
            ),
            RunInputs(
                [DatasetInput.from_dict(i) for i in inputs.get("dataset_inputs", ())],
                [LoggedModelInput(i) for i in inputs.get("model_inputs", ())],
            ),
            RunOutputs([LoggedModelOutput(*o) for o in outputs.get("model_outputs", ())]),
        )


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version of a model.

    ``version`` is the gapless integer (1, 2, 3 …); ``semver`` the semantic
    version string ("1.2.0"). ``current_stage`` is one of ``None``,
    ``Staging``, ``Production``, ``Archived``. ``model_id`` is the MLflow 3
    logged model the version was registered from (source ``models:/m-<id>``, or
    a version that was), as MLflow's ``ModelVersion.model_id``; ``None`` otherwise.
    """

    name: str
    version: int
    semver: str
    current_stage: str
    source: str
    run_id: str | None
    description: str | None
    user_id: str
    creation_timestamp: int
    last_updated_timestamp: int
    status: str = "READY"
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    signature: dict[str, Any] | None = None
    content_digest: str | None = None
    model_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies recursively, several times slower.
        d = _field_values(self)
        d["tags"] = dict(self.tags)
        d["aliases"] = list(self.aliases)
        if self.signature is not None:
            d["signature"] = copy.deepcopy(self.signature)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelVersion:
        return cls(**{**d, "aliases": tuple(d.get("aliases", ()))})


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    name: str
    description: str | None
    creation_timestamp: int
    last_updated_timestamp: int
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_versions: tuple[ModelVersion, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["latest_versions"] = [v.to_dict() for v in self.latest_versions]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RegisteredModel:
        return cls(
            **{
                **d,
                "latest_versions": tuple(ModelVersion.from_dict(v) for v in d["latest_versions"]),
            }
        )


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of the append-only audit trail.

    ``before`` and ``after`` hold the changed fields as they were and as they
    became (``None`` on creation and deletion respectively). ``entity_type``
    says what the event is about: ``model`` (then ``model_name`` names it),
    ``user``, ``token`` or ``experiment``; ``entity_id`` is the name users
    know it by: the model's name, the username, the token id or the
    experiment id.
    """

    event_id: int
    timestamp: int
    actor: str
    action: str
    model_name: str | None
    version: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    entity_type: str = "model"
    entity_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AuditEvent:
        return cls(**d)


def _field_values(entity: object) -> dict[str, Any]:
    """The entity's fields by name, values as they are (no copies)."""
    return {name: getattr(entity, name) for name in _field_names(type(entity))}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names
