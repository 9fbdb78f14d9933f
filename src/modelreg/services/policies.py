"""Promotion policies: the rules a version must meet to enter a stage or take an alias.

A policy maps targets to rules. A target is a stage (``"Production"``) or an
alias written with ``@`` (``"@champion"``)::

    client.set_promotion_policy("fraud", {
        "Production": {
            "thresholds": ["auc >= 0.9", "latency_ms <= 50"],
            "beats_current": {"margin": 0.01},
            "required_tags": {"validation_status": "passed"},
            "required_card_fields": ["intended_use", "limitations"],
            "only_from_staging": True,
        },
        "@champion": {"beats_current": True},
    })

- ``thresholds``: ``"metric OP number"`` strings (OP one of ``>= > <= < == !=``)
  or ``{"metric", "op", "value"}`` objects (as a policy reads back), or a
  mapping ``{"auc": ">= 0.9"}`` / ``{"auc": 0.9}`` (meaning ``>=``). A
  missing or NaN metric fails.
- ``beats_current``: the version's score (the model's scoring weights) must be
  at least the current holder's score plus ``margin``; ``True`` means margin 0.
  Passes when nothing holds the target yet.
- ``required_tags``: version tags that must have the given value (``None``:
  only present); a list of ``"key = value"`` or ``"key"`` strings works too.
- ``required_card_fields``: model-card fields that must not be empty.
- ``from_stages`` (or ``only_from_staging: True``): the stages the version
  must come from.
- ``separation_of_duties: True``: whoever moves the version there must not be
  who registered it (four eyes: a training job's account registers, a person
  promotes).

Metrics are the source run's latest values, overridden by metrics written in
the version's model card. Evaluation reports every failed rule, never just
the first; ``force=True`` with a reason overrides, and the audit event keeps
the rules that were overridden.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from numbers import Real
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.actor import current_actor
from modelreg.cards import CARD_FIELDS
from modelreg.comparison import score
from modelreg.errors import InvalidArgument, PolicyViolation
from modelreg.services.cards import load_card
from modelreg.services.compare import version_facts
from modelreg.services.visibility import Visibility
from modelreg.store import governance as gstore
from modelreg.store import registry as store

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
RULES = (
    "thresholds",
    "beats_current",
    "required_tags",
    "required_card_fields",
    "from_stages",
    "only_from_staging",
    "separation_of_duties",
)
# Longest first, so ">=" is never read as ">" followed by "=".
_OPERATOR_TEXTS = sorted(OPERATORS, key=len, reverse=True)
MAX_THRESHOLD_LENGTH = 1000


# -- checking and normalising a policy ------------------------------------------------


def check_policy(policy: Any) -> dict[str, dict[str, Any]]:
    """The policy in its stored form; ``None`` or ``{}`` gives ``{}`` (no policy).

    Raises ``InvalidArgument`` naming the target and rule that is malformed.
    """
    if policy is None:
        return {}
    if not isinstance(policy, Mapping):
        raise InvalidArgument("promotion policy must be a mapping of stage or @alias to rules")
    out = {}
    for key, rules in policy.items():
        target = check_target(key)
        normalized = _check_rules(target, rules)
        if normalized:
            out[target] = normalized
    return out


def check_target(key: Any) -> str:
    """A policy target: a stage name (canonical) or ``@alias``."""
    if isinstance(key, str) and key.startswith("@") and len(key) > 1:
        return key
    try:
        return v.check_stage(key)
    except InvalidArgument:
        raise InvalidArgument(
            f"policy target {key!r:.40} is neither a stage ({', '.join(v.STAGES)}) "
            "nor an alias written as '@name'"
        ) from None


def _check_rules(target: str, rules: Any) -> dict[str, Any]:
    if not isinstance(rules, Mapping):
        raise InvalidArgument(f"the rules for {target} must be a mapping of rule name to setting")
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise InvalidArgument(
            f"unknown rule(s) {', '.join(map(str, unknown))} for {target}; "
            f"rules are {', '.join(RULES)}"
        )
    out: dict[str, Any] = {}
    thresholds = _check_thresholds(target, rules.get("thresholds"))
    if thresholds:
        out["thresholds"] = thresholds
    beats = _check_beats(target, rules.get("beats_current"))
    if beats is not None:
        out["beats_current"] = beats
    tags = _check_required_tags(target, rules.get("required_tags"))
    if tags:
        out["required_tags"] = tags
    fields = rules.get("required_card_fields") or []
    if isinstance(fields, str) or not isinstance(fields, list | tuple):
        raise InvalidArgument(f"required_card_fields for {target} must be a list of field names")
    for name in fields:
        if name not in CARD_FIELDS:
            raise InvalidArgument(
                f"required card field {name!r:.40} for {target} is not one of "
                f"{', '.join(CARD_FIELDS)}"
            )
    if fields:
        out["required_card_fields"] = list(dict.fromkeys(fields))
    stages = _check_from_stages(target, rules)
    if stages:
        out["from_stages"] = stages
    duties = rules.get("separation_of_duties", False)
    if not isinstance(duties, bool):
        raise InvalidArgument(f"separation_of_duties for {target} must be true or false")
    if duties:
        out["separation_of_duties"] = True
    return out


def _number(target: str, metric: str, value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise InvalidArgument(
            f"threshold for metric '{metric}' of {target} must be a finite number, "
            f"got {value!r:.40}"
        )
    return float(value)


# Thresholds are read by hand, left to right, each character looked at a bounded
# number of times: the regular expressions they replace backtracked
# quadratically over a long run of spaces (``"a" + " " * 30_000 + "!"``).


def _check_length(target: str, text: str) -> str:
    if len(text) > MAX_THRESHOLD_LENGTH:
        raise InvalidArgument(
            f"a threshold of {target} is {len(text)} characters long; "
            f"the limit is {MAX_THRESHOLD_LENGTH}"
        )
    return text


def _op_value(text: str) -> tuple[str, str] | None:
    """``"OP number"`` or ``"number"`` (meaning ``>=``) as ``(op, number text)``."""
    text = text.strip()
    op = next((o for o in _OPERATOR_TEXTS if text.startswith(o)), None)
    value = text[len(op) :].lstrip() if op else text
    if not value or any(ch.isspace() for ch in value):
        return None
    return op or ">=", value


def _threshold(text: str) -> tuple[str, str, str] | None:
    """``"metric OP number"`` as ``(metric, op, number text)``; the metric is the
    text before the first operator character, checked later as a key."""
    at = next((i for i, ch in enumerate(text) if ch in "<>=!"), -1)
    metric = text[:at].strip()
    if at < 0 or not metric:
        return None
    parsed = _op_value(text[at:])
    if parsed is None or not text[at:].lstrip().startswith(parsed[0]):
        return None
    return metric, *parsed


def _read_back_threshold(item: Any) -> tuple[str, str, Any] | None:
    """A threshold as ``get_promotion_policy`` gives it back (``{"metric", "op", "value"}``),
    so that a policy read can be set again as it is."""
    if not isinstance(item, Mapping) or set(item) != {"metric", "op", "value"}:
        return None
    if item["op"] not in OPERATORS:
        return None
    return item["metric"], item["op"], item["value"]


def _check_thresholds(target: str, thresholds: Any) -> list[dict[str, Any]]:
    if not thresholds:
        return []
    items: list[tuple[str, str, Any]] = []
    if isinstance(thresholds, Mapping):
        for metric, condition in thresholds.items():
            if isinstance(condition, str):
                parsed = _op_value(_check_length(target, condition))
                if parsed is None:
                    raise InvalidArgument(
                        f"threshold {condition!r:.40} for metric '{metric!s:.40}' of {target} "
                        "is not 'OP number'"
                    )
                items.append((metric, *parsed))
            else:
                items.append((metric, ">=", condition))
    elif isinstance(thresholds, list | tuple):
        for text in thresholds:
            threshold = (
                _threshold(_check_length(target, text))
                if isinstance(text, str)
                else _read_back_threshold(text)
            )
            if threshold is None:
                raise InvalidArgument(
                    f"threshold {text!r:.60} of {target} is not 'metric OP number' "
                    f"(OP one of {' '.join(OPERATORS)})"
                )
            items.append(threshold)
    else:
        raise InvalidArgument(
            f"thresholds for {target} must be a list like ['auc >= 0.9'] or a mapping"
        )
    return [
        {
            "metric": v.check_key(metric, f"threshold metric of {target}"),
            "op": op,
            "value": _number(target, metric, value),
        }
        for metric, op, value in items
    ]


def _check_beats(target: str, beats: Any) -> dict[str, float] | None:
    if beats is None or beats is False:
        return None
    if beats is True:
        return {"margin": 0.0}
    if isinstance(beats, Real) and not isinstance(beats, bool):
        return {"margin": _number(target, "beats_current margin", beats)}
    if isinstance(beats, Mapping) and set(beats) <= {"margin"}:
        return {"margin": _number(target, "beats_current margin", beats.get("margin", 0.0))}
    raise InvalidArgument(
        f"beats_current for {target} must be true, a margin, or {{'margin': number}}"
    )


def _check_required_tags(target: str, tags: Any) -> dict[str, str | None]:
    if not tags:
        return {}
    out: dict[str, str | None] = {}
    if isinstance(tags, Mapping):
        items = list(tags.items())
    elif isinstance(tags, list | tuple):
        items = []
        for text in tags:
            if not isinstance(text, str):
                raise InvalidArgument(f"required tag {text!r:.40} of {target} must be a string")
            key, sep, value = text.partition("=")
            items.append((key.strip(), value.strip() if sep else None))
    else:
        raise InvalidArgument(f"required_tags for {target} must be a mapping or a list")
    for key, value in items:
        key = v.check_key(key, f"required tag of {target}")
        out[key] = None if value is None else v.check_tag_value(key, value)
    return out


def _check_from_stages(target: str, rules: Mapping[str, Any]) -> list[str]:
    stages = rules.get("from_stages") or []
    if isinstance(stages, str):
        stages = [stages]
    if not isinstance(stages, list | tuple):
        raise InvalidArgument(f"from_stages for {target} must be a list of stages")
    checked = [v.check_stage(s) for s in stages]
    only = rules.get("only_from_staging")
    if only is not None and not isinstance(only, bool):
        raise InvalidArgument(f"only_from_staging for {target} must be true or false")
    if only:
        checked.append("Staging")
    return list(dict.fromkeys(checked))


# -- evaluating ------------------------------------------------------------------------------


def _failed(target: str, rule: str, expected: str, actual: Any, message: str) -> dict[str, Any]:
    return {
        "target": target,
        "rule": rule,
        "expected": expected,
        "actual": actual,
        "message": message,
    }


def _show(value: float | None) -> str:
    return "missing" if value is None or math.isnan(value) else f"{value:.6g}"


def evaluate(
    target: str,
    rules: Mapping[str, Any],
    candidate: Mapping[str, Any],
    holder: Mapping[str, Any] | None,
    weights: Mapping[str, float],
) -> list[dict[str, Any]]:
    """Every rule of ``rules`` the candidate breaks, in rule order.

    ``candidate`` and ``holder`` are dicts with ``version``, ``stage``,
    ``tags``, ``metrics`` and ``card`` (a ``ModelCard``, needed only for card
    rules); ``holder`` is the version currently holding the target, if any.
    """
    failed = []
    metrics = candidate["metrics"]
    for t in rules.get("thresholds", ()):
        expected = f"{t['metric']} {t['op']} {t['value']:g}"
        value = metrics.get(t["metric"])
        if value is None or math.isnan(value) or not OPERATORS[t["op"]](value, t["value"]):
            failed.append(
                _failed(
                    target,
                    "threshold",
                    expected,
                    value,
                    f"{t['metric']} is {_show(value)} (needs {expected})",
                )
            )
    beats = rules.get("beats_current")
    if beats is not None:
        failed += _beats(target, beats["margin"], candidate, holder, weights)
    tags = candidate["tags"]
    for key, wanted in rules.get("required_tags", {}).items():
        have = tags.get(key)
        if have is None or (wanted is not None and have != wanted):
            need = "present" if wanted is None else f"'{wanted}'"
            shown = "missing" if have is None else f"'{have}'"
            failed.append(
                _failed(
                    target,
                    "required_tag",
                    f"{key} = {wanted}" if wanted is not None else key,
                    have,
                    f"tag {key} is {shown} (needs {need})",
                )
            )
    fields = rules.get("required_card_fields", ())
    if fields:
        missing = set(candidate["card"].missing_fields())
        for name in fields:
            if name in missing:
                failed.append(
                    _failed(
                        target,
                        "required_card_field",
                        name,
                        None,
                        f"model card field {name} is empty",
                    )
                )
    stages = rules.get("from_stages")
    if stages and candidate["stage"] not in stages:
        allowed = " or ".join(stages)
        failed.append(
            _failed(
                target,
                "from_stages",
                allowed,
                candidate["stage"],
                f"the version is in {candidate['stage']} ({target} takes versions from {allowed})",
            )
        )
    if rules.get("separation_of_duties") and candidate["moved_by"] == candidate["registered_by"]:
        failed.append(
            _failed(
                target,
                "separation_of_duties",
                "moved by someone other than who registered it",
                candidate["moved_by"],
                f"{candidate['moved_by']} registered version {candidate['version']} and may not "
                f"also move it to {target_label(target)}",
            )
        )
    return failed


def _beats(
    target: str,
    margin: float,
    candidate: Mapping[str, Any],
    holder: Mapping[str, Any] | None,
    weights: Mapping[str, float],
) -> list[dict[str, Any]]:
    expected = "score >= current score" + (f" + {margin:g}" if margin else "")
    if holder is None:
        return []
    if not weights:
        return [
            _failed(
                target,
                "beats_current",
                expected,
                None,
                "beats_current needs the model's scoring weights (set_scoring_weights)",
            )
        ]
    mine, missing = score(candidate["metrics"], weights)
    if mine is None:
        return [
            _failed(
                target,
                "beats_current",
                expected,
                None,
                f"the version has no score: metric(s) {', '.join(missing)} missing",
            )
        ]
    theirs, missing = score(holder["metrics"], weights)
    if theirs is None:
        return [
            _failed(
                target,
                "beats_current",
                expected,
                mine,
                f"version {holder['version']}, which holds {target}, has no score to beat: "
                f"metric(s) {', '.join(missing)} missing",
            )
        ]
    if mine >= theirs + margin:
        return []
    needed = f"{theirs:.6g}" + (f" + margin {margin:g}" if margin else "")
    return [
        _failed(
            target,
            "beats_current",
            expected,
            mine,
            f"score {mine:.6g} does not beat version {holder['version']}'s score {needed}",
        )
    ]


# -- the hook the registry calls inside its transaction ------------------------------------------


def check_force(force: Any, reason: str | None) -> bool:
    """Validates ``force``; overriding a policy needs a reason for the audit trail."""
    if not isinstance(force, bool):
        raise InvalidArgument("force must be True or False")
    if force and not (reason or "").strip():
        raise InvalidArgument("force=True needs a reason: it is kept in the audit trail")
    return force


def target_label(target: str) -> str:
    return f"alias '{target[1:]}'" if target.startswith("@") else target


def failed_rules(conn: Connection, model_id: int, row: Any, target: str) -> list[dict[str, Any]]:
    """The rules of the model's policy for ``target`` that the version row breaks.

    Metrics come from what the caller may read, as in a comparison: a run in
    an experiment they hold no role on lends none (its metrics count as
    missing), so neither a refusal's message nor its rules tell a value the
    caller could not see otherwise. One primary-key read when the model has
    no policy for the target.
    """
    policy = gstore.setting(conn, model_id, "promotion_policy")
    rules = (policy or {}).get(target)
    if not rules:
        return []
    holder_row = _holder(conn, model_id, row, target) if "beats_current" in rules else None
    rows = [row] if holder_row is None else [row, holder_row]
    versions = [store.version_from_row(r) for r in rows]
    facts = version_facts(conn, model_id, versions, Visibility.of_caller(conn))
    candidate = facts[row.version]
    if "required_card_fields" in rules:
        candidate["card"] = load_card(conn, row)
    candidate.update(registered_by=row.user_id, moved_by=current_actor())
    weights = gstore.setting(conn, model_id, "scoring_weights") or {}
    holder = None if holder_row is None else facts[holder_row.version]
    return evaluate(target, rules, candidate, holder, weights)


def _holder(conn: Connection, model_id: int, row: Any, target: str) -> Any:
    if target.startswith("@"):
        number = store.alias_target(conn, model_id, target[1:])
        if number is None or number == row.version:
            return None
        return store.version_row(conn, model_id, row.name, number)
    others = [
        r for r in store.versions_in_stage(conn, model_id, target) if r.version != row.version
    ]
    return others[-1] if others else None


def enforce(
    failed: list[dict[str, Any]],
    *,
    force: bool,
    name: str,
    version: int,
    target: str,
) -> dict[str, Any]:
    """Raises ``PolicyViolation`` listing ``failed`` unless ``force``; returns what the audit
    event records (``{"policy_override": …}`` when rules were overridden, else ``{}``)."""
    if not failed:
        return {}
    if force:
        return {"policy_override": {"failed_rules": failed}}
    reasons = "; ".join(f["message"] for f in failed)
    raise PolicyViolation(
        f"version {version} of registered model '{name}' may not move to "
        f"{target_label(target)}: {reasons}. Pass force=True with a reason to override",
        details={
            "model_name": name,
            "version": version,
            "target": target,
            "failed_rules": failed,
        },
    )
