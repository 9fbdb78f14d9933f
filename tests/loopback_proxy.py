"""A loopback TCP proxy in front of a test server that can lose one answer on purpose.

It forwards bytes both ways, one upstream connection per client connection,
and records the head of each request it forwards. Told to drop the answer to
a request whose first line starts with ``drop``, it lets that request reach
the server, waits for the server's answer (so the change is committed), then
closes both connections without passing the answer on: what a client sees
when a proxy times out or a network path breaks after the server committed.
Told to cut a request, it passes on only its first bytes, then closes both
connections: a connection dropped in the middle of an upload.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

_CHUNK = 65536


class LoopbackProxy:
    """See the module docstring; ``url`` is where clients connect."""

    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.request_heads: list[str] = []
        self.dropped: list[str] = []
        self._drop: bytes | None = None
        self._cut: tuple[bytes, int] | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def drop_answer_to(self, request_line_prefix: str) -> None:
        """Lose the answer to the next request whose first line starts with this."""
        self._drop = request_line_prefix.encode()

    def cut_request(self, request_line_prefix: str, after_bytes: int) -> None:
        """Break the connection of the next request whose first line starts with this,
        once ``after_bytes`` of it (head included) reached the server."""
        self._cut = (request_line_prefix.encode(), after_bytes)

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            dropping = threading.Event()
            threading.Thread(
                target=self._requests, args=(client, upstream, dropping), daemon=True
            ).start()
            threading.Thread(
                target=self._answers, args=(upstream, client, dropping), daemon=True
            ).start()

    def _requests(self, client: socket.socket, upstream: socket.socket, dropping: threading.Event):
        left: int | None = None  # bytes to forward before cutting, when cutting
        while data := _recv(client):
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            if head[:8].split(" ", 1)[0] in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
                with self._lock:
                    self.request_heads.append(head)
                    if self._drop is not None and data.startswith(self._drop):
                        self._drop = None
                        self.dropped.append(head.split("\r\n", 1)[0])
                        dropping.set()
                    if self._cut is not None and data.startswith(self._cut[0]):
                        left, self._cut = self._cut[1], None
                        self.dropped.append(head.split("\r\n", 1)[0])
            if left is not None and len(data) >= left:
                try:
                    upstream.sendall(data[:left])
                except OSError:
                    pass
                break
            if left is not None:
                left -= len(data)
            try:
                upstream.sendall(data)
            except OSError:
                break
        _close(client, upstream)

    def _answers(self, upstream: socket.socket, client: socket.socket, dropping: threading.Event):
        while data := _recv(upstream):
            if dropping.is_set():
                break  # the server answered, so it committed: the client never hears of it
            try:
                client.sendall(data)
            except OSError:
                break
        _close(client, upstream)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(_CHUNK)
    except OSError:
        return b""


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
