"""Export and import: a whole registry moves between backends, digests checked both ways."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from conftest import server_env, start_server, stop_server
from fresh_databases import new_postgres_database, planner_statistics
from modelreg import Client
from modelreg.backend import EmbeddedBackend
from modelreg.backup import export_registry, import_registry
from modelreg.blobs.base import blob_key
from modelreg.cli import cli
from modelreg.errors import Conflict, IntegrityError, InvalidArgument
from modelreg.store.database import Database


def _client(db_url: str, artifacts_uri: str) -> Client:
    return Client.from_backend(EmbeddedBackend(db_url, artifacts_uri))


def _populate(client: Client, tmp_path: Path) -> None:
    """A bit of everything: experiments, runs, metric histories, artifacts, models, cards."""
    experiment = client.create_experiment("churn", tags={"team": "risk"})
    run_id = client.create_run(experiment, run_name="baseline", tags={"k": "v"}).info.run_id
    client.log_param(run_id, "lr", "0.01")
    for step in range(5):
        client.log_metric(run_id, "loss", 1 / (step + 1), step=step)
    client.log_metric(run_id, "odd", math.nan)
    client.log_metric(run_id, "big", math.inf)
    client.log_text(run_id, "weights", "model/weights.bin")
    client.log_text(run_id, "<script>alert(1)</script>", "model/report.html")
    client.set_terminated(run_id)
    client.create_registered_model("fraud", "catches fraud", {"owner": "risk"})
    for _ in range(3):
        client.create_model_version("fraud", f"runs:/{run_id}/model", run_id=run_id)
    client.delete_model_version("fraud", 3)
    client.transition_model_version_stage("fraud", 2, "Production")
    client.set_registered_model_alias("fraud", "champion", 1)
    client.set_model_version_tag("fraud", 1, "reviewed", "yes")
    client.set_model_card("fraud", 1, {"summary": "A fraud model.", "license": "mit"})
    client.set_scoring_weights("fraud", {"loss": -1.0})


def _contents(client: Client, tmp_path: Path) -> dict[str, Any]:
    """Everything a user can read back, in comparable form."""
    experiments = client.search_experiments(view_type="ALL")
    ids = [e.experiment_id for e in experiments]
    runs = client.search_runs(ids, run_view_type="ALL", max_results=1000)
    files = {}
    for run in runs:
        for path in client._backend.artifacts.manifest(run.info.run_id):
            local = client.download_artifacts(run.info.run_id, path, tmp_path / run.info.run_id)
            files[(run.info.run_id, path)] = Path(local).read_bytes()
    return {
        "experiments": [e.to_dict() for e in experiments],
        "runs": [json.dumps(r.to_dict(), sort_keys=True) for r in runs],
        "history": {
            (r.info.run_id, k): [m.to_dict() for m in client.get_metric_history(r.info.run_id, k)]
            for r in runs
            for k in r.data.metrics
        },
        "files": files,
        "models": [m.to_dict() for m in client.search_registered_models()],
        "versions": [v.to_dict() for v in client.search_model_versions("name = 'fraud'")],
        "audit": [e.to_dict() for e in client.get_history("fraud")],
        "card": client.get_model_card("fraud", 1).to_dict(),
        "weights": client.get_scoring_weights("fraud"),
    }


@pytest.fixture
def source(tmp_path: Path) -> Client:
    """An embedded SQLite registry with local artifacts, full of things."""
    client = _client(f"sqlite:///{tmp_path / 'src' / 'registry.db'}", str(tmp_path / "src-art"))
    _populate(client, tmp_path)
    return client


@pytest.fixture
def pg_target(pg_url: str) -> Iterator[str]:
    with new_postgres_database("modelreg_import") as url:
        yield url


def test_sqlite_registry_moves_to_postgresql_and_s3_with_everything_intact(
    source, pg_target, s3_uri, tmp_path
):
    archive = tmp_path / "archive"

    exported = export_registry(source._backend.db_url, source._backend.artifacts_uri, archive)
    imported = import_registry(archive, pg_target, s3_uri)

    target = _client(pg_target, s3_uri)
    assert _contents(target, tmp_path / "b") == _contents(source, tmp_path / "a")
    assert imported.rows == exported.rows
    assert imported.blobs == exported.blobs == 2


def test_an_import_into_postgresql_leaves_planner_statistics_of_what_it_loaded(
    source, pg_target, s3_uri, tmp_path
):
    # Autovacuum analyzes a table only after 50 changed rows: these few stay unanalyzed.
    export_registry(source._backend.db_url, source._backend.artifacts_uri, tmp_path / "a")

    import_registry(tmp_path / "a", pg_target, s3_uri)

    db = Database(pg_target)
    loaded = ["experiments", "runs", "metrics", "params", "model_versions", "audit_events"]
    assert [t for t in loaded if not planner_statistics(db, t)] == []
    db.dispose()


def test_a_registry_a_server_wrote_to_exports_without_its_request_answers(tmp_path):
    # The server keeps each change's answer (bytes) for clients repeating the request.
    db_url = f"sqlite:///{tmp_path / 'db' / 'registry.db'}"
    artifacts = str(tmp_path / "artifacts")
    Database(db_url).upgrade()
    process, url = start_server(db_url, artifacts, env=server_env())
    try:
        Client(url).create_registered_model("fraud", "served")
    finally:
        stop_server(process)
    with Database(db_url).read() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar() > 0

    exported = export_registry(db_url, artifacts, tmp_path / "archive")
    target = f"sqlite:///{tmp_path / 'back' / 'registry.db'}"
    import_registry(tmp_path / "archive", target, str(tmp_path / "back-art"))

    assert "idempotency_keys" not in exported.rows
    restored = _client(target, str(tmp_path / "back-art"))
    assert restored.get_registered_model("fraud").description == "served"


def test_an_imported_registry_keeps_allocating_fresh_ids(source, pg_target, s3_uri, tmp_path):
    export_registry(source._backend.db_url, source._backend.artifacts_uri, tmp_path / "a")
    import_registry(tmp_path / "a", pg_target, s3_uri)
    target = _client(pg_target, s3_uri)

    experiment = target.create_experiment("new")
    target.create_registered_model("other")

    assert int(experiment) > max(int(e.experiment_id) for e in source.search_experiments())
    assert target.create_model_version("fraud", "models:/fraud/1").version == 4


def test_postgresql_registry_moves_back_to_sqlite(source, pg_target, s3_uri, tmp_path):
    export_registry(source._backend.db_url, source._backend.artifacts_uri, tmp_path / "one")
    import_registry(tmp_path / "one", pg_target, s3_uri)
    export_registry(pg_target, s3_uri, tmp_path / "two")

    sqlite_url = f"sqlite:///{tmp_path / 'back' / 'registry.db'}"
    import_registry(tmp_path / "two", sqlite_url, str(tmp_path / "back-art"))

    back = _client(sqlite_url, str(tmp_path / "back-art"))
    assert _contents(back, tmp_path / "c") == _contents(source, tmp_path / "d")


@pytest.fixture
def archive(source: Client, tmp_path: Path) -> Path:
    path = tmp_path / "archive"
    export_registry(source._backend.db_url, source._backend.artifacts_uri, path)
    return path


@pytest.fixture
def empty_target(tmp_path: Path) -> tuple[str, str]:
    return f"sqlite:///{tmp_path / 'dst' / 'registry.db'}", str(tmp_path / "dst-art")


def _is_empty(target: tuple[str, str]) -> bool:
    client = _client(*target)
    return [e.name for e in client.search_experiments()] == ["Default"] and not (
        client.search_registered_models()
    )


def test_import_refuses_a_registry_that_holds_data(archive, empty_target):
    _client(*empty_target).create_registered_model("mine")

    with pytest.raises(Conflict, match="not empty"):
        import_registry(archive, *empty_target)


def test_a_corrupt_blob_in_the_archive_is_refused_before_anything_is_written(archive, empty_target):
    blob = next((archive / "blobs").rglob("*"))
    while blob.is_dir():
        blob = next(blob.iterdir())
    blob.write_bytes(b"tampered")

    with pytest.raises(IntegrityError, match="corrupt"):
        import_registry(archive, *empty_target)
    assert _is_empty(empty_target)


def test_a_missing_blob_in_the_archive_is_refused(archive, empty_target):
    digest = json.loads((archive / "tables" / "run_artifacts.jsonl").read_text().split("\n")[0])
    (archive / blob_key(digest[2])).unlink()

    with pytest.raises(IntegrityError, match="lacks"):
        import_registry(archive, *empty_target)
    assert _is_empty(empty_target)


def test_an_edited_table_file_is_refused(archive, empty_target):
    table = archive / "tables" / "registered_models.jsonl"
    table.write_text(table.read_text().replace("catches fraud", "catches nothing"))

    with pytest.raises(IntegrityError, match="registered_models.jsonl does not match"):
        import_registry(archive, *empty_target)
    assert _is_empty(empty_target)


def _rewrite_table(archive: Path, name: str, columns: list[str], rows: list[list[Any]]) -> None:
    """Replaces an archive table's columns and rows, and its manifest entry to match."""
    import hashlib

    manifest = json.loads((archive / "manifest.json").read_text())
    table = archive / "tables" / f"{name}.jsonl"
    table.write_text("".join(json.dumps(row) + "\n" for row in rows))
    info = manifest["tables"][name]
    info["columns"] = columns
    info["sha256"] = hashlib.sha256(table.read_bytes()).hexdigest()
    (archive / "manifest.json").write_text(json.dumps(manifest))


