"""The remote backend: the services of a ``modelreg server``, called over HTTP.

Every service but artifacts is a :class:`~modelreg.remote.services.RemoteService`,
built from the operation table the server builds its routes from.
"""

from __future__ import annotations

from modelreg import settings
from modelreg.remote.artifacts import RemoteArtifacts
from modelreg.remote.http import HttpSession
from modelreg.remote.services import RemoteService

__all__ = ["RemoteBackend", "RemoteService"]


class RemoteBackend:
    """Tracking, registry and artifact services of a server at ``uri``."""

    def __init__(self, uri: str, token: str | None = None) -> None:
        """``token`` (default: ``MODELREG_TRACKING_TOKEN``) authenticates to a server with auth."""
        self.uri = uri
        self.http = HttpSession(uri, token=token or settings.TRACKING_TOKEN.get())
        self.tracking = RemoteService(self.http, "tracking")
        self.registry = RemoteService(self.http, "registry")
        self.governance = RemoteService(self.http, "governance")
        self.access = RemoteService(self.http, "access")
        self.protections = RemoteService(self.http, "protections")
        self.imports = RemoteService(self.http, "imports")
        self.artifacts = RemoteArtifacts(self.http)
        self.logged_models = RemoteService(self.http, "logged_models")
