"""Lineage: datasets logged on runs, fine-tuning parents, and the graph of a version."""

from __future__ import annotations

import pytest

from governance_fixtures import version_with_metrics
from modelreg.datasets import Dataset, DatasetInput
from modelreg.errors import InvalidArgument, NotFound

TRAIN = Dataset("train", "a" * 64, "s3://bucket/train.parquet", {"type": "dataframe"}, 1000)
HOLDOUT = Dataset("holdout", "b" * 64, "s3://bucket/holdout.parquet", None, 200)


@pytest.fixture
def run_id(client):
    return client.create_run("0", run_name="train-xgb").info.run_id


def test_log_input_records_the_dataset_with_its_context(client, run_id):
    client.log_inputs(run_id, [TRAIN])
    client.log_inputs(run_id, [HOLDOUT], context="evaluation")

    inputs = client.get_run_inputs(run_id)

    assert [(i.dataset, i.context) for i in inputs] == [
        (TRAIN, "training"),
        (HOLDOUT, "evaluation"),
    ]


def test_dataset_inputs_of_several_contexts_are_recorded_by_one_call(client, run_id):
    client.log_inputs(
        run_id, [DatasetInput(TRAIN, "training"), DatasetInput(HOLDOUT, "evaluation")]
    )

    assert [(i.dataset.name, i.context) for i in client.get_run_inputs(run_id)] == [
        ("train", "training"),
        ("holdout", "evaluation"),
    ]


def test_a_refused_dataset_input_leaves_the_others_of_its_call_unrecorded(client, run_id):
    with pytest.raises(InvalidArgument, match="context"):
        client.log_inputs(run_id, [DatasetInput(TRAIN, "training"), DatasetInput(HOLDOUT, "")])

    assert client.get_run_inputs(run_id) == []


@pytest.mark.parametrize(
    ("datasets", "message"),
    [
        ([], "at least one dataset or model"),
        (None, "at least one dataset or model"),
        (["train.csv"], "datasets: expected a Dataset or DatasetInput, got str"),
    ],
)
def test_log_inputs_without_datasets_or_with_other_things_is_refused(
    client, run_id, datasets, message
):
    with pytest.raises(InvalidArgument, match=message):
        client.log_inputs(run_id, datasets)


def test_log_input_describes_local_data_and_computes_its_digest(client, run_id, tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("a,b\n1,2\n3,4\n")

    logged = client.log_input(run_id, path)

    import hashlib

    assert logged.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (logged.name, logged.num_rows) == ("train.csv", 2)
    assert client.get_run_inputs(run_id)[0].dataset == logged


def test_logging_the_same_dataset_twice_records_it_once(client, run_id):
    client.log_inputs(run_id, [TRAIN])
    client.log_inputs(run_id, [TRAIN])

    assert len(client.get_run_inputs(run_id)) == 1


def test_a_dataset_with_a_malformed_digest_is_refused(client, run_id):
    with pytest.raises(InvalidArgument, match="sha256"):
        client.log_inputs(run_id, [Dataset("train", "not-a-digest")])


def test_inputs_of_an_unknown_run_are_not_found(client):
    with pytest.raises(NotFound):
        client.log_inputs("0123456789abcdef0123456789abcdef", [TRAIN])


def test_the_graph_links_datasets_to_the_run_to_the_version(client, run_id):
    client.log_inputs(run_id, [TRAIN])
    client.create_registered_model("fraud")
    client.create_model_version("fraud", f"runs:/{run_id}/model")

    graph = client.lineage("fraud", 1)

    assert graph.root == "model:fraud/1"
    assert [(e.relation, n.id) for e, n in graph.upstream("model:fraud/1")] == [
        ("produced", f"run:{run_id}")
    ]
    [(edge, dataset)] = graph.upstream(f"run:{run_id}")
    assert (edge.relation, edge.attributes, dataset.label) == (
        "input",
        {"context": "training"},
        "train",
    )


def test_a_fine_tuned_version_records_its_parent(client):
    client.create_registered_model("base")
    client.create_registered_model("fraud")
    version_with_metrics(client, "base", {})

    version_with_metrics(client, "fraud", {}, parent=("base", 1))

    graph = client.lineage("fraud", 1)
    assert [(e.relation, n.id) for e, n in graph.upstream("model:fraud/1")][-1] == (
        "fine_tuned",
        "model:base/1",
    )


def test_the_parent_can_be_a_models_uri(client):
    client.create_registered_model("base")
    version_with_metrics(client, "base", {})
    client.set_registered_model_alias("base", "champion", 1)

    version_with_metrics(client, "base", {}, parent="models:/base@champion")

    assert client.get_history("base", 2)[0].after["parent"] == {"name": "base", "version": 1}


def test_the_graph_of_a_parent_lists_its_child_versions(client):
    client.create_registered_model("base")
    client.create_registered_model("fraud")
    version_with_metrics(client, "base", {})
    version_with_metrics(client, "fraud", {}, parent=("base", 1))
    version_with_metrics(client, "fraud", {}, parent=("fraud", 1))

    graph = client.lineage("base", 1)

    assert [n.id for _, n in graph.downstream("model:base/1")] == ["model:fraud/1"]
    assert [n.id for _, n in graph.downstream("model:fraud/1")] == ["model:fraud/2"]


def test_a_missing_parent_is_not_found_and_no_version_is_created(client):
    client.create_registered_model("fraud")

    with pytest.raises(NotFound, match="base"):
        version_with_metrics(client, "fraud", {}, parent=("base", 1))

    assert client.search_model_versions("name = 'fraud'") == []


def test_the_graph_shows_the_code_version_of_the_run(client):
    tags = {
        "modelreg.source.git.commit": "c0ffee" * 6 + "abcd",
        "modelreg.source.git.dirty": "true",
    }
    run_id = client.create_run("0", tags=tags).info.run_id
    client.create_registered_model("fraud")
    client.create_model_version("fraud", f"runs:/{run_id}/model")

    graph = client.lineage("fraud", 1)

    [code] = graph.of_kind("code")
    assert code.attributes["dirty"] is True
    assert code.attributes["commit"] == tags["modelreg.source.git.commit"]
