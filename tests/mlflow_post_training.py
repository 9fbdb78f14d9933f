"""``post_training_workflow.workflow(mlflow)`` run with MLflow's interpreter: prints
``RESULTS {json}``, what MLflow's autolog logged of the evaluations."""

import json
import warnings

import mlflow

from post_training_workflow import workflow

warnings.filterwarnings("ignore")
mlflow.set_tracking_uri("sqlite:///mlflow.db")
print("RESULTS " + json.dumps(workflow(mlflow)))
