"""modelreg.pytorch.autolog() (and modelreg.autolog()) with PyTorch Lightning: each
Trainer.fit logs its params, every epoch's metrics, early stopping, the model's summary
and the model, as MLflow's pytorch autolog does."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import modelreg
from autolog_fixtures import EXPERIMENT, autologged, only_run  # noqa: F401
from modelreg.errors import InvalidArgument


@pytest.fixture(scope="module")
def lm():
    """The Lightning modules (importing Lightning takes seconds: only these tests do)."""
    import lightning_models

    return lightning_models


def test_a_fit_logs_its_params_each_epochs_metrics_its_summary_and_the_model(autologged, lm):
    torch.manual_seed(0)
    model = lm.Line()

    lm.trainer(max_epochs=3).fit(model, lm.loader(), lm.loader())

    run = only_run(autologged)
    run_id = run.info.run_id
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert (params["epochs"], params["optimizer_name"]) == ("3", "SGD")
    assert (params["lr"], params["momentum"]) == ("0.1", "0.5")
    history = autologged.get_metric_history(run_id, "train_loss")
    assert [m.step for m in history] == [0, 1, 2]
    assert history[-1].value < history[0].value
    assert [m.step for m in autologged.get_metric_history(run_id, "val_loss")] == [0, 1, 2]
    summary = autologged.download_artifacts(run_id=run_id, path="model_summary.txt")
    assert "Linear" in open(summary).read()
    loaded = modelreg.load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(
        loaded.predict(lm.X.numpy()), model(lm.X).detach().numpy(), rtol=1e-5
    )


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_early_stopping_logs_its_settings_and_where_it_stopped(autologged, lm):
    from lightning.pytorch.callbacks import EarlyStopping

    stop = EarlyStopping(monitor="val_loss", patience=1, min_delta=10.0, mode="min")

    lm.trainer(max_epochs=20, callbacks=[stop]).fit(lm.Line(), lm.loader(), lm.loader())

    run = only_run(autologged)
    assert (run.data.params["monitor"], run.data.params["patience"]) == ("val_loss", "1")
    assert run.data.params["min_delta"] == "-10.0"  # Lightning keeps it signed by mode
    assert run.data.metrics["stopped_epoch"] == stop.stopped_epoch > 0
    assert run.data.metrics["restored_epoch"] == stop.stopped_epoch - 1


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_early_stopping_logs_the_trainers_best_checkpoint_it_restores(autologged, lm, tmp_path):
    import lightning.pytorch as lightning
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    kept = ModelCheckpoint(dirpath=tmp_path / "kept", monitor="val_loss", filename="best")
    stop = EarlyStopping(monitor="val_loss", patience=1, min_delta=10.0, mode="min")
    trainer = lightning.Trainer(
        max_epochs=20, accelerator="cpu", logger=False, enable_progress_bar=False,
        enable_model_summary=False, callbacks=[kept, stop],
    )  # fmt: skip

    trainer.fit(lm.Line(), lm.loader(), lm.loader())

    run_id = only_run(autologged).info.run_id
    logged = [f.path for f in autologged.list_artifacts(run_id, "restored_model_checkpoint")]
    assert logged == ["restored_model_checkpoint/best.ckpt"]
    copy = autologged.download_artifacts(run_id, "restored_model_checkpoint/best.ckpt")
    assert open(copy, "rb").read() == open(kept.best_model_path, "rb").read()


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_fit_inside_a_run_logs_into_it_and_leaves_the_trainers_callbacks(autologged, lm):
    fitted = lm.trainer(max_epochs=1)
    before = list(fitted.callbacks)

    with modelreg.start_run() as run:
        fitted.fit(lm.Line(), lm.loader(), lm.loader())

    assert only_run(autologged).info.run_id == run.info.run_id
    assert fitted.callbacks == before


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_pytorch_autolog_alone_turns_lightning_on_and_off(client, lm):
    modelreg.set_experiment(EXPERIMENT)
    modelreg.pytorch.autolog(log_models=False)
    try:
        lm.trainer(max_epochs=1).fit(lm.Line(), lm.loader(), lm.loader())
    finally:
        modelreg.pytorch.autolog(disable=True)
    lm.trainer(max_epochs=1).fit(lm.Line(), lm.loader(), lm.loader())

    run = only_run(client)
    assert "model" not in {f.path for f in client.list_artifacts(run.info.run_id)}


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_the_older_pytorch_lightning_package_is_logged_too(client, lm):
    import pytorch_lightning as pl

    class OldLine(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(1, 1)

        def training_step(self, batch, _):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.layer(x), y)
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=0.01)

    modelreg.set_experiment(EXPERIMENT)
    modelreg.pytorch.autolog(log_models=False, checkpoint_monitor="train_loss")
    try:
        pl.Trainer(
            max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False,
        ).fit(OldLine(), lm.loader())  # fmt: skip
    finally:
        modelreg.pytorch.autolog(disable=True)

    run = only_run(client)
    assert run.data.params["optimizer_name"] == "Adam"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")] == [0, 1]
    assert run.data.tags["mlflow.latest_checkpoint_artifact"] == "checkpoints/latest_checkpoint.pth"


def lightning_autolog(**options):
    """modelreg.pytorch.autolog(**options) into the autolog experiment, without models."""
    modelreg.set_experiment(EXPERIMENT)
    modelreg.pytorch.autolog(log_models=False, **options)


def steps(client, run_id, name):
    return [m.step for m in client.get_metric_history(run_id, name)]


def test_log_every_n_step_logs_the_metrics_logged_by_step_at_every_nth_global_step(client, lm):
    lightning_autolog(log_every_n_step=2, checkpoint=False)
    try:
        lm.trainer(max_epochs=2).fit(lm.StepLine(), lm.loader(), lm.loader())  # 4 steps an epoch
    finally:
        modelreg.pytorch.autolog(disable=True)

    run_id = only_run(client).info.run_id
    assert steps(client, run_id, "train_loss_step") == [2, 4, 6, 8]
    doubled = client.get_metric_history(run_id, "double_loss")
    assert [m.step for m in doubled] == [2, 4, 6, 8]
    single = client.get_metric_history(run_id, "train_loss_step")
    assert [m.value for m in doubled] == pytest.approx([2 * m.value for m in single])
    # the forked name is the epoch's mean, by epoch; the names logged by step are not
    assert steps(client, run_id, "train_loss") == steps(client, run_id, "val_loss") == [0, 1]
    assert steps(client, run_id, "train_loss_epoch") == [0, 1]


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_without_log_every_n_step_nothing_is_logged_by_step(client, lm):
    lightning_autolog(checkpoint=False)
    try:
        lm.trainer(max_epochs=2).fit(lm.StepLine(), lm.loader(), lm.loader())
    finally:
        modelreg.pytorch.autolog(disable=True)

    run_id = only_run(client).info.run_id
    assert steps(client, run_id, "double_loss") == [0, 1]  # its last step's value, by epoch


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_log_every_n_epoch_logs_the_metrics_of_every_nth_epoch(client, lm):
    lightning_autolog(log_every_n_epoch=2, checkpoint=False)
    try:
        lm.trainer(max_epochs=5).fit(lm.Line(), lm.loader(), lm.loader())
    finally:
        modelreg.pytorch.autolog(disable=True)

    run_id = only_run(client).info.run_id
    assert steps(client, run_id, "train_loss") == steps(client, run_id, "val_loss") == [1, 3]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"log_every_n_step": 0}, "log_every_n_step"),
        ({"log_every_n_epoch": True}, "log_every_n_epoch"),
        ({"log_every_n_epoch": "2"}, "log_every_n_epoch"),
        ({"checkpoint_save_freq": "daily"}, "checkpoint_save_freq"),
        ({"checkpoint_save_freq": -5}, "checkpoint_save_freq"),
        ({"checkpoint_mode": "best"}, "checkpoint_mode"),
        ({"checkpoint_monitor": ""}, "checkpoint_monitor"),
        ({"checkpoint_monitor": None}, "checkpoint_monitor"),
    ],
)
def test_a_wrong_lightning_option_is_refused_by_name_and_changes_nothing(options, named):
    from modelreg.autolog_runs import options_for

    before = options_for("pytorch")
    with pytest.raises(InvalidArgument, match=f"^{named}: "):
        modelreg.pytorch.autolog(**options)
    assert options_for("pytorch") == before


def test_without_best_only_any_monitor_and_mode_are_taken():
    from modelreg.autolog_runs import LightningOptions

    options = LightningOptions(checkpoint_save_best_only=False, checkpoint_monitor=None)

    assert options.checkpoint_monitor is None


def saved_manifest(client, run_id):
    return json.loads(modelreg.load_text(f"runs:/{run_id}/model/modelreg.json"))


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("options", "example", "signature"),
    [({}, False, True), ({"log_input_examples": True}, True, True),
     ({"log_model_signatures": False}, False, False)],
)  # fmt: skip
def test_the_module_is_logged_with_the_signature_and_example_of_its_first_rows(
    client, lm, options, example, signature
):
    modelreg.set_experiment(EXPERIMENT)
    modelreg.pytorch.autolog(checkpoint=False, **options)
    try:
        module = lm.Line()
        lm.trainer(max_epochs=1).fit(module, lm.loader(), lm.loader())
    finally:
        modelreg.pytorch.autolog(disable=True)

    saved = saved_manifest(client, only_run(client).info.run_id)
    assert (saved["input_example"] is not None, saved["signature"] is not None) == (
        example,
        signature,
    )
    if signature:
        specs = [saved["signature"][side]["specs"][0] for side in ("inputs", "outputs")]
        assert [(s["dtype"], s["shape"]) for s in specs] == [("float32", [-1, 1])] * 2
    assert module.training  # the mode Lightning left it in, put back


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_rows_numpy_cannot_hold_leave_the_fit_alone_and_the_signature_out(client, lm):
    data = torch.utils.data.TensorDataset(lm.X.bfloat16(), lm.Y.bfloat16())
    modelreg.set_experiment(EXPERIMENT)
    modelreg.pytorch.autolog(checkpoint=False)
    try:
        with pytest.warns(modelreg.errors.ModelregWarning, match="BFloat16"):
            loader = torch.utils.data.DataLoader(data, batch_size=8)
            lm.trainer(max_epochs=1).fit(lm.Line().bfloat16(), loader, loader)
    finally:
        modelreg.pytorch.autolog(disable=True)

    run = only_run(client)
    assert run.info.status == "FINISHED"
    assert saved_manifest(client, run.info.run_id)["signature"] is None
