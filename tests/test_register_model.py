"""modelreg.register_model: MLflow's one call to register a logged model as a new version."""

import numpy as np
import pytest

import modelreg
from modelreg.errors import NotFound


@pytest.fixture
def run_with_files(client):
    run_id = client.create_run(client.create_experiment("training")).info.run_id
    client.log_text(run_id, "weights", "model/weights.txt")
    return run_id


def test_the_first_registration_creates_the_model_and_its_version_1(client, run_with_files):
    version = modelreg.register_model(f"runs:/{run_with_files}/model", "fraud")

    assert (version.name, version.version, version.semver) == ("fraud", 1, "1.0.0")
    assert version.run_id == run_with_files
    assert client.get_registered_model("fraud").name == "fraud"
    assert [f.path for f in client.list_model_version_artifacts("fraud", 1)] == ["weights.txt"]


def test_a_later_registration_adds_a_version_with_its_tags_and_description(client, run_with_files):
    modelreg.register_model(f"runs:/{run_with_files}/model", "fraud")

    version = modelreg.register_model(
        f"runs:/{run_with_files}/model", "fraud", tags={"team": "risk"}, description="retrained"
    )

    assert version.version == 2
    got = client.get_model_version("fraud", 2)
    assert (got.tags, got.description) == ({"team": "risk"}, "retrained")


def test_an_unknown_run_is_refused_before_the_model_is_created(client):
    with pytest.raises(NotFound, match="0" * 32):
        modelreg.register_model(f"runs:/{'0' * 32}/model", "fraud")

    assert list(client.search_registered_models()) == []


def test_a_model_log_model_saved_keeps_its_signature_and_a_new_one_bumps_major(client):
    from sklearn.linear_model import LogisticRegression

    modelreg.set_experiment("training")
    uris = []
    for seed, width in enumerate((4, 4, 3)):  # new weights, then a new input width
        X = np.random.default_rng(seed).random((20, width))
        model = LogisticRegression().fit(X, [0, 1] * 10)
        with modelreg.start_run():
            uris.append(modelreg.log_model(model, "model", input_example=X[:2]).model_uri)

    versions = [modelreg.register_model(uri, "fraud") for uri in uris]

    assert [v.semver for v in versions] == ["1.0.0", "1.1.0", "2.0.0"]
    assert versions[0].signature is not None