def _table(archive: Path, name: str) -> tuple[list[str], list[list[Any]]]:
    manifest = json.loads((archive / "manifest.json").read_text())
    lines = (archive / "tables" / f"{name}.jsonl").read_text().splitlines()
    return manifest["tables"][name]["columns"], [json.loads(line) for line in lines]


def _set_revision(archive: Path, revision: str) -> None:
    manifest = json.loads((archive / "manifest.json").read_text())
    manifest["schema_revision"] = revision
    (archive / "manifest.json").write_text(json.dumps(manifest))


def _as_written_by_0005(archive: Path) -> None:
    """Rewrites the archive as schema 0005 wrote it: without the columns 0006 adds."""
    columns, rows = _table(archive, "registered_models")
    keep = [i for i, c in enumerate(columns) if c not in ("top_version", "top_semver")]
    _rewrite_table(
        archive,
        "registered_models",
        [columns[i] for i in keep],
        [[r[i] for i in keep] for r in rows],
    )
    _set_revision(archive, "0005")


def _as_written_by_0007(archive: Path) -> None:
    """Rewrites the archive as schema 0007 wrote it: versions with JSON copies of their tags
    and aliases (stale ones here, which an import must not trust)."""
    columns, rows = _table(archive, "model_versions")
    stale = [json.dumps({"stale": "tag"}), json.dumps({"stale": 1})]
    _rewrite_table(
        archive,
        "model_versions",
        [*columns, "tags_json", "aliases_json"],
        [r + stale for r in rows],
    )
    _set_revision(archive, "0007")


