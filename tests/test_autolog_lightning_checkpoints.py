"""modelreg.pytorch.autolog(checkpoint=…) keeps a Lightning fit's checkpoints as artifacts
of its run, in MLflow's layout; modelreg.pytorch.load_checkpoint builds a module from
one."""

from __future__ import annotations

import json

import pytest
import torch

import modelreg
from autolog_fixtures import EXPERIMENT, only_run
from modelreg.errors import InvalidArgument, ModelregWarning, NotFound, PermissionDenied

LATEST = "mlflow.latest_checkpoint_artifact"


@pytest.fixture(scope="module")
def lm():
    import lightning_models

    return lightning_models


@pytest.fixture
def fit(client, lm):
    """fit(module, **autolog options, epochs=, callbacks=): the module fitted with
    Lightning autologged into a run of its own; that run."""

    def fitting(module, *, epochs=3, callbacks=(), **options):
        modelreg.set_experiment(EXPERIMENT)
        modelreg.pytorch.autolog(log_models=False, **options)
        try:
            trainer = lm.trainer(max_epochs=epochs, callbacks=list(callbacks))
            trainer.fit(module, lm.loader(), lm.loader())
        finally:
            modelreg.pytorch.autolog(disable=True)
        return only_run(client)

    return fitting


def weights_by_epoch(lm):
    """A callback recording the module's weights at each epoch's end."""
    import lightning.pytorch as lightning

    class Recorder(lightning.Callback):
        seen: dict[int, dict] = {}

        def on_train_epoch_end(self, trainer, module):
            self.seen[trainer.current_epoch] = {
                k: v.clone() for k, v in module.state_dict().items()
            }

    return Recorder()


def same_weights(module, weights):
    return all(torch.equal(module.state_dict()[k], v) for k, v in weights.items())


def read_json(client, run_id, path):
    return json.loads(open(client.download_artifacts(run_id, path)).read())


