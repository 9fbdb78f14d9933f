"""modelreg.autolog() and Hugging Face's Trainer: each train() logs the training arguments
and the model's config as params, and what the Trainer logs as metrics by global step."""

# ruff: noqa: F811  (the fixture imported above is a parameter below)

from __future__ import annotations

import json
import os
import subprocess
import sys

import modelreg
from autolog_fixtures import autologged, only_run  # noqa: F401
from transformers_fixtures import tiny_pipeline

TEXTS = ["good movie", "very bad movie", "not good", "good"] * 4
LABELS = [1, 0, 0, 1] * 4


def trainer(tmp_path, **arguments):
    import torch
    from transformers import Trainer, TrainingArguments

    pipe = tiny_pipeline()
    encoded = pipe.tokenizer(TEXTS, padding=True, return_tensors="pt")
    rows = [
        {"input_ids": ids, "attention_mask": mask, "labels": torch.tensor(label)}
        for ids, mask, label in zip(
            encoded["input_ids"], encoded["attention_mask"], LABELS, strict=True
        )
    ]
    settings = {
        "output_dir": str(tmp_path / "out"),
        "num_train_epochs": 2,
        "per_device_train_batch_size": 4,
        "logging_steps": 2,
        "report_to": [],
        "save_strategy": "no",
        "use_cpu": True,
        "disable_tqdm": True,
    }
    args = TrainingArguments(**(settings | arguments))
    return Trainer(model=pipe.model, args=args, train_dataset=rows, eval_dataset=rows)


def test_training_logs_its_arguments_the_models_config_and_the_trainers_metrics(
    autologged, tmp_path
):
    trainer(tmp_path, eval_strategy="epoch").train()

    run = only_run(autologged)
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert (params["num_train_epochs"], params["per_device_train_batch_size"]) == ("2", "4")
    assert (params["model_type"], params["hidden_size"]) == ("bert", "8")
    steps = [m.step for m in autologged.get_metric_history(run.info.run_id, "loss")]
    assert steps == [2, 4, 6, 8]
    assert {"grad_norm", "learning_rate", "eval_loss", "train_loss", "epoch"} <= set(
        run.data.metrics
    )


def test_training_inside_a_run_logs_into_it_and_the_callback_goes_after(autologged, tmp_path):
    fitted = trainer(tmp_path)

    with modelreg.start_run() as run:
        fitted.train()
        assert modelreg.active_run().info.run_id == run.info.run_id

    assert "loss" in autologged.get_run(run.info.run_id).data.metrics
    assert [type(c).__name__ for c in fitted.callback_handler.callbacks].count("StepMetrics") == 0


def test_once_disabled_training_logs_nothing(autologged, tmp_path):
    modelreg.autolog(disable=True)

    trainer(tmp_path).train()

    experiment = autologged.get_experiment_by_name("autolog").experiment_id
    assert autologged.search_runs([experiment]) == []


# The Trainer imported after autolog(): train is wrapped once transformers.trainer is.
_IMPORTED_LATER = """
import json, sys
sys.path.insert(0, sys.argv[2])
import modelreg
modelreg.set_tracking_uri(sys.argv[1])
modelreg.autolog()
assert "transformers.trainer" not in sys.modules
import test_autolog_transformers as here
here.trainer(__import__("pathlib").Path(sys.argv[3]), num_train_epochs=1).train()
run = modelreg.Client().search_runs(["0"])[0]
logged = {"epochs": run.data.params["num_train_epochs"], "loss": "loss" in run.data.metrics}
print(json.dumps(logged))
"""


def test_a_trainer_imported_after_autolog_is_logged_as_well(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    tests = os.path.dirname(__file__)

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORTED_LATER,
            f"sqlite:///{tmp_path / 'r.db'}",
            tests,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**env, "HF_HUB_OFFLINE": "1"},
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"epochs": "1", "loss": True}