@pytest.fixture(params=["this schema", "schema 0005", "schema 0007"])
def imported(request, archive: Path, empty_target: tuple[str, str]) -> Client:
    """The registry imported from an archive written by this schema or an older one."""
    if request.param == "schema 0005":
        _as_written_by_0005(archive)
    if request.param == "schema 0007":
        _as_written_by_0007(archive)
    import_registry(archive, *empty_target)
    return _client(*empty_target)


def test_an_imported_model_bumps_from_its_highest_semver(imported):
    run_id = imported.get_model_version("fraud", 1).run_id

    version = imported.create_model_version("fraud", f"runs:/{run_id}/model", bump="minor")

    assert (version.version, version.semver) == (4, "1.1.0")  # versions 1.0.0 and 1.0.1 are left


def test_imported_versions_carry_their_tags_and_aliases(imported):
    client = imported

    (found,) = client.search_model_versions("name = 'fraud' AND version = 1")
    assert (found.tags, found.aliases) == ({"reviewed": "yes"}, ("champion",))
    assert client.get_model_version("fraud", 2).aliases == ()


def test_an_unfinished_export_is_not_an_archive(archive, empty_target):
    (archive / "manifest.json").unlink()

    with pytest.raises(InvalidArgument, match="did not finish"):
        import_registry(archive, *empty_target)


