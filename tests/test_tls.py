"""HTTPS out of modelreg (the remote client, webhook deliveries): certificates are verified,
with the CAs the user names.

A real TLS server on loopback, whose certificate a throwaway CA (trustme)
signed: unknown to certifi and to the system, so trusted only when
``SSL_CERT_FILE`` names it. Every connection shares one verifying context per
CA setting.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from json_http_server import json_http_server
from modelreg.errors import ServiceUnavailable
from modelreg.remote.http import HttpSession
from modelreg.tls import system_tls_context, tls_context
from modelreg.webhooks import egress


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(the URL of an HTTPS server on loopback, the PEM file of the CA that signed it)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with json_http_server(tls=context) as url:
        yield url, ca_file


@pytest.fixture(autouse=True)
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELREG_HTTP_RETRIES", "0")
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_a_certificate_no_trusted_ca_signed_is_refused(tls_server):
    url, _ = tls_server

    with pytest.raises(ServiceUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        HttpSession(url).request("GET", "/")


def test_a_certificate_signed_by_the_ca_in_ssl_cert_file_is_trusted(tls_server, monkeypatch):
    url, ca_file = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))

    session = HttpSession(url)
    try:
        assert session.json("GET", "/") == {"ok": True}
    finally:
        session.client.close()  # its kept-alive connection, or GC finds it open


def test_clients_share_one_verifying_context_per_ca_setting(tls_server, monkeypatch):
    _, ca_file = tls_server
    default = tls_context()

    assert tls_context() is default
    assert default.verify_mode == ssl.CERT_REQUIRED and default.check_hostname
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    assert tls_context() is not default
    monkeypatch.delenv("SSL_CERT_FILE")
    assert tls_context() is default


def test_webhook_deliveries_share_one_system_context_per_ca_setting(tls_server, monkeypatch):
    _, ca_file = tls_server
    default = system_tls_context()

    assert system_tls_context() is default and default is not tls_context()
    assert default.verify_mode == ssl.CERT_REQUIRED and default.check_hostname
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    assert system_tls_context() is not default


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")


def test_a_webhook_receiver_no_trusted_ca_signed_for_gets_no_delivery(tls_server, loopback_allowed):
    url, _ = tls_server

    with pytest.raises(ssl.SSLCertVerificationError):
        egress.post(url, b"{}", {"Content-Type": "application/json"}, 5)


def test_a_webhook_receiver_signed_by_the_ca_in_ssl_cert_file_gets_it(
    tls_server, loopback_allowed, monkeypatch
):
    url, ca_file = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))

    status, answer = egress.post(url, b"{}", {"Content-Type": "application/json"}, 5)

    assert (status, answer) == (200, b'{"ok": true}')
