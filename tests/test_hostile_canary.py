"""A canary outside the storage roots never appears in any response, whatever the route.

A server runs with a secret in a file next to (outside) its artifact folder
and in its environment (so ``/proc/self/environ`` would leak it). Every route
that takes a path is then sent traversals in every disguise, as raw bytes on
the wire (no client normalises them); no answer may carry the secret, none
may be a 500, and nothing may be written outside the artifact store.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from conftest import server_env, start_server, stop_server
from modelreg import Client
from modelreg.store.database import Database

SECRET = uuid.uuid4().hex
HTML = b"<html><script>document.title='pwned'</script></html>"


def _disguises(target: str) -> list[str]:
    """``target`` (a relative path going up, or an absolute one) as it may travel in a URL."""
    up = target.count("../")
    rest = target.replace("../", "")
    return [
        target,
        target.replace("../", "%2e%2e/"),
        target.replace("../", "..%2f").replace("/", "%2f"),
        target.replace("../", "%252e%252e%252f"),
        target.replace("../", "..%5c"),
        target.replace("../", "..;/"),
        target.replace("../", "..%3b/"),
        quote("\uff0e\uff0e/") * up + rest,
        quote("\u2025/") * up + rest,
        "..%c0%af" * up + rest,
        target + "%00.txt",
    ]


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("canary")
    (root / "canary.txt").write_text(SECRET)
    store = root / "store"
    db_url = f"sqlite:///{store / 'registry.db'}"
    Database(db_url).upgrade()
    env = {**server_env(), "CANARY_SECRET": SECRET}
    process, url = start_server(db_url, str(store / "artifacts"), env=env)
    client = Client(url)
    run = client.create_run("0").info
    client.log_text(run.run_id, "weights", "model/weights.bin")
    client.log_text(run.run_id, HTML.decode(), "model/report.html")
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run.run_id}/model")
    yield {
        "url": url,
        "root": str(root),
        "run_id": run.run_id,
        "experiment_id": run.experiment_id,
    }
    stop_server(process)


def _raw(url: str, method: str, target: str, body: bytes | None = None) -> tuple[int, dict, bytes]:
    """One request with ``target`` sent exactly as given."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _targets(canary: dict[str, str]) -> list[str]:
    canary_file = str(Path(canary["root"]) / "canary.txt")
    relative = ["../" * depth + "canary.txt" for depth in range(1, 7)]
    absolute = [canary_file, "/etc/passwd", "/proc/self/environ"]
    return (
        [d for t in relative for d in _disguises(t)]
        + absolute
        + [quote(a, safe="") for a in absolute]
    )


def _routes(canary: dict[str, str]) -> list[tuple[str, str]]:
    run = canary["run_id"]
    mlflow_run = f"/api/2.0/mlflow-artifacts/artifacts/{canary['experiment_id']}/{run}/artifacts"
    return [
        ("GET", "/api/v1/blobs/{p}"),
        ("HEAD", "/api/v1/blobs/{p}"),
        ("GET", f"/api/v1/runs/{run}/manifest?path={{p}}"),
        ("GET", f"/api/v1/runs/{run}/artifacts?path={{p}}"),
        ("GET", "/api/v1/registered-models/m/versions/1/manifest?path={p}"),
        ("GET", "/api/v1/runs/{p}"),
        ("GET", "/api/v1/registered-models/{p}"),
        ("GET", mlflow_run + "/{p}"),
        ("PUT", mlflow_run + "/{p}"),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts/{p}"),
        ("GET", f"/api/2.0/mlflow-artifacts/artifacts?path={canary['experiment_id']}/{run}/{{p}}"),
        ("GET", f"/api/2.0/mlflow/artifacts/list?run_id={run}&path={{p}}"),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts/_registered/m/1/{p}"),
        ("GET", "/ui/runs/{p}"),
        ("GET", "/ui/models/{p}"),
        ("GET", "/{p}"),
        ("GET", "/static/{p}"),
    ]


def _files_outside_the_store(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and "store" not in p.relative_to(root).parts}


def test_no_traversal_on_any_route_reads_the_canary_or_writes_outside_the_store(canary):
    root = Path(canary["root"])
    before = _files_outside_the_store(root)
    problems = []
    for method, route in _routes(canary):
        for target in _targets(canary):
            path = route.replace("{p}", target.lstrip("/") if route.endswith("/{p}") else target)
            body = b"x" if method == "PUT" else None
            status, _headers, answer = _raw(canary["url"], method, path, body)
            if SECRET.encode() in answer or b"root:x:0:0" in answer or status >= 500:
                problems.append((method, path, status, answer[:200]))

    assert problems == []
    assert _files_outside_the_store(root) == before
    assert (root / "canary.txt").read_text() == SECRET


def test_no_hostile_path_in_a_json_body_reaches_the_canary(canary):
    run = canary["run_id"]
    digest = hashlib.sha256(b"weights").hexdigest()
    problems = []
    for target in _targets(canary):
        for path, body in [
            (f"/api/v1/runs/{run}/artifacts", {"entries": {target: {"digest": digest, "size": 7}}}),
            ("/api/v1/registered-models/m/versions", {"source": target}),
            ("/api/v1/registered-models/m/versions", {"source": f"file://{target}"}),
            ("/api/v1/registered-models/m/versions", {"source": f"runs:/{run}/{target}"}),
            ("/api/2.0/mlflow/model-versions/create", {"name": "m", "source": target}),
        ]:
            status, _headers, answer = _raw(canary["url"], "POST", path, json.dumps(body).encode())
            if SECRET.encode() in answer or status not in (400, 404):
                problems.append((path, target, status, answer[:200]))

    assert problems == []
    versions = Client(canary["url"]).search_model_versions("name = 'm'")
    assert [v.version for v in versions] == [1]


@pytest.mark.parametrize(
    "route",
    [
        "/api/v1/blobs/" + hashlib.sha256(HTML).hexdigest(),
        "/api/2.0/mlflow-artifacts/artifacts/{experiment}/{run}/artifacts/model/report.html",
        "/api/2.0/mlflow-artifacts/artifacts/_registered/m/1/report.html",
    ],
)
def test_an_html_artifact_is_served_as_an_attachment_never_as_a_page(canary, route):
    path = route.format(experiment=canary["experiment_id"], run=canary["run_id"])

    status, headers, body = _raw(canary["url"], "GET", path)

    headers = {k.lower(): v for k, v in headers.items()}
    assert (status, body) == (200, HTML)
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment")
    assert headers["x-content-type-options"] == "nosniff"
