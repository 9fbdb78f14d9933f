"""Model cards as Markdown (Hugging Face layout, YAML front matter) and as HTML.

The Markdown follows the section layout of the Hugging Face model-card
template (Model Details, Uses, Bias Risks and Limitations, Training Details,
Evaluation, Technical Specifications), so the file can be dropped into a Hub
repository as ``README.md``; empty fields read "[More Information Needed]"
as there. The front matter carries ``license``, ``tags``, ``datasets``,
``metrics``, ``base_model`` and a ``model-index`` with the metric values.

HTML comes from a Jinja2 template with autoescaping on; the Markdown
fields are rendered by markdown-it with raw HTML disabled, so nothing a card
says can inject markup or script into the page.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

from modelreg.errors import InvalidArgument

if TYPE_CHECKING:
    from modelreg.cards import ModelCard

__all__ = ["FORMATS", "describe_dataset", "export_card", "front_matter", "to_html", "to_markdown"]

FORMATS = ("md", "html", "json")
MORE_INFO = "[More Information Needed]"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


def export_card(card: ModelCard, format: str = "md") -> str:
    """The card as ``md``, ``html`` or ``json`` text. Raises ``InvalidArgument`` for another."""
    if format == "md":
        return to_markdown(card)
    if format == "html":
        return to_html(card)
    if format == "json":
        return json.dumps(card.to_dict(), indent=2, ensure_ascii=False) + "\n"
    raise InvalidArgument(f"format '{format}' is not one of {', '.join(FORMATS)}")


# -- Markdown ----------------------------------------------------------------------


def _title(card: ModelCard) -> str:
    name = card.model_name or "this model"
    if card.version is None:
        return name
    semver = f", {card.semver}" if card.semver else ""
    return f"{name} (version {card.version}{semver})"


def _datasets(card: ModelCard, context: str | None) -> list[str]:
    names = [i.dataset.name for i in card.datasets if context is None or i.context == context]
    return list(dict.fromkeys(names))


def front_matter(card: ModelCard) -> dict[str, Any]:
    """The YAML metadata block as a dict (keys the Hugging Face Hub reads, plus ``modelreg``)."""
    meta: dict[str, Any] = {}
    if card.license:
        meta["license"] = card.license
    if card.tags:
        meta["tags"] = list(card.tags)
    training = _datasets(card, "training") or _datasets(card, None)
    if training:
        meta["datasets"] = training
    if card.metrics:
        meta["metrics"] = list(card.metrics)
    if card.base_model:
        meta["base_model"] = card.base_model
    if card.metrics:
        evaluation = _datasets(card, "evaluation")
        dataset_name = evaluation[0] if evaluation else "evaluation"
        meta["model-index"] = [
            {
                "name": card.model_name or "model",
                "results": [
                    {
                        "task": {"type": "other"},
                        "dataset": {"name": dataset_name, "type": dataset_name},
                        "metrics": [
                            {"type": key, "value": value, "name": key}
                            for key, value in card.metrics.items()
                        ],
                    }
                ],
            }
        ]
    if card.model_name:
        meta["modelreg"] = {
            "name": card.model_name,
            "version": card.version,
            "semver": card.semver,
        }
    return meta


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else json.dumps(str(value))
    return _quoted(str(value))


def _yaml_key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) else _quoted(key)


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: no escaping rules of our own.
    # '<' as \u003c (the same character to any YAML or JSON reader) keeps raw HTML out.
    return json.dumps(text, ensure_ascii=False).replace("<", "\\u003c")


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{_yaml_key(str(key))}:")
                lines += _yaml_lines(item, indent + 2)
            else:
                empty = "{}" if isinstance(item, dict) else "[]"
                shown = empty if isinstance(item, dict | list) else _yaml_scalar(item)
                lines.append(f"{pad}{_yaml_key(str(key))}: {shown}")
    else:
        for item in value:
            if isinstance(item, dict | list) and item:
                nested = _yaml_lines(item, indent + 2)
                lines.append(f"{pad}- {nested[0].lstrip()}")
                lines += nested[1:]
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    return lines


def _metrics_table(metrics: dict[str, float]) -> str:
    rows = [f"| {_cell(k)} | {v:.6g} |" for k, v in metrics.items()]
    return "\n".join(["| Metric | Value |", "| --- | --- |", *rows])


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _section(level: int, title: str, body: str | None) -> str:
    return f"{'#' * level} {title}\n\n{(body or MORE_INFO).strip()}\n"


def _details(card: ModelCard) -> str:
    lines = []
    if card.version is not None:
        semver = f" ({card.semver})" if card.semver else ""
        lines.append(f"- **Version:** {card.version}{semver}")
    if card.base_model:
        lines.append(f"- **Fine-tuned from:** {card.base_model}")
    if card.license:
        lines.append(f"- **License:** {card.license}")
    return "\n".join(lines)


def to_markdown(card: ModelCard) -> str:
    """The card as Markdown with YAML front matter, in the Hugging Face model-card layout."""
    meta = front_matter(card)
    front = "---\n" + "\n".join(_yaml_lines(meta, 0)) + "\n---\n\n" if meta else ""
    parts = []
    parts.append(f"# Model Card for {_title(card)}\n\n{(card.summary or MORE_INFO).strip()}\n")
    parts.append("## Model Details\n")
    parts.append(_section(3, "Model Description", _details(card)))
    parts.append("## Uses\n")
    parts.append(_section(3, "Intended Use", card.intended_use))
    parts.append(_section(2, "Bias, Risks, and Limitations", card.limitations))
    parts.append(_section(3, "Biases and Ethical Considerations", card.ethical_considerations))
    parts.append(_section(3, "Caveats and Recommendations", card.caveats))
    parts.append("## Training Details\n")
    parts.append(_section(3, "Training Data", card.training_data))
    parts.append("## Evaluation\n")
    parts.append(_section(3, "Testing Data", card.evaluation_data))
    parts.append(_section(3, "Results", _metrics_table(card.metrics) if card.metrics else None))
    parts.append("## Technical Specifications\n")
    parts.append(_section(3, "Model Architecture and Objective", card.architecture))
    for title, body in card.sections.items():
        parts.append(_section(2, title, body))
    # No field may carry raw HTML into a page that renders this Markdown: every '<'
    # becomes an entity, shown as the character it is. Nothing generated here uses one.
    return front + "\n".join(parts).replace("<", "&lt;")


# -- HTML ----------------------------------------------------------------------------

_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Model Card for {{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1f2328; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: .3rem .6rem; }
.missing { color: #9a6700; font-style: italic; } .meta th { text-align: left; }
</style>
</head>
<body>
<h1>Model Card for {{ title }}</h1>
<table class="meta">
{% for key, value in meta %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>
{% endfor %}</table>
{% if missing %}<p class="missing">Missing: {{ missing | join(", ") }}</p>{% endif %}
{% for heading, body in sections %}<section>
<h2>{{ heading }}</h2>
{% if body is none %}<p class="missing">{{ more_info }}</p>{% else %}{{ body }}{% endif %}
</section>
{% endfor %}</body>
</html>
"""


