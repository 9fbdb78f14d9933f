"""Run by tests/test_mlflow_compat.py with MLflow's own Python: the seed workflow,
written against MLflow, pointed at a modelreg server. Prints OK at the end."""

import os
import sys
import tempfile

import mlflow
from mlflow import MlflowClient

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()

mlflow.set_experiment("my_experiment")
with mlflow.start_run() as run:
    mlflow.log_param("learning_rate", 1e-4)
    mlflow.log_param("batch_size", 32)
    mlflow.log_metric("accuracy", 0.91)
    mlflow.log_metric("f1", 0.88, step=2)
    mlflow.set_tag("team", "vision")
    mlflow.log_text("weights", "model/weights.txt")
    run_id = run.info.run_id

fetched = client.get_run(run_id)
assert fetched.info.status == "FINISHED", fetched.info.status
assert fetched.data.params == {"learning_rate": "0.0001", "batch_size": "32"}, fetched.data.params
assert fetched.data.metrics == {"accuracy": 0.91, "f1": 0.88}, fetched.data.metrics
assert fetched.data.tags["team"] == "vision"
assert [m.step for m in client.get_metric_history(run_id, "f1")] == [2]
found = client.search_runs([fetched.info.experiment_id], "metrics.accuracy > 0.9")
assert [r.info.run_id for r in found] == [run_id]
assert [f.path for f in client.list_artifacts(run_id, "model")] == ["model/weights.txt"]

model_name = "my_model"
try:
    client.create_registered_model(model_name)
except mlflow.exceptions.MlflowException as exc:
    raise AssertionError(f"create failed: {exc}") from exc
try:
    client.create_registered_model(model_name)
    raise AssertionError("a duplicate model was accepted")
except mlflow.exceptions.MlflowException as exc:
    assert exc.error_code == "RESOURCE_ALREADY_EXISTS", exc.error_code

result = client.create_model_version(name=model_name, source=f"runs:/{run_id}/model", run_id=run_id)
assert result.version == "1", result.version
client.transition_model_version_stage(name=model_name, version=result.version, stage="Staging")
client.set_model_version_tag(model_name, result.version, "validation_status", "passed")
client.set_registered_model_alias(model_name, "champion", result.version)
version = client.get_model_version_by_alias(model_name, "champion")
assert version.current_stage == "Staging" and version.tags == {"validation_status": "passed"}
assert [v.version for v in client.get_latest_versions(model_name, stages=["Staging"])] == ["1"]

local = mlflow.artifacts.download_artifacts(
    artifact_uri=f"models:/{model_name}/1", dst_path=tempfile.mkdtemp()
)
with open(os.path.join(local, "weights.txt")) as f:
    assert f.read() == "weights"

try:
    client.get_model_version(model_name, "7")
    raise AssertionError("a missing version was found")
except mlflow.exceptions.MlflowException as exc:
    assert exc.error_code == "RESOURCE_DOES_NOT_EXIST", exc.error_code
print("OK")
