"""Autologging on a fresh store: the ``autologged`` client, and the one run a fit made."""

from __future__ import annotations

import pytest

import modelreg

EXPERIMENT = "autolog"


@pytest.fixture
def autologged(client):
    """The client, with ``modelreg.autolog()`` on and runs going to experiment 'autolog'."""
    modelreg.set_experiment(EXPERIMENT)
    modelreg.autolog()
    yield client
    modelreg.autolog(disable=True)


def only_run(client):
    """The one run of the autolog experiment."""
    (run,) = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id])
    return run


def boosting_classifier(library):
    """A small, quiet classifier of XGBoost or LightGBM ('xgboost' or 'lightgbm')."""
    if library == "xgboost":
        from xgboost import XGBClassifier

        return XGBClassifier(n_estimators=5)
    from lightgbm import LGBMClassifier

    return LGBMClassifier(n_estimators=5, verbose=-1)
