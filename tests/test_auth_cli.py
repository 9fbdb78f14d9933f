"""``modelreg users``, ``tokens`` and ``permissions``: administration on the database itself."""

from __future__ import annotations

import json

import httpx
import pytest
from click.testing import CliRunner

from conftest import server_env, start_server, stop_server
from modelreg.cli import cli
from modelreg.errors import Unauthenticated
from modelreg.store.database import Database


@pytest.fixture
def db(tmp_path, monkeypatch):
    """An empty, migrated database that the commands find through the environment."""
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    Database.shared(url).ensure_schema(upgrade=True)
    monkeypatch.setenv("MODELREG_BACKEND_STORE_URI", url)
    return url


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _access(db):
    from modelreg.services.access import AccessService

    return AccessService(Database.shared(db))


def test_users_create_prints_the_token_alone_on_stdout_once(db):
    result = run("users", "create", "alice", "--admin")

    token = result.stdout.strip()
    assert result.exit_code == 0 and token.startswith("mrg_") and "\n" not in token
    assert "not shown again" in result.stderr
    assert _access(db).authenticate(token).username == "alice"


def test_users_create_makes_an_admin_only_when_asked(db):
    run("users", "create", "alice", "--admin")
    run("users", "create", "bob")

    users = json.loads(run("users", "list", "--json").stdout)

    assert [(u["username"], u["is_admin"]) for u in users] == [("alice", True), ("bob", False)]


def test_users_create_twice_is_refused(db):
    run("users", "create", "alice")

    result = run("users", "create", "alice")

    assert result.exit_code == 1 and "exists already" in result.stderr


def test_users_update_disables_a_user(db):
    token = run("users", "create", "bob").stdout.strip()

    run("users", "update", "bob", "--disable")

    with pytest.raises(Unauthenticated, match="disabled"):
        _access(db).authenticate(token)


def test_tokens_create_list_and_revoke(db):
    run("users", "create", "bob")
    token = run("tokens", "create", "bob", "--name", "ci", "--expires-in-days", "7").stdout
    listed = json.loads(run("tokens", "list", "bob", "--json").stdout)

    result = run("tokens", "revoke", str(listed[1]["token_id"]))

    assert [t["name"] for t in listed] == ["default", "ci"] and listed[1]["expiry_time"]
    assert result.exit_code == 0
    assert token.strip() not in run("tokens", "list").stdout
    assert json.loads(run("tokens", "list", "bob", "--json").stdout)[1]["revoked_time"]


def test_permissions_grant_list_and_revoke_on_a_model(db):
    import modelreg

    modelreg.Client(db).create_registered_model("fraud")
    run("users", "create", "bob")

    run("permissions", "grant", "bob", "edit", "--model", "fraud")
    granted = json.loads(run("permissions", "list", "--model", "fraud", "--json").stdout)
    run("permissions", "revoke", "bob", "--model", "fraud")

    assert granted == [
        {"resource_type": "model", "resource": "fraud", "username": "bob", "role": "edit"}
    ]
    assert json.loads(run("permissions", "list", "--user", "bob", "--json").stdout) == []


def test_permissions_grant_on_an_experiment(db):
    import modelreg

    experiment_id = modelreg.Client(db).create_experiment("churn")
    run("users", "create", "bob")

    run("permissions", "grant", "bob", "read", "--experiment", experiment_id)

    assert "churn" not in run("permissions", "list", "--user", "bob").stdout
    assert _access(db).list_user_permissions("bob")[0].resource == experiment_id


def test_permissions_need_exactly_one_resource(db):
    result = run("permissions", "grant", "bob", "read")

    assert result.exit_code == 2 and "exactly one" in result.stderr


def test_a_token_made_by_the_cli_works_against_the_server(db, tmp_path):
    token = run("users", "create", "root", "--admin").stdout.strip()
    artifacts = str(tmp_path / "artifacts")
    process, url = start_server(db, artifacts, env=server_env(), extra_args=["--auth"])
    try:
        response = httpx.get(f"{url}/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    finally:
        stop_server(process)

    assert response.json()["username"] == "root"


def test_the_first_admin_comes_before_the_default_store_exists_and_signs_in_to_its_server(
    tmp_path, monkeypatch
):
    for name in ("MODELREG_TRACKING_URI", "MODELREG_BACKEND_STORE_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    token = run("users", "create", "root", "--admin").stdout.strip()
    process, url = start_server(None, None, env=server_env(), extra_args=["--auth"], cwd=tmp_path)
    try:
        response = httpx.get(f"{url}/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    finally:
        stop_server(process)

    assert response.json()["username"] == "root"


def test_a_named_database_without_a_schema_is_refused_and_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELREG_BACKEND_STORE_URI", f"sqlite:///{tmp_path / 'new.db'}")

    result = CliRunner().invoke(cli, ["users", "create", "root"])

    assert result.exit_code == 1 and "modelreg db upgrade" in result.stderr
    assert Database(f"sqlite:///{tmp_path / 'new.db'}").current_revision() is None
