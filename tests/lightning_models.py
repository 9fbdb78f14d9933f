"""PyTorch Lightning modules for ``tests/test_autolog_lightning.py``: a module of their own,
imported by its tests only, so collecting the suite does not import Lightning (seconds)
and the pytorch flavor names the class by its import path."""

from __future__ import annotations

import lightning.pytorch as lightning
import torch

X = torch.linspace(0, 1, 32).reshape(-1, 1)
Y = 3 * X + 1


class Line(lightning.LightningModule):
    """y = a·x + b, fitted by SGD; logs its training and validation loss each epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(1, 1)

    def forward(self, x):
        return self.layer(x)

    def training_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.5)


def loader():
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y), batch_size=8)


def trainer(**options):
    quiet = {"logger": False, "enable_progress_bar": False, "enable_model_summary": False}
    return lightning.Trainer(accelerator="cpu", enable_checkpointing=False, **quiet, **options)


class StepLine(Line):
    """Line logging its training loss by step and by epoch, and a loss by step only."""

    def training_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        self.log("double_loss", 2 * loss, on_step=True, on_epoch=False)
        return loss


class Knob:
    """A setting that is not a plain value: a checkpoint holding it is not weights only."""

    def __init__(self, turns: int) -> None:
        self.turns = turns


class Configured(Line):
    """Line with hyperparameters, which its checkpoints keep."""

    def __init__(self, width: int = 1, knob: Knob | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
