"""Names of the run tags modelreg sets itself (code versions are in ``modelreg.code_version``)."""

# The run a nested run was started in (start_run(nested=True)).
PARENT_RUN_TAG = "modelreg.parentRunId"
# What start_run(description=...) says about the run.
DESCRIPTION_TAG = "modelreg.note.content"
# MLflow's copy of a run's name: setting it renames the run, renaming sets it.
RUN_NAME_TAG = "mlflow.runName"
# The artifact path of the latest checkpoint of a PyTorch Lightning fit (MLflow's name, so
# either tool finds the other's).
LATEST_CHECKPOINT_TAG = "mlflow.latest_checkpoint_artifact"
