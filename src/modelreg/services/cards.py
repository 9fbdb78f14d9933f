"""How a stored model card is filled in on read.

What a card may hold is checked by :mod:`modelreg.cards.checks` before it is stored.
Only what a person wrote is stored. On read, ``metrics`` (when empty) comes
from the source run's latest metric values and ``training_data`` (when
empty) from the datasets the run logged in the ``training`` context, so a
card never goes stale against its run; ``datasets``, ``base_model`` and the
version's identity are always added. What comes from a run the caller may not
read is left out, and the base model of a model they may not read reads
``(hidden)`` (see :mod:`modelreg.services.visibility`).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection

from modelreg.cards import ModelCard
from modelreg.cards.export import describe_dataset
from modelreg.services.visibility import EVERYTHING, HIDDEN, Visibility
from modelreg.store import governance as store

TRAINING = "training"


def load_card(conn: Connection, row: Any, visible: Visibility = EVERYTHING) -> ModelCard:
    """The card of a version row (``store.registry.version_row``), filled in from the
    lineage ``visible`` shows."""
    found = store.card(conn, row.version_id)
    stored, updated = found if found is not None else ({}, None)
    run_id = row.run_id if row.run_id and visible.run(row.run_id) else None
    inputs = store.inputs_of(conn, [run_id])[run_id] if run_id else []
    filled: dict[str, Any] = {}
    if not stored.get("metrics") and run_id:
        run_metrics = store.latest_metrics_of(conn, [run_id])[run_id]
        usable = {k: val for k, val in sorted(run_metrics.items()) if not math.isnan(val)}
        if usable:
            filled["metrics"] = usable
    training = [i for i in inputs if i.context == TRAINING]
    if not stored.get("training_data") and training:
        filled["training_data"] = "\n".join(describe_dataset(i) for i in training)
    parent = store.parent_of(conn, row.version_id)
    base_model = None
    if parent is not None:
        base_model = HIDDEN
        if visible.model(parent.parent_model_name):
            base_model = f"models:/{parent.parent_model_name}/{parent.parent_version}"
    fields = {**stored, **filled, "tags": tuple(stored.get("tags", ()))}
    return ModelCard(
        **fields,
        model_name=row.name,
        version=row.version,
        semver=row.semver,
        base_model=base_model,
        datasets=tuple(inputs),
        auto_filled=tuple(filled),
        last_updated_timestamp=updated,
    )
