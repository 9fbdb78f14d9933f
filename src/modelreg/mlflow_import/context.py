"""What every phase of an import shares: source, target, options, problems, progress."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from modelreg.mlflow_import.progress import Progress
from modelreg.mlflow_import.source import MlflowSource


@dataclass(frozen=True)
class Options:
    """What to import and how (see ``modelreg import-mlflow --help``)."""

    experiments: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    dry_run: bool = False
    verify: bool = False
    workers: int = 4

    @property
    def all_experiments(self) -> bool:
        return not self.experiments and not self.models

    @property
    def all_models(self) -> bool:
        return not self.experiments and not self.models


@dataclass(frozen=True)
class Problem:
    """Something in the source that could not be copied as it was; the import went on."""

    kind: str
    what: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.what}: {self.detail}"


@dataclass
class Context:
    source: MlflowSource
    backend: Any
    options: Options
    progress: Progress
    origin: str
    # MLflow experiment id -> modelreg experiment id
    experiment_ids: dict[str, str] = field(default_factory=dict)
    # runs present in the target (imported now or before)
    imported_runs: set[str] = field(default_factory=set)
    # logged models present in the target (imported now or before)
    logged_models: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def problem(self, kind: str, what: str, detail: str) -> None:
        with self._lock:
            self.problems.append(Problem(kind, what, detail))

    def origin_of(self, **ids: Any) -> dict[str, Any]:
        """What the audit event of an imported object says about where it came from."""
        return {"imported_from": "mlflow", "mlflow_url": self.origin, **ids}
