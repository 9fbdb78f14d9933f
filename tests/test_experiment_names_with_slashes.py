"""Experiment names with '/' (``/Users/me@example.com/churn``, a Databricks workspace
path, or ``team/project``): MLflow allows them, so every call that names an experiment
takes them, on every backend (a server carries the name in its URL path)."""

from __future__ import annotations

import pytest

import modelreg
from modelreg.errors import InvalidArgument

NAME = "/Users/me@example.com/churn model"


def test_an_experiment_named_with_slashes_is_found_by_its_name(client):
    experiment_id = client.create_experiment(NAME)

    found = client.get_experiment_by_name(NAME)

    assert (found.experiment_id, found.name) == (experiment_id, NAME)
    assert client.get_experiment(experiment_id).name == NAME


def test_names_differing_only_in_their_slashes_are_different_experiments(client):
    names = ["team/a", "team//a", "team/./a", "team/../a", "/team/a", "team/a/"]
    ids = [client.create_experiment(name) for name in names]

    assert [client.get_experiment_by_name(name).experiment_id for name in names] == ids
    assert client.get_experiment_by_name("team") is None
    assert client.get_experiment_by_name("a") is None


def test_an_experiment_is_renamed_to_a_name_with_slashes(client):
    experiment_id = client.create_experiment("flat")

    client.rename_experiment(experiment_id, "team/flat")

    assert client.get_experiment_by_name("team/flat").experiment_id == experiment_id
    assert client.get_experiment_by_name("flat") is None


def test_a_search_filters_on_a_name_with_slashes(client):
    wanted = client.create_experiment("team/x/eval")
    client.create_experiment("team/y/eval")

    found = client.search_experiments(filter_string="name = 'team/x/eval'")
    like = client.search_experiments(filter_string="name LIKE 'team/x/%'")

    assert [e.experiment_id for e in found] == [wanted]
    assert [e.experiment_id for e in like] == [wanted]


def test_the_fluent_api_sets_an_experiment_named_with_slashes(client):
    experiment = modelreg.set_experiment(NAME)
    with modelreg.start_run() as run:
        modelreg.log_param("p", 1)

    assert modelreg.get_experiment_by_name(NAME).experiment_id == experiment.experiment_id
    assert client.get_run(run.info.run_id).info.experiment_id == experiment.experiment_id


@pytest.mark.parametrize(
    ("name", "problem"),
    [("", "must not be empty"), (" /a", "white space"), ("a/\u200bb", "invisible")],
)
def test_a_name_with_slashes_keeps_the_other_rules(client, name, problem):
    with pytest.raises(InvalidArgument, match=problem):
        client.create_experiment(name)


def test_model_names_still_refuse_slashes(client):
    with pytest.raises(InvalidArgument, match="model name 'team/m' must not contain '/'"):
        client.create_registered_model("team/m")
