"""Comparing versions of a model: metrics side by side, weighted scores, ranks, diffs.

A version's metrics are its source run's latest values, overridden by the
metrics written in its model card (an evaluation on held-out data, say).
Scores and ranks follow :mod:`modelreg.comparison`: a version missing a
weighted metric has no score and no rank. A run the caller may not read
lends no metrics or params (see :mod:`modelreg.services.visibility`), so a
comparison shows, and ranks by, only what the caller may read; a diff's
``source`` names a model they may not read as ``models:/(hidden)/…``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.cards import CARD_FIELDS, EXTRA_FIELDS
from modelreg.comparison import ComparisonRow, ComparisonTable, VersionDiff, rank_scores, score
from modelreg.entities import ModelVersion
from modelreg.errors import InvalidArgument, NotFound
from modelreg.services.cards import load_card
from modelreg.services.visibility import EVERYTHING, Visibility
from modelreg.store import governance as gstore
from modelreg.store import registry as store
from modelreg.store import tracking as tracking_store

MAX_WEIGHTS = 100


def check_weights(weights: Any, field: str = "weights") -> dict[str, float]:
    """Metric name → finite weight (negative for lower-is-better). Raises ``InvalidArgument``."""
    if weights is None:
        return {}
    if not isinstance(weights, Mapping):
        raise InvalidArgument(f"{field} must be a mapping of metric name to number")
    if len(weights) > MAX_WEIGHTS:
        raise InvalidArgument(f"{field} holds at most {MAX_WEIGHTS} metrics; got {len(weights)}")
    out = {}
    for key, value in weights.items():
        key = v.check_key(key, f"metric name in {field}")
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise InvalidArgument(
                f"weight of metric '{key}' in {field} must be a finite number, got {value!r:.40}"
            )
        out[key] = float(value)
    return out


def version_facts(
    conn: Connection,
    model_id: int,
    versions: Sequence[ModelVersion],
    visible: Visibility = EVERYTHING,
) -> dict[int, dict[str, Any]]:
    """Per version number: ``version``, ``stage``, ``tags`` and ``metrics`` (of the run if
    ``visible`` shows it, then of the card)."""
    run_metrics = gstore.latest_metrics_of(
        conn, visible.runs(mv.run_id for mv in versions if mv.run_id)
    )
    cards = gstore.cards_by_version(conn, model_id, [mv.version for mv in versions])
    facts = {}
    for mv in versions:
        metrics = dict(run_metrics.get(mv.run_id, {})) if mv.run_id else {}
        metrics.update(cards.get(mv.version, {}).get("metrics", {}))
        facts[mv.version] = {
            "version": mv.version,
            "stage": mv.current_stage,
            "tags": mv.tags,
            "metrics": metrics,
        }
    return facts


def _check_numbers(versions: Any) -> list[int] | None:
    if versions is None:
        return None
    if isinstance(versions, str | int):
        versions = [versions]
    if not isinstance(versions, Sequence):
        raise InvalidArgument("versions must be a list of version numbers")
    return list(dict.fromkeys(v.check_int(n, "version", minimum=1) for n in versions))


def _check_metric_names(metrics: Any) -> list[str] | None:
    if metrics is None:
        return None
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, Sequence):
        raise InvalidArgument("metrics must be a list of metric names")
    return list(dict.fromkeys(v.check_key(m, "metric name") for m in metrics))


def compare(
    conn: Connection,
    model_id: int,
    name: str,
    versions: Any,
    metrics: Any,
    weights: Any,
    visible: Visibility = EVERYTHING,
) -> ComparisonTable:
    """The comparison table of what ``visible`` shows; see ``Client.compare_versions``."""
    numbers = _check_numbers(versions)
    columns = _check_metric_names(metrics)
    if weights is None:
        used = gstore.setting(conn, model_id, "scoring_weights") or {}
    else:
        used = check_weights(weights)
    where = store.mv.c.model_id == model_id
    if numbers is not None:
        where = where & store.mv.c.version.in_(numbers)
    found = store.fetch_versions(conn, where, [store.mv.c.version.desc()])
    if numbers is not None:
        absent = sorted(set(numbers) - {mv.version for mv in found})
        if absent:
            listed = ", ".join(map(str, absent))
            raise NotFound(f"registered model '{name}' has no version(s) {listed}")
    facts = version_facts(conn, model_id, found, visible)
    if columns is None:
        seen = {k for f in facts.values() for k in f["metrics"]}
        columns = [*used, *sorted(seen - set(used))]
    scored = [score(facts[mv.version]["metrics"], used) for mv in found]
    ranks = rank_scores([s for s, _ in scored])
    rows = [
        ComparisonRow(
            version=mv.version,
            semver=mv.semver,
            stage=mv.current_stage,
            aliases=mv.aliases,
            metrics={m: facts[mv.version]["metrics"].get(m) for m in columns},
            score=s,
            rank=rank,
            missing=tuple(missing),
        )
        for mv, (s, missing), rank in zip(found, scored, ranks, strict=True)
    ]
    # Best first; unscored versions after the scored ones, newest first among equals.
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, -r.version))
    return ComparisonTable(name, tuple(columns), used, tuple(rows))


def _changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    out = {}
    for key in sorted(set(a) | set(b)):
        left, right = a.get(key), b.get(key)
        if left != right and not _both_nan(left, right):
            out[key] = (left, right)
    return out


def _both_nan(a: Any, b: Any) -> bool:
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


def _params(conn: Connection, run_id: str | None, visible: Visibility) -> dict[str, str]:
    if run_id is None or not visible.run(run_id):
        return {}
    try:
        return tracking_store.get_run(conn, run_id).data.params
    except NotFound:
        return {}


def diff(
    conn: Connection,
    model_id: int,
    name: str,
    a: int,
    b: int,
    visible: Visibility = EVERYTHING,
) -> VersionDiff:
    """What differs between versions ``a`` and ``b`` as far as ``visible`` shows; see
    ``Client.diff_versions``."""
    row_a = store.version_row(conn, model_id, name, a)
    row_b = store.version_row(conn, model_id, name, b)
    va, vb = visible.versions([store.version_from_row(row_a), store.version_from_row(row_b)])
    facts = version_facts(conn, model_id, [va, vb], visible)
    attributes = _changes(
        {k: getattr(va, k) for k in _ATTRIBUTES} | {"aliases": list(va.aliases)},
        {k: getattr(vb, k) for k in _ATTRIBUTES} | {"aliases": list(vb.aliases)},
    )
    card_a = load_card(conn, row_a, visible).to_dict()
    card_b = load_card(conn, row_b, visible).to_dict()
    card_keys = (*CARD_FIELDS, *EXTRA_FIELDS)
    files_a = {p: d for p, d, _ in store.version_manifest(conn, row_a.version_id)}
    files_b = {p: d for p, d, _ in store.version_manifest(conn, row_b.version_id)}
    return VersionDiff(
        name=name,
        a=a,
        b=b,
        attributes=attributes,
        params=_changes(_params(conn, va.run_id, visible), _params(conn, vb.run_id, visible)),
        metrics=_changes(facts[a]["metrics"], facts[b]["metrics"]),
        tags=_changes(va.tags, vb.tags),
        signature=None if va.signature == vb.signature else (va.signature, vb.signature),
        card=_changes(
            {k: card_a[k] for k in card_keys if card_a[k]},
            {k: card_b[k] for k in card_keys if card_b[k]},
        ),
        files=_changes(files_a, files_b),
    )


_ATTRIBUTES = ("semver", "current_stage", "source", "run_id", "description", "content_digest")
