"""Model card rules: what a card may hold, and how a stored card is filled in on read.

Only what a person wrote is stored. On read, ``metrics`` (when empty) comes
from the source run's latest metric values and ``training_data`` (when
empty) from the datasets the run logged in the ``training`` context, so a
card never goes stale against its run; ``datasets``, ``base_model`` and the
version's identity are always added. What comes from a run the caller may not
read is left out, and the base model of a model they may not read reads
``(hidden)`` (see :mod:`modelreg.services.visibility`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.card_export import describe_dataset
from modelreg.errors import InvalidArgument
from modelreg.model_card import CARD_FIELDS, EXTRA_FIELDS, READ_ONLY_FIELDS, ModelCard
from modelreg.services.visibility import EVERYTHING, HIDDEN, Visibility
from modelreg.store import governance as store

MAX_SECTIONS = 100
MAX_TAGS = 100
MAX_CARD_BYTES = 1_000_000
TRAINING = "training"
_TEXT_FIELDS = tuple(f for f in CARD_FIELDS if f != "metrics")


def check_card(card: Any) -> dict[str, Any]:
    """The part of ``card`` (a ``ModelCard`` or a dict) that is stored, validated.

    Read-only fields (identity, datasets …) and fields the registry filled in
    (``auto_filled``) are dropped, so a card read back and set again keeps
    its automatic fields automatic. Raises ``InvalidArgument`` naming the field.
    """
    if isinstance(card, ModelCard):
        card = card.to_dict()
    if not isinstance(card, Mapping):
        raise InvalidArgument(f"card must be a ModelCard or a mapping, got {type(card).__name__}")
    unknown = sorted(set(card) - {*CARD_FIELDS, *EXTRA_FIELDS, *READ_ONLY_FIELDS})
    if unknown:
        raise InvalidArgument(
            f"card field(s) {', '.join(map(str, unknown))} unknown; a card has "
            f"{', '.join(CARD_FIELDS + EXTRA_FIELDS)}"
        )
    auto = set(card.get("auto_filled") or ())
    stored: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = card.get(name)
        if name not in auto and value is not None:
            text = v.check_string(value, f"card field {name}", v.MAX_DESCRIPTION_LENGTH)
            if text.strip():
                stored[name] = text
    if "metrics" not in auto and card.get("metrics"):
        stored["metrics"] = _check_metrics(card["metrics"])
    if card.get("sections"):
        stored["sections"] = _check_sections(card["sections"])
    if card.get("license") is not None:
        stored["license"] = v.check_string(card["license"], "card license", 256)
    if card.get("tags"):
        stored["tags"] = _check_tags(card["tags"])
    if len(json.dumps(stored)) > MAX_CARD_BYTES:
        raise InvalidArgument(f"card is larger than {MAX_CARD_BYTES:,} bytes as JSON")
    return stored


def _check_metrics(metrics: Any) -> dict[str, float]:
    if not isinstance(metrics, Mapping):
        raise InvalidArgument("card metrics must be a mapping of metric name to number")
    out = {}
    for key, value in metrics.items():
        key = v.check_key(key, "card metric name")
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise InvalidArgument(f"card metric '{key}' must be a finite number, got {value!r:.40}")
        out[key] = float(value)
    return out


def _check_sections(sections: Any) -> dict[str, str]:
    if not isinstance(sections, Mapping):
        raise InvalidArgument("card sections must be a mapping of title to Markdown text")
    if len(sections) > MAX_SECTIONS:
        raise InvalidArgument(f"a card holds at most {MAX_SECTIONS} sections; got {len(sections)}")
    out = {}
    for title, body in sections.items():
        if not isinstance(title, str) or not title.strip() or "\n" in title or len(title) > 250:
            raise InvalidArgument(
                f"card section title {title!r:.40} must be one non-empty line of at most 250 "
                "characters"
            )
        out[title.strip()] = v.check_string(
            body, f"card section '{title:.40}'", v.MAX_DESCRIPTION_LENGTH
        )
    return out


def _check_tags(tags: Any) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, list | tuple):
        raise InvalidArgument("card tags must be a list of strings")
    if len(tags) > MAX_TAGS:
        raise InvalidArgument(f"a card holds at most {MAX_TAGS} tags; got {len(tags)}")
    out = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            raise InvalidArgument(f"card tag {tag!r:.40} must be a non-empty string")
        out.append(v.check_string(tag, "card tag", v.MAX_KEY_LENGTH))
    return out


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
