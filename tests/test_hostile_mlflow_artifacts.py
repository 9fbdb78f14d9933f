"""The MLflow artifact routes take ``<experiment>/<run>/artifacts/…`` only with the run's own
experiment (#14 point 16): a path pairing a run with another experiment names nothing."""

from __future__ import annotations

import pytest

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def other(auth_server):
    """An experiment the callers hold every role on, which is not the world run's."""
    return auth_server.world().experiment_id


@pytest.mark.parametrize("user", ["reader", "admin"])
def test_a_download_with_another_experiment_in_the_path_is_not_found(
    auth_server, world, other, user
):
    with auth_server.http(user) as http:
        right = http.get(
            f"{ARTIFACTS}/{world.experiment_id}/{world.run_id}/artifacts/model/MLmodel"
        )
        wrong = http.get(f"{ARTIFACTS}/{other}/{world.run_id}/artifacts/model/MLmodel")

    assert right.status_code == 200
    assert wrong.status_code == 404


def test_a_listing_with_another_experiment_in_the_path_is_not_found(auth_server, world, other):
    with auth_server.http("reader") as http:
        wrong = http.get(ARTIFACTS, params={"path": f"{other}/{world.run_id}/artifacts"})

    assert wrong.status_code == 404


def test_an_upload_with_another_experiment_in_the_path_is_refused(auth_server, world, other):
    with auth_server.http("editor") as http:
        wrong = http.put(f"{ARTIFACTS}/{other}/{world.run_id}/artifacts/x.txt", content=b"x")

    assert wrong.status_code == 404
    assert "x.txt" not in auth_server.backend.artifacts.manifest(world.run_id)
