"""The page of one model version: card, signature, files, lineage, tags and history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote as urlquote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from modelreg.api.route_permissions import on_model
from modelreg.cards import CARD_FIELDS, FIELD_TITLES
from modelreg.prompts import readable_template
from modelreg.server.guard import Guard
from modelreg.server.ui import file_listing, files, history
from modelreg.server.ui.models import movable
from modelreg.server.ui.session import can, page


@dataclass(frozen=True)
class Node:
    """A box of the lineage drawing; ``href`` is ``None`` for what has no page."""

    kind: str
    label: str
    detail: str
    href: str | None
    root: bool = False


def _node(node: Any, root: str) -> Node:
    a = node.attributes
    if node.hidden:
        return Node(node.kind, "hidden", "you may not read it", None)
    if node.kind == "run":
        return Node("run", node.label, a.get("status", ""), f"/ui/runs/{a.get('run_id')}")
    if node.kind == "model_version":
        href = f"/ui/models/{urlquote(a['name'], safe='')}/versions/{a['version']}"
        return Node("model version", node.label, a.get("stage", ""), href, node.id == root)
    if node.kind == "dataset":
        return Node("dataset", node.label, f"sha {str(a.get('digest', ''))[:12]}", None)
    return Node(node.kind, node.label, "", None)


def lineage_columns(graph: Any) -> list[list[Node]]:
    """The graph as columns, upstream to downstream: datasets and code, then runs and
    parent versions, then the version itself, then versions made from it."""
    if graph is None:
        return []
    root = graph.root
    parents = graph.upstream(root)
    feeding = [n for _, p in parents for _, n in graph.upstream(p.id)]
    children = graph.downstream(root)
    columns = [
        [_node(n, root) for n in _unique(feeding)],
        [_node(n, root) for _, n in parents],
        [_node(graph.node(root), root)],
        [_node(n, root) for _, n in children],
    ]
    return [c for c in columns if c]


def _unique(nodes: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for n in nodes:
        seen.setdefault(n.id, n)
    return list(seen.values())


def signature_rows(signature: dict | None) -> list[dict[str, str]]:
    """One row per input and output column or tensor, and per inference param (its type
    with its default): side, name, type, shape."""
    rows: list[dict[str, str]] = []
    for side in ("inputs", "outputs"):
        schema = (signature or {}).get(side) or {}
        for spec in schema.get("specs") or ():
            rows.append(
                {
                    "side": side[:-1],
                    "name": spec.get("name") or "(tensor)",
                    "type": str(spec.get("dtype", "")),
                    "shape": _shape(spec.get("shape")),
                }
            )
    for param in (signature or {}).get("params") or ():
        rows.append(
            {
                "side": "param",
                "name": str(param.get("name", "")),
                "type": f"{param.get('type', '')} = {json.dumps(param.get('default'))}",
                "shape": _shape(param.get("shape")),
            }
        )
    return rows


def _shape(shape: Any) -> str:
    return "" if shape is None else "(" + ", ".join(map(str, shape)) + ")"


def card_sections(card: Any) -> list[tuple[str, str]]:
    """The card's written fields and free sections, in reading order, as Markdown."""
    if card is None:
        return []
    out = [
        (FIELD_TITLES[f], getattr(card, f))
        for f in CARD_FIELDS
        if f != "metrics" and getattr(card, f)
    ]
    return out + list(card.sections.items())


def build_versions_router(client: Any, backend: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    read = on_model("read")

    @router.get("/ui/models/{name}/versions/{version}")
    @guard.requires(read)
    def version(
        request: Request,
        name: str,
        version: int,
        kind: str = "",
        user: str = "",
        history_token: str = "",
        folder: str = "",
    ) -> HTMLResponse:
        """A version: stage, aliases, card, signature, files, lineage, tags, history."""
        found = client.get_model_version(name, version)
        card = client.get_model_card(name, version)
        return page(
            request,
            "version.html",
            version=found,
            listing=file_listing.folder_of(
                partial(backend.artifacts.version_manifest, name, version), folder
            ),
            card=card,
            sections=card_sections(card),
            card_fields=[(f, FIELD_TITLES[f]) for f in CARD_FIELDS if f != "metrics"],
            signature=signature_rows(found.signature),
            prompt_template=readable_template(found.tags),
            lineage=lineage_columns(client.lineage(name, version)),
            history=history.newest(client, name, version, kind, user, history_token),
            kinds=list(history.KINDS),
            kind=kind,
            user=user,
            previewable=files.previewable,
            checks={
                target: client.check_promotion(name, version, target)
                for target in client.get_promotion_policy(name)
            },
            can_edit=can(request, name, "edit"),
            movable=movable(client, name, found.aliases, can(request, name, "manage")),
        )

    @router.get("/ui/models/{name}/versions/{version}/files/{path:path}")
    @guard.requires(read)
    def version_file(name: str, version: int, path: str, inline: bool = False) -> Response:
        """One of the version's files, as a download (``inline``: an image, for its preview)."""
        ref = files.entry(backend.artifacts.version_manifest(name, version, path), path)
        return files.download(backend.blobs, ref, path, inline)

    @router.get("/ui/models/{name}/versions/{version}/preview/{path:path}")
    @guard.requires(read)
    def version_preview(request: Request, name: str, version: int, path: str) -> HTMLResponse:
        """A text, JSON, YAML or CSV file shown on a page; an image shown as an image."""
        ref = files.entry(backend.artifacts.version_manifest(name, version, path), path)
        base = f"/ui/models/{urlquote(name, safe='')}/versions/{version}"
        return files.preview_page(request, backend.blobs, ref, path, base, f"{name} v{version}")

    return router
