"""Oversized input: bodies over the limit are 413, fields over theirs 400, page sizes capped."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conftest import reset_postgres
from modelreg.entities import Param
from modelreg.errors import InvalidArgument, PayloadTooLarge
from modelreg.server.middleware import MAX_JSON_BODY
from modelreg.store.filter_sql import MAX_RESULTS_CAP, check_max_results

OVER = MAX_JSON_BODY + 1024


@pytest.fixture
def server(live_server: str, pg_url: str) -> str:
    reset_postgres(pg_url)
    return live_server


def _big_json() -> bytes:
    return b'{"name": "' + b"x" * OVER + b'"}'


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), 1 << 20):
        yield data[start : start + (1 << 20)]


@pytest.mark.parametrize(
    "path", ["/api/v1/registered-models", "/api/2.0/mlflow/registered-models/create"]
)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_however_it_is_sent(server, path, framing):
    body = _big_json()
    content = body if framing == "content-length" else _chunks(body)

    response = httpx.post(
        server + path, content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{server}/api/v1/registered-models").json()["items"] == []


def test_the_remote_client_reports_an_oversized_request_as_payload_too_large(server):
    from modelreg import Client

    with pytest.raises(PayloadTooLarge):
        Client(server).log_batch(
            Client(server).create_run("0").info.run_id,
            params=[Param(f"p{i}", "v" * 5000) for i in range(4000)],
        )


def test_artifact_uploads_stream_past_the_json_limit(server):
    import hashlib

    data = b"\x00" * OVER

    response = httpx.put(
        f"{server}/api/v1/blobs/{hashlib.sha256(data).hexdigest()}", content=_chunks(data)
    )

    assert response.status_code == 201


def _run(c):
    return c.create_run("0").info.run_id


OVERSIZED_FIELDS = {
    "model name": (lambda c: c.create_registered_model("m" * 257), "257"),
    "experiment name": (lambda c: c.create_experiment("e" * 257), "257"),
    "description": (lambda c: c.create_registered_model("m", description="d" * 100_001), "100001"),
    "run tag value": (lambda c: c.set_tag(_run(c), "k", "v" * 8001), "8001"),
    "experiment tag value": (lambda c: c.create_experiment("e", tags={"k": "v" * 20_001}), "20001"),
    "model tag value": (
        lambda c: c.create_registered_model("m", tags={"k": "v" * 100_001}),
        "100001",
    ),
    "param value": (lambda c: c.log_param(_run(c), "p", "v" * 6001), "6001"),
    "key": (lambda c: c.log_param(_run(c), "k" * 251, "v"), "251"),
    "artifact path": (lambda c: c.log_text(_run(c), "x", "a/" * 2049), "limit"),
    "source": (lambda c: c.create_model_version("m", "runs:/" + "a" * 5000), "limit"),
    "batch": (
        lambda c: c.log_batch(_run(c), params=[Param(f"p{i}", "v") for i in range(10_001)]),
        "10000",
    ),
}


def test_every_oversized_field_is_refused_naming_the_limit(client):
    wrong = {}
    for field, (call, limit) in OVERSIZED_FIELDS.items():
        try:
            call(client)
            wrong[field] = "accepted"
        except InvalidArgument as exc:
            if limit not in exc.message:
                wrong[field] = exc.message

    assert wrong == {}


def test_tag_values_up_to_mlflow_limits_are_kept_whole(client):
    # MLflow's limits, which its clients rely on: a prompt's template is a version tag.
    run_id = _run(client)
    client.set_tag(run_id, "k", "r" * 8000)
    experiment_id = client.create_experiment("notes", tags={"k": "e" * 20_000})
    client.create_registered_model("m", tags={"k": "m" * 100_000})
    client.create_model_version("m", f"runs:/{run_id}/model", tags={"k": "v" * 100_000})

    assert client.get_run(run_id).data.tags["k"] == "r" * 8000
    assert client.get_experiment(experiment_id).tags["k"] == "e" * 20_000
    assert client.get_registered_model("m").tags["k"] == "m" * 100_000
    assert client.get_model_version("m", 1).tags["k"] == "v" * 100_000


def test_an_oversized_name_through_the_mlflow_api_is_400(server):
    response = httpx.post(
        f"{server}/api/2.0/mlflow/registered-models/create", json={"name": "m" * 257}
    )

    assert response.status_code == 400
    assert "257" in response.json()["message"]


def test_a_huge_page_size_is_capped_not_refused():
    assert check_max_results(10**30, 100) == MAX_RESULTS_CAP


def test_huge_max_results_are_served_capped_by_every_search(client):
    client.create_registered_model("m")
    run_id = client.create_run("0").info.run_id
    client.create_model_version("m", f"runs:/{run_id}/model")
    huge = 10**18

    assert len(client.search_registered_models(max_results=huge)) == 1
    assert len(client.search_model_versions("name = 'm'", max_results=huge)) == 1
    assert len(client.search_experiments(max_results=huge)) == 1
    assert len(client.search_runs(["0"], max_results=huge)) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/registered-models?max_results=1000000000000000000000",
        "/api/v1/model-versions?max_results=1000000000000000000000",
        "/api/v1/experiments?max_results=1000000000000000000000",
    ],
)
def test_huge_max_results_over_http_are_served_capped(server, url):
    response = httpx.get(server + url)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "url",
    [
        "/api/2.0/mlflow/registered-models/search?max_results=1000000000000000000000",
        "/api/2.0/mlflow/model-versions/search?max_results=1000000000000000000000",
    ],
)
def test_huge_max_results_on_the_mlflow_api_are_refused_naming_the_limit(server, url):
    # As MLflow's own server answers (tests/compat pins it): a 400, not a capped page.
    response = httpx.get(server + url)

    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "max_results" in response.json()["message"]