def test_export_refuses_a_folder_that_is_not_empty(source, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")

    with pytest.raises(Conflict, match="not an empty folder"):
        export_registry(source._backend.db_url, source._backend.artifacts_uri, tmp_path / "full")


def test_export_refuses_a_blob_damaged_in_the_store(source, tmp_path):
    from artifact_fixtures import corrupt_blob

    digest = next(iter(source._backend.blobs.iter_digests()))
    corrupt_blob(source._backend.blobs, digest, b"bit rot")

    with pytest.raises(IntegrityError, match=digest):
        export_registry(source._backend.db_url, source._backend.artifacts_uri, tmp_path / "out")


def test_export_and_import_commands_round_trip(source, empty_target, tmp_path):
    runner = CliRunner()
    exported = runner.invoke(
        cli,
        ["export", str(tmp_path / "cli-archive"), "--tracking-uri", source._backend.db_url],
        env={"MODELREG_ARTIFACTS_URI": source._backend.artifacts_uri},
    )
    db_url, artifacts = empty_target
    imported = runner.invoke(
        cli,
        ["import", str(tmp_path / "cli-archive"), "--tracking-uri", db_url, "--json"],
        env={"MODELREG_ARTIFACTS_URI": artifacts},
    )

    assert exported.exit_code == 0, exported.output
    assert re.fullmatch(
        r"Exported \d+ rows in \d+ tables and 2 blob\(s\) \(32 B\)\.\n", exported.output
    )
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output)["blobs"] == 2
    assert [v.version for v in _client(*empty_target).search_model_versions("")] == [2, 1]


def test_export_refuses_a_server_url(tmp_path):
    result = CliRunner().invoke(
        cli, ["export", str(tmp_path / "x"), "--tracking-uri", "http://127.0.0.1:5000"]
    )

    assert result.exit_code == 1
    assert "where the database" in result.output


def test_an_archive_written_before_0022_shows_an_mlflow_clients_input_tags(
    source, tmp_path, empty_target
):
    from modelreg.datasets import Dataset

    (run,) = source.search_runs([source.get_experiment_by_name("churn").experiment_id])
    theirs = {"name": "theirs", "digest": "d1", "source_type": "local"}
    logged = Dataset("theirs", "a" * 64, json.dumps({"mlflow_dataset": theirs}))
    source.log_input(run.info.run_id, logged, "training")
    path = tmp_path / "archive-0021"
    export_registry(source._backend.db_url, source._backend.artifacts_uri, path)
    # As 0021 wrote it: no tags column, an MLflow client's tags inside the source.
    columns, rows = _table(path, "run_inputs")
    at, src = columns.index("tags"), columns.index("source")
    for row in rows:
        kept = json.loads(row[src])
        kept["tags"] = {"mlflow.data.context": "training", "split": "q4"}
        row[src] = json.dumps(kept, sort_keys=True)
    old = [row[:at] + row[at + 1 :] for row in rows]
    _rewrite_table(path, "run_inputs", columns[:at] + columns[at + 1 :], old)
    _set_revision(path, "0021")

    import_registry(path, *empty_target)

    (found,) = _client(*empty_target).get_run_inputs(run.info.run_id)
    assert (found.context, found.other_tags) == ("training", {"split": "q4"})
    assert json.loads(found.dataset.source) == {"mlflow_dataset": theirs}
