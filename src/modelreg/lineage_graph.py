"""The lineage graph of a model version: datasets → run → version → child versions.

Nodes are datasets, runs, code versions (git commits) and model versions;
edges say how one led to the next:

- ``input``: a dataset was used by a run (``attributes["context"]``: training, evaluation …)
- ``code``: a run ran this code version
- ``produced``: a run produced a model version
- ``fine_tuned``: a version was derived from another (``create_model_version(parent=…)``)
- ``logged``, ``registered``: a run logged an MLflow 3 logged model, which a version was
  registered from (``models:/m-<id>``)

Node ids are readable and stable: ``dataset:<name>@<digest>``, ``run:<run_id>``,
``code:<commit>``, ``model:<name>/<version>``, ``logged_model:<model_id>``.

A model version or run the caller may not read is a placeholder: its kind,
the label ``hidden``, ``attributes == {"hidden": True}`` and an id
``hidden:<n>`` that holds only for this graph. Its edges stay; what only it
would tell (a hidden run's datasets and code, a hidden version's run) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["HIDDEN_ATTRIBUTE", "LineageEdge", "LineageGraph", "LineageNode"]

HIDDEN_ATTRIBUTE = "hidden"


@dataclass(frozen=True)
class LineageNode:
    id: str
    kind: str
    label: str
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def hidden(self) -> bool:
        """Whether this node stands for something the caller may not read."""
        return bool(self.attributes.get(HIDDEN_ATTRIBUTE))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "attributes": self.attributes,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LineageNode:
        return cls(d["id"], d["kind"], d["label"], dict(d.get("attributes") or {}))


@dataclass(frozen=True)
class LineageEdge:
    source: str
    target: str
    relation: str
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "relation": self.relation,
            "attributes": self.attributes,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LineageEdge:
        return cls(d["source"], d["target"], d["relation"], dict(d.get("attributes") or {}))


@dataclass(frozen=True)
class LineageGraph:
    """The graph around the version ``root`` (a node id); edges point downstream."""

    root: str
    nodes: tuple[LineageNode, ...] = ()
    edges: tuple[LineageEdge, ...] = ()

    def node(self, node_id: str) -> LineageNode:
        """The node with that id; raises ``KeyError``."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def upstream(self, node_id: str) -> list[tuple[LineageEdge, LineageNode]]:
        """The edges into ``node_id`` with the nodes they come from."""
        return [(e, self.node(e.source)) for e in self.edges if e.target == node_id]

    def downstream(self, node_id: str) -> list[tuple[LineageEdge, LineageNode]]:
        """The edges out of ``node_id`` with the nodes they lead to."""
        return [(e, self.node(e.target)) for e in self.edges if e.source == node_id]

    def of_kind(self, kind: str) -> list[LineageNode]:
        """Nodes of one kind: ``dataset``, ``run``, ``code`` or ``model_version``."""
        return [n for n in self.nodes if n.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LineageGraph:
        return cls(
            d["root"],
            tuple(LineageNode.from_dict(n) for n in d["nodes"]),
            tuple(LineageEdge.from_dict(e) for e in d["edges"]),
        )
