"""Keys with '/' (``train/loss``, ``system/cpu_utilization_percentage``, ``team/owner``):
MLflow allows them and users group keys that way, so every call that names a key takes
them, on every backend (a server carries the key in its URL path)."""

from __future__ import annotations

import pytest

from modelreg.entities import Metric
from modelreg.errors import InvalidArgument

KEY = "train/epoch 1/loss.v2"


@pytest.fixture
def run_id(client) -> str:
    return client.create_run(client.create_experiment("slashes")).info.run_id


def test_a_metric_history_is_read_by_a_key_with_slashes(client, run_id):
    client.log_batch(run_id, metrics=[Metric(KEY, 0.5, 1, 0), Metric(KEY, 0.25, 2, 1)])
    client.log_batch(run_id, metrics=[Metric("train/history", 9.0, 1, 0)])
    client.log_batch(run_id, metrics=[Metric("a/./b//c", 7.0, 1, 0)])

    assert [p.value for p in client.get_metric_history(run_id, KEY)] == [0.5, 0.25]
    assert [p.value for p in client.get_metric_history(run_id, "train/history")] == [9.0]
    assert [p.value for p in client.get_metric_history(run_id, "a/./b//c")] == [7.0]
    assert client.get_metric_history(run_id, "a/b/c") == []


def test_a_run_tag_with_slashes_is_deleted(client, run_id):
    client.set_tag(run_id, KEY, "x")
    client.set_tag(run_id, "kept", "y")

    client.delete_tag(run_id, KEY)

    assert client.get_run(run_id).data.tags.get(KEY) is None
    assert client.get_run(run_id).data.tags["kept"] == "y"


def test_an_experiment_tag_with_slashes_is_deleted(client):
    experiment = client.create_experiment("tagged", tags={KEY: "x", "kept": "y"})

    client.delete_experiment_tag(experiment, KEY)

    assert client.get_experiment(experiment).tags == {"kept": "y"}


def test_model_and_version_tags_with_slashes_are_set_and_deleted(client, run_id):
    client.create_registered_model("slashed")
    client.create_model_version("slashed", f"runs:/{run_id}/model")
    client.set_registered_model_tag("slashed", KEY, "m")
    client.set_model_version_tag("slashed", 1, KEY, "v")
    assert client.get_registered_model("slashed").tags == {KEY: "m"}
    assert client.get_model_version("slashed", 1).tags == {KEY: "v"}

    client.delete_registered_model_tag("slashed", KEY)
    client.delete_model_version_tag("slashed", 1, KEY)

    assert client.get_registered_model("slashed").tags == {}
    assert client.get_model_version("slashed", 1).tags == {}


def test_a_logged_model_tag_with_slashes_is_deleted(client):
    experiment = client.create_experiment("logged-slashes")
    model_id = client.create_logged_model(experiment, tags={KEY: "x", "kept": "y"}).model_id

    client.delete_logged_model_tag(model_id, KEY)

    assert client.get_logged_model(model_id).tags == {"kept": "y"}


@pytest.mark.parametrize("key", ["a/../b", "/abs", "..", ""])
def test_a_key_with_a_parent_segment_or_a_leading_slash_is_refused(client, run_id, key):
    with pytest.raises(InvalidArgument, match="key"):
        client.get_metric_history(run_id, key)
