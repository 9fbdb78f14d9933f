"""Webhooks cannot be aimed at the server's own network (SSRF).

Loopback, private, link-local and other non-public addresses are refused
when a webhook is created (for IP literals and ``localhost``) and again, after
resolving the name, at every delivery; an admin may allow networks with
``MODELREG_WEBHOOK_ALLOWED_NETWORKS``. Redirects are never followed.
"""

from __future__ import annotations

import http.server
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import LOOPBACK, server_env, start_server, stop_server
from governance_fixtures import Receiver, receiver, version_with_metrics  # noqa: F401
from modelreg import Client
from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.store.database import Database
from modelreg.webhooks import egress

# ruff: noqa: F811  (fixtures imported above are parameters below)

NOT_PUBLIC = [
    "http://127.0.0.1/hook",
    "http://127.255.0.9:8080/hook",
    "http://localhost:5000/hook",
    "http://api.localhost/hook",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://10.0.0.5/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://[fc00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://224.0.0.1/hook",
    "https://192.0.2.10/hook",
]
SECRET = "s3cret"


@pytest.fixture
def local(tmp_path: Path) -> Client:
    """An embedded store, as a server without MODELREG_WEBHOOK_ALLOWED_NETWORKS sees it."""
    client = Client(str(tmp_path / "store"))
    client.create_registered_model("fraud")
    return client


def test_webhooks_to_non_public_addresses_are_refused_when_created(local):
    accepted = []
    for url in NOT_PUBLIC:
        try:
            local.create_webhook(url, ["*"], SECRET)
            accepted.append(url)
        except InvalidArgument as exc:
            assert "not a public address" in exc.message, exc.message

    assert accepted == []
    assert local.list_webhooks() == []


def test_an_admin_can_allow_a_private_network(local, monkeypatch):
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/8, 127.0.0.1/32")

    local.create_webhook("http://10.1.2.3/hook", ["*"], SECRET)
    local.create_webhook("http://127.0.0.1:9000/hook", ["*"], SECRET)

    with pytest.raises(InvalidArgument, match="not a public address"):
        local.create_webhook("http://127.0.0.2/hook", ["*"], SECRET)


def test_a_malformed_allowed_network_is_named(local, monkeypatch):
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/8,intranet")

    with pytest.raises(InvalidArgument, match="'intranet'"):
        local.create_webhook("http://10.1.2.3/hook", ["*"], SECRET)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "2130706433", "0x7f000001", "127.1", "0177.0.0.1"]
)
def test_a_request_is_refused_after_resolving_the_host_whatever_its_spelling(
    receiver, host, monkeypatch
):
    port = receiver.url.split(":")[2].split("/")[0]

    with pytest.raises(PermissionDenied, match="not a public address"):
        egress.post(f"http://{host}:{port}/hook", b"refused", {}, timeout=5)

    # The control, sent once allowed, is the first and only request the receiver got.
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)
    assert egress.post(receiver.url, b"control", {}, timeout=5)[0] == 200
    assert [d.body for d in receiver.wait_for(1)] == [b"control"]


def test_a_request_to_an_allowed_network_goes_through(receiver, monkeypatch):
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)

    status, _ = egress.post(receiver.url, b"{}", {"Content-Type": "application/json"}, timeout=5)

    assert status == 200
    assert receiver.wait_for(1)[0].body == b"{}"


class Redirector:
    """Answers every POST with a 307 to ``location``."""

    def __init__(self, location: str) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(307)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def redirector(receiver) -> Iterator[Redirector]:
    r = Redirector(receiver.url)
    yield r
    r.close()


def test_redirects_are_never_followed(redirector, receiver, monkeypatch):
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)

    status, _ = egress.post(redirector.url, b"redirected", {}, timeout=5)

    assert status == 307
    # The control, sent directly afterwards, is the first and only request the receiver got.
    assert egress.post(receiver.url, b"control", {}, timeout=5)[0] == 200
    assert [d.body for d in receiver.wait_for(1)] == [b"control"]


def test_a_webhook_whose_network_is_no_longer_allowed_gets_nothing(
    local, receiver, monkeypatch, caplog
):
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)
    local.create_webhook(receiver.url, ["model_version.created"], SECRET)
    monkeypatch.delenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS")
    caplog.set_level(logging.WARNING, logger="modelreg.webhooks")

    version_with_metrics(local, "fraud", {})

    deadline = time.monotonic() + 10
    while not any("refused" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the delivery was neither refused nor sent"
        time.sleep(0.05)
    assert receiver.deliveries == []


@pytest.fixture(scope="module")
def unconfigured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose admin allowed no private network."""
    root = tmp_path_factory.mktemp("ssrf")
    db_url = f"sqlite:///{root / 'registry.db'}"
    Database(db_url).upgrade()
    process, url = start_server(db_url, str(root / "artifacts"), env=server_env())
    yield url
    stop_server(process)


def test_a_server_refuses_a_loopback_webhook_unless_its_admin_allows_it(unconfigured_server):
    response = httpx.post(
        f"{unconfigured_server}/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["*"], "secret": SECRET},
    )

    assert response.status_code == 400
    assert "MODELREG_WEBHOOK_ALLOWED_NETWORKS" in response.json()["message"]


# IPv4 inside IPv6 in the forms a NAT64 gateway or a host's own stack turns back
# into the IPv4 address: each must be judged by that address.
WRAPPED_IPV4 = [
    pytest.param("64:ff9b::7f00:1", id="nat64-loopback"),
    pytest.param("64:ff9b::a9fe:a9fe", id="nat64-metadata"),
    pytest.param("64:ff9b::a00:5", id="nat64-private"),
    pytest.param("64:ff9b:1::a00:5", id="nat64-local-use"),
    pytest.param("::127.0.0.1", id="ipv4-compatible-loopback"),
    pytest.param("::169.254.169.254", id="ipv4-compatible-metadata"),
    pytest.param("::ffff:0:7f00:1", id="ipv4-translated-loopback"),
    pytest.param("::ffff:0:a9fe:a9fe", id="ipv4-translated-metadata"),
]


@pytest.mark.parametrize("address", WRAPPED_IPV4)
def test_an_ipv4_address_wrapped_in_ipv6_is_judged_by_the_ipv4_address(local, address):
    with pytest.raises(PermissionDenied, match="not a public address"):
        egress.check_address(address, "hooks.example.com")
    with pytest.raises(InvalidArgument, match="not a public address"):
        local.create_webhook(f"http://[{address}]/hook", ["*"], SECRET)

    assert local.list_webhooks() == []


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "::ffff:0:808:808"])
def test_a_public_ipv4_address_wrapped_in_ipv6_stays_allowed(address):
    egress.check_address(address, "hooks.example.com")


def test_a_test_delivery_keeps_to_the_allowed_networks(tmp_path, monkeypatch, receiver):
    client = Client(f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)
    hook = client.create_webhook(receiver.url, ["*"], "s" * 16)
    monkeypatch.delenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS")

    refused = client.test_webhook(hook.webhook_id)

    assert (refused.success, refused.response_status) == (False, None)
    assert "not a public address" in refused.error_message
    # The control, sent once allowed again, is the first and only request the receiver got.
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK)
    assert client.test_webhook(hook.webhook_id).success
    assert len(receiver.wait_for(1)) == 1
