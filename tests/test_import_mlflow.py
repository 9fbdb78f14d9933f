"""``modelreg import-mlflow`` against a real MLflow 3 server: a faithful copy of its history.

The source is a real ``mlflow server`` (its own virtual environment, SQLite
store) holding a history written with MLflow's client (see
``tests/mlflow_source_fixtures.py``); expected values are read back with
MLflow's client too. Each behaviour is checked on an embedded target and on
a ``modelreg server``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import modelreg
from mlflow_source_fixtures import (  # noqa: F401 - a fixture
    MlflowHistory,
    mlflow_history,
    mlflow_predicted,
    start_target,
)
from modelreg import image_series
from modelreg.entities import LoggedModelInput, LoggedModelOutput
from modelreg.mlflow_import import ImportResult, Options, import_mlflow
from modelreg.mlflow_import.files import target_path
from modelreg.mlflow_import.flavors import NOTE_TAG
from modelreg.mlflow_import.progress import Progress

pytestmark = pytest.mark.timeout(1800)

# Everything but the big artifact's experiment (its own tests import it).
WORKSPACE = "/Users/ana@example.com/churn"
EXPERIMENTS = ("Default", "my_experiment", "long_history", "abandoned", WORKSPACE, "images")
MODELS = (
    "my_model",
    "aliased",
    "renamed_model",
    "deleted_run_model",
    "purged_run_model",
    "lost_files_model",
    "qa_prompt",
)
SELECTION = Options(experiments=EXPERIMENTS, models=MODELS)
# A file of the history whose path modelreg refuses (a look-alike of '..').
REFUSED_NAME = "odd/\uff0e\uff0e/notes.txt"


@dataclass
class Imported:
    """A target after one import of the history, and what that import said."""

    uri: str
    client: modelreg.Client
    admin: modelreg.Client
    result: ImportResult
    mapping_file: Path
    history: MlflowHistory


@pytest.fixture(scope="module", params=["embedded", "server"])
def imported(
    request: pytest.FixtureRequest,
    mlflow_history: MlflowHistory,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Imported]:
    from conftest import stop_server

    folder = tmp_path_factory.mktemp(f"target-{request.param}")
    uri, admin, process = start_target(request.param, folder)
    mapping = folder / "ids.json"
    try:
        result = import_mlflow(
            mlflow_history.url,
            uri,
            options=SELECTION,
            mapping_file=mapping,
            progress=Progress(enabled=False),
        )
        yield Imported(uri, modelreg.Client(uri), admin, result, mapping, mlflow_history)
    finally:
        if process is not None:
            stop_server(process)


def _target_experiment(imp: Imported, name: str) -> Any:
    return imp.client.get_experiment_by_name(name)


# -- experiments ------------------------------------------------------------------------------


def test_experiments_keep_name_tags_stage_and_creation_time(imported):
    for expected in imported.history.dump["experiments"]:
        if expected["name"] not in EXPERIMENTS:
            continue
        found = _target_experiment(imported, expected["name"])
        assert found is not None, expected["name"]
        assert found.lifecycle_stage == expected["lifecycle_stage"]
        assert {k: v for k, v in found.tags.items()} == expected["tags"]
        if expected["name"] != "Default":  # the target's own Default experiment is kept
            assert found.creation_time == expected["creation_time"]


def test_the_deleted_experiment_is_imported_deleted(imported):
    found = _target_experiment(imported, "abandoned")

    assert found.lifecycle_stage == "deleted"
    assert found.tags["why"] == "superseded"


def test_an_experiment_named_by_a_workspace_path_is_imported_with_its_run(imported):
    found = _target_experiment(imported, WORKSPACE)
    run = imported.client.get_run(imported.history.ids["workspace_run"])

    assert (run.info.experiment_id, run.info.run_name) == (found.experiment_id, "in-workspace")


def test_experiment_ids_are_mapped_and_the_mapping_written_to_a_file(imported):
    mapping = json.loads(imported.mapping_file.read_text())

    assert mapping["source"] == imported.history.url
    for expected in imported.history.dump["experiments"]:
        if expected["name"] in EXPERIMENTS:
            target_id = mapping["experiments"][expected["id"]]
            assert imported.client.get_experiment(target_id).name == expected["name"]
    assert imported.result.experiment_ids == mapping["experiments"]


# -- runs -----------------------------------------------------------------------------------


def _selected_runs(imp: Imported) -> list[dict[str, Any]]:
    names = {e["id"] for e in imp.history.dump["experiments"] if e["name"] in EXPERIMENTS}
    return [r for r in imp.history.dump["runs"] if r["experiment_id"] in names]


def test_runs_keep_their_ids_names_status_times_user_and_params(imported):
    for expected in _selected_runs(imported):
        run = imported.client.get_run(expected["run_id"])
        assert run.info.run_name == expected["run_name"]
        assert run.info.status == expected["status"]
        assert run.info.start_time == expected["start_time"]
        assert run.info.end_time == expected["end_time"]
        assert run.info.user_id == expected["user_id"]
        assert run.info.lifecycle_stage == expected["lifecycle_stage"]
        assert run.data.params == expected["params"]


def test_run_tags_are_kept_with_mlflow_names_modelreg_renames_under_modelreg_names(imported):
    from modelreg.store.modelreg_names import TAG_RENAMES

    for expected in _selected_runs(imported):
        tags = imported.client.get_run(expected["run_id"]).data.tags
        for key, value in expected["tags"].items():
            assert tags[TAG_RENAMES.get(key, key)] == value, key


def test_nested_runs_keep_their_parent(imported):
    parent = imported.history.ids["parent_run"]
    children = [
        r for r in _selected_runs(imported) if r["tags"].get("mlflow.parentRunId") == parent
    ]

    assert len(children) == 2
    for child in children:
        assert imported.client.get_run(child["run_id"]).data.tags["modelreg.parentRunId"] == parent


def test_every_metric_value_keeps_its_step_and_timestamp(imported):
    for expected in _selected_runs(imported):
        for key, points in expected["metrics"].items():
            history = imported.client.get_metric_history(expected["run_id"], key)
            got = [(m.step, m.timestamp, repr(m.value)) for m in history]
            assert got == [tuple(p) for p in points], (expected["run_name"], key)


def test_a_metric_history_of_ten_thousand_points_is_whole(imported):
    history = imported.client.get_metric_history(imported.history.ids["long_run"], "loss")

    assert len(history) == 10_000
    assert [m.step for m in history] == list(range(10_000))


def test_a_nan_metric_stays_nan(imported):
    run = imported.client.get_run(imported.history.ids["seed_run"])

    assert math.isnan(run.data.metrics["loss"])


def test_dataset_inputs_are_kept(imported):
    inputs = imported.client.get_run_inputs(imported.history.ids["seed_run"])

    assert [(i.dataset.name, i.context, i.other_tags) for i in inputs] == [
        ("train", "training", {"split": "2026-q4"})
    ]
    expected = imported.history.run(imported.history.ids["seed_run"])["datasets"][0]
    assert inputs[0].dataset.schema["mlflow_digest"] == expected["digest"]


def test_run_artifacts_are_copied_byte_for_byte(imported):
    for expected in _selected_runs(imported):
        manifest = imported.client._backend.artifacts.manifest(expected["run_id"])
        for path, file in expected["artifacts"].items():
            if path == REFUSED_NAME:
                continue
            stored = manifest[target_path(path)]
            assert (stored.digest, stored.size) == (file["sha256"], file["size"]), path


def test_image_series_are_kept_and_those_mlflow_2_named_are_renamed_as_mlflow_3_names_them(
    imported,
):
    run_id = imported.history.ids["images_run"]
    paths = [f.path for f in imported.client.list_artifacts(run_id, "images")]

    series = image_series.series_of(paths)

    assert {key: [i.step for i in images] for key, images in series.items()} == {
        "old/masks": [3],
        "samples": [0, 1],
    }
    assert all(i.thumbnail for images in series.values() for i in images)
    assert not [path for path in paths if "%" in path]


def test_a_file_whose_name_modelreg_refuses_is_left_out_reported_and_the_run_imported(imported):
    run_id = imported.history.ids["images_run"]

    [problem] = [p for p in imported.result.problems if p.kind == "artifact"]

    assert problem.what == f"run {run_id}: {REFUSED_NAME}"
    assert "left out" in problem.detail and "'..' segment" in problem.detail
    assert imported.client.get_run(run_id).info.status == "FINISHED"
    assert REFUSED_NAME not in imported.client._backend.artifacts.manifest(run_id)


def test_runs_uris_keep_working_with_the_mlflow_run_id(imported, tmp_path):
    run_id = imported.history.ids["seed_run"]

    local = imported.client.download_artifacts(artifact_uri=f"runs:/{run_id}/model/weights.txt")

    assert Path(local).read_text() == "weights"


# -- logged models ------------------------------------------------------------------------------


def _selected_logged_models(imp: Imported) -> list[dict[str, Any]]:
    ids = {e["id"] for e in imp.history.dump["experiments"] if e["name"] in EXPERIMENTS}
    return [m for m in imp.history.dump["logged_models"] if m["experiment_id"] in ids]


def test_logged_models_keep_their_ids_fields_times_and_metrics(imported):
    expected_models = _selected_logged_models(imported)
    assert len(expected_models) >= 2

    for expected in expected_models:
        found = imported.client.get_logged_model(expected["model_id"])
        assert found.name == expected["name"]
        assert found.source_run_id == (expected["source_run_id"] or None)
        assert (found.model_type or "") == (expected["model_type"] or "")
        assert found.status == expected["status"].removeprefix("LoggedModelStatus.")
        assert found.creation_timestamp == expected["creation_timestamp"]
        assert found.last_updated_timestamp == expected["last_updated_timestamp"]
        assert found.tags == expected["tags"]
        assert found.params == expected["params"]
        metrics = sorted(
            (m.metric.key, m.metric.value, m.metric.step, m.metric.timestamp) for m in found.metrics
        )
        assert metrics == [tuple(m) for m in expected["metrics"]]
        mapped = json.loads(imported.mapping_file.read_text())["experiments"]
        assert found.experiment_id == mapped[expected["experiment_id"]]


def test_logged_model_files_are_copied_byte_for_byte(imported):
    for expected in _selected_logged_models(imported):
        manifest = imported.client._backend.logged_models.manifest(expected["model_id"])
        assert {p: (r.digest, r.size) for p, r in manifest.items()} == {
            p: (f["sha256"], f["size"]) for p, f in expected["files"].items()
        }


def test_a_logged_model_made_outside_any_run_is_imported(imported):
    found = imported.client.get_logged_model(imported.history.ids["external_model"])

    assert found.source_run_id is None
    assert found.tags["where"] == "elsewhere"


def test_a_run_keeps_the_models_it_used_and_made_at_their_steps(imported):
    ids = imported.history.ids

    found = imported.client.get_run(ids["fine_tune_run"])

    assert found.inputs.model_inputs == [LoggedModelInput(ids["seed_logged_model"])]
    assert found.outputs.model_outputs == [LoggedModelOutput(ids["tuned_model"], 7)]


def test_a_run_lists_the_logged_model_it_made(imported):
    run_id = imported.history.ids["my_model_run"]

    made = imported.client.get_run_logged_models(run_id)

    assert [m.name for m in made] == ["model"]
    assert made[0].model_id in {m["model_id"] for m in _selected_logged_models(imported)}


def test_a_version_registered_from_a_logged_model_shares_its_files(imported):
    version = imported.client.get_model_version("my_model", 1)
    model_id = version.source.removeprefix("models:/")

    logged = imported.client._backend.logged_models.manifest(model_id)
    files = imported.client._backend.artifacts.version_manifest("my_model", 1)

    assert version.source == imported.history.model("my_model")["versions"][0]["source"]
    assert {p: r for p, r in files.items() if p in logged} == logged


# -- registry ---------------------------------------------------------------------------------


def test_registered_models_keep_description_tags_and_creation_time(imported):
    for name in MODELS:
        expected = imported.history.model(name)
        model = imported.client.get_registered_model(name)
        assert model.description == (expected["description"] or None)
        assert model.tags == expected["tags"]
        assert model.creation_timestamp == expected["creation_timestamp"]


def test_versions_keep_number_stage_status_run_and_time(imported):
    for name in MODELS:
        expected = imported.history.model(name)["versions"]
        found = {v.version: v for v in imported.client.search_model_versions(f"name = '{name}'")}
        assert sorted(found) == [v["version"] for v in expected], name
        for v in expected:
            got = found[v["version"]]
            assert got.current_stage == v["stage"]
            assert got.status == v["status"]
            assert got.run_id == v["run_id"]
            assert {k: t for k, t in got.tags.items() if k != NOTE_TAG} == v["tags"]
            assert got.creation_timestamp == v["creation_timestamp"]


def test_versions_get_a_semver_in_registration_order_and_keep_gaps_in_numbers(imported):
    versions = imported.client.search_model_versions("name = 'aliased'")

    assert sorted((v.version, v.semver) for v in versions) == [
        (1, "1.0.0"),
        (2, "1.1.0"),
        (4, "1.2.0"),
    ]


def test_a_version_registered_after_the_import_takes_the_next_number(imported):
    client = imported.client
    source = client.get_model_version("aliased", 4).source

    created = client.create_model_version("aliased", source)

    try:
        assert created.version == 5
    finally:
        client.delete_model_version("aliased", created.version)


def test_aliases_and_stages_resolve_as_in_mlflow(imported):
    client = imported.client

    assert client.get_registered_model("aliased").aliases == {"champion": 2, "challenger": 4}
    assert client.resolve_model_uri("models:/aliased@champion").version == 2
    assert client.resolve_model_uri("models:/aliased/Production").version == 2
    assert client.resolve_model_uri("models:/aliased/Staging").version == 4


def test_a_renamed_model_is_imported_under_its_current_name(imported):
    assert imported.client.get_registered_model("renamed_model").name == "renamed_model"
    assert imported.client.search_registered_models("name = 'old_name'") == []


def test_a_version_keeps_its_files_and_loads_through_models_uris(imported, tmp_path):
    local = imported.client.download_artifacts(
        artifact_uri="models:/my_model/Staging/MLmodel", dst_path=tmp_path
    )

    assert "sklearn" in Path(local).read_text()


def test_a_version_whose_run_was_deleted_keeps_its_files(imported):
    run_id = imported.history.ids["deleted_run"]

    assert imported.client.get_run(run_id).info.lifecycle_stage == "deleted"
    manifest = imported.client._backend.artifacts.version_manifest("deleted_run_model", 1)
    assert "MLmodel" in manifest


def test_a_version_whose_run_was_purged_is_imported_with_its_files_and_reported(imported):
    version = imported.client.get_model_version("purged_run_model", 1)
    manifest = imported.client._backend.artifacts.version_manifest("purged_run_model", 1)

    assert version.run_id == imported.history.ids["purged_run"]
    assert "MLmodel" in manifest
    assert any(
        p.kind == "version" and p.what == "purged_run_model 1" for p in imported.result.problems
    )


def test_a_version_whose_files_are_gone_is_imported_without_them_and_reported(imported):
    version = imported.client.get_model_version("lost_files_model", 1)

    assert version.source.endswith("/lost")
    assert any(p.what == "lost_files_model 1" for p in imported.result.problems)


def test_a_prompt_keeps_its_versions_templates_and_alias(imported):
    client = imported.client

    first = client.get_model_version_by_alias("qa_prompt", "production")
    second = client.get_model_version("qa_prompt", 2)

    assert client.get_registered_model("qa_prompt").tags["mlflow.prompt.is_prompt"] == "true"
    assert first.version == 1 and first.source == "dummy-source"
    assert first.tags["mlflow.prompt.text"] == "Answer {{question}}. " + "x" * 20000
    assert second.tags["mlflow.prompt.text"] == "Please answer {{question}}."


def test_only_the_inconsistencies_of_the_source_and_the_disabled_webhook_are_reported(imported):
    reported = sorted((p.kind, p.what) for p in imported.result.problems)

    assert [kind for kind, _ in reported] == ["artifact", "version", "version", "webhook"], reported


def test_a_webhook_is_imported_in_mlflows_format_disabled_as_its_secret_stays_behind(imported):
    [hook] = imported.client.list_webhooks()
    [notice] = [p for p in imported.result.problems if p.kind == "webhook"]

    assert (hook.name, hook.url, hook.description) == (
        "deploy-hook",
        "https://hooks.example.com/mlflow",
        "tells the deploy job",
    )
    assert hook.events == ("model_version.created", "model_version_alias.created")
    assert (hook.payload_format, hook.status) == ("mlflow", "DISABLED")
    assert hook.webhook_id in notice.detail and "--enable" in notice.detail
    assert imported.result.counts["webhooks"] == (1, 1)


# -- audit and verification ----------------------------------------------------------------------


def test_each_imported_object_has_one_imported_from_mlflow_event(imported):
    client = imported.client
    history = client.get_history("aliased")
    imported_events = [e for e in history if e.action == "import_mlflow"]
    # the model, its three versions and its two aliases
    assert len(imported_events) == 6
    assert all(e.after["mlflow_url"] == imported.history.url for e in imported_events)
    runs = _events(imported.admin, "run")
    per_run = [e.entity_id for e in runs if e.action == "import_mlflow"]
    assert sorted(per_run) == sorted(r["run_id"] for r in _selected_runs(imported))
    logged = _events(imported.admin, "logged_model")
    per_model = [e.entity_id for e in logged if e.action == "import_mlflow"]
    expected_models = _selected_logged_models(imported)
    assert sorted(per_model) == sorted(m["model_id"] for m in expected_models)


def test_counts_of_source_and_target_match(imported):
    counts = dict(imported.result.counts)

    assert counts, "no counts"
    source_files, target_files = counts.pop("artifacts")
    source_bytes, target_bytes = counts.pop("artifact bytes")
    # The one file left out (and reported) is all that differs.
    assert (source_files - target_files, source_bytes - target_bytes) == (1, len("an odd name"))
    assert {row: s for row, (s, _) in counts.items()} == {row: t for row, (_, t) in counts.items()}
    assert counts["runs"][0] == len(_selected_runs(imported))
    assert counts["metric values"][0] >= 10_000
    assert counts["logged models"][0] == len(_selected_logged_models(imported))


def _events(client: modelreg.Client, entity_type: str | None = None) -> list[Any]:
    events, token = [], None
    while True:
        page = client.get_audit_events(entity_type, page_token=token)
        events += page
        if not (token := page.token):
            return events


def _snapshot(imp: Imported) -> dict[str, Any]:
    client = imp.client
    return {
        "events": len(_events(imp.admin)),
        "metrics": {
            r["run_id"]: {k: len(client.get_metric_history(r["run_id"], k)) for k in r["metrics"]}
            for r in _selected_runs(imp)
        },
        "versions": sorted(
            (v.name, v.version, v.semver, v.current_stage) for v in client.search_model_versions()
        ),
        "artifacts": {
            r["run_id"]: client._backend.artifacts.manifest(r["run_id"])
            for r in _selected_runs(imp)
        },
        "logged models": {
            m["model_id"]: client.get_logged_model(m["model_id"]).to_dict()
            for m in _selected_logged_models(imp)
        },
    }


def test_importing_twice_changes_nothing(imported):
    before = _snapshot(imported)

    again = import_mlflow(
        imported.history.url,
        imported.uri,
        options=SELECTION,
        mapping_file=imported.mapping_file,
        progress=Progress(enabled=False),
    )

    assert _snapshot(imported) == before
    assert again.counts == imported.result.counts
    assert again.problems == []  # what was imported with a problem is not imported again


# -- loading imported models ----------------------------------------------------------------------

ROWS = [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [0.3, 0.7], [1.5, -1.0]]


def test_an_imported_scikit_learn_version_predicts_as_mlflow_pyfunc_does(imported):
    import numpy as np

    uri = "models:/aliased/Production"
    rows, expected = mlflow_predicted(imported.history.ids, uri)

    # MLflow 3 saves scikit-learn models with skops, which modelreg loads without pickle.
    model = modelreg.load_model(uri, client=imported.client)

    assert np.asarray(model.predict(rows)).tolist() == expected


def test_a_pytorch_module_saved_whole_as_mlflow_does_loads_only_with_trust_pickle(tmp_path):
    import numpy as np
    import torch

    from modelreg.flavors import load_model_dir
    from modelreg.mlflow_import.flavors import modelreg_manifest

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    (tmp_path / "data").mkdir()
    torch.save(net, tmp_path / "data" / "model.pth")  # what mlflow.pytorch.log_model writes
    digest = hashlib.sha256((tmp_path / "data" / "model.pth").read_bytes()).hexdigest()
    mlmodel = "flavors:\n  pytorch:\n    model_data: data\n    pytorch_version: 2.13.0\n"
    manifest = modelreg_manifest(mlmodel, {"data/model.pth": {"digest": digest, "size": 1}})
    (tmp_path / "modelreg.json").write_bytes(manifest)

    with pytest.raises(modelreg.errors.PermissionDenied, match="pickle"):
        load_model_dir(tmp_path)
    loaded = load_model_dir(tmp_path, trust_pickle=True)

    rows = np.array(ROWS, dtype=np.float32)
    expected = net(torch.from_numpy(rows)).detach().numpy()
    assert np.allclose(np.asarray(loaded.predict(rows)), expected)


def test_a_pytorch_program_exported_as_mlflow_3_does_loads_with_trust_pickle(tmp_path):
    import numpy as np
    import torch

    from modelreg.flavors import load_model_dir
    from modelreg.mlflow_import.flavors import modelreg_manifest

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    rows = np.array(ROWS, dtype=np.float32)
    batch = torch.export.Dim("batch")
    program = torch.export.export(net, (torch.from_numpy(rows),), dynamic_shapes=({0: batch},))
    (tmp_path / "data").mkdir()
    torch.export.save(program, tmp_path / "data" / "model.pt2")  # mlflow.pytorch's "pt2"
    digest = hashlib.sha256((tmp_path / "data" / "model.pt2").read_bytes()).hexdigest()
    mlmodel = "flavors:\n  pytorch:\n    model_data: data\n    serialization_format: pt2\n"
    files = {"data/model.pt2": {"digest": digest, "size": 1}}
    (tmp_path / "modelreg.json").write_bytes(modelreg_manifest(mlmodel, files))

    # torch.export.save keeps the example inputs, pickled; modelreg's own saves drop them.
    with pytest.raises(modelreg.errors.PermissionDenied, match="pickle"):
        load_model_dir(tmp_path)
    loaded = load_model_dir(tmp_path, trust_pickle=True)

    expected = net(torch.from_numpy(rows)).detach().numpy()
    assert np.allclose(np.asarray(loaded.predict(rows)), expected, atol=1e-6)


def test_a_pickled_mlflow_model_gets_a_manifest_that_loads_only_with_trust_pickle():
    from modelreg.flavors.model_dir import ModelInfo
    from modelreg.mlflow_import.flavors import modelreg_manifest

    mlmodel = (
        "flavors:\n  sklearn:\n    pickled_model: model.pkl\n"
        "    serialization_format: cloudpickle\n"
    )

    made = modelreg_manifest(mlmodel, {"model.pkl": {"digest": "a" * 64, "size": 10}})

    info = ModelInfo.from_manifest(made)
    assert info.manifest["flavor"] == {"name": "python", "state": "pickle", "file": "model.pkl"}


def test_a_flavor_modelreg_cannot_load_gets_a_note_instead_of_a_manifest():
    from modelreg.mlflow_import.flavors import modelreg_manifest

    mlmodel = "flavors:\n  tensorflow:\n    saved_model_dir: tfmodel\n"

    made = modelreg_manifest(mlmodel, {"tfmodel/saved_model.pb": {"digest": "0" * 64, "size": 1}})

    assert isinstance(made, str) and "cannot load its flavors (tensorflow)" in made
