"""``Client``: the one Python interface to a modelreg store, embedded or remote.

>>> from modelreg import Client
>>> client = Client()                       # ./.modelreg/ (SQLite + local folder)
>>> client = Client("postgresql://db/reg")  # embedded on PostgreSQL
>>> client = Client("http://host:5000")     # a modelreg server

Every method behaves the same on every backend and raises the classes in
:mod:`modelreg.errors`.
"""

from __future__ import annotations

from modelreg.api_contract import Backend
from modelreg.backend import open_backend
from modelreg.client.access import AccessMethods
from modelreg.client.artifacts import ArtifactMethods
from modelreg.client.governance import GovernanceMethods
from modelreg.client.logged_models import LoggedModelMethods
from modelreg.client.prompts import PromptMethods
from modelreg.client.registry import RegistryMethods
from modelreg.client.tracking import TrackingMethods

__all__ = ["Client"]


class Client(
    TrackingMethods,
    ArtifactMethods,
    RegistryMethods,
    GovernanceMethods,
    AccessMethods,
    LoggedModelMethods,
    PromptMethods,
):
    """A connection to one tracking URI; see :func:`modelreg.uris.resolve_tracking_uri`."""

    def __init__(self, tracking_uri: str | None = None) -> None:
        self._backend: Backend = open_backend(tracking_uri)
        self._tracking_uri = tracking_uri

    @classmethod
    def from_backend(cls, backend: Backend) -> Client:
        """A client on an already open backend (the server's web UI uses its own)."""
        client = cls.__new__(cls)
        client._backend = backend
        client._tracking_uri = getattr(backend, "uri", None)
        return client

    @property
    def tracking_uri(self) -> str:
        """The URI this client talks to, as resolved."""
        from modelreg.uris import resolve_tracking_uri

        return resolve_tracking_uri(self._tracking_uri).uri
