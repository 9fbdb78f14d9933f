"""What a model card may hold: the check every card passes before it is stored."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

from modelreg import validation as v
from modelreg.cards import CARD_FIELDS, EXTRA_FIELDS, READ_ONLY_FIELDS, ModelCard
from modelreg.errors import InvalidArgument

__all__ = ["MAX_CARD_BYTES", "check_card"]

MAX_SECTIONS = 100
MAX_TAGS = 100
MAX_CARD_BYTES = 1_000_000
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
