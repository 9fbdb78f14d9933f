"""Run by tests/mlflow_source_fixtures.py with MLflow's own Python: a history to import.

Usage: python mlflow_seed_history.py TRACKING_URL ARTIFACTS_DIR METRIC_POINTS BIG_MB

Writes, with the real MLflow client, what a team's MLflow server holds after
a while: the seed workflow (a scikit-learn model registered and staged), a
run with a long metric history, nested runs, a NaN metric, dataset inputs,
a deleted experiment (deleted by the caller), a deleted run that a version still references, a
renamed model, stages and aliases, a version deleted from the middle, a
version whose files are gone from the artifact store, image series (one as MLflow 2
named their files), a file name modelreg refuses, a prompt, and (when BIG_MB > 0)
a big artifact. Prints a JSON summary of ids on its last line.
"""

import json
import os
import shutil
import sys
import tempfile
import time

import mlflow
import numpy as np
import pandas as pd
from compat_support import pyfunc_predicted
from mlflow import MlflowClient
from mlflow.entities import LoggedModelInput, Metric
from sklearn.linear_model import LogisticRegression

url, artifacts_dir, points, big_mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
mlflow.set_tracking_uri(url)
client = MlflowClient()
ids: dict = {}

X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [2.0, 1.0], [0.5, 2.0]])
y = np.array([0, 1, 1, 0, 1, 0])


def register(model_name, run_name, c=1.0, experiment="my_experiment"):
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_param("C", c)
        mlflow.log_metric("accuracy", 0.8 + c / 100)
        logged = mlflow.sklearn.log_model(
            LogisticRegression(C=c).fit(X, y),
            name="model",
            registered_model_name=model_name,
            input_example=X[:2],
            # MLflow infers requirements by loading the model in a new process (seconds
            # each): the seed model keeps that, as users run it; the rest state them.
            pip_requirements=None if model_name == "my_model" else ["scikit-learn"],
        )
        mlflow.log_metric("fit_accuracy", 0.8 + c / 100, model_id=logged.model_id)
        mlflow.log_model_params({"solver": "lbfgs"}, model_id=logged.model_id)
        mlflow.set_logged_model_tags(logged.model_id, {"trained_by": run_name})
    return run.info.run_id, logged


# The seed workflow.
mlflow.set_experiment("my_experiment")
with mlflow.start_run(run_name="seed") as run:
    mlflow.log_param("learning_rate", 1e-4)
    mlflow.log_param("batch_size", 32)
    mlflow.log_metric("accuracy", 0.91)
    mlflow.log_metric("f1", 0.88, step=2)
    mlflow.log_metric("loss", float("nan"))
    mlflow.set_tag("team", "vision")
    mlflow.log_text("weights", "model/weights.txt")
    mlflow.log_dict({"a": 1}, "config/settings.json")
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": [0, 1, 0]})
    train = mlflow.data.from_pandas(df, name="train", targets="label")
    mlflow.log_input(train, context="training", tags={"split": "2026-q4"})
    ids["seed_run"] = run.info.run_id
client.set_experiment_tag(run.info.experiment_id, "owner", "ml-team")
ids["my_experiment"] = run.info.experiment_id

seed_run, seed_logged = register("my_model", "seed-model")
client.transition_model_version_stage("my_model", 1, "Staging")
client.set_model_version_tag("my_model", "1", "validation_status", "passed")
client.update_registered_model("my_model", description="the seed model")
client.set_registered_model_tag("my_model", "task", "classification")
ids["my_model_run"] = seed_run

# A logged model made outside any run.
external = mlflow.create_external_model(
    name="external",
    tags={"where": "elsewhere"},
    model_type="agent",
    experiment_id=ids["my_experiment"],
)
ids["external_model"] = external.model_id

# A run that fine-tunes the seed model: MLflow 3 links it to the model it used and to the
# one it made, at its step.
mlflow.set_experiment("my_experiment")
with mlflow.start_run(run_name="fine-tune") as run:
    mlflow.log_input(model=LoggedModelInput(seed_logged.model_id))
    tuned = mlflow.sklearn.log_model(
        LogisticRegression(C=0.5).fit(X, y), name="tuned", step=7, pip_requirements=["scikit-learn"]
    )
    ids["fine_tune_run"] = run.info.run_id
ids["seed_logged_model"], ids["tuned_model"] = seed_logged.model_id, tuned.model_id

# A long metric history, with steps and timestamps of its own.
mlflow.set_experiment("long_history")
with mlflow.start_run(run_name="long") as run:
    start = int(time.time() * 1000)
    batch = [Metric("loss", 1.0 / (i + 1), start + i, i) for i in range(points)]
    for i in range(0, len(batch), 1000):
        client.log_batch(run.info.run_id, metrics=batch[i : i + 1000])
    client.log_batch(run.info.run_id, metrics=[Metric("lr", 0.1, start, 0)])
    ids["long_run"] = run.info.run_id

# Nested runs.
with mlflow.start_run(run_name="parent") as parent:
    for k in range(2):
        with mlflow.start_run(run_name=f"child-{k}", nested=True):
            mlflow.log_metric("score", k)
    ids["parent_run"] = parent.info.run_id

