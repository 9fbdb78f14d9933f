"""MLflow's ``mlflow.data`` by its names: a dataset described from a DataFrame or an
array, by MLflow's arguments, to log as an input of a run.

>>> dataset = modelreg.data.from_pandas(df, source="s3://bucket/train.parquet",
...                                     targets="label", name="train")
>>> modelreg.log_input(dataset, context="training")

The description is :class:`modelreg.datasets.Dataset`: a sha256 digest of the content
(computed here: a ``digest`` of one's own is refused), its schema and row count, the
name and source; the data is never uploaded. ``targets`` and ``predictions`` name
columns that must exist (``modelreg.evaluate`` takes them again by its own arguments).
``get_source(dataset).load()`` fetches a dataset's data back from its source (see
:mod:`modelreg.dataset_sources`).
"""

from __future__ import annotations

from typing import Any

from modelreg import datasets
from modelreg.dataset_sources import DatasetSource, get_source
from modelreg.datasets import Dataset
from modelreg.errors import InvalidArgument

__all__ = ["Dataset", "DatasetSource", "from_numpy", "from_pandas", "get_source"]


def from_pandas(
    df: Any,
    source: str | None = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
    predictions: str | None = None,
) -> Dataset:
    """The dataset of a pandas DataFrame (MLflow's ``mlflow.data.from_pandas``). Raises
    ``InvalidArgument`` for another object, a ``targets`` or ``predictions`` column it
    does not have, or a ``digest`` given."""
    _no_digest(digest)
    columns = [str(c) for c in getattr(df, "columns", ())]
    for field, column in (("targets", targets), ("predictions", predictions)):
        if column is not None and column not in columns:
            raise InvalidArgument(f"{field}: the DataFrame has no column {column!r:.100}")
    return datasets.from_pandas(df, name=name, source=source)


def from_numpy(
    features: Any,
    source: str | None = None,
    targets: Any = None,
    name: str | None = None,
    digest: str | None = None,
) -> Dataset:
    """The dataset of an array of features, and of its ``targets`` when given (MLflow's
    ``mlflow.data.from_numpy``): the digest covers both. Raises ``InvalidArgument``
    for targets of another length, or a ``digest`` given."""
    _no_digest(digest)
    if targets is None:
        return datasets.from_numpy(features, name=name, source=source)
    import numpy as np

    if len(np.asarray(targets)) != len(np.asarray(features)):
        raise InvalidArgument("targets: one per row of features")
    return datasets.dataset({"features": features, "targets": targets}, name=name, source=source)


def _no_digest(digest: str | None) -> None:
    if digest is not None:
        raise InvalidArgument("digest: modelreg computes a dataset's digest from its content")
