"""modelreg.autolog() and Keras 3 (torch backend): each Model.fit logs its parameters, every
epoch's metrics, the model's summary and the model."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import modelreg
from autolog_fixtures import autologged, only_run  # noqa: F401

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402  (the backend is chosen when Keras is first imported)

X = np.random.default_rng(0).random((32, 3)).astype("float32")
Y = (X[:, 0] > 0.5).astype("float32")


def compiled_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"]
    )
    return model


def test_a_fit_logs_its_params_each_epochs_metrics_its_summary_and_the_model(autologged):
    model = compiled_model()

    model.fit(X, Y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)

    run = only_run(autologged)
    run_id = run.info.run_id
    assert run.info.status == "FINISHED"
    assert run.data.params == {
        "epochs": "3",
        "batch_size": "8",
        "validation_split": "0.25",
        "optimizer_name": "Adam",
        "learning_rate": "0.009999999776482582",
    }
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(run.data.metrics)
    assert [m.step for m in autologged.get_metric_history(run_id, "loss")] == [0, 1, 2]
    files = {f.path for f in autologged.list_artifacts(run_id)}
    assert {"model", "model_summary.txt"} <= files
    loaded = modelreg.load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(loaded.predict(X), model.predict(X, verbose=0), rtol=1e-5)


def test_a_fit_inside_a_run_logs_into_it_and_keeps_the_callers_callbacks(autologged):
    seen = []
    model = compiled_model()

    with modelreg.start_run() as run:
        model.fit(
            X,
            Y,
            epochs=2,
            verbose=0,
            callbacks=[
                keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
            ],
        )
        assert modelreg.active_run().info.run_id == run.info.run_id

    assert seen == [0, 1]
    assert [m.step for m in autologged.get_metric_history(run.info.run_id, "loss")] == [0, 1]


def test_without_models_less_is_logged_and_once_disabled_nothing(autologged):
    modelreg.autolog(log_models=False)
    compiled_model().fit(X, Y, epochs=1, verbose=0)
    modelreg.autolog(disable=True)
    compiled_model().fit(X, Y, epochs=1, verbose=0)

    run = only_run(autologged)
    assert [f.path for f in autologged.list_artifacts(run.info.run_id)] == ["model_summary.txt"]


def test_a_fit_that_raises_fails_its_run_and_raises_as_before(autologged):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])  # never compiled

    with pytest.raises(ValueError, match="compile"):
        model.fit(X, Y, epochs=1, verbose=0)

    run = only_run(autologged)
    assert run.info.status == "FAILED"


# Keras imported after autolog(): fit is wrapped once Keras is.
_IMPORTED_LATER = """
import json, sys
import modelreg
modelreg.set_tracking_uri(sys.argv[1])
modelreg.autolog(log_models=False)
assert "keras" not in sys.modules
import keras, numpy as np
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.ones((4, 2), "float32"), np.ones(4, "float32"), epochs=2, verbose=0)
run = modelreg.Client().search_runs(["0"])[0]
print(json.dumps({"params": run.data.params, "metrics": sorted(run.data.metrics)}))
"""


def test_keras_imported_after_autolog_is_logged_as_well(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    env = {k: v for k, v in env.items() if not k.startswith("MODELREG_")}
    store = f"sqlite:///{tmp_path / 'r.db'}"

    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED_LATER, store],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    logged = json.loads(done.stdout.strip().splitlines()[-1])
    assert logged == {
        "params": {
            "epochs": "2",
            "validation_split": "0.0",
            "optimizer_name": "SGD",
            "learning_rate": "0.009999999776482582",
        },
        "metrics": ["loss"],
    }


@pytest.mark.parametrize("tracking_uri", ["sqlite", "server"], indirect=True)
def test_log_every_n_steps_logs_every_nth_batchs_metrics_by_optimizer_step(client):
    modelreg.set_experiment("keras-steps")
    modelreg.keras.autolog(log_every_epoch=False, log_every_n_steps=3, log_models=False)
    try:
        compiled_model().fit(X, Y, epochs=2, batch_size=4, validation_data=(X, Y), verbose=0)
    finally:
        modelreg.keras.autolog(disable=True)

    (run,) = client.search_runs([client.get_experiment_by_name("keras-steps").experiment_id])
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [3, 6, 9, 12, 15]  # 8 steps an epoch
    assert [m.step for m in client.get_metric_history(run.info.run_id, "val_loss")] == [8, 16]
    assert [m.step for m in client.get_metric_history(run.info.run_id, "accuracy")] == [
        3, 6, 9, 12, 15,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"log_every_n_steps": 5}, "log_every_epoch, log_every_n_steps"),
        ({"log_every_epoch": False}, "log_every_epoch, log_every_n_steps"),
        ({"log_every_epoch": False, "log_every_n_steps": 0}, "log_every_n_steps"),
    ],
)
def test_keras_logs_by_epoch_or_by_step_and_a_wrong_choice_is_named(options, named):
    with pytest.raises(modelreg.errors.InvalidArgument, match=f"^{named}: "):
        modelreg.keras.autolog(**options)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_model_fitted_on_arrays_logs_them_as_its_input_and_their_signature(autologged):
    compiled_model().fit(X, Y, epochs=1, verbose=0)

    run_id = only_run(autologged).info.run_id
    saved = json.loads(modelreg.load_text(f"runs:/{run_id}/model/modelreg.json"))
    shapes = [saved["signature"][side]["specs"][0]["shape"] for side in ("inputs", "outputs")]
    assert shapes == [[-1, 3], [-1, 1]]
    (train,) = autologged.get_run_inputs(run_id)
    assert (train.context, train.dataset.digest) == ("train", modelreg.data.from_numpy(X).digest)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_log_datasets_false_leaves_the_training_data_out(client):
    modelreg.set_experiment("keras-no-data")
    modelreg.keras.autolog(log_datasets=False, log_models=False)
    try:
        compiled_model().fit(X, Y, epochs=1, verbose=0)
    finally:
        modelreg.keras.autolog(disable=True)

    (run,) = client.search_runs([client.get_experiment_by_name("keras-no-data").experiment_id])
    assert client.get_run_inputs(run.info.run_id) == []
