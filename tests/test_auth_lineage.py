"""Lineage, model cards and comparisons never name what the caller may not read.

The reader may read the world's model A and its experiment. A's version 2 was
fine-tuned from version 1 of model B, from a run in an experiment nobody but
the admin reads, and version 1 of model C was fine-tuned from A's version 2.
Models and runs the caller may not read show up as placeholders (lineage),
``(hidden)`` (a card's base model) or not at all (a hidden run's metrics,
params and datasets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from auth_fixtures import unique
from modelreg.datasets import Dataset


@dataclass
class Family:
    model: str  # A, read by the reader
    parent: str  # B, read by nobody but the admin
    child: str  # C, read by nobody but the admin
    hidden_experiment: str
    hidden_run: str
    dataset: str


@pytest.fixture
def family(auth_server, world):
    """A/2 fine-tuned from B/1 out of a hidden run (metrics, a param, a training dataset);
    C/1 fine-tuned from A/2."""
    lib = auth_server.admin_lib
    parent, child = unique("base"), unique("child")
    experiment = lib.create_experiment(unique("secret-exp"))
    run_id = lib.create_run(experiment, run_name=unique("secret-run")).info.run_id
    dataset = unique("secret-data")
    lib.log_inputs(run_id, [Dataset(dataset, "c" * 64, f"s3://vault/{dataset}.parquet")])
    lib.log_metric(run_id, "accuracy", 0.97)
    lib.log_param(run_id, "secret_param", "42")
    lib.create_registered_model(parent)
    lib.create_model_version(parent, f"runs:/{world.run_id}/model")
    lib.create_model_version(world.model, f"runs:/{run_id}/model", parent=(parent, 1))
    lib.create_registered_model(child)
    lib.create_model_version(child, f"runs:/{world.run_id}/model", parent=(world.model, 2))
    return Family(world.model, parent, child, experiment, run_id, dataset)


def secrets(family: Family) -> list[str]:
    """What the reader may not learn, each a string unique to this test."""
    return [family.parent, family.child, family.hidden_run, family.dataset]


def lineage_json(auth_server, user: str, family: Family) -> str:
    with auth_server.http(user) as http:
        response = http.get(f"/api/v1/registered-models/{family.model}/versions/2/lineage")
    assert response.status_code == 200, response.text
    return response.text


def test_a_readers_lineage_names_no_model_or_run_they_may_not_read(auth_server, family):
    text = lineage_json(auth_server, "reader", family)

    assert [s for s in secrets(family) if s in text] == []


def test_hidden_nodes_keep_the_shape_of_the_graph(auth_server, family):
    graph = auth_server.client("reader").lineage(family.model, 2)

    upstream = {(e.relation, n.kind, n.hidden) for e, n in graph.upstream(graph.root)}
    downstream = [(e.relation, n.kind, n.hidden) for e, n in graph.downstream(graph.root)]
    assert upstream == {("produced", "run", True), ("fine_tuned", "model_version", True)}
    assert downstream == [("fine_tuned", "model_version", True)]
    assert graph.of_kind("dataset") == [] and graph.of_kind("code") == []


def test_a_placeholder_carries_no_name_and_no_real_id(auth_server, family):
    graph = auth_server.client("reader").lineage(family.model, 2)

    hidden = [n.to_dict() for n in graph.nodes if n.hidden]
    assert len(hidden) == 3
    for node in hidden:
        assert node["id"].startswith("hidden:")
        assert (node["label"], node["attributes"]) == ("hidden", {"hidden": True})


def test_the_parent_shows_once_the_reader_may_read_it(auth_server, family):
    auth_server.grant("reader", "read", model=family.parent)

    text = lineage_json(auth_server, "reader", family)

    assert family.parent in text and family.child not in text


def test_the_hidden_run_shows_once_the_reader_may_read_its_experiment(auth_server, family):
    auth_server.grant("reader", "read", experiment=family.hidden_experiment)

    text = lineage_json(auth_server, "reader", family)

    assert family.hidden_run in text and family.dataset in text


def test_an_admin_sees_the_whole_lineage(auth_server, family):
    text = lineage_json(auth_server, "admin", family)

    assert [s for s in secrets(family) if s not in text] == []
    assert '"hidden"' not in text


def test_the_lineage_command_of_a_reader_prints_placeholders(auth_server, family):
    result = auth_server.cli("reader", ["lineage", family.model, "2"])

    assert result.exit_code == 0, result.output
    assert "model version (hidden" in result.output and "run (hidden" in result.output
    assert [s for s in secrets(family) if s in result.output] == []


def test_the_web_ui_lineage_section_names_no_hidden_model_or_run(auth_server, family):
    with auth_server.http("reader") as http:
        page = http.get(f"/ui/models/{family.model}/versions/2")

    assert page.status_code == 200
    section = page.text.split("<h2>Lineage</h2>", 1)[1].split("<h2>", 1)[0]
    assert "hidden" in section
    assert [s for s in secrets(family) if s in section] == []


def test_a_readers_card_leaves_out_the_hidden_run_and_parent(auth_server, family):
    card = auth_server.client("reader").get_model_card(family.model, 2)

    assert card.base_model == "(hidden)"
    assert (card.metrics, card.training_data, card.datasets) == ({}, None, ())
    assert card.auto_filled == ()


def test_an_admins_card_is_filled_in_from_the_run_and_names_the_parent(auth_server, family):
    card = auth_server.client("admin").get_model_card(family.model, 2)

    assert card.base_model == f"models:/{family.parent}/1"
    assert card.metrics == {"accuracy": 0.97} and family.dataset in card.training_data


def test_a_readers_comparison_has_no_metrics_from_a_hidden_run(auth_server, family):
    lib = auth_server.admin_lib
    lib.log_metric(lib.get_model_version(family.model, 1).run_id, "loss", 0.1)

    table = auth_server.client("reader").compare_versions(family.model)

    rows = {r.version: r.metrics for r in table.rows}
    assert "accuracy" not in table.metrics and rows[1] == {"loss": 0.1}


def test_an_admins_comparison_has_every_metric(auth_server, family):
    table = auth_server.client("admin").compare_versions(family.model)

    assert {r.version: r.metrics.get("accuracy") for r in table.rows}[2] == 0.97


def test_a_readers_diff_shows_no_params_of_a_hidden_run(auth_server, family):
    reader = auth_server.client("reader").diff_versions(family.model, 1, 2)
    admin = auth_server.client("admin").diff_versions(family.model, 1, 2)

    assert "secret_param" not in json.dumps(reader.params)
    assert admin.params["secret_param"] == (None, "42")
