"""Permission checks read the request the route reads, whatever the Content-Type spelling.

The attack (#14 point 1): with ``Content-Type: application/JSON`` the check
skipped the body (it looked for a lower-case ``json``) while FastAPI parsed
it, so an editor of model A registered versions of A from a hidden model B,
from a run of B's experiment and with B as parent, and a user with a role on
experiment 0 created a run inside a hidden experiment. Checks now run on the
parsed request, and the registry re-checks a new version's references itself.
"""

from __future__ import annotations

import json

import pytest

from auth_fixtures import unique
from test_auth_matrix import CALLERS, MLFLOW, RANK, all_rows, request

ODD_JSON = ("application/JSON", "Application/Json", "application/vnd.modelreg+JSON")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _body_rows():
    return [
        row
        for row in all_rows()
        if row[0] in BODY_METHODS and isinstance(row[3], dict) and RANK[row[2]] >= 1
    ]


@pytest.fixture
def hidden(auth_server):
    """A world none of the test's users holds a role on: model B, its experiment and run."""
    return auth_server.world()


@pytest.fixture
def eve(auth_server, world):
    """A fresh user with ``edit`` on the world's model A and its experiment, and on
    experiment 0, and no role on anything else."""
    username = unique("eve")
    token = auth_server.backend.access.create_user(username).token
    auth_server.grant(username, "edit", model=world.model, experiment=world.experiment_id)
    auth_server.grant(username, "edit", experiment="0")
    auth_server.tokens[username] = token
    return username


def _post(auth_server, user, path, body, content_type):
    with auth_server.http(user) as http:
        return http.post(path, content=json.dumps(body), headers={"Content-Type": content_type})


def _refused(response) -> bool:
    """Refused as a request naming something that does not exist is (#14 point 10)."""
    return response.status_code == 404


@pytest.mark.parametrize("content_type", ODD_JSON)
def test_a_version_from_a_hidden_models_version_is_refused(
    auth_server, world, hidden, eve, content_type
):
    path = f"/api/v1/registered-models/{world.model}/versions"
    body = {"source": f"models:/{hidden.model}/1"}

    response = _post(auth_server, eve, path, body, content_type)

    assert _refused(response), response.text
    assert len(auth_server.admin_lib.search_model_versions(f"name = '{world.model}'")) == 1


@pytest.mark.parametrize("content_type", ODD_JSON)
def test_a_version_from_a_hidden_run_is_refused(auth_server, world, hidden, eve, content_type):
    path = f"/api/v1/registered-models/{world.model}/versions"

    response = _post(
        auth_server, eve, path, {"source": f"runs:/{hidden.run_id}/model"}, content_type
    )

    assert _refused(response), response.text


@pytest.mark.parametrize("content_type", ODD_JSON)
def test_a_hidden_parent_is_refused(auth_server, world, hidden, eve, content_type):
    path = f"/api/v1/registered-models/{world.model}/versions"
    body = {"source": f"runs:/{world.run_id}/model", "parent": [hidden.model, 1]}

    response = _post(auth_server, eve, path, body, content_type)

    assert _refused(response), response.text


@pytest.mark.parametrize("content_type", ODD_JSON)
def test_a_run_in_a_hidden_experiment_is_refused(auth_server, hidden, eve, content_type):
    response = _post(
        auth_server, eve, "/api/v1/runs", {"experiment_id": hidden.experiment_id}, content_type
    )

    assert _refused(response), response.text
    assert [r.info.run_id for r in auth_server.admin_lib.search_runs([hidden.experiment_id])] == [
        hidden.run_id
    ]


def test_a_run_is_checked_against_the_experiment_in_its_body(auth_server, hidden, eve):
    response = _post(
        auth_server,
        eve,
        "/api/v1/runs",
        {"experiment_id": hidden.experiment_id},
        "application/json",
    )

    assert _refused(response), response.text


@pytest.mark.parametrize("row", _body_rows(), ids=lambda row: f"{row[0]} {row[1]}")
def test_every_body_carrying_route_refuses_the_caller_below_its_level_in_any_json_spelling(
    auth_server, row
):
    method, route, level, params = row
    caller = CALLERS[RANK[level] - 1]
    world = auth_server.world()
    logged_model_id = ""
    if "{model_id}" in route:
        logged = auth_server.backend.logged_models.create_logged_model(world.experiment_id)
        logged_model_id = logged.model_id

    class OddJson:
        """An httpx client whose JSON requests say so in an odd spelling."""

        def __init__(self, http, content_type):
            self.http, self.content_type = http, content_type

        def request(self, method, path, content=None, headers=None, params=None):
            if headers is not None:
                headers = {"Content-Type": self.content_type}
            return self.http.request(method, path, content=content, headers=headers, params=params)

    statuses = {}
    for content_type in ODD_JSON:
        with auth_server.http(caller) as http:
            sent = request(
                OddJson(http, content_type), method, route, params, world, logged_model_id
            )
        statuses[content_type] = sent.status_code

    assert all(status in (403, 404) for status in statuses.values()), (route, statuses)


def test_the_registry_itself_refuses_a_source_its_caller_may_not_read(auth_server, world, hidden):
    """Whatever route calls it: the service checks a version's source, run and parent."""
    from modelreg.errors import NotFound
    from modelreg.services.principal import acting_principal

    username = unique("svc")
    access = auth_server.backend.access
    principal = access.authenticate(access.create_user(username).token)
    auth_server.grant(username, "edit", model=world.model)
    registry = auth_server.backend.registry

    with acting_principal(principal):
        for kwargs in (
            {"source": f"models:/{hidden.model}/1"},
            {"source": f"runs:/{hidden.run_id}/model"},
            {"source": f"models:/{world.model}/1", "run_id": hidden.run_id},
            {"source": f"runs:/{world.run_id}/model", "parent": (hidden.model, 1)},
        ):
            with pytest.raises(NotFound):
                registry.create_model_version(world.model, **kwargs)


def test_mlflow_endpoints_are_checked_on_the_parameters_their_handler_reads(
    auth_server, hidden, eve
):
    response = _post(
        auth_server,
        eve,
        MLFLOW + "/runs/create",
        {"experiment_id": hidden.experiment_id},
        "Application/Json",
    )

    assert _refused(response), response.text