# A failed run and a deleted experiment with a run in it.
with mlflow.start_run(run_name="failed") as run:
    mlflow.log_param("p", "x")
mlflow.tracking.MlflowClient().set_terminated(run.info.run_id, "FAILED")
ids["failed_run"] = run.info.run_id
gone = client.create_experiment("abandoned", tags={"why": "superseded"})
client.create_run(gone, run_name="in-abandoned")
ids["abandoned"] = gone  # deleted by the fixture after `mlflow gc`, which would purge it

# An experiment named by a Databricks workspace path.
workspace = client.create_experiment("/Users/ana@example.com/churn")
ids["workspace_run"] = client.create_run(workspace, run_name="in-workspace").info.run_id

# Stages and aliases, and a version deleted from the middle.
for c in (1.0, 2.0, 3.0, 4.0):
    register("aliased", f"aliased-{c}", c)
client.transition_model_version_stage("aliased", 1, "Archived")
client.transition_model_version_stage("aliased", 2, "Production")
client.transition_model_version_stage("aliased", 4, "Staging")
client.delete_model_version("aliased", 3)
client.set_registered_model_alias("aliased", "champion", 2)
client.set_registered_model_alias("aliased", "challenger", 4)

# A renamed model.
register("old_name", "to-rename")
client.rename_registered_model("old_name", "renamed_model")

# A deleted run that a version still references.
deleted_run, _ = register("deleted_run_model", "deleted")
client.delete_run(deleted_run)
ids["deleted_run"] = deleted_run

# A run that will be purged (mlflow gc) while a version still references it.
ids["purged_run"], _ = register("purged_run_model", "purged")
client.delete_run(ids["purged_run"])

# A version whose files are gone from the artifact store.
mlflow.set_experiment("my_experiment")
with mlflow.start_run(run_name="lost-files") as run:
    mlflow.log_text("soon gone", "lost/MLmodel")
    mlflow.log_text("kept", "kept.txt")
client.create_registered_model("lost_files_model")
client.create_model_version("lost_files_model", f"runs:/{run.info.run_id}/lost", run.info.run_id)
run_folder = os.path.join(artifacts_dir, run.info.experiment_id, run.info.run_id)
shutil.rmtree(os.path.join(run_folder, "artifacts", "lost"))
ids["lost_run"] = run.info.run_id

# An image series (MLflow 3's log_image(key=, step=)); next to it, files as MLflow 2 named
# an image of a series ('%' between the parts), and a file in a folder named by two
# full-width dots (Unicode's look-alike of '..', which modelreg refuses), written into
# the store as an older server left them.
mlflow.set_experiment("images")
with mlflow.start_run(run_name="images") as run:
    for step in range(2):
        pixels = np.full((4, 4, 3), step * 100, dtype=np.uint8)
        mlflow.log_image(pixels, key="samples", step=step)
stored = os.path.join(artifacts_dir, run.info.experiment_id, run.info.run_id, "artifacts")
stem = "old~masks%step%3%timestamp%1717000000000%0f1e2d3c-aaaa-bbbb-cccc-000000000000"
for logged in os.listdir(os.path.join(stored, "images")):
    old_name = stem + ("%compressed.webp" if logged.endswith(".webp") else ".png")
    shutil.copy(os.path.join(stored, "images", logged), os.path.join(stored, "images", old_name))
os.makedirs(os.path.join(stored, "odd", "\uff0e\uff0e"))
with open(os.path.join(stored, "odd", "\uff0e\uff0e", "notes.txt"), "w") as f:
    f.write("an odd name")
ids["images_run"] = run.info.run_id

# A prompt with two versions and an alias (MLflow keeps prompts in its model registry; a
# template longer than a run tag may be).
mlflow.genai.register_prompt(name="qa_prompt", template="Answer {{question}}. " + "x" * 20000)
mlflow.genai.register_prompt(name="qa_prompt", template="Please answer {{question}}.")
mlflow.genai.set_prompt_alias("qa_prompt", alias="production", version=1)

# A webhook (MLflow 3.3+); MLflow never gives out its secret.
client.create_webhook(
    name="deploy-hook",
    url="https://hooks.example.com/mlflow",
    events=["model_version.created", "model_version_alias.created"],
    description="tells the deploy job",
    secret="seed-secret",
)

# A big artifact, in an experiment of its own.
if big_mb:
    mlflow.set_experiment("big")
    with mlflow.start_run(run_name="big") as run, tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.bin")
        block = os.urandom(1 << 20)
        with open(path, "wb") as f:
            for _ in range(big_mb):
                f.write(block)
        mlflow.log_artifact(path, "data")
        ids["big_run"] = run.info.run_id

# What MLflow's pyfunc predicts, which the imported versions must predict too.
rows = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [0.3, 0.7], [1.5, -1.0]])
ids["predictions"] = {uri: pyfunc_predicted(uri, rows) for uri in ["models:/aliased/Production"]}

print(json.dumps(ids))
