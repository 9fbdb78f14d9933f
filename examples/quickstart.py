"""The quick start: train, track, and compare runs on the embedded default store.

Run from a fresh clone (see README):  pip install -e . && python examples/quickstart.py
Everything lands in ./.modelreg/ (SQLite + a local folder); nothing else is needed.
"""

from __future__ import annotations

import math
import random

import modelreg


def train(learning_rate: float, epochs: int = 5) -> list[float]:
    """A stand-in training loop: accuracy that rises with the epochs."""
    rng = random.Random(int(learning_rate * 1e6))
    return [
        round(1 - math.exp(-(epoch + 1) * learning_rate * 400) * 0.5 - rng.random() * 0.02, 4)
        for epoch in range(epochs)
    ]


def main() -> None:
    modelreg.set_experiment("quickstart")
    for learning_rate in (1e-4, 5e-4, 1e-3):
        with modelreg.start_run(run_name=f"lr-{learning_rate}"):
            modelreg.log_params({"learning_rate": learning_rate, "batch_size": 32})
            for epoch, accuracy in enumerate(train(learning_rate)):
                modelreg.log_metrics({"accuracy": accuracy, "f1": accuracy - 0.03}, step=epoch)
            modelreg.set_tag("validation_status", "passed")

    client = modelreg.Client()
    experiment = client.get_experiment_by_name("quickstart")
    best = client.search_runs(
        [experiment.experiment_id], "metrics.accuracy > 0.5", order_by=["metrics.accuracy DESC"]
    )
    print(f"Store: {modelreg.get_tracking_uri()}")
    print(f"{'run':<14} {'learning_rate':>13} {'accuracy':>9} {'f1':>7}")
    for run in best:
        print(
            f"{run.info.run_name:<14} {run.data.params['learning_rate']:>13} "
            f"{run.data.metrics['accuracy']:>9.4f} {run.data.metrics['f1']:>7.4f}"
        )


if __name__ == "__main__":
    main()
