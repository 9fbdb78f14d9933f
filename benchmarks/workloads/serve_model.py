"""The serve phase's side script: the same small scikit-learn model for either server.

    python serve_model.py modelreg DIR       # log + register it in DIR/store, @champion -> v1
    python serve_model.py mlflow DIR         # mlflow.sklearn.save_model into DIR/mlmodel
    python serve_model.py swap DIR URL       # modelreg: register v2, webhook to URL, move
                                             # @champion, print the seconds until URL answers v2

The model: scikit-learn's LogisticRegression on iris, as a DataFrame of four
float columns, input example its first three rows. Runs in each side's own
interpreter and imports only that side's library (and scikit-learn).
"""

from __future__ import annotations

import json
import sys
import time

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

MODEL = "bench_iris"
COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SECRET = "bench-webhook-secret"
VERSION_HEADER = "X-Modelreg-Model-Version"


def train(c: float = 1.0):
    X, y = load_iris(return_X_y=True, as_frame=True)
    X.columns = COLUMNS
    return LogisticRegression(C=c, max_iter=500).fit(X, y), X


def modelreg_model(workdir: str) -> None:
    import modelreg

    client = modelreg.Client(f"{workdir}/store")
    model, X = train()
    run_id = client.create_run("0").info.run_id
    modelreg.log_model(
        model, "model", input_example=X.head(3), registered_model_name=MODEL, run_id=run_id,
        client=client,
    )  # fmt: skip
    client.set_registered_model_alias(MODEL, "champion", 1)


def mlflow_model(workdir: str) -> None:
    import mlflow.sklearn

    model, X = train()
    mlflow.sklearn.save_model(model, f"{workdir}/mlmodel", input_example=X.head(3))


def swap(workdir: str, url: str) -> None:
    """Seconds from the alias move (the call returning) to the first answer from v2."""
    import httpx

    import modelreg

    client = modelreg.Client(f"{workdir}/store")
    model, X = train(c=0.5)
    run_id = client.create_run("0").info.run_id
    modelreg.log_model(
        model, "model", input_example=X.head(3), registered_model_name=MODEL, run_id=run_id,
        client=client,
    )  # fmt: skip
    client.create_webhook(f"{url}/webhook", ["model_version.alias_set"], SECRET, MODEL)
    body = {"dataframe_split": {"columns": COLUMNS, "data": X.head(1).values.tolist()}}
    with httpx.Client(base_url=url, timeout=30) as http:
        client.set_registered_model_alias(MODEL, "champion", 2)
        moved = time.perf_counter()
        while http.post("/invocations", json=body).headers[VERSION_HEADER] != "2":
            if time.perf_counter() - moved > 60:
                raise SystemExit("no answer from v2 within 60 s")
    print(json.dumps({"swap_s": time.perf_counter() - moved}))


if __name__ == "__main__":
    kind, workdir, *rest = sys.argv[1:]
    {"modelreg": modelreg_model, "mlflow": mlflow_model}.get(kind, lambda d: swap(d, *rest))(
        workdir
    )