def _markdown_to_html(text: str | None) -> Any:
    from markdown_it import MarkdownIt
    from markupsafe import Markup

    if not text:
        return None
    # Raw HTML off: markup in a card is shown as text, never interpreted.
    return Markup(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))


def to_html(card: ModelCard) -> str:
    """The card as a standalone HTML page. Raises ``InvalidArgument`` without jinja2."""
    try:
        import jinja2
    except ImportError as exc:
        raise InvalidArgument(
            "HTML export needs jinja2: pip install 'modelreg[server]' or jinja2"
        ) from exc
    environment = jinja2.Environment(autoescape=True)
    meta: list[tuple[str, Any]] = []
    if card.version is not None:
        meta.append(("Version", f"{card.version} ({card.semver})" if card.semver else card.version))
    for key, label in (("base_model", "Fine-tuned from"), ("license", "License")):
        if getattr(card, key):
            meta.append((label, getattr(card, key)))
    if card.tags:
        meta.append(("Tags", ", ".join(card.tags)))
    for item in card.datasets:
        meta.append((f"Dataset ({item.context})", _dataset_line(item)))
    metrics = _metrics_table(card.metrics) if card.metrics else None
    sections = [
        ("Summary", card.summary),
        ("Intended use", card.intended_use),
        ("Bias, risks, and limitations", card.limitations),
        ("Biases and ethical considerations", card.ethical_considerations),
        ("Caveats and recommendations", card.caveats),
        ("Training data", card.training_data),
        ("Evaluation data", card.evaluation_data),
        ("Results", metrics),
        ("Model architecture", card.architecture),
        *card.sections.items(),
    ]
    return environment.from_string(_HTML).render(
        title=_title(card),
        meta=meta,
        missing=card.missing_fields(),
        sections=[(heading, _markdown_to_html(body)) for heading, body in sections],
        more_info=MORE_INFO,
    )


def _dataset_line(item: Any) -> str:
    d = item.dataset
    parts = [d.name, f"sha256:{d.digest[:12]}"]
    if d.num_rows is not None:
        parts.append(f"{d.num_rows:,} rows")
    if d.source:
        parts.append(d.source)
    return " · ".join(parts)


def describe_dataset(item: Any) -> str:
    """One Markdown bullet for a dataset a run used (the auto-filled training data)."""
    d = item.dataset
    rows = f", {d.num_rows:,} rows" if d.num_rows is not None else ""
    source = f" from `{d.source}`" if d.source else ""
    return f"- **{d.name}**{source} (sha256 `{d.digest[:12]}…`{rows})"
