"""``modelreg lineage``: where a version came from and what was derived from it, as a tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from modelreg.cli.output import echo_json, json_option, with_client
from modelreg.cli.references import VERSION, resolve_version

if TYPE_CHECKING:
    from modelreg.client import Client
    from modelreg.lineage_graph import LineageGraph, LineageNode


@click.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@json_option
@with_client
def lineage(client: Client, name: str, version: str, as_json: bool) -> None:
    """Show the lineage of version VERSION of model NAME as a tree.

    Under the version: the run that produced it with its code version (git
    commit) and datasets, the versions it was fine-tuned from, and the
    versions fine-tuned from it.

    \b
    Examples:
      modelreg lineage fraud 4
      modelreg lineage fraud 4 --json
    """
    graph = client.lineage(name, resolve_version(client, name, version))
    if as_json:
        echo_json(graph.to_dict())
        return
    root = label(graph.node(graph.root))
    click.echo("\n".join([root, *tree_lines(_branches(graph, graph.root, with_children=True))]))


def tree_lines(branches: list[Any], indent: str = "") -> list[str]:
    """``(label, sub-branches)`` pairs drawn with box-drawing characters, one line each."""
    lines = []
    for i, (text, children) in enumerate(branches):
        last = i == len(branches) - 1
        lines.append(f"{indent}{'└── ' if last else '├── '}{text}")
        lines += tree_lines(children, indent + ("    " if last else "│   "))
    return lines


def _branches(graph: LineageGraph, node_id: str, *, with_children: bool) -> list[Any]:
    """``(label, sub-branches)`` pairs under a node: its sources, then derived versions."""
    out = []
    for edge, source in graph.upstream(node_id):
        prefix = {
            "produced": "produced by ",
            "fine_tuned": "fine-tuned from ",
            "code": "",
            "input": "",
        }[edge.relation]
        context = f" [{edge.attributes['context']}]" if edge.relation == "input" else ""
        out.append(
            (prefix + label(source) + context, _branches(graph, source.id, with_children=False))
        )
    if with_children:
        children = [n for e, n in graph.downstream(node_id) if e.relation == "fine_tuned"]
        if children:
            out.append(
                (
                    "fine-tuned into",
                    [(label(c), _branches(graph, c.id, with_children=True)) for c in children],
                )
            )
    return out


def label(node: LineageNode) -> str:
    """One line describing a lineage node."""
    a = node.attributes
    if node.hidden:
        return f"{node.kind.replace('_', ' ')} (hidden: you may not read it)"
    if node.kind == "model_version":
        parts = [node.label, a.get("stage")]
        if a.get("deleted"):
            parts.append("deleted")
        return " · ".join(p for p in parts if p)
    if node.kind == "run":
        return f"run '{a['run_name']}' ({a['run_id'][:8]}…) {a['status']}"
    if node.kind == "code":
        parts = [f"code {node.label}", a.get("branch"), a.get("repo_url")]
        return " · ".join(p for p in parts if p)
    described = [f"dataset {a['name']}", f"sha256:{a['digest'][:12]}"]
    if a.get("num_rows") is not None:
        described.append(f"{a['num_rows']:,} rows")
    if a.get("source"):
        described.append(str(a["source"]))
    return " · ".join(described)
