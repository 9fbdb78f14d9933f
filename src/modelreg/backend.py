"""A backend bundles the services one tracking URI leads to.

The embedded backend runs the services in this process on a SQL database and
a blob store; the remote backend (``modelreg.remote``) speaks HTTP to a
``modelreg server`` and offers the very same service methods, so ``Client``
does not care which one it holds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from modelreg import settings
from modelreg.extras import needs_extras
from modelreg.uris import TrackingTarget, resolve_tracking_uri

_backends: dict[tuple, Any] = {}
_lock = threading.Lock()


@dataclass
class EmbeddedBackend:
    """Services running in-process on ``db_url`` (SQLite or PostgreSQL) and ``artifacts_uri``."""

    db_url: str
    artifacts_uri: str
    upgrade: bool = True

    def __post_init__(self) -> None:
        from modelreg.blobs import open_blob_store
        from modelreg.services.access import AccessService
        from modelreg.services.artifacts import ArtifactService
        from modelreg.services.governance import GovernanceService
        from modelreg.services.imports import ImportService
        from modelreg.services.logged_models import LoggedModelService
        from modelreg.services.protections import ProtectionService
        from modelreg.services.registry import RegistryService
        from modelreg.services.tracking import TrackingService
        from modelreg.store.database import Database
        from modelreg.webhook_dispatch import WebhookDispatcher

        self.db = Database.shared(self.db_url)
        self.db.ensure_schema(upgrade=self.upgrade)
        self.blobs = open_blob_store(self.artifacts_uri)
        self.tracking = TrackingService(self.db)
        self.logged_models = LoggedModelService(self.db)
        self.artifacts = ArtifactService(self.db, self.blobs, self.tracking)
        self.webhooks = WebhookDispatcher(self.db)
        self.registry = RegistryService(
            self.db, self.tracking, self.artifacts, self.webhooks.publish
        )
        self.governance = GovernanceService(self.db, self.webhooks)
        self.access = AccessService(self.db)
        self.protections = ProtectionService(self.db, self.webhooks.publish)
        self.imports = ImportService(self.db, self.blobs)


def open_backend(tracking_uri: str | None = None) -> Any:
    """The (cached) backend for a tracking URI; ``None`` means the configured default."""
    target = resolve_tracking_uri(tracking_uri)
    key: tuple = (target.uri, target.artifacts_uri)
    if target.kind == "remote":  # another token is another session
        key += (settings.TRACKING_TOKEN.get(), settings.TRACKING_USERNAME.get())
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = _make_backend(target)
        return backend


def _make_backend(target: TrackingTarget) -> Any:
    if target.kind == "remote":
        from modelreg.remote import RemoteBackend

        return RemoteBackend(target.uri)
    assert target.db_url is not None and target.artifacts_uri is not None
    with needs_extras():  # psycopg for PostgreSQL, boto3 for S3
        return EmbeddedBackend(target.db_url, target.artifacts_uri)


def clear_backend_cache() -> None:
    """Forgets cached backends (tests use it between stores)."""
    with _lock:
        _backends.clear()
