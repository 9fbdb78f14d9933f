"""``GET /api/v1/model-versions/current?uri=…``: what a ``models:/`` URI resolves to now, cheaply.

The same answer as ``/api/v1/model-versions/resolve`` (the version's JSON),
with an ``ETag``: a caller that sends the tag back in ``If-None-Match``
gets ``304 Not Modified`` and no body while the URI still resolves to the
same thing. ``modelreg serve`` polls this to follow an alias, stage or
semver range. Read permission on the model the URI names, as for resolve.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from modelreg.api.operations import API_PREFIX, encode
from modelreg.api.route_permissions import Permission
from modelreg.server.api import json_bytes
from modelreg.server.guard import Guard

PATH = API_PREFIX + "/model-versions/current"


def etag_of(body: bytes) -> str:
    """A strong entity tag for a response body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def build_current_version_router(backend: Any, guard: Guard) -> APIRouter:
    router = APIRouter(tags=["registry"])
    registry = backend.registry

    @router.get(PATH)
    @guard.requires(Permission("read", "model_uri"))
    def current_model_version(
        uri: str = Query(...), if_none_match: str | None = Header(None)
    ) -> Response:
        """The version ``uri`` names now; 304 when it matches the caller's ``If-None-Match``."""
        body = json_bytes(encode(registry.resolve_model_uri(uri)))
        tag = etag_of(body)
        if if_none_match is not None and tag in (t.strip() for t in if_none_match.split(",")):
            return Response(status_code=304, headers={"ETag": tag})
        return Response(body, media_type="application/json", headers={"ETag": tag})

    return router
