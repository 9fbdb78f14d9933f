"""Experiment artifact locations are chosen by the server, unless an admin chooses them;
a server without auth has no admin."""

from __future__ import annotations

import pytest

from auth_fixtures import unique
from modelreg.errors import PermissionDenied


def test_a_user_may_not_choose_an_artifact_location_over_the_server(auth_server):
    name = unique("e")

    with pytest.raises(PermissionDenied, match="artifact_location"):
        auth_server.client("editor").create_experiment(name, artifact_location="/etc")

    assert auth_server.admin_lib.get_experiment_by_name(name) is None


def test_the_server_chooses_the_location_when_none_is_given(auth_server):
    experiment_id = auth_server.client("editor").create_experiment(unique("e"))

    location = auth_server.admin_lib.get_experiment(experiment_id).artifact_location
    assert location == f"modelreg-artifacts:/{experiment_id}"


def test_an_admin_may_choose_an_artifact_location(auth_server):
    client = auth_server.client("admin")

    experiment_id = client.create_experiment(unique("e"), artifact_location="s3://team/e")

    assert client.get_experiment(experiment_id).artifact_location == "s3://team/e"


def test_the_mlflow_api_refuses_a_users_artifact_location_too(auth_server):
    body = {"name": unique("e"), "artifact_location": "file:///etc"}

    with auth_server.http("editor") as http:
        response = http.post("/api/2.0/mlflow/experiments/create", json=body)

    assert response.status_code == 403


def test_a_server_without_auth_chooses_locations_itself(live_server):
    import modelreg

    with pytest.raises(PermissionDenied, match="without --auth"):
        modelreg.Client(live_server).create_experiment(unique("e"), artifact_location="/tmp/x")


def test_a_server_without_auth_refuses_user_management(live_server):
    import modelreg

    with pytest.raises(PermissionDenied, match="--auth"):
        modelreg.Client(live_server).create_user(unique("u"), is_admin=True)


def test_embedded_use_still_chooses_any_location(tmp_path):
    import modelreg

    client = modelreg.Client(str(tmp_path / "store"))

    experiment_id = client.create_experiment("e", artifact_location="s3://bucket/e")

    assert client.get_experiment(experiment_id).artifact_location == "s3://bucket/e"
