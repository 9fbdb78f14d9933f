"""Copies of versions between models, and MLflow's other version helpers: download URI, stages."""

from pathlib import Path

import pytest

from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def run_id(client):
    run_id = client.create_run("0").info.run_id
    client.log_text(run_id, "weights", "model/weights.bin")
    return run_id


@pytest.fixture
def staging(client, run_id):
    """Model 'fraud-staging' with version 1 (described, tagged, aliased champion) and 2."""
    client.create_registered_model("fraud-staging")
    source = f"runs:/{run_id}/model"
    client.create_model_version(
        "fraud-staging", source, description="candidate", tags={"data": "2024-06"}
    )
    client.create_model_version("fraud-staging", source)
    client.set_registered_model_alias("fraud-staging", "champion", 1)
    return "fraud-staging"


def _files(folder: str) -> dict[str, str]:
    root = Path(folder)
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_a_copy_creates_the_model_and_keeps_files_run_description_and_tags(
    client, staging, run_id, tmp_path
):
    copy = client.copy_model_version("models:/fraud-staging@champion", "fraud-prod")

    assert (copy.name, copy.version, copy.semver) == ("fraud-prod", 1, "1.0.0")
    assert copy.source == "models:/fraud-staging/1"
    assert copy.run_id == run_id
    assert (copy.description, copy.tags) == ("candidate", {"data": "2024-06"})
    assert copy.content_digest == client.get_model_version(staging, 1).content_digest
    folder = client.download_model_version_artifacts("fraud-prod", 1, dst_path=tmp_path / "out")
    assert _files(folder) == {"weights.bin": "weights"}


def test_a_copy_into_an_existing_model_is_its_next_version(client, staging):
    client.create_registered_model("fraud-prod", description="served")
    client.copy_model_version("models:/fraud-staging/1", "fraud-prod")

    second = client.copy_model_version("models:/fraud-staging/latest", "fraud-prod")

    assert (second.version, second.source) == (2, "models:/fraud-staging/2")
    assert client.get_registered_model("fraud-prod").description == "served"


def test_a_copy_from_a_missing_version_is_refused_and_creates_no_model(client, staging):
    with pytest.raises(NotFound, match="'fraud-staging' has no version 9"):
        client.copy_model_version("models:/fraud-staging/9", "fraud-prod")

    with pytest.raises(NotFound):
        client.get_registered_model("fraud-prod")


def test_only_models_uris_are_copied(client, staging, run_id):
    with pytest.raises(InvalidArgument, match="must start with 'models:/'"):
        client.copy_model_version(f"runs:/{run_id}/model", "fraud-prod")

    with pytest.raises(NotFound):
        client.get_registered_model("fraud-prod")


def test_a_copy_needs_a_valid_destination_name(client, staging):
    with pytest.raises(InvalidArgument, match="contain '/'"):
        client.copy_model_version("models:/fraud-staging/1", "../prod")


def test_the_download_uri_of_a_version_downloads_its_files(client, staging, tmp_path):
    uri = client.get_model_version_download_uri(staging, "1")

    local = client.download_artifacts(artifact_uri=uri, dst_path=tmp_path / "out")

    assert uri == "models:/fraud-staging/1"
    assert _files(local) == {"weights.bin": "weights"}


def test_a_version_has_the_four_stages_and_a_missing_one_none(client, staging):
    assert client.get_model_version_stages(staging, 2) == [
        "None",
        "Staging",
        "Production",
        "Archived",
    ]
    with pytest.raises(NotFound, match="no version 3"):
        client.get_model_version_stages(staging, 3)
    with pytest.raises(NotFound, match="no version 3"):
        client.get_model_version_download_uri(staging, 3)
