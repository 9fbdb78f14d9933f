"""Run by tests/test_import_mlflow_frameworks.py with MLflow's own Python: PyTorch and ONNX models.

Usage: python mlflow_seed_frameworks.py TRACKING_URL

Logs and registers, with the real MLflow client, a PyTorch module saved the
default way (``torch_model`` 1, in Production: the whole module pickled), the
same module exported with ``torch.export`` (``torch_model`` 2, in Staging)
and an ONNX graph (``onnx_model``, alias ``champion``). Prints a JSON summary on its last line.
"""

import json
import sys

import mlflow
import numpy as np
import onnx
import torch
from compat_support import pyfunc_predicted
from mlflow import MlflowClient
from onnx import TensorProto, helper, numpy_helper

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()
mlflow.set_experiment("frameworks")
rows = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], dtype=np.float32)
ids = {}
# Stated, as MLflow would otherwise infer them by loading each model in a new process
# (seconds each), which the importer does not read.
REQUIREMENTS = ["torch"]

torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
with mlflow.start_run(run_name="torch") as run:
    mlflow.pytorch.log_model(
        net,
        name="model",
        registered_model_name="torch_model",
        input_example=rows,
        pip_requirements=REQUIREMENTS,
    )
    mlflow.pytorch.log_model(
        net,
        name="exported",
        registered_model_name="torch_model",
        input_example=rows,
        export_model=True,
        pip_requirements=REQUIREMENTS,
    )
    ids["torch_run"] = run.info.run_id
client.transition_model_version_stage("torch_model", 1, "Production")
client.transition_model_version_stage("torch_model", 2, "Staging")

# y = x @ W + b, built as a graph (no exporter needed).
weights = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
bias = np.array([0.1, -0.2], dtype=np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
    "linear",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
    [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b")],
)
graph_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
graph_model.ir_version = 8
onnx.checker.check_model(graph_model)
with mlflow.start_run(run_name="onnx") as run:
    mlflow.onnx.log_model(
        graph_model, name="model", registered_model_name="onnx_model", pip_requirements=["onnx"]
    )
    ids["onnx_run"] = run.info.run_id
client.set_registered_model_alias("onnx_model", "champion", 1)

# What MLflow's pyfunc predicts, which the imported versions must predict too.
uris = [
    "models:/torch_model/Production",
    "models:/torch_model/Staging",
    "models:/onnx_model@champion",
]
ids["predictions"] = {uri: pyfunc_predicted(uri, rows) for uri in uris}

print(json.dumps(ids))
