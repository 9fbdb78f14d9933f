"""The TLS contexts modelreg's outgoing connections share.

Building a verifying context loads every CA certificate (~30 ms of CPU). httpx
built one for each new client, and webhook deliveries one per request: a
client per server session, per redirected download, per forked child, per
delivery paid it again. Each context here is built once per CA setting
(``SSL_CERT_FILE``, ``SSL_CERT_DIR``) and never changed after; a context holds
no connection, so sharing it across clients, threads and forked children is safe.
"""

from __future__ import annotations

import functools
import os
import ssl


def tls_context() -> ssl.SSLContext:
    """The verifying context httpx would build (certifi's CAs, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR`` when set): for the remote client and the MLflow importer."""
    return _context("httpx", os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


def system_tls_context() -> ssl.SSLContext:
    """The system's verifying context (OpenSSL's default CA paths, which ``SSL_CERT_FILE``
    / ``SSL_CERT_DIR`` override): for webhook deliveries."""
    return _context("system", os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=8)
def _context(kind: str, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The variables key the cache; httpx and OpenSSL read them themselves.
    if kind == "system":
        return ssl.create_default_context()
    import httpx

    return httpx.create_ssl_context()
