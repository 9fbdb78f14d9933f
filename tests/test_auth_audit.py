"""The audit trail beyond models: users, API tokens, experiment roles and admin-chosen
artifact locations are audited in the transaction of the change, with the authenticated
caller as actor and never a token or its hash; only admins read the whole trail."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from auth_fixtures import unique
from modelreg.errors import InvalidArgument, PermissionDenied


def _events(auth_server, entity_type, entity_id):
    found = auth_server.client("admin").get_audit_events(entity_type, entity_id)
    return [(e.actor, e.action, e.before, e.after) for e in found]


def _new_user(auth_server, **kwargs):
    username = unique("u")
    auth_server.tokens[username] = auth_server.client("admin").create_user(username, **kwargs).token
    return username


def test_creating_a_user_records_the_admin_the_user_and_the_first_token(auth_server):
    username = _new_user(auth_server)
    token = auth_server.backend.access.list_user_tokens(username)[0]

    assert _events(auth_server, "user", username) == [
        ("admin", "create_user", None, {"username": username, "is_admin": False}),
    ]
    assert _events(auth_server, "token", str(token.token_id)) == [
        (
            "admin",
            "create_token",
            None,
            {
                "token_id": token.token_id,
                "name": "default",
                "username": username,
                "expiry_time": None,
            },
        ),
    ]


def test_making_a_user_admin_and_disabling_them_records_what_changed(auth_server):
    username = _new_user(auth_server)
    admin = auth_server.client("admin")

    admin.update_user(username, is_admin=True)
    admin.update_user(username, is_admin=True, disabled=True)

    assert _events(auth_server, "user", username)[1:] == [
        ("admin", "update_user", {"is_admin": False}, {"is_admin": True}),
        ("admin", "update_user", {"disabled": False}, {"disabled": True}),
    ]


def test_a_change_that_changes_nothing_records_nothing(auth_server):
    username = _new_user(auth_server)

    auth_server.client("admin").update_user(username, is_admin=False, disabled=False)

    assert [action for _, action, _, _ in _events(auth_server, "user", username)] == ["create_user"]


def test_a_user_creating_and_revoking_their_own_token_is_its_actor(auth_server):
    username = _new_user(auth_server)
    client = auth_server.client(username)

    token_id = client.create_token("laptop", expires_in_days=1).info.token_id
    client.revoke_token(token_id)
    client.revoke_token(token_id)  # harmless, and not a second event

    events = _events(auth_server, "token", str(token_id))
    assert [(actor, action) for actor, action, _, _ in events] == [
        (username, "create_token"),
        (username, "revoke_token"),
    ]
    before, after = events[1][2:]
    assert before["revoked_time"] is None and after["revoked_time"] is not None
    assert after["name"] == "laptop" and after["username"] == username


def test_an_admin_revoking_someone_elses_token_is_recorded_as_the_admin(auth_server, world):
    auth_server.client("admin").revoke_token(world.victim_token_id)

    [(actor, action, _, after)] = _events(auth_server, "token", str(world.victim_token_id))[1:]
    assert (actor, action, after["username"]) == ("admin", "revoke_token", "victim")


def test_experiment_grants_and_revocations_are_recorded_with_the_manager_as_actor(
    auth_server, world
):
    manager = auth_server.client("manager")

    manager.set_experiment_permission(world.experiment_id, "victim", "read")
    manager.set_experiment_permission(world.experiment_id, "victim", "read")
    manager.set_experiment_permission(world.experiment_id, "victim", "edit")
    manager.delete_experiment_permission(world.experiment_id, "victim")

    assert _events(auth_server, "experiment", world.experiment_id)[-3:] == [
        ("manager", "set_permission", None, {"username": "victim", "role": "read"}),
        (
            "manager",
            "set_permission",
            {"username": "victim", "role": "read"},
            {"username": "victim", "role": "edit"},
        ),
        ("manager", "delete_permission", {"username": "victim", "role": "edit"}, None),
    ]


def test_model_grants_and_protections_are_model_events_with_the_manager_as_actor(
    auth_server, world
):
    manager = auth_server.client("manager")

    manager.set_model_permission(world.model, "victim", "read")
    manager.delete_model_permission(world.model, "victim")
    manager.set_model_protection(world.model, ["champion"])

    assert [(a, action) for a, action, _, _ in _events(auth_server, "model", world.model)][-3:] == [
        ("manager", "set_permission"),
        ("manager", "delete_permission"),
        ("manager", "set_model_protection"),
    ]


def test_an_admin_chosen_artifact_location_is_recorded(auth_server):
    name = unique("e")

    experiment_id = auth_server.client("admin").create_experiment(
        name, artifact_location="s3://t/e"
    )

    assert _events(auth_server, "experiment", experiment_id) == [
        ("admin", "set_artifact_location", None, {"name": name, "artifact_location": "s3://t/e"}),
    ]


def test_a_server_chosen_artifact_location_records_nothing(auth_server):
    experiment_id = auth_server.client("editor").create_experiment(unique("e"))

    assert _events(auth_server, "experiment", experiment_id) == []


def test_no_event_holds_a_token_its_hash_or_its_prefix(auth_server):
    username = _new_user(auth_server)
    client = auth_server.client(username)
    second = client.create_token("second")
    client.revoke_token(second.info.token_id)
    third = auth_server.client("admin").create_user_token(username, "third")
    secrets = [auth_server.tokens[username], second.token, third.token]
    forbidden = [
        s for token in secrets for s in (token, hashlib.sha256(token.encode()).hexdigest())
    ]
    forbidden += [token[:12] for token in secrets]

    with auth_server.http("admin") as http:
        served = http.get("/api/v1/audit-events", params={"actor": username}).text
        served += http.get("/api/v1/audit-events", params={"entity_type": "token"}).text
    engine = sa.create_engine(auth_server.db_url)
    with engine.connect() as conn:
        stored = repr(conn.execute(sa.text("SELECT * FROM audit_events")).all())
    engine.dispose()

    assert username in served and username in stored
    assert [s for s in forbidden if s in served or s in stored] == []


def test_events_are_filtered_by_actor_and_paged_oldest_first(auth_server):
    username = _new_user(auth_server, is_admin=True)
    client = auth_server.client(username)
    ids = [client.create_token(f"t{i}").info.token_id for i in range(3)]

    first = client.get_audit_events(actor=username, max_results=2)
    second = client.get_audit_events(actor=username, max_results=2, page_token=first.token)

    assert [e.entity_id for e in first + second] == [str(i) for i in ids]
    assert {e.actor for e in first + second} == {username} and second.token is None


def test_only_admins_read_the_whole_trail(auth_server):
    with pytest.raises(PermissionDenied):
        auth_server.client("manager").get_audit_events()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"entity_type": "webhook"}, "entity_type"), ({"entity_id": "alice"}, "entity_id")],
    ids=["unknown-kind", "id-without-kind"],
)
def test_bad_filters_are_refused_naming_the_field(auth_server, kwargs, field):
    with pytest.raises(InvalidArgument, match=field):
        auth_server.client("admin").get_audit_events(**kwargs)


def test_no_route_changes_or_deletes_audit_events(auth_app):
    from auth_fixtures import served_routes

    methods = {m for m, path in served_routes(auth_app) if "audit" in path or "history" in path}

    assert methods == {"GET"}


def test_a_models_history_shows_its_readers_no_url_of_an_admins_webhook(auth_server):
    world = auth_server.world()
    admin = auth_server.client("admin")
    hook = admin.create_webhook(
        "https://hooks.example.com/services/T0/B0/s3cr3t-path",
        ["model_version.created"],
        "a-secret-of-16-chars",
        model_name=world.model,
    )
    admin.update_webhook(hook.webhook_id, description="to the team channel")
    admin.delete_webhook(hook.webhook_id)

    seen_by_reader = auth_server.client("reader").get_history(world.model)
    seen_by_admin = admin.get_history(world.model)

    hooks = [e for e in seen_by_reader if "webhook" in e.action]
    assert [e.action for e in hooks] == ["create_webhook", "update_webhook", "delete_webhook"]
    assert "s3cr3t-path" not in repr(seen_by_reader)
    assert hooks[0].after["url"] == "https://hooks.example.com/…"
    assert "s3cr3t-path" in repr(seen_by_admin)
