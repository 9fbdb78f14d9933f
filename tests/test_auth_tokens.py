"""API tokens: bearer and basic auth, shown once and stored hashed, expiry, revocation,
last use, disabled users; the audit actor is the authenticated user."""

from __future__ import annotations

import base64
import hashlib

import pytest
import sqlalchemy as sa

from auth_fixtures import unique


def _basic(username: str, token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()}


def _whoami(auth_server, headers):
    with auth_server.http() as http:
        return http.get("/api/v1/whoami", headers=headers)


def _user_with_token(auth_server, **kwargs):
    username = unique("u")
    token = auth_server.backend.access.create_user(username, **kwargs).token
    return username, token


def test_a_bearer_token_authenticates_its_user(auth_server):
    response = _whoami(auth_server, {"Authorization": f"Bearer {auth_server.tokens['editor']}"})

    assert response.status_code == 200 and response.json()["username"] == "editor"


def test_basic_auth_takes_the_token_as_password(auth_server):
    response = _whoami(auth_server, _basic("editor", auth_server.tokens["editor"]))

    assert response.status_code == 200 and response.json()["username"] == "editor"


def test_basic_auth_naming_another_user_than_the_tokens_owner_is_401(auth_server):
    response = _whoami(auth_server, _basic("admin", auth_server.tokens["editor"]))

    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer mrg_not-a-real-token", "Bearer not-even-shaped", "Token abc", "Basic %%%"],
    ids=["unknown", "malformed", "other-scheme", "bad-base64"],
)
def test_bad_credentials_are_401(auth_server, header):
    response = _whoami(auth_server, {"Authorization": header})

    assert response.status_code == 401 and response.json()["error_code"] == "UNAUTHENTICATED"


def test_a_revoked_token_stops_working_at_once(auth_server):
    username, token = _user_with_token(auth_server)
    token_id = auth_server.backend.access.list_user_tokens(username)[0].token_id

    auth_server.backend.access.revoke_token(token_id)

    response = _whoami(auth_server, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "revoked" in response.json()["message"]


def test_an_expired_token_is_401(auth_server):
    username, _ = _user_with_token(auth_server)
    new = auth_server.backend.access.create_user_token(username, "short", expires_in_days=1)
    engine = sa.create_engine(auth_server.db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE api_tokens SET expiry_time = 1 WHERE token_id = :id"),
            {"id": new.info.token_id},
        )
    engine.dispose()

    response = _whoami(auth_server, {"Authorization": f"Bearer {new.token}"})

    assert response.status_code == 401 and "expired" in response.json()["message"]


def test_a_disabled_users_tokens_stop_working(auth_server):
    username, token = _user_with_token(auth_server)

    auth_server.backend.access.update_user(username, disabled=True)

    assert _whoami(auth_server, {"Authorization": f"Bearer {token}"}).status_code == 401


def test_only_the_tokens_hash_is_stored(auth_server):
    username, token = _user_with_token(auth_server)
    engine = sa.create_engine(auth_server.db_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash, prefix FROM api_tokens")).all()
    engine.dispose()

    assert (hashlib.sha256(token.encode()).hexdigest(), token[:12]) in stored
    assert all(token not in row for row in stored)


def test_tokens_are_long_random_and_distinct(auth_server):
    access = auth_server.backend.access
    username, first = _user_with_token(auth_server)

    second = access.create_user_token(username, "second").token

    assert first != second
    assert first.startswith("mrg_") and len(first) >= 40


def test_using_a_token_records_when(auth_server):
    username, token = _user_with_token(auth_server)

    _whoami(auth_server, {"Authorization": f"Bearer {token}"})

    assert auth_server.backend.access.list_user_tokens(username)[0].last_used_time is not None


def test_the_audit_actor_is_the_authenticated_user_not_the_claimed_one(auth_server, world):
    with auth_server.http("editor") as http:
        http.put(
            f"/api/v1/registered-models/{world.model}/tags/team",
            json={"value": "risk"},
            headers={"X-Modelreg-User": "someone-else"},
        )

    events = auth_server.admin_lib.get_history(world.model)
    assert events[-1].action == "set_registered_model_tag" and events[-1].actor == "editor"


def test_the_remote_client_sends_the_token_from_the_environment(auth_server, monkeypatch):
    import modelreg

    monkeypatch.setenv("MODELREG_TRACKING_TOKEN", auth_server.tokens["reader"])

    assert modelreg.Client(auth_server.url).whoami().username == "reader"


def test_the_remote_client_speaks_basic_auth_when_given_a_username(auth_server, monkeypatch):
    import modelreg

    monkeypatch.setenv("MODELREG_TRACKING_TOKEN", auth_server.tokens["manager"])
    monkeypatch.setenv("MODELREG_TRACKING_USERNAME", "manager")

    assert modelreg.Client(auth_server.url).whoami().username == "manager"


def test_the_remote_client_without_a_token_is_refused_with_unauthenticated(auth_server):
    import modelreg
    from modelreg.errors import Unauthenticated

    with pytest.raises(Unauthenticated):
        modelreg.Client(auth_server.url).search_registered_models()


def test_a_user_creates_and_revokes_their_own_tokens(auth_server):
    username, token = _user_with_token(auth_server)
    auth_server.tokens[username] = token
    client = auth_server.client(username)

    new = client.create_token("laptop", expires_in_days=30)
    client.revoke_token(new.info.token_id)

    assert [t.name for t in client.list_tokens()] == ["default", "laptop"]
    assert client.list_tokens()[1].revoked_time is not None


def test_a_user_may_not_revoke_someone_elses_token(auth_server, world):
    from modelreg.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        auth_server.client("editor").revoke_token(world.victim_token_id)


def test_an_admin_creates_users_over_the_api_and_their_token_works(auth_server):
    username = unique("api-user")

    new = auth_server.client("admin").create_user(username)

    assert _whoami(auth_server, {"Authorization": f"Bearer {new.token}"}).json()["username"] == (
        username
    )