def test_the_best_checkpoint_by_val_loss_is_kept_and_loads(client, fit, lm):
    torch.manual_seed(0)
    recorder = weights_by_epoch(lm)

    run = fit(lm.Configured(width=7), epochs=4, callbacks=[recorder])

    run_id = run.info.run_id
    assert run.data.tags[LATEST] == "checkpoints/latest_checkpoint.pth"
    taken = read_json(client, run_id, "checkpoints/latest_checkpoint_metrics.json")
    history = client.get_metric_history(run_id, "val_loss")
    best = min(history, key=lambda m: m.value)
    assert (taken["epoch"], taken["val_loss"]) == (best.step, pytest.approx(best.value))
    assert taken["global_step"] == 4 * (best.step + 1)  # four batches an epoch
    loaded = modelreg.pytorch.load_checkpoint(lm.Configured, run_id)
    assert isinstance(loaded, lm.Configured) and loaded.hparams.width == 7
    assert same_weights(loaded, recorder.seen[best.step])


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_mode_max_keeps_the_checkpoint_where_the_metric_was_highest(client, fit, lm):
    torch.manual_seed(0)

    run = fit(lm.Line(), checkpoint_monitor="val_loss", checkpoint_mode="max")

    run_id = run.info.run_id
    taken = read_json(client, run_id, "checkpoints/latest_checkpoint_metrics.json")
    worst = max(client.get_metric_history(run_id, "val_loss"), key=lambda m: m.value)
    assert taken["epoch"] == worst.step


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_every_epochs_checkpoint_is_kept_apart_and_loads_by_epoch(client, fit, lm):
    torch.manual_seed(0)
    recorder = weights_by_epoch(lm)

    run = fit(lm.Line(), checkpoint_save_best_only=False, callbacks=[recorder])

    run_id = run.info.run_id
    folders = [f.path for f in client.list_artifacts(run_id, "checkpoints")]
    assert folders == [f"checkpoints/epoch_{n}" for n in range(3)]
    files = {f.path for f in client.list_artifacts(run_id, "checkpoints/epoch_1")}
    assert files == {
        "checkpoints/epoch_1/checkpoint.pth",
        "checkpoints/epoch_1/checkpoint_metrics.json",
    }
    assert run.data.tags[LATEST] == "checkpoints/epoch_2/checkpoint.pth"
    for epoch in (1, None):
        loaded = modelreg.pytorch.load_checkpoint(lm.Line, run_id, epoch=epoch)
        assert same_weights(loaded, recorder.seen[2 if epoch is None else epoch])


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_checkpoints_every_n_steps_of_weights_only_load_by_global_step(client, fit, lm):
    run = fit(
        lm.Line(), epochs=2, checkpoint_save_best_only=False, checkpoint_save_freq=3,
        checkpoint_save_weights_only=True,
    )  # fmt: skip

    run_id = run.info.run_id
    folders = [f.path for f in client.list_artifacts(run_id, "checkpoints")]
    assert folders == ["checkpoints/global_step_3", "checkpoints/global_step_6"]
    assert run.data.tags[LATEST] == "checkpoints/global_step_6/checkpoint.weights.pth"
    saved = torch.load(
        client.download_artifacts(run_id, "checkpoints/global_step_3/checkpoint.weights.pth"),
        weights_only=True,
    )
    assert "optimizer_states" not in saved and saved["global_step"] == 3
    loaded = modelreg.pytorch.load_checkpoint(lm.Line, run_id, global_step=3)
    assert isinstance(loaded, lm.Line)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_without_the_monitored_metric_no_checkpoint_is_logged_and_one_warning_says_why(
    client, fit, lm
):
    expected = "does not log 'val_accuracy' \\(it logs: train_loss, val_loss\\)"
    with pytest.warns(ModelregWarning, match=expected) as caught:
        run = fit(lm.Line(), checkpoint_monitor="val_accuracy")

    assert len([w for w in caught if "checkpoint" in str(w.message)]) == 1
    assert LATEST not in run.data.tags
    assert client.list_artifacts(run.info.run_id, "checkpoints") == []


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_silent_autolog_does_not_warn_of_a_missing_monitored_metric(client, fit, lm):
    run = fit(lm.Line(), checkpoint_monitor="val_accuracy", silent=True)

    assert LATEST not in run.data.tags


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_checkpoint_false_logs_no_checkpoint(client, fit, lm):
    run = fit(lm.Line(), epochs=1, checkpoint=False)

    assert LATEST not in run.data.tags
    assert client.list_artifacts(run.info.run_id, "checkpoints") == []


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_checkpoint_holding_other_objects_loads_only_when_trusted(client, fit, lm):
    run = fit(lm.Configured(knob=lm.Knob(3)), epochs=1)

    with pytest.raises(PermissionDenied, match="trust_pickle=True"):
        modelreg.pytorch.load_checkpoint(lm.Configured, run.info.run_id)
    loaded = modelreg.pytorch.load_checkpoint(lm.Configured, run.info.run_id, trust_pickle=True)
    assert loaded.hparams.knob.turns == 3


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_load_checkpoint_uses_the_active_run_and_passes_kwargs_on(client, fit, lm):
    run = fit(lm.Configured(width=2), epochs=1)

    with modelreg.start_run(run_id=run.info.run_id):
        loaded = modelreg.pytorch.load_checkpoint(lm.Configured, kwargs={"width": 9})

    assert loaded.hparams.width == 9


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_load_checkpoint_refuses_what_names_no_checkpoint(client, lm):
    plain = client.create_run("0").info.run_id
    client.set_tag(plain, LATEST, "checkpoints/epoch_4/checkpoint.pth")
    bare = client.create_run("0").info.run_id

    with pytest.raises(NotFound, match=f"run '{bare}' has no logged checkpoint"):
        modelreg.pytorch.load_checkpoint(lm.Line, bare)
    with pytest.raises(NotFound, match="checkpoints/epoch_4/checkpoint.pth"):
        modelreg.pytorch.load_checkpoint(lm.Line, plain)
    with pytest.raises(NotFound, match="checkpoints/epoch_1/checkpoint.pth"):
        modelreg.pytorch.load_checkpoint(lm.Line, plain, epoch=1)
    with pytest.raises(InvalidArgument, match="^epoch, global_step: give one"):
        modelreg.pytorch.load_checkpoint(lm.Line, plain, epoch=1, global_step=4)
    with pytest.raises(InvalidArgument, match="^run_id: name the run"):
        modelreg.pytorch.load_checkpoint(lm.Line)
    with pytest.raises(InvalidArgument, match="^model_class: a LightningModule subclass"):
        modelreg.pytorch.load_checkpoint(torch.nn.Linear, plain)


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_batches_accumulating_gradients_log_and_save_their_shared_step_once(client, lm):
    modelreg.set_experiment(EXPERIMENT)
    modelreg.pytorch.autolog(
        log_models=False, log_every_n_step=1, checkpoint_save_best_only=False,
        checkpoint_save_freq=1,
    )  # fmt: skip
    try:
        trainer = lm.trainer(max_epochs=1, accumulate_grad_batches=2)  # 4 batches, 2 steps
        trainer.fit(lm.StepLine(), lm.loader(), lm.loader())
    finally:
        modelreg.pytorch.autolog(disable=True)

    run_id = only_run(client).info.run_id
    folders = [f.path for f in client.list_artifacts(run_id, "checkpoints")]
    assert folders == ["checkpoints/global_step_1", "checkpoints/global_step_2"]
    assert client.get_run(run_id).data.tags[LATEST] == "checkpoints/global_step_2/checkpoint.pth"
    steps = [m.step for m in client.get_metric_history(run_id, "train_loss_step")]
    assert steps == [1, 2]
