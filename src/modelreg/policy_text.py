"""A promotion policy in words: one line per requirement, for the CLI and the web UI.

Pure: it reads a policy in the normalised form ``get_promotion_policy`` returns
(see :mod:`modelreg.services.policies`), so showing one loads no store code.
"""

from __future__ import annotations

from typing import Any

__all__ = ["requirements"]


def requirements(rules: dict[str, Any]) -> list[tuple[str, str]]:
    """(rule, what it asks) for each requirement of one target's normalised rules."""
    thresholds = rules.get("thresholds", [])
    rows = [("threshold", f"{t['metric']} {t['op']} {t['value']:g}") for t in thresholds]
    if "beats_current" in rules:
        margin = rules["beats_current"]["margin"]
        rows.append(("beats_current", f"score ≥ the current holder's + {margin:g}"))
    for key, value in rules.get("required_tags", {}).items():
        rows.append(("required_tag", f"tag {key}" + ("" if value is None else f" = {value}")))
    for field in rules.get("required_card_fields", []):
        rows.append(("required_card_field", f"card field {field} is filled in"))
    if "from_stages" in rules:
        rows.append(("from_stages", "comes from " + " or ".join(rules["from_stages"])))
    if rules.get("separation_of_duties"):
        rows.append(("separation_of_duties", "moved by someone other than who registered it"))
    return rows
