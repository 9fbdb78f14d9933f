"""A run's dataset input keeps the tags it was logged with (MLflow's
``log_input(tags=…)``): after its context in ``DatasetInput.tags``, in ``other_tags``,
from ``get_run``, ``search_runs`` and ``get_run_inputs``, on every backend. Bad tags
are refused naming the problem, and nothing of the call is recorded."""

from __future__ import annotations

import numpy as np
import pytest

import modelreg
from modelreg.datasets import DatasetInput, InputTag, from_numpy
from modelreg.errors import InvalidArgument

TRAIN = from_numpy(np.ones((4, 2)), name="train")
HOLDOUT = from_numpy(np.zeros(3), name="holdout")


@pytest.fixture
def experiment_id(client) -> str:
    return client.create_experiment("input-tags")


@pytest.fixture
def run_id(client, experiment_id) -> str:
    return client.create_run(experiment_id).info.run_id


def test_an_inputs_tags_follow_its_context(client, run_id):
    client.log_input(run_id, TRAIN, "training", tags={"split": "2026-q4", "owner": "ana"})

    (found,) = client.get_run(run_id).inputs.dataset_inputs

    assert found.other_tags == {"split": "2026-q4", "owner": "ana"}
    assert found.tags == [
        InputTag("mlflow.data.context", "training"),
        InputTag("split", "2026-q4"),
        InputTag("owner", "ana"),
    ]
    assert client.get_run_inputs(run_id) == [found]


def test_a_search_gives_each_run_its_inputs_tags(client, experiment_id, run_id):
    other = client.create_run(experiment_id).info.run_id
    client.log_input(run_id, TRAIN, tags={"split": "a"})
    client.log_input(other, TRAIN, tags={"split": "b"})

    found = {
        r.info.run_id: [i.other_tags for i in r.inputs.dataset_inputs]
        for r in client.search_runs([experiment_id])
    }

    assert found == {run_id: [{"split": "a"}], other: [{"split": "b"}]}


def test_an_input_logged_again_in_its_context_keeps_its_first_tags(client, run_id):
    client.log_input(run_id, TRAIN, "training", tags={"split": "first"})
    client.log_input(run_id, TRAIN, "training", tags={"split": "second"})
    client.log_input(run_id, TRAIN, "evaluation", tags={"split": "eval"})

    found = [(i.context, i.other_tags) for i in client.get_run_inputs(run_id)]

    assert found == [("training", {"split": "first"}), ("evaluation", {"split": "eval"})]


def test_unicode_tags_and_tags_at_mlflows_limits_are_kept(client, run_id):
    tags = {"k" * 255: "v" * 500, "données": "été ✓"}

    client.log_input(run_id, TRAIN, tags=tags)

    assert client.get_run_inputs(run_id)[0].other_tags == tags


def test_the_fluent_calls_take_tags_and_a_context_tag_names_the_context(client, experiment_id):
    modelreg.set_experiment(experiment_id=experiment_id)
    with modelreg.start_run() as run:
        modelreg.log_input(TRAIN, tags={"mlflow.data.context": "tuning", "v": "2"})
        modelreg.log_inputs([HOLDOUT], contexts=["evaluation"], tags_list=[{"v": "3"}])

    found = [
        (i.dataset.name, i.context, i.other_tags) for i in client.get_run_inputs(run.info.run_id)
    ]
    assert found == [("train", "tuning", {"v": "2"}), ("holdout", "evaluation", {"v": "3"})]


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        ({"k" * 256: "v"}, "a key is 256 characters long; the limit is 255"),
        ({"k": "v" * 501}, "value of 'k' is 501 characters long; the limit is 500"),
        ({"": "v"}, "must not have an empty key"),
        ({f"k{i}": "v" for i in range(101)}, "at most 100, got 101"),
        ({"k": "nul\x00"}, "value of 'k'"),
    ],
)
def test_bad_tags_are_refused_naming_the_problem_and_nothing_is_recorded(
    client, run_id, tags, problem
):
    with pytest.raises(InvalidArgument, match="tags of the input of dataset 'holdout'") as refused:
        client.log_inputs(run_id, [TRAIN, DatasetInput(HOLDOUT, "evaluation", tags)])

    assert problem in str(refused.value)
    assert client.get_run_inputs(run_id) == []


def test_a_context_tag_among_an_inputs_other_tags_is_refused(client, run_id):
    tagged = DatasetInput(TRAIN, "training", {"mlflow.data.context": "evaluation"})

    with pytest.raises(InvalidArgument, match="must not have 'mlflow.data.context'"):
        client.log_inputs(run_id, [tagged])


def test_a_tag_value_that_is_not_a_string_is_refused_naming_it(client, run_id):
    # A server refuses it at its edge, naming the request's field.
    refused = r"value of 'k' must be a string|inputs\.0\.other_tags\.k: Input should be"

    with pytest.raises(InvalidArgument, match=refused):
        client.log_inputs(run_id, [DatasetInput(TRAIN, "training", {"k": None})])

    assert client.get_run_inputs(run_id) == []


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_tags_that_are_not_a_mapping_are_refused(client, run_id):
    with pytest.raises(InvalidArgument, match="tags must be a mapping"):
        client.log_input(run_id, TRAIN, tags=["split"])
    with pytest.raises(InvalidArgument, match="tags must be a mapping"):
        modelreg.log_inputs([TRAIN], tags_list=["split"])


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_an_empty_context_is_refused_not_replaced(client, run_id):
    with pytest.raises(InvalidArgument, match="context must be a non-empty string"):
        client.log_input(run_id, TRAIN, "", tags={"mlflow.data.context": "training"})
