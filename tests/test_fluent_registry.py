"""MLflow's module-level registry searches: lists of every match, the filter and order
the Client takes, on every backend."""

import pytest

import modelreg
from modelreg.errors import InvalidArgument


@pytest.fixture
def small_pages(monkeypatch):
    from modelreg import fluent_registry

    monkeypatch.setattr(fluent_registry, "_PAGE", 2)


def test_search_registered_models_reads_every_page_in_order(client, small_pages):
    for i in range(5):
        client.create_registered_model(f"fraud-{i}", tags={"team": "risk"})
    client.create_registered_model("churn")

    found = modelreg.search_registered_models(filter_string="tags.team = 'risk'", order_by=["name"])

    assert [m.name for m in found] == [f"fraud-{i}" for i in range(5)]
    assert isinstance(found, list)


def test_search_registered_models_stops_at_max_results(client, small_pages):
    for i in range(5):
        client.create_registered_model(f"fraud-{i}")

    first = modelreg.search_registered_models(max_results=3, order_by=["name DESC"])

    assert [m.name for m in first] == ["fraud-4", "fraud-3", "fraud-2"]


def test_search_model_versions_reads_every_page_of_a_filter(client, small_pages):
    source = f"runs:/{client.create_run('0').info.run_id}/model"
    client.create_registered_model("fraud")
    client.create_registered_model("churn")
    for _ in range(5):
        client.create_model_version("fraud", source)
    client.create_model_version("churn", source)
    client.transition_model_version_stage("fraud", 4, "Production")

    every = modelreg.search_model_versions(filter_string="name = 'fraud'")
    oldest = modelreg.search_model_versions(
        max_results=3, filter_string="name = 'fraud'", order_by=["version_number ASC"]
    )
    live = modelreg.search_model_versions(filter_string="name = 'fraud' AND stage = 'Production'")

    assert [v.version for v in every] == [5, 4, 3, 2, 1]
    assert [v.version for v in oldest] == [1, 2, 3]
    assert [(v.name, v.version) for v in live] == [("fraud", 4)]


def test_no_match_is_an_empty_list(client):
    assert modelreg.search_registered_models(filter_string="name = 'nothing'") == []
    assert modelreg.search_model_versions(filter_string="name = 'nothing'") == []


@pytest.mark.parametrize(
    "search", [modelreg.search_registered_models, modelreg.search_model_versions]
)
def test_a_malformed_filter_is_refused_naming_it(client, search):
    with pytest.raises(InvalidArgument, match="filter"):
        search(filter_string="name ~ 'x'")
