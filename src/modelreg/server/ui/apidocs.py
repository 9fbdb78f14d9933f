"""The REST API's documentation as one server-rendered page: works offline, no CDN, no script.

Read from the app's OpenAPI document: every operation grouped by tag, with
its summary, description, parameters, request body and responses, and the
permission it needs.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import HTMLResponse

from modelreg.api.route_permissions import Permission
from modelreg.server.ui.rendering import render

METHODS = ("get", "post", "put", "patch", "delete", "head")


def _schema_name(schema: dict[str, Any] | None) -> str:
    """A short type for a schema: its ``$ref`` name, ``array of X``, or its type."""
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return "array of " + _schema_name(schema.get("items"))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_schema_name(s) for s in schema[key])
    return str(schema.get("type", "object"))


def _operation(
    path: str, method: str, op: dict[str, Any], permission: Permission | None
) -> dict[str, Any]:
    body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
    return {
        "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
        "method": method.upper(),
        "path": path,
        "summary": op.get("summary", ""),
        "description": op.get("description", ""),
        "permission": ""
        if permission is None
        else " on ".join(x for x in (permission.level, permission.resource) if x != "none"),
        "parameters": [
            {
                "name": p.get("name"),
                "in": p.get("in"),
                "required": p.get("required", False),
                "type": _schema_name(p.get("schema")),
                "description": p.get("description", ""),
            }
            for p in op.get("parameters", ())
        ],
        "body": _schema_name(body.get("schema")),
        "responses": {
            code: response.get("description", "")
            for code, response in op.get("responses", {}).items()
        },
    }


def api_docs_page(
    openapi: dict[str, Any], permissions: dict[tuple[str, str], Permission], root: str = ""
) -> HTMLResponse:
    """The documentation page of ``openapi`` (an OpenAPI 3 document), its links under
    ``root`` (``server.root_path``); ``permissions`` are
    the routes' declarations by (method, path)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in openapi.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                permission = permissions.get((method.upper(), path))
                groups.setdefault(tag, []).append(
                    _operation(path, method, item[method], permission)
                )
    schemas = {
        name: json.dumps(schema, indent=2, sort_keys=True)
        for name, schema in openapi.get("components", {}).get("schemas", {}).items()
    }
    return render(
        "api_docs.html",
        info=openapi.get("info", {}),
        groups=groups,
        schemas=schemas,
        viewer=None,
        root=root,
    )
