"""Asking a server what a ``models:/`` URI resolves to now, with a conditional request.

``modelreg serve`` polls this: the server answers ``304 Not Modified`` (no
body) while the URI still resolves to what the last answer said, so a poll
costs one small round trip. A server too old for the route answers 404
``ENDPOINT_NOT_FOUND``; :func:`current_version` then asks the plain resolve
route instead, every time.
"""

from __future__ import annotations

from typing import Any

from modelreg.api.operations import API_PREFIX, decode
from modelreg.entities import ModelVersion
from modelreg.remote.http import HttpSession, raise_for_error

PATH = API_PREFIX + "/model-versions/current"
FALLBACK_PATH = API_PREFIX + "/model-versions/resolve"


class CurrentVersion:
    """What one URI resolves to on one server; remembers the last ETag."""

    def __init__(self, http: HttpSession, uri: str) -> None:
        self._http = http
        self._uri = uri
        self._etag: str | None = None
        self._path = PATH

    def changed(self) -> ModelVersion | None:
        """The version the URI names now, or None when it is unchanged since the last call.

        Raises what resolving raises (``NotFound`` for a missing model or alias …).
        """
        headers = {"If-None-Match": self._etag} if self._etag else {}
        response = self._http.request(
            "GET", self._path, params={"uri": self._uri}, headers=headers, allow_status=(304, 404)
        )
        if response.status_code == 304:
            return None
        if response.status_code == 404:
            if self._path == PATH and _no_such_route(response):
                self._path = FALLBACK_PATH
                return self.changed()
            raise_for_error(response)
        self._etag = response.headers.get("ETag")
        data: Any = response.json()
        return decode(data, ModelVersion)


def _no_such_route(response: Any) -> bool:
    try:
        return bool(response.json().get("error_code") == "ENDPOINT_NOT_FOUND")
    except ValueError:
        return True
