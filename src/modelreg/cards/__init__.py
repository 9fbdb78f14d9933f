"""The model card of a version: structured fields, free Markdown sections, completeness.

A card holds what people write about a model (summary, intended use,
limitations …) plus any number of free Markdown ``sections``. When read
back from the registry, fields left empty are filled where the registry
knows the answer: ``metrics`` from the source run's latest values and
``training_data`` from the datasets the run logged with ``log_input``
(``auto_filled`` names them), and ``datasets``, ``base_model`` and the
version's identity are always filled in. On a server with ``--auth``, what
comes from a run the caller may not read is not filled in, and a base model
the caller may not read is ``(hidden)``.

>>> card = client.get_model_card("fraud", 4)
>>> card.completeness().missing
('limitations', 'caveats')
>>> print(card.to_markdown())   # Hugging Face layout with YAML front matter
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from modelreg.cards import export
from modelreg.datasets import DatasetInput

__all__ = ["CARD_FIELDS", "CardCompleteness", "ModelCard"]

# The structured fields, in the order a card reads; completeness counts these.
CARD_FIELDS = (
    "summary",
    "intended_use",
    "training_data",
    "evaluation_data",
    "architecture",
    "metrics",
    "limitations",
    "ethical_considerations",
    "caveats",
)
# What a person may set, besides the structured fields.
EXTRA_FIELDS = ("sections", "license", "tags")
# Filled by the registry on read; ignored when a card is set.
READ_ONLY_FIELDS = (
    "model_name",
    "version",
    "semver",
    "base_model",
    "datasets",
    "auto_filled",
    "last_updated_timestamp",
)
FIELD_TITLES = {
    "summary": "Summary",
    "intended_use": "Intended use",
    "training_data": "Training data",
    "evaluation_data": "Evaluation data",
    "architecture": "Architecture",
    "metrics": "Metrics",
    "limitations": "Limitations",
    "ethical_considerations": "Biases and ethical considerations",
    "caveats": "Caveats and recommendations",
}


@dataclass(frozen=True)
class CardCompleteness:
    """Which structured fields a card fills; ``ratio`` is filled / all (0.0–1.0)."""

    present: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def ratio(self) -> float:
        return len(self.present) / len(CARD_FIELDS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "ratio": self.ratio,
            "present": list(self.present),
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class ModelCard:
    """A model card. Text fields are Markdown; ``metrics`` maps names to numbers.

    ``sections`` holds free Markdown sections (title → body) in the order
    they are shown. ``license`` and ``tags`` go to the exported front matter.
    """

    summary: str | None = None
    intended_use: str | None = None
    training_data: str | None = None
    evaluation_data: str | None = None
    architecture: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    limitations: str | None = None
    ethical_considerations: str | None = None
    caveats: str | None = None
    sections: dict[str, str] = field(default_factory=dict)
    license: str | None = None
    tags: tuple[str, ...] = ()
    model_name: str | None = None
    version: int | None = None
    semver: str | None = None
    base_model: str | None = None
    datasets: tuple[DatasetInput, ...] = ()
    auto_filled: tuple[str, ...] = ()
    last_updated_timestamp: int | None = None

    def missing_fields(self) -> list[str]:
        """The structured fields that are empty, in card order."""
        return [name for name in CARD_FIELDS if not getattr(self, name)]

    def completeness(self) -> CardCompleteness:
        """Which structured fields are filled and which are missing."""
        missing = self.missing_fields()
        present = tuple(name for name in CARD_FIELDS if name not in missing)
        return CardCompleteness(present, tuple(missing))

    def to_markdown(self) -> str:
        """Markdown in the Hugging Face model-card layout, with YAML front matter."""
        return export.to_markdown(self)

    def to_html(self) -> str:
        """A standalone HTML page (Markdown rendered, everything else escaped). Needs jinja2."""
        return export.to_html(self)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["tags"] = list(self.tags)
        d["datasets"] = [i.to_dict() for i in self.datasets]
        d["auto_filled"] = list(self.auto_filled)
        d["metrics"] = dict(self.metrics)
        d["sections"] = dict(self.sections)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelCard:
        return cls(
            **{
                **d,
                "tags": tuple(d.get("tags") or ()),
                "datasets": tuple(DatasetInput.from_dict(i) for i in d.get("datasets") or ()),
                "auto_filled": tuple(d.get("auto_filled") or ()),
                "metrics": dict(d.get("metrics") or {}),
                "sections": dict(d.get("sections") or {}),
            }
        )
