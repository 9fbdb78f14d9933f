"""The TLS context every HTTP client of modelreg shares.

httpx builds a verifying context for each new client, loading the CA bundle
each time (~30 ms of CPU); a client per server session, per redirected
download and per forked child paid it again. One context, built once per CA
setting, serves them all: a context holds no connection, so sharing it across
clients, threads and forked children is safe.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx


def tls_context() -> ssl.SSLContext:
    """The verifying TLS context httpx would build (certifi's CAs, or ``SSL_CERT_FILE``
    or ``SSL_CERT_DIR`` when set), made once per value of those variables."""
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The arguments key the cache; httpx reads the same variables itself.
    return httpx.create_ssl_context()
