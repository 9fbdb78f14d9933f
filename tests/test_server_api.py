"""The server's HTTP surface: health, metrics, OpenAPI, error bodies, headers, blobs."""

import hashlib
import subprocess
import sys

import httpx
import pytest

from conftest import reset_postgres, server_env, start_server, stop_server
from fresh_databases import migrate_to
from modelreg import Client


@pytest.fixture
def server(live_server, pg_url):
    reset_postgres(pg_url)
    with httpx.Client(base_url=live_server) as http:
        yield http


def test_health_answers_ok_when_the_database_answers(server):
    response = server.get("/health")

    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_metrics_count_requests_by_route_and_status(server):
    server.get("/api/v1/experiments/0")

    text = server.get("/metrics").text

    assert 'route="/api/v1/experiments/{experiment_id}"' in text
    assert "modelreg_http_request_duration_seconds_bucket" in text


def test_openapi_document_lists_every_route(server):
    paths = server.get("/api/v1/openapi.json").json()["paths"]

    assert "/api/v1/runs/{run_id}/batch" in paths
    assert "/api/v1/registered-models/{name}/versions/{version}/stage" in paths
    assert "/api/v1/blobs/{digest}" in paths


def test_not_found_is_a_json_error_with_code_and_status(server):
    response = server.get("/api/v1/registered-models/nope")

    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "nope" in response.json()["message"]


def test_duplicate_is_409(server):
    server.post("/api/v1/registered-models", json={"name": "dup"})

    response = server.post("/api/v1/registered-models", json={"name": "dup"})

    assert response.status_code == 409
    assert response.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"


def test_malformed_body_is_400_naming_the_field_not_a_pydantic_dump(server):
    response = server.post("/api/v1/runs/abc/batch", json={"metrics": [{"key": "m"}]})

    body = response.json()
    assert response.status_code == 400
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "metrics.0.value" in body["message"]
    assert "detail" not in body


def test_unknown_body_fields_are_refused(server):
    response = server.post("/api/v1/experiments", json={"name": "x", "colour": "red"})

    assert response.status_code == 400 and "colour" in response.json()["message"]


