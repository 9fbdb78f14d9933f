"""The HTTP session of the remote client: keep-alive, timeouts, retries, error mapping."""

from __future__ import annotations

import os
import random
import time
import uuid
import weakref
from typing import Any

import httpx

from modelreg import settings
from modelreg.actor import current_actor
from modelreg.errors import (
    Conflict,
    InvalidArgument,
    ModelregError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServiceUnavailable,
    Unauthenticated,
    error_class_for_code,
)
from modelreg.tls import tls_context
from modelreg.version import __version__

RETRY_STATUSES = (502, 503, 504)
SAFE_METHODS = ("GET", "HEAD")

# Every open session, so a forked child can give each one connections of its own.
_sessions: weakref.WeakSet[HttpSession] = weakref.WeakSet()


class HttpSession:
    """One keep-alive connection pool to a modelreg server.

    Connection errors and 502/503/504 answers are retried with exponential
    back-off and jitter (``MODELREG_HTTP_RETRIES`` times), which is safe
    because every request that changes something carries an
    ``Idempotency-Key`` the server runs it once for (see :meth:`request`).
    Error responses become the same exception classes embedded use raises. A
    child process made by ``fork`` starts with a new pool: the parent's
    sockets stay the parent's.
    """

    def __init__(self, base_url: str, *, token: str | None = None) -> None:
        """``token`` goes out as a bearer token, or as the basic auth password when
        ``MODELREG_TRACKING_USERNAME`` is set; ``user:token@`` in ``base_url`` does the
        same (and is kept out of messages)."""
        url = httpx.URL(base_url)
        self.base_url = str(url.copy_with(username=None, password=None)).rstrip("/")
        self.retries = int(settings.HTTP_RETRIES.get() or 5)
        timeout = float(settings.HTTP_TIMEOUT.get() or 60)
        headers = {"User-Agent": f"modelreg/{__version__}"}
        auth = None
        username = settings.TRACKING_USERNAME.get()
        if url.username or url.password:
            auth = httpx.BasicAuth(url.username, url.password)
        elif token and username:
            auth = httpx.BasicAuth(username, token)
        elif token:
            headers["Authorization"] = f"Bearer {token}"
        self._options: dict[str, Any] = {
            "base_url": self.base_url,
            "auth": auth,
            "timeout": httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            "headers": headers,
            "limits": httpx.Limits(max_connections=32, max_keepalive_connections=16),
            "verify": tls_context(),
        }
        self.client = httpx.Client(**self._options)
        _sessions.add(self)

    def _reopen_in_child(self) -> None:
        # The inherited pool is dropped, not closed: closing could end the parent's
        # TLS sessions, and its sockets are the parent's to use.
        self.client = httpx.Client(**self._options)

    def request(
        self,
        method: str,
        path: str,
        *,
        allow_status: tuple[int, ...] = (),
        repeatable: bool | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Sends a request and returns the response; raises the mapped error on 4xx/5xx
        other than those in ``allow_status``.

        A request that may change something carries a new ``Idempotency-Key``,
        the same on each retry, so the server runs it once however often it
        arrives. GET and HEAD, and requests the caller marks ``repeatable``
        (reads sent as POST, content-addressed uploads), go without one.
        """
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("X-Modelreg-User", current_actor())
        if not (method in SAFE_METHODS if repeatable is None else repeatable):
            headers["Idempotency-Key"] = uuid.uuid4().hex
        attempt = 0
        while True:
            try:
                response = self.client.request(method, path, headers=headers, **kwargs)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt >= self.retries or not _replayable(kwargs):
                    raise ServiceUnavailable(
                        f"cannot reach the modelreg server at {self.base_url}: {exc}"
                    ) from exc
            else:
                if response.status_code in allow_status:
                    return response
                if attempt >= self.retries or not _replayable(kwargs) or not _retry(response):
                    raise_for_error(response)
                    return response
                response.close()
            time.sleep(min(8.0, 0.1 * 2**attempt) * (0.5 + random.random()))
            attempt += 1

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    def close(self) -> None:
        self.client.close()


def _reopen_sessions_in_child() -> None:
    for session in list(_sessions):
        session._reopen_in_child()


os.register_at_fork(after_in_child=_reopen_sessions_in_child)


def _retry(response: httpx.Response) -> bool:
    # 409 with Retry-After: the first request with this Idempotency-Key still runs.
    status = response.status_code
    return status in RETRY_STATUSES or (status == 409 and "retry-after" in response.headers)


def _replayable(kwargs: dict[str, Any]) -> bool:
    # A body given as a stream or open file cannot be sent twice.
    content = kwargs.get("content")
    return content is None or isinstance(content, bytes | str)


_BY_STATUS = {
    400: InvalidArgument,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    503: ServiceUnavailable,
}


def raise_for_error(response: httpx.Response) -> None:
    """Raises the ``ModelregError`` subclass a 4xx/5xx response stands for."""
    if response.status_code < 400:
        return
    try:
        body = response.json()
        code, message = body["error_code"], body["message"]
        details = body.get("details")
    except (ValueError, KeyError, TypeError):
        code = {404: "ENDPOINT_NOT_FOUND", 413: "REQUEST_LIMIT_EXCEEDED"}.get(
            response.status_code, "INTERNAL_ERROR"
        )
        message = f"HTTP {response.status_code} from {response.request.url}: {response.text[:200]}"
        details = None
    cls = error_class_for_code(code)
    if cls is ModelregError:
        cls = _BY_STATUS.get(response.status_code, ModelregError)
    error = cls(message, details=details)
    error.status_code = response.status_code  # type: ignore[attr-defined]
    raise error
