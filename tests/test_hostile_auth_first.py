"""The caller is authenticated before the server reads a body or parses a path (#14 point 12).

Each request announces a large body and sends none of it: a server that
authenticates first answers 401 at once; one that reads the body first waits
for bytes that never come.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

ANNOUNCED = 10 * 1024 * 1024
BAD_TOKEN = "Bearer mrg_" + "x" * 43


def _status_without_sending_the_body(url: str, method: str, path: str, headers: dict) -> int:
    parts = urlsplit(url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(head)
        answer = sock.recv(4096)  # times out if the server waits for the body
    return int(answer.split(b" ", 2)[1])


BODY_ROUTES = [
    ("POST", "/api/v1/registered-models", "application/json"),
    ("POST", "/api/2.0/mlflow/registered-models/create", "application/json"),
    ("PUT", "/api/v1/blobs/" + "0" * 64, "application/octet-stream"),
    (
        "PUT",
        "/api/2.0/mlflow-artifacts/artifacts/0/abc/artifacts/f.bin",
        "application/octet-stream",
    ),
]


@pytest.mark.parametrize("authorization", [None, BAD_TOKEN], ids=["no token", "bad token"])
@pytest.mark.parametrize(("method", "path", "content_type"), BODY_ROUTES)
def test_a_body_is_not_read_before_the_token_is_checked(
    auth_server, method, path, content_type, authorization
):
    headers = {"Content-Type": content_type, "Content-Length": str(ANNOUNCED)}
    if authorization:
        headers["Authorization"] = authorization

    status = _status_without_sending_the_body(auth_server.url, method, path, headers)

    assert status == 401


@pytest.mark.parametrize(
    "path",
    [
        "/api/2.0/mlflow-artifacts/artifacts/not-an-artifact-path",
        "/api/2.0/mlflow-artifacts/artifacts/_registered",
    ],
)
def test_an_artifact_path_is_not_parsed_before_the_token_is_checked(auth_server, path):
    with auth_server.http() as http:
        response = http.get(path, headers={"Authorization": BAD_TOKEN})

    assert response.status_code == 401
