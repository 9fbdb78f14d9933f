"""Run with MLflow's interpreter: logs an image series with MLflow's own
``log_image(key=, step=)`` and prints the artifact paths it wrote, for
``tests/test_image_series.py`` to read with ``modelreg.image_series``."""

import json
import tempfile

import mlflow
import numpy as np

mlflow.set_tracking_uri(f"sqlite:///{tempfile.mkdtemp()}/mlflow.db")
client = mlflow.MlflowClient()
run = client.create_run(client.create_experiment("images"))
run_id = run.info.run_id
for step in (2, 0, 1):
    pixels = np.full((40, 600, 3), step * 100, dtype=np.uint8)
    client.log_image(run_id, pixels, key="val/reconstruction", step=step, timestamp=1000 + step)
client.log_image(run_id, np.zeros((8, 8), dtype=np.uint8), key="mask")
paths = [f.path for f in client.list_artifacts(run_id, "images")]
print("RESULTS " + json.dumps({"paths": paths, "tags": client.get_run(run_id).data.tags}))
