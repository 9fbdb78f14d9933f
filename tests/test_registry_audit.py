"""The audit trail: one event per change, in the same transaction, never rewritten."""

import pytest

from modelreg.errors import AlreadyExists, NotFound


@pytest.fixture
def source(client):
    return f"runs:/{client.create_run('0').info.run_id}/model"


def actions(events):
    return [(e.action, e.version) for e in events]


def test_every_change_appends_an_event_in_order(client, source):
    client.create_registered_model("fraud", tags={"team": "risk"})
    client.set_registered_model_tag("fraud", "tier", "1")
    client.delete_registered_model_tag("fraud", "tier")
    client.update_registered_model("fraud", "catches fraud")
    client.create_model_version("fraud", source)
    client.create_model_version("fraud", source)
    client.set_model_version_tag("fraud", 1, "k", "v")
    client.delete_model_version_tag("fraud", 1, "k")
    client.update_model_version("fraud", 1, "first")
    client.transition_model_version_stage("fraud", 1, "Production")
    client.transition_model_version_stage("fraud", 2, "Production", archive_existing_versions=True)
    client.set_registered_model_alias("fraud", "champion", 2)
    client.rollback("fraud")
    client.delete_registered_model_alias("fraud", "champion")

    assert actions(client.get_history("fraud")) == [
        ("create_registered_model", None),
        ("set_registered_model_tag", None),
        ("delete_registered_model_tag", None),
        ("update_registered_model", None),
        ("create_model_version", 1),
        ("create_model_version", 2),
        ("set_model_version_tag", 1),
        ("delete_model_version_tag", 1),
        ("update_model_version", 1),
        ("transition_stage", 1),
        ("transition_stage", 2),
        ("transition_stage", 1),
        ("set_alias", 2),
        ("rollback", 2),
        ("rollback", 1),
        ("delete_alias", 2),
    ]


def test_events_record_time_actor_before_after_and_reason(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source)

    client.transition_model_version_stage("fraud", 1, "staging", reason="passed offline eval")

    event = client.get_history("fraud")[-1]
    assert event.action == "transition_stage"
    assert event.model_name == "fraud"
    assert event.version == 1
    assert event.before == {"current_stage": "None"}
    assert event.after == {"current_stage": "Staging"}
    assert event.reason == "passed offline eval"
    assert event.actor
    assert event.timestamp > 0


def test_the_os_user_is_the_actor_for_embedded_use(client):
    from modelreg.actor import current_actor

    client.create_registered_model("fraud")

    assert client.get_history("fraud")[0].actor == current_actor()


def test_create_version_event_records_semver_and_source(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source, description="d", tags={"a": "b"})

    after = client.get_history("fraud", version=1)[0].after

    assert after["semver"] == "1.0.0"
    assert after["source"] == source
    assert after["tags"] == {"a": "b"}
    assert after["bump"] == "auto"


def test_moving_an_alias_records_old_and_new_version(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source)
    client.create_model_version("fraud", source)
    client.set_registered_model_alias("fraud", "champion", 1)

    client.set_registered_model_alias("fraud", "champion", 2)

    event = client.get_history("fraud")[-1]
    assert (event.before, event.after) == (
        {"alias": "champion", "version": 1},
        {"alias": "champion", "version": 2},
    )


def test_rollback_events_name_both_versions_and_the_reason(client, source):
    client.create_registered_model("fraud")
    for version in (1, 2):
        client.create_model_version("fraud", source)
        client.transition_model_version_stage(
            "fraud", version, "Production", archive_existing_versions=True
        )

    client.rollback("fraud", reason="latency regression")

    archived, restored = client.get_history("fraud")[-2:]
    assert (archived.version, archived.after) == (
        2,
        {"current_stage": "None", "rolled_back_to": 1},
    )
    assert (restored.version, restored.after) == (
        1,
        {"current_stage": "Production", "rolled_back_from": 2},
    )
    assert archived.reason == restored.reason == "latency regression"


def test_history_of_one_version_holds_only_its_events(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source)
    client.create_model_version("fraud", source)
    client.transition_model_version_stage("fraud", 2, "Staging")

    assert actions(client.get_history("fraud", version="2")) == [
        ("create_model_version", 2),
        ("transition_stage", 2),
    ]


def test_deleting_a_version_records_its_state_and_dropped_aliases(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source, tags={"a": "b"})
    client.set_registered_model_alias("fraud", "champion", 1)

    client.delete_model_version("fraud", 1)

    dropped, deleted = client.get_history("fraud")[-2:]
    assert (dropped.action, dropped.before) == (
        "delete_alias",
        {"alias": "champion", "version": 1},
    )
    assert deleted.action == "delete_model_version"
    assert deleted.before["tags"] == {"a": "b"}
    assert deleted.before["aliases"] == ["champion"]


def test_history_outlives_the_model_and_follows_renames(client, source):
    client.create_registered_model("old")
    client.rename_registered_model("old", "fraud")
    client.delete_registered_model("fraud")

    history = client.get_history("fraud")

    assert actions(history) == [
        ("create_registered_model", None),
        ("rename_registered_model", None),
        ("delete_registered_model", None),
    ]
    assert history[1].before == {"name": "old"}


def test_history_of_a_name_never_used_raises_not_found(client):
    with pytest.raises(NotFound, match="ghost"):
        client.get_history("ghost")


def test_a_refused_change_leaves_no_event(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source, semver="1.0.0")
    before = len(client.get_history("fraud"))

    with pytest.raises(AlreadyExists):
        client.create_model_version("fraud", source, semver="1.0.0")

    assert len(client.get_history("fraud")) == before


def test_a_no_op_alias_change_writes_no_event(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source)
    client.set_registered_model_alias("fraud", "champion", 1)
    before = len(client.get_history("fraud"))

    client.set_registered_model_alias("fraud", "champion", 1)

    assert len(client.get_history("fraud")) == before


def test_the_actor_comes_from_the_request_context(sqlite_uri, monkeypatch, tmp_path):
    from modelreg import Client
    from modelreg.actor import acting_as

    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    client = Client(sqlite_uri)
    with acting_as("alice"):
        client.create_registered_model("fraud")

    assert client.get_history("fraud")[0].actor == "alice"
