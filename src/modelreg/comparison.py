"""Comparing versions: weighted scores, ranked tables, and what differs between two versions.

A version's score is Σ wᵢ · metricᵢ over the weighted metrics; negative
weights make lower-is-better metrics (latency, loss) count against it. A
version missing any weighted metric (or holding NaN) has no score: it is
shown with the metric missing and left out of the ranking, never scored as
if the metric were 0.

>>> table = client.compare_versions("fraud", weights={"auc": 1.0, "latency_ms": -0.01})
>>> print(table)
>>> table.to_pandas().sort_values("rank")
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelreg.entities import float_from_json
from modelreg.extras import needs_extras

__all__ = ["ComparisonRow", "ComparisonTable", "VersionDiff", "rank_scores", "score"]

FIXED_COLUMNS = ("version", "semver", "stage", "aliases", "score", "rank")


def _usable(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def score(
    metrics: Mapping[str, float | None], weights: Mapping[str, float]
) -> tuple[float | None, list[str]]:
    """``(Σ wᵢ·metricᵢ, missing)``: the score is ``None`` when a weighted metric is missing.

    With no weights there is nothing to score: ``(None, [])``.
    """
    if not weights:
        return None, []
    missing = [key for key in weights if not _usable(metrics.get(key))]
    if missing:
        return None, missing
    return math.fsum(w * float(metrics[k]) for k, w in weights.items()), []  # type: ignore[arg-type]


def rank_scores(scores: Sequence[float | None]) -> list[int | None]:
    """Competition ranks (1 = highest; ties share a rank: 1, 2, 2, 4); ``None`` stays unranked."""
    ranked = sorted((s for s in scores if s is not None), reverse=True)
    first: dict[float, int] = {}
    for position, value in enumerate(ranked, start=1):
        first.setdefault(value, position)
    return [None if s is None else first[s] for s in scores]


def _json_float(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _from_json_float(value: Any) -> float | None:
    return None if value is None else float_from_json(value)


@dataclass(frozen=True)
class ComparisonRow:
    """One version in a comparison; a metric the version lacks is ``None``."""

    version: int
    semver: str
    stage: str
    aliases: tuple[str, ...]
    metrics: dict[str, float | None]
    score: float | None
    rank: int | None
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "semver": self.semver,
            "stage": self.stage,
            "aliases": list(self.aliases),
            "metrics": {k: _json_float(v) for k, v in self.metrics.items()},
            "score": _json_float(self.score),
            "rank": self.rank,
            "missing": list(self.missing),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ComparisonRow:
        return cls(
            d["version"],
            d["semver"],
            d["stage"],
            tuple(d["aliases"]),
            {k: _from_json_float(v) for k, v in d["metrics"].items()},
            _from_json_float(d["score"]),
            d["rank"],
            tuple(d.get("missing", ())),
        )


@dataclass(frozen=True)
class ComparisonTable:
    """Versions of one model side by side, best score first (unscored versions last).

    ``metrics`` are the metric columns, ``weights`` the weights the scores
    were computed with (empty: no scores).
    """

    name: str
    metrics: tuple[str, ...]
    weights: dict[str, float]
    rows: tuple[ComparisonRow, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ComparisonRow]:
        return iter(self.rows)

    def row(self, version: int) -> ComparisonRow:
        """The row of one version; raises ``KeyError`` when it is not in the table."""
        for r in self.rows:
            if r.version == version:
                return r
        raise KeyError(version)

    def _column(self, metric: str) -> str:
        # A metric named like a fixed column (say "score") must not overwrite it.
        return f"metric:{metric}" if metric in FIXED_COLUMNS else metric

    def to_dicts(self) -> list[dict[str, Any]]:
        """One flat dict per row: version, semver, stage, aliases, each metric, score, rank."""
        out = []
        for r in self.rows:
            d: dict[str, Any] = {
                "version": r.version,
                "semver": r.semver,
                "stage": r.stage,
                "aliases": list(r.aliases),
            }
            d.update({self._column(m): r.metrics.get(m) for m in self.metrics})
            d["score"] = r.score
            d["rank"] = r.rank
            out.append(d)
        return out

    def to_pandas(self) -> Any:
        """A pandas DataFrame of :meth:`to_dicts` (missing metrics are NaN). Needs pandas."""
        with needs_extras():
            import pandas as pd

        columns = ["version", "semver", "stage", "aliases"]
        columns += [self._column(m) for m in self.metrics] + ["score", "rank"]
        frame = pd.DataFrame(self.to_dicts(), columns=columns)
        for column in [self._column(m) for m in self.metrics] + ["score"]:
            frame[column] = frame[column].astype("float64")
        frame["rank"] = frame["rank"].astype("Int64")
        return frame

    def __str__(self) -> str:
        header = ["version", "semver", "stage", "aliases", *self.metrics, "score", "rank"]
        body = [
            [
                str(r.version),
                r.semver,
                r.stage,
                ",".join(r.aliases),
                *(_show(r.metrics.get(m)) for m in self.metrics),
                _show(r.score),
                "" if r.rank is None else str(r.rank),
            ]
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            for row in [header, *body]
        ]
        return "\n".join(line.rstrip() for line in lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metrics": list(self.metrics),
            "weights": dict(self.weights),
            "rows": [r.to_dict() for r in self.rows],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ComparisonTable:
        return cls(
            d["name"],
            tuple(d["metrics"]),
            dict(d["weights"]),
            tuple(ComparisonRow.from_dict(r) for r in d["rows"]),
        )


def _show(value: float | None) -> str:
    """How a cell reads: a missing value says so instead of looking like a number."""
    if value is None or math.isnan(value):
        return "missing"
    return f"{value:.6g}"


Pair = tuple[Any, Any]


@dataclass(frozen=True)
class VersionDiff:
    """What differs between versions ``a`` and ``b`` of a model; each entry is ``(a, b)``.

    A side that lacks the key holds ``None``. ``files`` maps paths to their
    digests; ``signature`` is ``None`` when both signatures are equal.
    """

    name: str
    a: int
    b: int
    attributes: dict[str, Pair] = field(default_factory=dict)
    params: dict[str, Pair] = field(default_factory=dict)
    metrics: dict[str, Pair] = field(default_factory=dict)
    tags: dict[str, Pair] = field(default_factory=dict)
    signature: Pair | None = None
    card: dict[str, Pair] = field(default_factory=dict)
    files: dict[str, Pair] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        """True when nothing but the version number differs."""
        return not (
            self.attributes
            or self.params
            or self.metrics
            or self.tags
            or self.signature
            or self.card
            or self.files
        )

    def to_dict(self) -> dict[str, Any]:
        def pairs(section: dict[str, Pair]) -> dict[str, list[Any]]:
            return {k: [_plain(x) for x in v] for k, v in section.items()}

        return {
            "name": self.name,
            "a": self.a,
            "b": self.b,
            "attributes": pairs(self.attributes),
            "params": pairs(self.params),
            "metrics": pairs(self.metrics),
            "tags": pairs(self.tags),
            "signature": None if self.signature is None else list(self.signature),
            "card": pairs(self.card),
            "files": pairs(self.files),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VersionDiff:
        def pairs(section: dict[str, list[Any]]) -> dict[str, Pair]:
            return {k: (v[0], v[1]) for k, v in section.items()}

        metrics = {
            k: (_from_json_float(v[0]), _from_json_float(v[1])) for k, v in d["metrics"].items()
        }
        return cls(
            d["name"],
            d["a"],
            d["b"],
            pairs(d["attributes"]),
            pairs(d["params"]),
            metrics,
            pairs(d["tags"]),
            None if d["signature"] is None else (d["signature"][0], d["signature"][1]),
            pairs(d["card"]),
            pairs(d["files"]),
        )


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, tuple):
        return list(value)
    return value
