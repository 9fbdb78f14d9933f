"""Model version sources must resolve into storage the registry owns, checked and stored once.

A refused source leaves no version, no audit event and no used-up version
number; an accepted one is stored in its canonical form, the very form that
was checked.
"""

from __future__ import annotations

import pytest

from modelreg.errors import InvalidArgument

RUN = "0123456789abcdef0123456789abcdef"
HOSTILE_SOURCES = [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "file://localhost/etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "https://evil.example.com/model.pkl",
    "ftp://evil.example.com/model",
    "//proc/self/environ",
    "/proc/self/environ",
    "../../etc/passwd",
    "C:\\models\\m",
    "\\\\server\\share\\model",
    "s3://someone-elses-bucket/model",
    "mlflow-artifacts://evil.example.com/0/run/artifacts",
    "mlflow-artifacts:/0/../../etc",
    "mlflow-artifacts:/0/%2e%2e/%2e%2e/etc",
    "mlflow-artifacts:/0/%252e%252e/x",
    f"runs:/{RUN}/../x",
    f"runs:/{RUN}/../../etc/passwd",
    f"runs:/{RUN}/%2e%2e/%2e%2e/etc/passwd",
    f"runs:/{RUN}/%252e%252e/x",
    f"runs:/{RUN}/model\\..\\..\\x",
    f"runs:/{RUN}/model\x00/x",
    f"runs:/{RUN}/\uff0e\uff0e/\uff0e\uff0e/etc",
    f"runs:/{RUN}/..;/x",
    f"runs:/{RUN}//etc/passwd",
    "runs:/../x",
    "runs://etc/passwd",
    "models:/m/1/../../x",
    "models:/m/1/%2e%2e/x",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


@pytest.fixture
def run_id(client):
    run_id = client.create_run("0").info.run_id
    client.log_text(run_id, "weights", "model/weights.bin")
    client.create_registered_model("m")
    return run_id


def test_every_hostile_source_is_refused_naming_it_and_leaves_no_trace(client, run_id):
    accepted = []
    for source in HOSTILE_SOURCES + [s.replace(RUN, run_id) for s in HOSTILE_SOURCES if RUN in s]:
        try:
            client.create_model_version("m", source)
        except InvalidArgument as exc:
            assert "source" in exc.message, exc.message
        else:
            accepted.append(source)

    assert accepted == []
    assert client.search_model_versions("name = 'm'") == []
    assert [e.action for e in client.get_history("m")] == ["create_registered_model"]
    assert client.create_model_version("m", f"runs:/{run_id}/model").version == 1


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("runs:/{run}/model", "runs:/{run}/model"),
        ("runs:/{run}/model/", "runs:/{run}/model"),
        ("runs:/{run}/", "runs:/{run}"),
        ("models:/m/1", "models:/m/1"),
        ("models:/m/production", "models:/m/Production"),
        ("models:/m/1/./weights.bin", "models:/m/1/weights.bin"),
        (
            "MLFLOW-ARTIFACTS:/0/{run}/artifacts/model",
            "modelreg-artifacts:/0/{run}/artifacts/model",
        ),
    ],
)
def test_sources_are_stored_in_the_canonical_form_that_was_checked(client, run_id, given, stored):
    if given.startswith("models:/"):
        client.create_model_version("m", f"runs:/{run_id}/model")
        client.transition_model_version_stage("m", 1, "Production")

    version = client.create_model_version("m", given.format(run=run_id))

    assert version.source == stored.format(run=run_id)
    assert client.get_model_version("m", version.version).source == version.source
    assert client.get_history("m", version.version)[0].after["source"] == version.source


def test_a_source_inside_a_runs_artifact_folder_takes_that_runs_files(client, run_id):
    artifact_uri = client.get_run(run_id).info.artifact_uri

    version = client.create_model_version("m", f"{artifact_uri}/model")

    assert version.run_id == run_id
    files = client._backend.artifacts.version_manifest("m", version.version)
    assert sorted(files) == ["weights.bin"]
