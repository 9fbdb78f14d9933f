"""The UI's CSS and JavaScript, served from the package (no CDN, no build step).

Files are read once, at startup, from ``server/static``; only names found
there are served, so no path in a URL can reach another file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from modelreg.errors import NotFound
from modelreg.route_permissions import PUBLIC, declare

STATIC = Path(__file__).parent.parent / "static"
TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@cache
def _files() -> dict[str, tuple[bytes, str]]:
    return {
        p.name: (p.read_bytes(), TYPES[p.suffix])
        for p in STATIC.iterdir()
        if p.is_file() and p.suffix in TYPES
    }


def build_assets_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/ui/static/{name}", openapi_extra=declare(PUBLIC))
    def asset(name: str) -> Response:
        """A stylesheet or script of the UI (public: the sign-in page needs them)."""
        found = _files().get(name)
        if found is None:
            raise NotFound(f"no UI asset named '{name[:100]}'")
        body, media_type = found
        return Response(body, media_type=media_type, headers={"Cache-Control": "max-age=3600"})

    return router
