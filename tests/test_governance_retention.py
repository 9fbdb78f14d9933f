"""Retention: cleanup archives old versions nobody relies on, never deletes, and is audited."""

from __future__ import annotations

import pytest

from governance_fixtures import version_with_metrics
from modelreg.errors import InvalidArgument


@pytest.fixture
def fraud(client):
    """fraud v1..v6, all in stage None."""
    client.create_registered_model("fraud")
    for _ in range(6):
        version_with_metrics(client, "fraud", {})
    return client


def stages(client) -> dict[int, str]:
    return {v.version: v.current_stage for v in client.search_model_versions("name = 'fraud'")}


def test_versions_beyond_the_newest_n_are_archived(fraud):
    archived = fraud.cleanup("fraud", keep_last=4)

    assert [v.version for v in archived] == [2, 1]
    assert {v.current_stage for v in archived} == {"Archived"}
    assert stages(fraud) == {
        6: "None",
        5: "None",
        4: "None",
        3: "None",
        2: "Archived",
        1: "Archived",
    }


def test_nothing_is_deleted(fraud):
    fraud.cleanup("fraud", keep_last=0)

    assert len(fraud.search_model_versions("name = 'fraud'")) == 6


def test_production_and_aliased_versions_are_never_touched(fraud):
    fraud.transition_model_version_stage("fraud", 1, "Production")
    fraud.transition_model_version_stage("fraud", 2, "Staging")
    fraud.set_registered_model_alias("fraud", "champion", 3)

    archived = fraud.cleanup("fraud", keep_last=1)

    assert [v.version for v in archived] == [5, 4, 2]
    assert stages(fraud)[1] == "Production"
    assert stages(fraud)[3] == "None"


def test_dry_run_lists_without_changing(fraud):
    listed = fraud.cleanup("fraud", keep_last=4, dry_run=True)

    assert [(v.version, v.current_stage) for v in listed] == [(2, "None"), (1, "None")]
    assert set(stages(fraud).values()) == {"None"}
    assert fraud.get_history("fraud", 1)[-1].action == "create_model_version"


def test_each_archived_version_gets_an_audit_event(fraud):
    fraud.cleanup("fraud", keep_last=5, reason="quarterly tidy-up")

    event = fraud.get_history("fraud", 1)[-1]

    assert (event.action, event.reason) == ("transition_stage", "quarterly tidy-up")
    assert event.after == {"current_stage": "Archived", "retention": {"keep_last": 5}}


def test_cleanup_is_idempotent(fraud):
    fraud.cleanup("fraud", keep_last=3)

    assert fraud.cleanup("fraud", keep_last=3) == []


def test_a_negative_keep_last_is_refused(fraud):
    with pytest.raises(InvalidArgument, match="keep_last"):
        fraud.cleanup("fraud", keep_last=-1)
