"""MLflow dataset inputs as modelreg datasets.

MLflow names a dataset by a short digest of its own; modelreg by a SHA-256.
The imported dataset's digest is the SHA-256 of MLflow's identity of it
(name, digest, source type, source), so the same MLflow dataset is one
modelreg dataset however many runs used it, and MLflow's own fields (its
digest, source type, schema and profile) are kept in the dataset's schema.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from modelreg.datasets import Dataset, DatasetInput

CONTEXT_TAG = "mlflow.data.context"
NO_CONTEXT = "none"
_MAX_SOURCE = 4096


def _parsed(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _source(source: Any) -> str | None:
    parsed = _parsed(source)
    if isinstance(parsed, dict):
        for key in ("uri", "url", "path", "table_name"):
            if isinstance(parsed.get(key), str):
                return parsed[key][:_MAX_SOURCE]
    return None if source is None else str(source)[:_MAX_SOURCE]


def to_dataset(d: dict[str, Any]) -> Dataset:
    identity = [d.get("name", ""), d.get("digest", ""), d.get("source_type", ""), d.get("source")]
    digest = hashlib.sha256(json.dumps(identity).encode()).hexdigest()
    profile = _parsed(d.get("profile"))
    rows = profile.get("num_rows") if isinstance(profile, dict) else None
    schema = {
        "mlflow_digest": d.get("digest"),
        "source_type": d.get("source_type"),
        "schema": _parsed(d.get("schema")),
        "profile": profile,
    }
    return Dataset(
        name=d.get("name") or "dataset",
        digest=digest,
        source=_source(d.get("source")),
        schema=schema,
        num_rows=rows if isinstance(rows, int) else None,
    )


def dataset_inputs(run: dict[str, Any]) -> list[DatasetInput]:
    """The run's dataset inputs, each in the context its ``mlflow.data.context`` tag says,
    with its other tags."""
    inputs = []
    for item in (run.get("inputs") or {}).get("dataset_inputs") or []:
        tags = {t["key"]: t.get("value", "") for t in item.get("tags") or []}
        context = (tags.pop(CONTEXT_TAG, None) or NO_CONTEXT)[:64]
        inputs.append(DatasetInput(to_dataset(item.get("dataset") or {}), context, tags))
    return inputs
