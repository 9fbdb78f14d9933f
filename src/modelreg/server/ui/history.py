"""The audit trail as sentences people read: "v3 moved None → Staging by alice: reason"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelreg.errors import InvalidArgument

# The kinds of event a history can be narrowed to, and the actions each covers.
KINDS: dict[str, tuple[str, ...]] = {
    "stage": ("transition_stage", "rollback"),
    "alias": ("set_alias", "delete_alias"),
    "version": ("create_model_version", "delete_model_version", "update_model_version"),
    "tag": (
        "set_registered_model_tag",
        "delete_registered_model_tag",
        "set_model_version_tag",
        "delete_model_version_tag",
    ),
    "card": ("set_model_card", "delete_model_card"),
}


@dataclass(frozen=True)
class Line:
    """One event as shown: its time, who did it, the sentence and the reason given."""

    timestamp: int
    actor: str
    version: int | None
    text: str
    reason: str | None


def _v(event: Any) -> str:
    return f"v{event.version}" if event.version is not None else "the model"


def _get(d: dict | None, key: str, default: Any = None) -> Any:
    return (d or {}).get(key, default)


def _shorten(text: Any, limit: int = 80) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sentence(event: Any) -> str:
    """What happened, without who and why (the page shows those beside it)."""
    a, before, after = event.action, event.before, event.after
    if a == "transition_stage":
        text = f"{_v(event)} moved {_get(before, 'current_stage')} → {_get(after, 'current_stage')}"
        by = _get(after, "archived_by_version")
        return text + (f" (archived by v{by})" if by is not None else "")
    if a == "rollback":
        return (
            f"{_v(event)} rolled back {_get(before, 'current_stage')} → "
            f"{_get(after, 'current_stage')}"
        )
    if a == "set_alias":
        alias, old = _get(after, "alias"), _get(before, "version")
        moved = f" (was v{old})" if old is not None else ""
        return f"@{alias} now points to {_v(event)}{moved}"
    if a == "delete_alias":
        return f"@{_get(before, 'alias')} removed from {_v(event)}"
    if a == "create_model_version":
        return f"{_v(event)} registered as {_get(after, 'semver')}"
    if a == "create_registered_model":
        return "model created"
    if a in ("set_registered_model_tag", "set_model_version_tag"):
        return f"{_v(event)} tagged {_get(after, 'key')} = {_shorten(_get(after, 'value'))}"
    if a in ("delete_registered_model_tag", "delete_model_version_tag"):
        return f"tag {_get(before, 'key')} removed from {_v(event)}"
    if a in ("update_registered_model", "update_model_version"):
        return f"description of {_v(event)} changed to “{_shorten(_get(after, 'description'))}”"
    if a == "set_model_card":
        return f"model card of {_v(event)} written"
    if a == "delete_model_card":
        return f"model card of {_v(event)} removed"
    if a == "set_scoring_weights":
        weights = _get(after, "weights") or {}
        return "scoring weights set to " + (
            ", ".join(f"{k} × {w:g}" for k, w in weights.items()) or "none"
        )
    if a == "rename_registered_model":
        return f"model renamed {_get(before, 'name')} → {_get(after, 'name')}"
    return f"{a.replace('_', ' ')} on {_v(event)}"


# Events a page shows at once; older ones are a link away.
PAGE = 50


@dataclass(frozen=True)
class History:
    """The events a page shows (newest first) and the token of the older ones."""

    lines: list[Line]
    token: str | None


def newest(
    client: Any, name: str, version: int | None, kind: str, user: str, token: str
) -> History:
    """The newest page of a model's (or version's) events of one kind and user, if given,
    continuing after ``token``; one indexed query however long the trail.

    Raises InvalidArgument for a kind that is not one of :data:`KINDS`."""
    if kind and kind not in KINDS:
        raise InvalidArgument(f"history kind must be one of {', '.join(KINDS)}")
    events = client.get_history(
        name,
        version,
        actions=KINDS.get(kind),
        actor=user or None,
        max_results=PAGE,
        page_token=token or None,
        newest_first=True,
    )
    return History(
        [Line(e.timestamp, e.actor, e.version, sentence(e), e.reason) for e in events], events.token
    )
