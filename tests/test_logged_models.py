"""MLflow 3's logged models as modelreg entities: found, searched, registered, in lineage.

MLflow clients create them through the MLflow-compatible API (tests/compat drives the
real client); here a test logs one the way that API does — create, upload the files,
finalize — on every backend, and reads it back through the public ``Client``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from modelreg.errors import InvalidArgument, NotFound


def log_model(client, run_id: str, name: str, files: dict[str, bytes], **params: str) -> str:
    """Logs a logged model of the run as an MLflow client does; returns its id."""
    from modelreg.remote import RemoteBackend

    backend = client._backend  # how an MLflow client would reach the store
    experiment_id = client.get_run(run_id).info.experiment_id
    if isinstance(backend, RemoteBackend):
        api = backend.uri + "/api/2.0/mlflow"
        body = {
            "experiment_id": experiment_id,
            "name": name,
            "source_run_id": run_id,
            "params": [{"key": k, "value": v} for k, v in params.items()],
        }
        model_id = httpx.post(api + "/logged-models", json=body).json()["model"]["info"]["model_id"]
        for path, data in files.items():
            where = f"{experiment_id}/models/{model_id}/artifacts/{path}"
            response = httpx.put(
                f"{backend.uri}/api/2.0/mlflow-artifacts/artifacts/{where}", content=data
            )
            response.raise_for_status()
        httpx.patch(api + f"/logged-models/{model_id}", json={"status": "LOGGED_MODEL_READY"})
        return model_id
    service = backend.logged_models
    model = service.create_logged_model(experiment_id, name, run_id, params=params)
    service.record_files(model.model_id, {p: backend.blobs.put_bytes(d) for p, d in files.items()})
    service.finalize_logged_model(model.model_id, "READY")
    return model.model_id


@pytest.fixture
def run_id(client) -> str:
    run = client.create_run(client.create_experiment("logged"))
    return run.info.run_id


def test_a_logged_model_is_found_by_id_with_its_run_params_and_status(client, run_id):
    model_id = log_model(client, run_id, "model", {"MLmodel": b"flavors: {}"}, alpha="0.1")

    model = client.get_logged_model(model_id)

    assert (model.name, model.source_run_id, model.status) == ("model", run_id, "READY")
    assert model.params == {"alpha": "0.1"}
    assert model.model_uri == f"models:/{model_id}"


def test_an_unknown_logged_model_is_not_found(client):
    with pytest.raises(NotFound, match="m-0000"):
        client.get_logged_model("m-" + "0" * 32)


def test_logged_models_are_searched_newest_first_and_by_filter(client, run_id):
    experiment_id = client.get_run(run_id).info.experiment_id
    first = log_model(client, run_id, "first", {})
    second = log_model(client, run_id, "second", {}, kind="tree")

    newest_first = client.search_logged_models(experiment_id)
    by_param = client.search_logged_models(experiment_id, "params.kind = 'tree'")
    oldest_first = client.search_logged_models(experiment_id, order_by=[("creation_time", True)])

    assert [m.model_id for m in newest_first] == [second, first]
    assert [m.model_id for m in by_param] == [second]
    assert [m.model_id for m in oldest_first] == [first, second]


def test_a_bad_logged_model_filter_is_refused(client, run_id):
    experiment_id = client.get_run(run_id).info.experiment_id

    with pytest.raises(InvalidArgument):
        client.search_logged_models(experiment_id, "colour = 'red'")


def test_a_version_registered_from_a_logged_model_has_its_files(client, run_id, tmp_path):
    model_id = log_model(client, run_id, "model", {"MLmodel": b"m", "model.skops": b"weights"})
    client.create_registered_model("clf")

    version = client.create_model_version("clf", f"models:/{model_id}")
    local = Path(client.download_artifacts(artifact_uri="models:/clf/1", dst_path=tmp_path / "out"))

    assert version.run_id == run_id
    assert (local / "model.skops").read_bytes() == b"weights"
    assert sorted(p.name for p in local.iterdir()) == ["MLmodel", "model.skops"]


def test_a_run_lists_the_logged_models_it_made(client, run_id):
    first = log_model(client, run_id, "first", {})
    second = log_model(client, run_id, "second", {})

    assert [m.model_id for m in client.get_run_logged_models(run_id)] == [first, second]


def test_lineage_puts_the_logged_model_between_its_run_and_the_version(client, run_id):
    model_id = log_model(client, run_id, "model", {"MLmodel": b"m"})
    client.create_registered_model("clf")
    client.create_model_version("clf", f"models:/{model_id}")

    graph = client.lineage("clf", 1)

    edges = {(e.source, e.target, e.relation) for e in graph.edges}
    assert (f"run:{run_id}", f"logged_model:{model_id}", "logged") in edges
    assert (f"logged_model:{model_id}", "model:clf/1", "registered") in edges


def log_model_metric(client, run_id, model_id, key, value, timestamp, dataset=None):
    """Logs a metric of a logged model (on ``dataset``, a name), as an MLflow client does."""
    from modelreg.entities import Metric
    from modelreg.logged_models import LoggedModelMetric
    from modelreg.remote import RemoteBackend

    backend = client._backend
    if isinstance(backend, RemoteBackend):
        body = {"run_id": run_id, "key": key, "value": value, "timestamp": timestamp, "step": 0}
        body |= {"model_id": model_id, "dataset_name": dataset, "dataset_digest": dataset}
        response = httpx.post(backend.uri + "/api/2.0/mlflow/runs/log-metric", json=body)
        response.raise_for_status()
        return
    metric = LoggedModelMetric(Metric(key, value, timestamp, 0), run_id, dataset, dataset)
    backend.logged_models.log_logged_model_metrics(model_id, [metric])


def test_logged_models_are_ordered_by_a_metrics_latest_value_models_without_it_last(client, run_id):
    experiment_id = client.get_run(run_id).info.experiment_id
    ids = {name: log_model(client, run_id, name, {}) for name in ("a", "b", "c", "none")}
    for name, latest, older in (("a", 0.7, 0.99), ("b", 0.9, 0.1), ("c", 0.8, 0.2)):
        log_model_metric(client, run_id, ids[name], "acc", older, 1000)
        log_model_metric(client, run_id, ids[name], "acc", latest, 2000)
        log_model_metric(client, run_id, ids[name], "acc", 1 - latest, 1500, dataset="eval")

    def ordered(*order):
        found = client.search_logged_models(experiment_id, order_by=[order])
        return [m.name for m in found]

    assert ordered("metrics.acc", False) == ["b", "c", "a", "none"]
    assert ordered("metrics.acc", True) == ["a", "c", "b", "none"]
    assert ordered("metrics.acc", False, "eval", "eval") == ["a", "c", "b", "none"]
    first = client.search_logged_models(
        experiment_id, order_by=[("metrics.acc", False)], max_results=2
    )
    rest = client.search_logged_models(
        experiment_id, order_by=[("metrics.acc", False)], max_results=2, page_token=first.token
    )
    assert [m.name for m in first] + [m.name for m in rest] == ["b", "c", "a", "none"]


@pytest.mark.parametrize(
    "order", [("name",), ("name", "maybe"), (3, True), ("name", True, 5, None)]
)
def test_a_malformed_logged_model_order_is_refused_naming_it(client, run_id, order):
    experiment_id = client.get_run(run_id).info.experiment_id

    with pytest.raises(InvalidArgument, match="order_by"):
        client.search_logged_models(experiment_id, order_by=[order])


@pytest.fixture
def measured(client, run_id) -> tuple[str, dict[str, str]]:
    """Models measured on datasets: ``eval`` (its name is its digest too) and ``holdout``."""
    experiment_id = client.get_run(run_id).info.experiment_id
    ids = {name: log_model(client, run_id, name, {}) for name in ("on-eval", "on-holdout", "none")}
    log_model_metric(client, run_id, ids["on-eval"], "acc", 0.9, 1000, dataset="eval")
    log_model_metric(client, run_id, ids["on-eval"], "acc", 0.5, 1000, dataset="holdout")
    log_model_metric(client, run_id, ids["on-holdout"], "acc", 0.95, 1000, dataset="holdout")
    log_model_metric(client, run_id, ids["none"], "acc", 0.99, 1000)
    return experiment_id, ids


def _names(found) -> list[str]:
    return sorted(m.name for m in found)


def test_a_metric_filter_on_datasets_compares_only_values_measured_on_them(client, measured):
    experiment_id, _ = measured

    on_eval = client.search_logged_models(
        experiment_id, "metrics.acc > 0.8", datasets=[{"dataset_name": "eval"}]
    )
    on_holdout = client.search_logged_models(
        experiment_id, "metrics.acc > 0.8", [{"dataset_name": "holdout"}]
    )
    on_either = client.search_logged_models(
        experiment_id, "metrics.acc < 0.6", datasets=[("eval", None), ("holdout", None)]
    )
    anywhere = client.search_logged_models(experiment_id, "metrics.acc > 0.8")

    assert _names(on_eval) == ["on-eval"]
    assert _names(on_holdout) == ["on-holdout"]
    assert _names(on_either) == ["on-eval"]
    assert _names(anywhere) == ["none", "on-eval", "on-holdout"]


def test_a_dataset_digest_narrows_the_dataset_to_that_version(client, measured):
    experiment_id, _ = measured

    def found(digest):
        datasets = [{"dataset_name": "eval", "dataset_digest": digest}]
        return _names(client.search_logged_models(experiment_id, "metrics.acc > 0", datasets))

    assert found("eval") == ["on-eval"]
    assert found("other") == []
    assert found(None) == ["on-eval"]


def test_datasets_without_a_metric_filter_keep_models_measured_on_them(client, measured):
    experiment_id, _ = measured

    found = client.search_logged_models(experiment_id, datasets=[{"dataset_name": "holdout"}])
    named = client.search_logged_models(
        experiment_id, "name = 'on-eval'", datasets=[{"dataset_name": "holdout"}]
    )

    assert _names(found) == ["on-eval", "on-holdout"]
    assert _names(named) == ["on-eval"]


def test_the_fluent_search_takes_mlflows_datasets(client, measured):
    import modelreg

    experiment_id, _ = measured

    found = modelreg.search_logged_models(
        [experiment_id],
        "metrics.acc > 0.8",
        [{"dataset_name": "holdout"}],
        output_format="list",
    )

    assert _names(found) == ["on-holdout"]


@pytest.mark.parametrize(
    ("datasets", "problem"),
    [
        ([{"dataset_digest": "abc"}], "dataset_name must be a non-empty string"),
        ([{"dataset_name": ""}], "dataset_name must be a non-empty string"),
        ([{"dataset_name": "eval", "dataset_digest": 5}], "dataset_digest must be a string"),
        (["eval"], "each datasets item is"),
        ({"dataset_name": "eval"}, "datasets must be a list"),
        (5, "datasets must be a list"),
    ],
)
def test_a_malformed_dataset_is_refused_naming_the_problem(client, measured, datasets, problem):
    experiment_id, _ = measured

    with pytest.raises(InvalidArgument, match=problem):
        client.search_logged_models(experiment_id, datasets=datasets)


def test_logged_models_made_in_one_millisecond_keep_the_order_they_were_made(tmp_path, monkeypatch):
    from modelreg import Client
    from modelreg.services import logged_models as service

    monkeypatch.setattr(service, "now_ms", lambda: 1_700_000_000_000)
    client = Client(f"sqlite:///{tmp_path / 'r.db'}")
    experiment_id = client.create_experiment("logged")
    run_id = client.create_run(experiment_id).info.run_id

    made = [log_model(client, run_id, f"model-{n}", {}) for n in range(8)]

    def listed(**order) -> list[str]:
        return [m.model_id for m in client.search_logged_models(experiment_id, **order)]

    assert listed() == made[::-1]
    assert listed(order_by=[("creation_time", True)]) == made
    assert [m.model_id for m in client.get_run_logged_models(run_id)] == made
