"""``modelreg.data``, MLflow's ``mlflow.data`` by its names and arguments: datasets
described from a DataFrame or arrays, logged as inputs of a run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import modelreg
from modelreg.errors import InvalidArgument

FRAME = pd.DataFrame({"x": [1.0, 2.0], "label": [0, 1]})


def test_from_pandas_takes_mlflows_arguments_in_mlflows_order(client):
    dataset = modelreg.data.from_pandas(FRAME, "s3://bucket/train.parquet", "label", "train")

    with modelreg.start_run() as run:
        modelreg.log_input(dataset, context="training")

    (logged,) = client.get_run_inputs(run.info.run_id)
    assert (logged.dataset.name, logged.dataset.source) == ("train", "s3://bucket/train.parquet")
    assert logged.dataset.digest == modelreg.datasets.from_pandas(FRAME).digest


def test_from_numpy_describes_features_and_targets_together():
    features, targets = np.zeros((2, 3)), np.array([0, 1])

    with_targets = modelreg.data.from_numpy(features, targets=targets, name="train")
    without = modelreg.data.from_numpy(features)

    assert with_targets.digest != without.digest
    assert with_targets.digest == modelreg.data.from_numpy(features, targets=targets).digest


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: modelreg.data.from_pandas(FRAME, targets="y"), "targets: the DataFrame has no"),
        (lambda: modelreg.data.from_pandas(FRAME, predictions="p"), "predictions: the DataFrame"),
        (lambda: modelreg.data.from_pandas(FRAME, digest="abc"), "digest: modelreg computes"),
        (lambda: modelreg.data.from_numpy(np.zeros((2, 1)), targets=[1]), "one per row"),
    ],
)
def test_what_cannot_describe_the_data_is_refused(call, message):
    with pytest.raises(InvalidArgument, match=message):
        call()
