"""Starting the server: checks, worker processes, TCP_NODELAY."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
from typing import Any

from modelreg.server.root_path import check_root_path
from modelreg.store.database import Database


def _nodelay_protocol() -> Any:
    """uvicorn's HTTP protocol with Nagle's algorithm off on every connection.

    uvicorn leaves TCP_NODELAY off on sockets it hands to worker processes
    (uvicorn issue #3149), which adds ~40 ms to each keep-alive request.
    """
    base: type[asyncio.Protocol]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base = HttpToolsProtocol
    except ImportError:  # httptools is optional for uvicorn
        from uvicorn.protocols.http.h11_impl import H11Protocol

        base = H11Protocol

    class NoDelayProtocol(base):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)

    return NoDelayProtocol


NoDelayProtocol = _nodelay_protocol()
# Importable by name, so uvicorn can hand it to spawned worker processes.
NoDelayProtocol.__qualname__ = "NoDelayProtocol"


def start_line(
    host: str, port: int, store: str, artifacts: str, workers: int, auth: bool, root_path: str = ""
) -> str:
    """What ``modelreg server`` prints when it starts (the store without its password)."""
    shown_host = f"[{host}]" if ":" in host else host
    details = f"{workers} worker{'s' if workers > 1 else ''}, auth {'on' if auth else 'off'}"
    if root_path:
        details += f", published under {root_path}"
    return (
        f"modelreg server on http://{shown_host}:{port} · store {store} · "
        f"artifacts {artifacts} ({details})"
    )


def serve(
    backend_store_uri: str,
    artifacts_uri: str,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    log_level: str = "warning",
    upgrade: bool = False,
    create_if_missing: bool = False,
    auth: bool = False,
    public_metrics: bool = False,
    access_log: bool = False,
    threads: int | None = None,
    root_path: str = "",
) -> None:
    """Runs the server until interrupted.

    With ``upgrade`` the database is first migrated to the newest schema
    (several servers starting at once migrate it exactly once: the upgrade
    takes a lock and runs in one transaction). Without it, raises
    ``Conflict`` before binding the port when the schema is not current (run
    ``modelreg db upgrade``); ``create_if_missing`` still creates the schema of
    a database that has none (the embedded default store, which an embedded
    client would create the same way). Raises ``InvalidArgument`` for an artifact
    store URI it cannot use. ``auth`` requires API tokens and checks roles;
    ``public_metrics`` then still serves ``/metrics`` to anyone; ``access_log``
    logs each request to standard error; ``threads`` is each worker's number of
    request threads (default ``server.threads.DEFAULT_THREADS``); ``root_path`` the
    path a proxy publishes it under (``server.root_path``; ``InvalidArgument`` for a
    malformed one). Prints one line saying where it serves and what from before it
    starts.
    """
    import uvicorn

    from modelreg.blobs import open_blob_store

    root_path = check_root_path(root_path)
    database = Database(backend_store_uri)
    database.ensure_schema(
        upgrade=upgrade,
        create_if_missing=create_if_missing,
        other_way="or start the server with --upgrade",
    )
    open_blob_store(artifacts_uri)
    line = start_line(host, port, database.safe_url, artifacts_uri, workers, auth, root_path)
    print(line, flush=True)
    os.environ["MODELREG_SERVER_BACKEND_STORE_URI"] = backend_store_uri
    os.environ["MODELREG_SERVER_ARTIFACTS_URI"] = artifacts_uri
    # The workers read these (create_app_from_env): "1" on, anything else off.
    os.environ["MODELREG_SERVER_AUTH"] = "1" if auth else "0"
    os.environ["MODELREG_SERVER_PUBLIC_METRICS"] = "1" if public_metrics else "0"
    os.environ["MODELREG_SERVER_ACCESS_LOG"] = "1" if access_log else "0"
    os.environ["MODELREG_SERVER_ROOT_PATH"] = root_path
    if threads is not None:
        os.environ["MODELREG_SERVER_THREADS"] = str(threads)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="modelreg-metrics-")
    uvicorn.run(
        "modelreg.server.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=NoDelayProtocol,
        log_level=log_level,
        access_log=False,
        server_header=False,
    )
