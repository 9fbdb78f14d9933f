"""The UI's CSS and JavaScript, served from the package (no CDN, no build step).

Files are read once, at startup, from ``server/static``; each is one public
route of its own (``/ui/static/<name>``, no path parameter), so no URL can
reach another file, and the sign-in page gets its stylesheet before anyone
has signed in.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from modelreg.api.route_permissions import PUBLIC
from modelreg.server.guard import Guard

STATIC = Path(__file__).parent.parent / "static"
TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}


def _asset_route(router: APIRouter, guard: Guard, path: Path) -> None:
    body, media_type = path.read_bytes(), TYPES[path.suffix]

    @router.get(f"/ui/static/{path.name}")
    @guard.requires(PUBLIC)
    def asset() -> Response:
        """A stylesheet or script of the UI."""
        return Response(body, media_type=media_type, headers={"Cache-Control": "max-age=3600"})


def build_assets_router(guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for path in sorted(STATIC.iterdir()):
        if path.is_file() and path.suffix in TYPES:
            _asset_route(router, guard, path)
    return router