def test_oversized_body_is_413(server):
    response = server.post(
        "/api/v1/experiments",
        content=b"{" + b" " * (17 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"


def test_unknown_route_is_a_json_404(server):
    response = server.get("/api/v1/nothing-here")

    assert response.status_code == 404 and response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_every_response_says_nosniff(server):
    assert server.get("/health").headers["x-content-type-options"] == "nosniff"
    assert server.get("/api/v1/nope").headers["x-content-type-options"] == "nosniff"


def test_blob_upload_is_checked_against_its_digest(server):
    data = b"some bytes"
    wrong = hashlib.sha256(b"other bytes").hexdigest()

    response = server.put(f"/api/v1/blobs/{wrong}", content=data)

    assert response.status_code == 400 and "hash to" in response.json()["message"]
    assert server.head(f"/api/v1/blobs/{wrong}").status_code == 404


def test_blob_download_honours_range_requests(server):
    data = bytes(range(256)) * 64
    digest = hashlib.sha256(data).hexdigest()
    server.put(f"/api/v1/blobs/{digest}", content=data)

    response = server.get(f"/api/v1/blobs/{digest}", headers={"Range": "bytes=100-199"})

    assert response.status_code == 206
    assert response.content == data[100:200]
    assert response.headers["content-disposition"].startswith("attachment")


def test_malformed_digest_is_refused(server):
    response = server.get("/api/v1/blobs/..%2F..%2Fetc%2Fpasswd")

    assert response.status_code in (400, 404)
    assert "root:" not in response.text


def test_server_refuses_to_start_on_an_unmigrated_database(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelreg",
            "server",
            "--port",
            "0",
            "--backend-store-uri",
            f"sqlite:///{tmp_path}/fresh.db",
            "--artifacts-uri",
            str(tmp_path / "artifacts"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "modelreg db upgrade" in result.stderr
    assert "or start the server with --upgrade" in result.stderr


def test_a_server_without_a_store_creates_the_embedded_one_in_its_folder(tmp_path):
    process, url = start_server(None, None, env=server_env(), cwd=tmp_path)
    try:
        Client(url).create_registered_model("fraud")
    finally:
        stop_server(process)

    here = Client(str(tmp_path / ".modelreg"))
    assert [m.name for m in here.search_registered_models()] == ["fraud"]


def test_a_tracking_uri_naming_a_server_leaves_the_server_on_its_default_store(tmp_path):
    env = {**server_env(), "MODELREG_TRACKING_URI": "http://127.0.0.1:9"}
    process, url = start_server(None, None, env=env, cwd=tmp_path)
    try:
        Client(url).create_registered_model("fraud")
    finally:
        stop_server(process)

    assert (tmp_path / ".modelreg" / "registry.db").is_file()


def test_a_default_store_an_older_modelreg_left_is_refused_with_the_command_to_migrate_it(
    tmp_path,
):
    db_url = f"sqlite:///{tmp_path / '.modelreg' / 'registry.db'}"
    (tmp_path / ".modelreg").mkdir()
    migrate_to(db_url, "0019")

    result = subprocess.run(
        [sys.executable, "-m", "modelreg", "server", "--port", "0"],
        cwd=tmp_path,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert f"`modelreg db upgrade --backend-store-uri {db_url}`" in result.stderr


def test_openapi_document_lists_every_operation_of_the_table(server):
    from modelreg.api.operations import API_PREFIX, OPERATIONS

    paths = server.get("/api/v1/openapi.json").json()["paths"]

    missing = [
        op.name
        for op in OPERATIONS
        if op.http_method.lower() not in paths.get(API_PREFIX + op.plain_path, {})
    ]
    assert missing == []


def test_a_path_that_only_starts_like_a_resource_is_not_routed_to_it(server):
    response = server.get("/api/v1/runsx/abc")

    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_every_route_runs_its_blocking_work_in_a_worker_thread(tmp_path):
    """One slow database answer must not stall the event loop (and every other request)."""
    import inspect

    from modelreg.backend import EmbeddedBackend
    from modelreg.server.app import create_app
    from modelreg.server.guard import iter_routes

    backend = EmbeddedBackend(f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "artifacts"))
    routes = {route.name: route for route in iter_routes(create_app(backend).routes)}

    # Routes that take a body may receive it on the loop (and hand the work to a worker
    # thread); a read has nothing to receive, so none may run on the loop.
    on_loop = sorted(
        n
        for n, r in routes.items()
        if inspect.iscoroutinefunction(inspect.unwrap(r.endpoint))
        and set(getattr(r, "methods", None) or ()) & {"GET", "HEAD"}
        and n != "mlflow_api"  # parses the body on the loop, then a worker thread
    )
    assert on_loop == []


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/api/v1/registered-models/m/scoring-weights", {"weights": {"acc": True}}, "acc"),
        ("PUT", "/api/v1/runs/abc/lease", {"seconds": True}, "seconds"),
        ("POST", "/api/v1/registered-models/m/compare", {"weights": {"acc": False}}, "acc"),
    ],
)
def test_a_boolean_where_a_number_belongs_is_400_naming_the_field(
    server, method, path, body, field
):
    response = server.request(method, path, json=body)

    assert response.status_code == 400
    assert field in response.json()["message"]


def test_a_json_integer_is_still_a_valid_float(server):
    response = server.put("/api/v1/runs/abc/lease", json={"seconds": 30})

    # Past the edge: the run does not exist.
    assert response.status_code == 404


def test_the_docs_page_says_what_each_operation_needs(server):
    import re

    page = server.get("/api/v1/docs").text

    sections = re.findall(r'<section class="operation card".*?</section>', page, re.DOTALL)
    without = [
        re.search(r"<h3><code>(.*?)</code>", s).group(1) for s in sections if "Needs:" not in s
    ]
    assert len(sections) > 100
    assert without == []


@pytest.mark.parametrize("option", ["--default-artifact-root", "--artifacts-destination"])
def test_mlflows_name_for_the_artifact_store_works_on_the_command_line(tmp_path, option):
    folder = tmp_path / "mlflow-style-artifacts"
    process, url = start_server(
        None, None, env=server_env(), cwd=tmp_path, extra_args=["--upgrade", option, str(folder)]
    )
    try:
        client = Client(url)
        run_id = client.create_run("0").info.run_id
        client.log_text(run_id, "hello", "note.txt")
    finally:
        stop_server(process)

    assert any(p.is_file() for p in folder.rglob("*"))
