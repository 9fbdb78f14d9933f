"""Tracking URI resolution, as in the table in DESIGN.md."""

import os
from pathlib import Path

import pytest

import modelreg
from modelreg.blobs import open_blob_store
from modelreg.errors import InvalidArgument
from modelreg.store.database import Database
from modelreg.uris import resolve_tracking_uri


def test_unset_means_dot_modelreg_in_the_working_directory(tmp_path):
    target = resolve_tracking_uri(None)

    assert target.kind == "embedded"
    assert target.db_url == f"sqlite:///{tmp_path / '.modelreg' / 'registry.db'}"
    assert target.artifacts_uri == str(tmp_path / ".modelreg" / "artifacts")


def test_environment_variable_is_used_when_no_uri_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELREG_TRACKING_URI", str(tmp_path / "elsewhere"))

    assert (
        resolve_tracking_uri(None).db_url == f"sqlite:///{tmp_path / 'elsewhere' / 'registry.db'}"
    )


def test_folder_and_file_uri_mean_the_same_store(tmp_path):
    by_path = resolve_tracking_uri(str(tmp_path / "store"))
    by_uri = resolve_tracking_uri((tmp_path / "store").as_uri())

    assert by_path == by_uri


def test_sqlite_uri_takes_artifacts_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", "s3://bucket/prefix")

    target = resolve_tracking_uri(f"sqlite:///{tmp_path}/x.db")

    assert target.artifacts_uri == "s3://bucket/prefix"


def test_sqlite_uri_defaults_artifacts_next_to_the_database(tmp_path):
    assert resolve_tracking_uri(f"sqlite:///{tmp_path}/x.db").artifacts_uri == str(
        tmp_path / "artifacts"
    )


def test_postgresql_uri_is_embedded(tmp_path):
    target = resolve_tracking_uri("postgresql://postgres@127.0.0.1/db")

    assert target.kind == "embedded" and target.db_url == "postgresql://postgres@127.0.0.1/db"


def test_http_uri_is_remote():
    assert resolve_tracking_uri("http://localhost:5000/").kind == "remote"


@pytest.mark.parametrize("uri", ["ftp://x", "mysql://db", "sqlite://"])
def test_unknown_or_unusable_uris_are_refused(uri):
    with pytest.raises(InvalidArgument):
        resolve_tracking_uri(uri)


@pytest.mark.parametrize(
    ("refuse", "shown"),
    [
        (lambda: resolve_tracking_uri("mysql://bob:hunter2@db/registry"), "mysql://db/registry"),
        (lambda: Database("mysql://bob:hunter2@db/registry"), "mysql://db/registry"),
        (lambda: open_blob_store("ftp://bob:hunter2@files/artifacts"), "ftp://files/artifacts"),
    ],
    ids=["tracking URI", "backend store URI", "artifact store URI"],
)
def test_a_refused_uri_is_named_without_its_credentials(refuse, shown):
    with pytest.raises(InvalidArgument) as refused:
        refuse()

    assert f"'{shown}'" in str(refused.value)


def test_default_store_is_created_on_first_use(tmp_path):
    with modelreg.start_run():
        modelreg.log_metric("m", 1.0)

    assert (Path(tmp_path) / ".modelreg" / "registry.db").exists()


def test_setting_none_goes_back_to_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELREG_TRACKING_URI", str(tmp_path / "team"))
    modelreg.set_tracking_uri(tmp_path / "mine")

    modelreg.set_tracking_uri(None)

    assert modelreg.get_tracking_uri() == str(tmp_path / "team")
    assert os.environ["MODELREG_TRACKING_URI"] == str(tmp_path / "team")


def test_setting_none_without_an_environment_variable_goes_back_to_the_default(tmp_path):
    modelreg.set_tracking_uri(tmp_path / "mine")

    modelreg.set_tracking_uri(None)

    assert modelreg.get_tracking_uri() == str(tmp_path / ".modelreg")
    assert "MODELREG_TRACKING_URI" not in os.environ


def test_a_path_object_names_a_folder_store(tmp_path):
    target = resolve_tracking_uri(tmp_path / "store")

    assert target.db_url == f"sqlite:///{tmp_path / 'store' / 'registry.db'}"


def test_a_uri_of_another_type_is_refused_naming_it():
    with pytest.raises(InvalidArgument, match="must be a string or a path, got int"):
        modelreg.Client(123)


def test_a_file_is_no_store_folder_and_the_error_shows_the_sqlite_form(tmp_path):
    (tmp_path / "runs.db").write_bytes(b"")

    with pytest.raises(InvalidArgument, match=f"use sqlite:///{tmp_path / 'runs.db'}"):
        modelreg.Client(str(tmp_path / "runs.db"))
