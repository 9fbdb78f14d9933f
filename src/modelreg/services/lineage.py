"""Lineage: datasets logged on runs, fine-tuning parents, and the graph around a version.

The graph of a version holds its provenance (source run, the code version
and datasets of that run) and that of every version it was fine-tuned from,
up the chain, plus the versions derived from it, down the tree. Both
directions stop after :data:`MAX_DEPTH` generations, which also guards
against cycles.

A version of a model, or a run, the caller may not read stays in the graph as
a placeholder node (its kind, ``attributes["hidden"]``, no name, no real id),
so the graph keeps its shape without naming what the caller may not see.
What only the hidden node tells (its run, code version and datasets) is left
out; the versions around it are shown or hidden on their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.code_version import (
    ENVIRONMENT_TAG,
    GIT_BRANCH_TAG,
    GIT_COMMIT_TAG,
    GIT_DIRTY_TAG,
    GIT_REPO_URL_TAG,
)
from modelreg.datasets import CONTEXT_TAG, Dataset, DatasetInput
from modelreg.errors import InvalidArgument, NotFound
from modelreg.lineage_graph import HIDDEN_ATTRIBUTE, LineageEdge, LineageGraph, LineageNode
from modelreg.logged_models import logged_model_of
from modelreg.services.visibility import EVERYTHING, Visibility
from modelreg.store import governance as gstore
from modelreg.store import logged_models as logged_store
from modelreg.store import registry as store
from modelreg.store import tracking as tracking_store
from modelreg.uris import parse_model_uri

MAX_DEPTH = 32
MAX_INPUTS_PER_CALL = 1000
MAX_SCHEMA_BYTES = 65536
MAX_INPUT_TAGS = 100
MAX_INPUT_TAG_KEY = 255
MAX_INPUT_TAG_VALUE = 500
_HEX = set("0123456789abcdef")


# -- checking input ---------------------------------------------------------------------


def check_context(context: Any) -> str:
    if not isinstance(context, str) or not context.strip() or len(context) > 64:
        raise InvalidArgument(
            f"context must be a non-empty string of at most 64 characters, got {context!r:.40}"
        )
    return context.strip()


def check_dataset(d: Any) -> Dataset:
    """A ``Dataset`` with every field checked."""
    if not isinstance(d, Dataset):
        raise InvalidArgument(f"expected a Dataset, got {type(d).__name__}")
    name = v.check_name(d.name, "dataset name")
    digest = d.digest.lower() if isinstance(d.digest, str) else d.digest
    if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= _HEX:
        raise InvalidArgument(
            f"digest of dataset '{name}' must be a sha256 hex string, got {d.digest!r:.70}"
        )
    source = None if d.source is None else v.check_string(d.source, "dataset source", 4096)
    if d.schema is not None:
        if not isinstance(d.schema, dict):
            raise InvalidArgument(f"schema of dataset '{name}' must be a mapping")
        if len(json.dumps(d.schema)) > MAX_SCHEMA_BYTES:
            raise InvalidArgument(
                f"schema of dataset '{name}' is larger than {MAX_SCHEMA_BYTES} bytes as JSON"
            )
    rows = None if d.num_rows is None else v.check_int(d.num_rows, "num_rows", minimum=0)
    return Dataset(name, digest, source, d.schema, rows)


def check_input_tags(tags: Any, name: str) -> dict[str, str]:
    """A dataset input's tags besides its context, as MLflow bounds them (keys of at most
    255 characters, values of at most 500); raises ``InvalidArgument``."""
    field = f"tags of the input of dataset '{name}'"
    if not isinstance(tags, Mapping):
        raise InvalidArgument(f"{field} must be a mapping of key to value")
    if len(tags) > MAX_INPUT_TAGS:
        raise InvalidArgument(f"{field}: at most {MAX_INPUT_TAGS}, got {len(tags)}")
    checked = {}
    for key, value in tags.items():
        key = v.check_string(key, f"{field}: a key", MAX_INPUT_TAG_KEY)
        if not key or key == CONTEXT_TAG:
            shown = "an empty key" if not key else f"'{CONTEXT_TAG}' (it is the context)"
            raise InvalidArgument(f"{field} must not have {shown}")
        checked[key] = v.check_string(value, f"{field}: value of '{key}'", MAX_INPUT_TAG_VALUE)
    return checked


def check_inputs(inputs: Any) -> list[DatasetInput]:
    """``inputs`` (``DatasetInput`` objects), checked; raises ``InvalidArgument`` naming
    what is wrong."""
    if not isinstance(inputs, Sequence) or isinstance(inputs, str | bytes):
        raise InvalidArgument(f"inputs must be a list of DatasetInput, got {type(inputs).__name__}")
    if len(inputs) > MAX_INPUTS_PER_CALL:
        raise InvalidArgument(f"at most {MAX_INPUTS_PER_CALL} datasets per call; got {len(inputs)}")
    checked = []
    for item in inputs:
        if not isinstance(item, DatasetInput):
            raise InvalidArgument(f"expected a DatasetInput, got {type(item).__name__}")
        d = check_dataset(item.dataset)
        tags = check_input_tags(item.other_tags, d.name)
        checked.append(DatasetInput(d, check_context(item.context), tags))
    return checked


def check_parent(parent: Any) -> tuple[str, int | None, str | None]:
    """``(model name, version or None, models:/ URI or None)`` of a fine-tuning parent.

    Accepts ``("base_model", 3)`` or a ``models:/`` URI (``models:/base_model/3``,
    ``models:/base_model@champion`` …).
    """
    if isinstance(parent, str):
        if not parent.startswith("models:/"):
            raise InvalidArgument(
                f"parent '{parent:.60}' must be a models:/ URI or a (name, version) pair"
            )
        return parse_model_uri(parent).name, None, parent
    if isinstance(parent, list | tuple) and len(parent) == 2:
        name = v.check_name(parent[0], "parent model name")
        return name, v.check_int(parent[1], "parent version", minimum=1), None
    raise InvalidArgument(
        f"parent must be a (model name, version) pair or a models:/ URI, got {parent!r:.60}"
    )


# -- the graph ------------------------------------------------------------------------------


class _Builder:
    def __init__(self, conn: Connection, visible: Visibility) -> None:
        self.conn = conn
        self.visible = visible
        self.nodes: dict[str, LineageNode] = {}
        self.edges: list[LineageEdge] = []
        # real node id -> its placeholder's id, so a node met twice is hidden once
        self.hidden: dict[str, str] = {}

    def add(self, node: LineageNode) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def hide(self, node_id: str, kind: str) -> str:
        """The placeholder standing for ``node_id``: numbered in order met, nothing more."""
        placeholder = self.hidden.get(node_id)
        if placeholder is None:
            placeholder = self.hidden[node_id] = f"hidden:{len(self.hidden) + 1}"
            self.add(LineageNode(placeholder, kind, "hidden", {HIDDEN_ATTRIBUTE: True}))
        return placeholder

    def link(self, source: str, target: str, relation: str, **attributes: Any) -> None:
        edge = LineageEdge(source, target, relation, attributes)
        if edge not in self.edges:
            self.edges.append(edge)

    def version(
        self, name: str, number: int, semver: str | None, stage: str | None, **extra: Any
    ) -> str:
        node_id = f"model:{name}/{number}"
        if not self.visible.model(name):
            return self.hide(node_id, "model_version")
        label = f"{name} v{number}" + (f" ({semver})" if semver else "")
        attributes = {"name": name, "version": number, "semver": semver, "stage": stage, **extra}
        return self.add(LineageNode(node_id, "model_version", label, attributes))

    def provenance(self, version_node: str, run_id: str | None) -> None:
        """The run that produced a version, its code version and its datasets."""
        if not run_id or self.nodes[version_node].hidden:
            return
        try:
            run = tracking_store.get_run(self.conn, run_id)
        except NotFound:
            return
        if not self.visible.run(run_id):
            self.link(self.hide(f"run:{run_id}", "run"), version_node, "produced")
            return
        tags = run.data.tags
        environment = tags.get(ENVIRONMENT_TAG)
        run_node = self.add(
            LineageNode(
                f"run:{run_id}",
                "run",
                run.info.run_name,
                {
                    "run_id": run_id,
                    "run_name": run.info.run_name,
                    "experiment_id": run.info.experiment_id,
                    "status": run.info.status,
                    "user_id": run.info.user_id,
                    "start_time": run.info.start_time,
                    "end_time": run.info.end_time,
                    "environment": json.loads(environment) if environment else None,
                },
            )
        )
        self.link(run_node, version_node, "produced")
        commit = tags.get(GIT_COMMIT_TAG)
        if commit:
            dirty = tags.get(GIT_DIRTY_TAG) == "true"
            code = self.add(
                LineageNode(
                    f"code:{commit}",
                    "code",
                    commit[:12] + (" (dirty)" if dirty else ""),
                    {
                        "commit": commit,
                        "branch": tags.get(GIT_BRANCH_TAG),
                        "repo_url": tags.get(GIT_REPO_URL_TAG),
                        "dirty": dirty,
                    },
                )
            )
            self.link(code, run_node, "code")
        for item in gstore.inputs_of(self.conn, [run_id])[run_id]:
            d = item.dataset
            node = self.add(
                LineageNode(f"dataset:{d.name}@{d.digest}", "dataset", d.name, d.to_dict())
            )
            self.link(node, run_node, "input", context=item.context)


def _logged_model_node(b: _Builder, version_node: str, source: str) -> None:
    """The MLflow 3 logged model a version was registered from (``models:/m-<id>``), between
    its run and the version, when the caller may read that run."""
    model_id = logged_model_of(source)
    if model_id is None or b.nodes[version_node].hidden:
        return
    found = logged_store.load_models(b.conn, [model_id])
    if not found or not found[0].source_run_id or not b.visible.run(found[0].source_run_id):
        return
    model = found[0]
    attributes = {"model_id": model.model_id, "name": model.name, "status": model.status}
    node = b.add(LineageNode(f"logged_model:{model_id}", "logged_model", model.name, attributes))
    run_node = f"run:{model.source_run_id}"
    if run_node in b.nodes:
        b.link(run_node, node, "logged")
    b.link(node, version_node, "registered")


def graph(
    conn: Connection, model_id: int, name: str, number: int, visible: Visibility = EVERYTHING
) -> LineageGraph:
    """The lineage graph of one version, showing what ``visible`` allows; see ``Client.lineage``."""
    row = store.version_row(conn, model_id, name, number)
    b = _Builder(conn, visible)
    root = b.version(name, number, row.semver, row.current_stage)
    b.provenance(root, row.run_id)
    _logged_model_node(b, root, row.source)
    # Up: the chain of versions this one was fine-tuned from.
    child_node, child_id, seen = root, row.version_id, {row.version_id}
    for _ in range(MAX_DEPTH):
        parent = gstore.parent_of(conn, child_id)
        if parent is None:
            break
        found = (
            None
            if parent.parent_version_id is None
            else gstore.version_summary(conn, parent.parent_version_id)
        )
        if found is None:  # deleted since: the edge stays, the details are gone
            node = b.version(
                parent.parent_model_name, parent.parent_version, None, None, deleted=True
            )
            b.link(node, child_node, "fine_tuned")
            break
        node = b.version(found.name, found.version, found.semver, found.current_stage)
        b.link(node, child_node, "fine_tuned")
        if found.version_id in seen:
            break
        seen.add(found.version_id)
        b.provenance(node, found.run_id)
        child_node, child_id = node, found.version_id
    # Down: versions derived from this one, generation by generation.
    frontier = {row.version_id: root}
    for _ in range(MAX_DEPTH):
        children = gstore.children_of(conn, list(frontier))
        next_frontier = {}
        for c in children:
            node = b.version(c.name, c.version, c.semver, c.current_stage)
            b.link(frontier[c.parent_version_id], node, "fine_tuned")
            if c.version_id not in seen:
                seen.add(c.version_id)
                next_frontier[c.version_id] = node
        if not next_frontier:
            break
        frontier = next_frontier
    return LineageGraph(root, tuple(b.nodes.values()), tuple(b.edges))
