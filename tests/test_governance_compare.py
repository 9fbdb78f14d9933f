"""Comparing versions: weighted scores, ranks, missing metrics, stored weights, diffs."""

from __future__ import annotations

import math

import pytest

from governance_fixtures import version_with_metrics
from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def fraud(client):
    """fraud v1 (acc .90 f1 .80), v2 (acc .95, no f1), v3 (acc .92 f1 .90)."""
    client.create_registered_model("fraud")
    version_with_metrics(client, "fraud", {"accuracy": 0.90, "f1": 0.80})
    version_with_metrics(client, "fraud", {"accuracy": 0.95})
    version_with_metrics(client, "fraud", {"accuracy": 0.92, "f1": 0.90})
    return client


def test_rows_are_ranked_by_the_weighted_score(fraud):
    table = fraud.compare_versions("fraud", weights={"accuracy": 0.5, "f1": 0.5})

    assert [(r.version, r.rank) for r in table.rows if r.rank] == [(3, 1), (1, 2)]
    assert table.row(3).score == pytest.approx(0.91)


def test_a_missing_metric_is_shown_missing_and_left_unranked_never_zero(fraud):
    table = fraud.compare_versions("fraud", weights={"accuracy": 0.5, "f1": 0.5})

    row = table.row(2)
    assert (row.metrics["f1"], row.score, row.rank, row.missing) == (None, None, None, ("f1",))
    assert table.rows[-1].version == 2


def test_weights_default_to_the_models_scoring_weights(fraud):
    fraud.set_scoring_weights("fraud", {"accuracy": 1.0})

    table = fraud.compare_versions("fraud")

    assert table.weights == {"accuracy": 1.0}
    assert [r.version for r in table.rows] == [2, 3, 1]


def test_a_negative_weight_counts_against_a_higher_value(client):
    client.create_registered_model("m")
    version_with_metrics(client, "m", {"auc": 0.9, "latency_ms": 10.0})
    version_with_metrics(client, "m", {"auc": 0.9, "latency_ms": 50.0})

    table = client.compare_versions("m", weights={"auc": 1.0, "latency_ms": -0.01})

    assert [r.version for r in table.rows] == [1, 2]


def test_equal_scores_share_a_rank(client):
    client.create_registered_model("m")
    for accuracy in (0.9, 0.9, 0.8):
        version_with_metrics(client, "m", {"accuracy": accuracy})

    table = client.compare_versions("m", weights={"accuracy": 1.0})

    assert sorted(r.rank for r in table.rows) == [1, 1, 3]


def test_without_weights_there_is_no_score(fraud):
    table = fraud.compare_versions("fraud")

    assert {r.score for r in table.rows} == {None}
    assert table.metrics == ("accuracy", "f1")


def test_versions_and_metrics_narrow_the_table(fraud):
    table = fraud.compare_versions("fraud", versions=[1, "3"], metrics=["f1"])

    assert sorted(r.version for r in table.rows) == [1, 3]
    assert table.metrics == ("f1",)


def test_an_unknown_version_is_not_found(fraud):
    with pytest.raises(NotFound, match="no version"):
        fraud.compare_versions("fraud", versions=[1, 9])


def test_to_dicts_gives_one_flat_row_per_version(fraud):
    table = fraud.compare_versions("fraud", versions=[2], weights={"f1": 1.0})

    assert table.to_dicts() == [
        {
            "version": 2,
            "semver": "1.1.0",
            "stage": "None",
            "aliases": [],
            "f1": None,
            "accuracy": 0.95,
            "score": None,
            "rank": None,
        }
    ]


def test_to_pandas_shows_missing_metrics_as_nan(fraud):
    frame = fraud.compare_versions("fraud", weights={"f1": 1.0}).to_pandas()

    row = frame[frame["version"] == 2].iloc[0]
    assert math.isnan(row["f1"]) and math.isnan(row["score"])


def test_the_printed_table_says_missing(fraud):
    text = str(fraud.compare_versions("fraud", versions=[2], weights={"f1": 1.0}))

    assert text.splitlines()[0].split() == [
        "version", "semver", "stage", "aliases", "f1", "accuracy", "score", "rank"
    ]  # fmt: skip
    assert "missing" in text.splitlines()[1]


def test_metrics_on_the_card_override_the_runs(fraud):
    fraud.set_model_card("fraud", 2, {"metrics": {"f1": 0.7}})

    table = fraud.compare_versions("fraud", versions=[2], weights={"f1": 1.0})

    assert table.row(2).score == pytest.approx(0.7)


def test_setting_scoring_weights_is_audited(fraud):
    fraud.set_scoring_weights("fraud", {"accuracy": 0.7, "f1": 0.3})

    event = fraud.get_history("fraud")[-1]

    assert event.action == "set_scoring_weights"
    assert event.after == {"weights": {"accuracy": 0.7, "f1": 0.3}}
    assert fraud.get_scoring_weights("fraud") == {"accuracy": 0.7, "f1": 0.3}


def test_a_non_finite_weight_is_refused(fraud):
    with pytest.raises(InvalidArgument, match="f1"):
        fraud.set_scoring_weights("fraud", {"f1": "lots"})


def test_diff_lists_what_differs_between_two_versions(fraud):
    fraud.set_model_version_tag("fraud", 3, "validated", "yes")
    fraud.set_model_card("fraud", 3, {"summary": "Better recall."})

    diff = fraud.diff_versions("fraud", 1, 3)

    assert diff.metrics == {"accuracy": (0.90, 0.92), "f1": (0.80, 0.90)}
    assert diff.tags == {"validated": (None, "yes")}
    assert diff.card["summary"] == (None, "Better recall.")
    assert diff.attributes["semver"] == ("1.0.0", "1.2.0")


def test_diff_of_a_version_with_itself_is_identical(fraud):
    assert fraud.diff_versions("fraud", 2, 2).identical
