"""Helpers for the governance tests: versions with metrics, and a webhook receiver on loopback.

``Receiver`` is a real HTTP server on 127.0.0.1 (reachable from a ``modelreg
server`` process too) that records every POST and answers with the statuses
it is given, then 200.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from modelreg.entities import Metric
from modelreg.timeutil import now_ms


def version_with_metrics(client: Any, name: str, metrics: dict[str, float], **kwargs: Any) -> Any:
    """Registers a version of ``name`` from a new run that logged ``metrics``."""
    run_id = client.create_run("0").info.run_id
    if metrics:
        now = now_ms()
        client.log_batch(run_id, metrics=[Metric(k, v, now, 0) for k, v in metrics.items()])
    return client.create_model_version(name, f"runs:/{run_id}/model", **kwargs)


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    seen: Any = None


class Receiver:
    """Records POSTs; answers each with the next of ``statuses``, then 200, and ``answer``."""

    def __init__(self, statuses: list[int] | None = None, answer: bytes = b"") -> None:
        self.statuses = list(statuses or [])
        self.deliveries: list[Delivery] = []
        self.on_request: Callable[[], Any] | None = None
        self._lock = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen = receiver.on_request() if receiver.on_request else None
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.deliveries.append(Delivery(dict(self.headers), body, seen))
                    receiver._lock.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Delivery]:
        """The deliveries once there are at least ``count``; fails the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"expected {count} webhook deliveries, got {len(self.deliveries)}")
                self._lock.wait(left)
            return list(self.deliveries)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
