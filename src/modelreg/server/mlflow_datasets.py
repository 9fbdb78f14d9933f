"""MLflow's dataset inputs (``runs/log-inputs``, ``Run.inputs``) as modelreg's datasets.

modelreg knows a dataset by its name and a SHA-256 of its content; MLflow by a
name and a short digest of its own, with a source type, a source, a schema and
a profile, all strings. Each MLflow dataset becomes a modelreg dataset whose
digest is the SHA-256 of MLflow's description and whose ``source`` keeps that
description, so it is in modelreg's lineage and comes back to an MLflow client exactly
as it was sent. The input's ``mlflow.data.context`` tag is its context, its other tags
are the input's own (``DatasetInput.other_tags``), as for inputs modelreg's API logs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from modelreg.datasets import (
    MLFLOW_DESCRIPTION,
    Dataset,
    DatasetInput,
    mlflow_description,
    source_uri,
)
from modelreg.errors import InvalidArgument
from modelreg.validation import check_objects

CONTEXT_TAG = "mlflow.data.context"
# The context of an input logged without one (modelreg's inputs always have one).
NO_CONTEXT = "unspecified"
_FIELDS = ("name", "digest", "source_type", "source", "schema", "profile")


def datasets_from_mlflow(items: Any, logged: list[DatasetInput]) -> list[DatasetInput]:
    """The ``datasets`` of a ``log-inputs`` request, as modelreg dataset inputs, less those
    the run has already logged (``logged``): as MLflow's server, a run keeps the first
    input of each dataset, whatever its tags."""
    seen = {(i.dataset.name, i.dataset.digest) for i in logged}
    inputs: list[DatasetInput] = []
    for item in check_objects(items, "datasets"):
        dataset = item.get("dataset")
        if not isinstance(dataset, dict) or not dataset.get("name"):
            raise InvalidArgument("each dataset input needs a dataset with a name")
        # Checked as any input's tags are, by the service.
        tags: dict[Any, Any] = {
            t.get("key"): t.get("value") for t in check_objects(item.get("tags"), "tags")
        }
        described = {k: dataset.get(k) for k in _FIELDS if dataset.get(k) is not None}
        digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
        text = json.dumps({MLFLOW_DESCRIPTION: described}, sort_keys=True)
        if (dataset["name"], digest) in seen:
            continue
        seen.add((dataset["name"], digest))
        context = tags.pop(CONTEXT_TAG, None) or NO_CONTEXT
        inputs.append(DatasetInput(Dataset(dataset["name"], digest, text), context, tags))
    return inputs


def _as_mlflow(d: Dataset) -> dict[str, Any]:
    """A dataset modelreg's API logged, as MLflow describes one: its source as the JSON
    MLflow's source of that type reads, so ``mlflow.data.get_source(d).load()`` works
    on it too."""
    uri, kind = source_uri(d.source), d.source_type
    source: dict[str, Any] = (
        {"tags": {}} if uri is None else {"url" if kind == "http" else "uri": uri}
    )
    dataset = {"name": d.name, "digest": d.digest, "source_type": kind}
    dataset["source"] = json.dumps(source)
    if d.schema:
        dataset["schema"] = json.dumps(d.schema)
    if d.profile is not None:
        dataset["profile"] = d.profile
    return dataset


def dataset_inputs_json(inputs: list[DatasetInput]) -> list[dict[str, Any]]:
    """A run's dataset inputs as MLflow's ``DatasetInput`` messages (modelreg's own ones
    too: their SHA-256 is the digest, their source the source)."""
    out = []
    for item in inputs:
        d = item.dataset
        dataset = mlflow_description(d.source) or _as_mlflow(d)
        tags = [t for t in item.tags if t.key != CONTEXT_TAG or t.value != NO_CONTEXT]
        out.append({"tags": [{"key": t.key, "value": t.value} for t in tags], "dataset": dataset})
    return out
