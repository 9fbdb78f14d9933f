"""MLflow 3's module-level logged-model calls, on every backend: a model made beside the
active run, an external one, the last one made, the active one, and searches as lists
or DataFrames."""

from __future__ import annotations

import pytest

import modelreg
from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def experiment(client) -> str:
    experiment_id = client.create_experiment("fluent-logged")
    modelreg.set_experiment(experiment_id=experiment_id)
    yield experiment_id
    modelreg.clear_active_model()


def test_a_model_initialized_in_a_run_belongs_to_that_run_and_its_experiment(experiment):
    with modelreg.start_run() as run:
        model = modelreg.initialize_logged_model(name="ranker", params={"k": 10})

    assert (model.source_run_id, model.experiment_id) == (run.info.run_id, experiment)
    assert (model.status, model.params) == ("PENDING", {"k": "10"})


def test_a_model_initialized_outside_a_run_goes_to_the_current_experiment(experiment):
    model = modelreg.initialize_logged_model(name="ranker")

    assert (model.source_run_id, model.experiment_id) == (None, experiment)


def test_a_model_of_a_named_run_goes_to_that_runs_experiment(client, experiment):
    other = client.create_experiment("other")
    run_id = client.create_run(other).info.run_id

    model = modelreg.initialize_logged_model(source_run_id=run_id)

    assert model.experiment_id == other


def test_finalize_marks_the_model_ready(experiment):
    model = modelreg.initialize_logged_model(name="m")

    assert modelreg.finalize_logged_model(model.model_id, "READY").status == "READY"
    assert modelreg.get_logged_model(model.model_id).status == "READY"


def test_an_external_model_is_ready_and_marked_external(experiment):
    model = modelreg.create_external_model(name="endpoint", tags={"where": "elsewhere"})

    assert model.status == "READY"
    assert model.tags == {"where": "elsewhere", "mlflow.model.isExternal": "true"}


def test_last_logged_model_is_the_last_one_made_read_anew(experiment):
    modelreg.initialize_logged_model(name="first")
    second = modelreg.initialize_logged_model(name="second")
    modelreg.set_logged_model_tags(second.model_id, {"stage": "eval"})

    last = modelreg.last_logged_model()

    assert (last.model_id, last.tags) == (second.model_id, {"stage": "eval"})


def test_tags_are_set_and_deleted(experiment):
    model_id = modelreg.initialize_logged_model(tags={"a": "1"}).model_id

    modelreg.set_logged_model_tags(model_id, {"b": 2})
    modelreg.delete_logged_model_tag(model_id, "a")

    assert modelreg.get_logged_model(model_id).tags == {"b": "2"}


def test_params_go_to_the_active_model_unless_another_is_named(experiment):
    active = modelreg.set_active_model(name="agent")
    other = modelreg.initialize_logged_model(name="other")

    modelreg.log_model_params({"temperature": 0.2})
    modelreg.log_model_params({"k": "5"}, model_id=other.model_id)

    assert modelreg.get_active_model_id() == active.model_id
    assert modelreg.get_logged_model(active.model_id).params == {"temperature": "0.2"}
    assert modelreg.get_logged_model(other.model_id).params == {"k": "5"}


def test_setting_the_active_model_by_name_finds_the_newest_of_that_name(experiment):
    modelreg.initialize_logged_model(name="agent's")
    newest = modelreg.initialize_logged_model(name="agent's")

    assert modelreg.set_active_model(name="agent's").model_id == newest.model_id


def test_setting_an_unknown_model_active_is_not_found_and_keeps_the_last(experiment):
    kept = modelreg.set_active_model(name="kept")

    with pytest.raises(NotFound):
        modelreg.set_active_model(model_id="m-" + "0" * 32)

    assert modelreg.get_active_model_id() == kept.model_id


def test_params_without_a_model_or_an_active_one_are_refused(experiment):
    modelreg.clear_active_model()

    with pytest.raises(InvalidArgument, match="model_id"):
        modelreg.log_model_params({"k": "1"})


def test_setting_an_active_model_needs_a_name_or_an_id(experiment):
    with pytest.raises(InvalidArgument, match="name or a model_id"):
        modelreg.set_active_model()


@pytest.fixture
def three_models(experiment):
    ids = []
    for i, accuracy in enumerate([0.7, 0.9, 0.8]):
        with modelreg.start_run():
            model = modelreg.initialize_logged_model(name=f"m{i}")
            modelreg.log_model_params({"rank": str(i)}, model_id=model.model_id)
            ids.append(model.model_id)
            modelreg.set_logged_model_tags(model.model_id, {"accuracy": str(accuracy)})
    return ids


def test_search_returns_every_page_as_a_list(three_models, monkeypatch):
    from modelreg import fluent_logged_models

    monkeypatch.setattr(fluent_logged_models, "_PAGE", 2)

    found = modelreg.search_logged_models(output_format="list")

    assert [m.model_id for m in found] == three_models[::-1]


def test_search_takes_mlflows_order_dicts_and_stops_at_max_results(three_models):
    found = modelreg.search_logged_models(
        order_by=[{"field_name": "name", "ascending": False}], max_results=2, output_format="list"
    )

    assert [m.name for m in found] == ["m2", "m1"]


def test_search_filters_by_param(three_models):
    found = modelreg.search_logged_models(filter_string="params.rank = '1'", output_format="list")

    assert [m.model_id for m in found] == [three_models[1]]


def test_search_gives_a_dataframe_by_default(three_models):
    frame = modelreg.search_logged_models()

    assert list(frame["name"]) == ["m2", "m1", "m0"]
    assert {"model_id", "status", "tags", "params", "metrics"} <= set(frame.columns)


def test_an_empty_search_gives_an_empty_dataframe_with_the_columns(experiment):
    frame = modelreg.search_logged_models()

    assert frame.empty and "model_id" in frame.columns


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"output_format": "json"}, "output_format"),
        ({"order_by": [{"ascending": True}]}, "field_name"),
        ({"filter_string": "name = "}, "expected a value"),
    ],
)
def test_a_bad_search_is_refused_naming_the_problem(experiment, kwargs, names):
    with pytest.raises(InvalidArgument, match=names):
        modelreg.search_logged_models(**kwargs)
