"""The scoring app in-process (Starlette's TestClient) on an embedded store: endpoints,
headers, errors, webhook signatures, and what a check of the registry does.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from starlette.testclient import TestClient

import modelreg
from conftest import fresh_sqlite_store
from modelreg.serving.app import SEMVER_HEADER, VERSION_HEADER, create_app
from modelreg.serving.fastpath import array_predictor
from modelreg.serving.follow import Follower
from modelreg.webhooks import SIGNATURE_HEADER, sign
from serve_fixtures import ROW, log_broken, log_constant

SECRET = "app-secret"


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> modelreg.Client:
    fresh_sqlite_store(request, tmp_path)
    client = modelreg.Client(str(tmp_path / "store"))
    client.create_registered_model("m")
    log_constant(client, "m", 1.0)
    client.set_registered_model_alias("m", "champion", 1)
    return client


def app_for(client, uri: str = "models:/m@champion", **kwargs) -> tuple[TestClient, Follower]:
    follower = Follower(uri, client, poll_interval=3600, **kwargs)
    follower.load_initial()
    return TestClient(create_app(follower, webhook_secret=SECRET)), follower


def test_invocations_answer_with_predictions_and_the_version_headers(store):
    http, _ = app_for(store)

    response = http.post("/invocations", json=ROW)

    assert response.json() == {"predictions": [1.0]}
    assert (response.headers[VERSION_HEADER], response.headers[SEMVER_HEADER]) == ("1", "1.0.0")


def test_a_missing_column_is_a_400_naming_it(store):
    http, _ = app_for(store)

    response = http.post("/invocations", json={"dataframe_records": [{"a": 1.0}]})

    assert response.status_code == 400
    assert response.json()["message"].startswith("input column 'b' missing")
    assert response.headers[VERSION_HEADER] == "1"


def test_csv_is_accepted(store):
    http, _ = app_for(store)

    response = http.post(
        "/invocations", content=b"a,b\n1,2\n3,4\n", headers={"Content-Type": "text/csv"}
    )

    assert response.json() == {"predictions": [1.0, 1.0]}


def test_ping_health_and_version_say_what_serves(store):
    http, _ = app_for(store)

    version = http.get("/version").json()
    health = http.get("/health").json()

    assert http.get("/ping").status_code == 200
    assert (version["name"], version["version"], version["semver"]) == ("m", 1, "1.0.0")
    assert version["digest"] == store.get_model_version("m", 1).content_digest
    assert health["serving"]["version"] == 1 and health["refused"] is None


def test_metrics_count_requests_errors_and_the_version(store):
    http, _ = app_for(store)
    http.post("/invocations", json=ROW)
    http.post("/invocations", json={"inputs": "nonsense"})

    text = http.get("/metrics").text

    assert 'modelreg_serve_requests_total{endpoint="invocations",status="200"}' in text
    assert 'modelreg_serve_errors_total{kind="input"}' in text
    assert "modelreg_serve_model_version 1.0" in text
    assert "modelreg_serve_request_duration_seconds_bucket" in text


def test_a_check_after_the_alias_moved_swaps_in_the_new_version(store):
    log_constant(store, "m", 2.0)
    http, follower = app_for(store)

    store.set_registered_model_alias("m", "champion", 2)
    follower.check()

    response = http.post("/invocations", json=ROW)
    assert response.json() == {"predictions": [2.0]}
    assert response.headers[VERSION_HEADER] == "2"


def test_a_version_without_files_is_refused_and_reported(store):
    run_id = store.create_run("0").info.run_id
    store.create_model_version("m", f"runs:/{run_id}/model")
    http, follower = app_for(store)

    store.set_registered_model_alias("m", "champion", 2)
    follower.check()

    refused = http.get("/health").json()["refused"]
    assert (refused["version"], refused["error"].split(":")[0]) == (2, "NotFound")
    assert http.post("/invocations", json=ROW).headers[VERSION_HEADER] == "1"


def test_a_refused_version_is_not_loaded_again_until_the_uri_moves(store):
    broken = log_broken(store, "m")
    _, follower = app_for(store)
    store.set_registered_model_alias("m", "champion", broken.version)
    follower.check()
    first = follower.refused

    follower.check()

    assert follower.refused is first


def test_moving_back_to_the_serving_version_clears_the_refusal(store):
    broken = log_broken(store, "m")
    _, follower = app_for(store)
    store.set_registered_model_alias("m", "champion", broken.version)
    follower.check()

    store.set_registered_model_alias("m", "champion", 1)
    follower.check()

    assert follower.refused is None and follower.current.version == 1


def test_a_registry_error_keeps_the_version_serving_and_shows_on_health(store):
    http, follower = app_for(store)

    store.delete_registered_model_alias("m", "champion")
    follower.check()

    health = http.get("/health").json()
    assert health["registry_error"].startswith("NotFound")
    assert http.post("/invocations", json=ROW).status_code == 200


def test_a_signed_webhook_for_the_model_makes_the_server_look(store):
    http, follower = app_for(store)
    body = json.dumps({"event": "model_version.alias_set", "model_name": "m"}).encode()

    response = http.post("/webhook", content=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})

    assert response.json() == {"status": "checking"}
    assert follower._wake.is_set()


def test_a_webhook_with_a_bad_signature_is_refused(store):
    http, follower = app_for(store)
    body = b'{"model_name": "m"}'

    response = http.post("/webhook", content=body, headers={SIGNATURE_HEADER: sign("guess", body)})

    assert response.status_code == 401
    assert not follower._wake.is_set()


def test_a_webhook_for_another_model_is_ignored(store):
    http, follower = app_for(store)
    body = b'{"model_name": "other"}'

    response = http.post("/webhook", content=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})

    assert response.json() == {"status": "ignored"} and not follower._wake.is_set()


def test_without_a_secret_the_webhook_endpoint_is_not_there(store):
    follower = Follower("models:/m@champion", store, pin=True)
    follower.load_initial()

    response = TestClient(create_app(follower)).post("/webhook", content=b"{}")

    assert response.status_code == 404


def test_a_body_over_the_limit_is_refused_with_413(store, monkeypatch):
    monkeypatch.setattr("modelreg.serving.app.MAX_BODY_BYTES", 100)
    http, _ = app_for(store)

    response = http.post("/invocations", content=b"x" * 101, headers={"Content-Type": "text/csv"})

    assert response.status_code == 413


def test_the_array_path_predicts_what_the_dataframe_path_predicts(tmp_path: Path):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.rand(50, 3), columns=["x", "y", "z"])
    X["n"] = rng.randint(0, 5, 50)
    model = LogisticRegression().fit(X, (X["x"] > 0.5).astype(int))
    client = modelreg.Client(str(tmp_path / "store"))
    client.create_registered_model("lr")
    run_id = client.create_run("0").info.run_id
    modelreg.log_model(
        model, "model", input_example=X.head(), registered_model_name="lr", run_id=run_id,
        client=client,
    )  # fmt: skip
    loaded = modelreg.load_model("models:/lr/1", client=client)
    fast = array_predictor(loaded)
    payload = {"dataframe_split": {"columns": list(X.columns), "data": X.to_numpy().tolist()}}

    assert fast is not None
    np.testing.assert_array_equal(fast.predict(fast.rows(payload)), model.predict(X))


def test_the_array_path_leaves_values_to_convert_to_the_general_path(store):
    loaded = modelreg.load_model("models:/m/1", client=store)
    fast = array_predictor(loaded)

    assert fast is not None
    assert fast.rows({"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"]]}}) is None
    assert fast.rows({"dataframe_split": {"columns": ["b", "a"], "data": [[1, 2]]}}) is None
