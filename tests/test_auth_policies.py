"""Promotion-policy results show only metrics the caller may read, as comparisons do.

#14 point 8: a manager of a model whose version came from a run in an
experiment they hold no role on read that run's metric from a refusal
("acc is 0.5123"), while ``compare_versions`` hid it. A policy is now
evaluated on what the caller may read: the hidden run lends no metrics.
"""

from __future__ import annotations

import pytest

from auth_fixtures import unique
from modelreg.entities import Metric
from modelreg.errors import PolicyViolation

SECRET = 0.5123


@pytest.fixture
def guarded(auth_server) -> str:
    """A model whose version 1 comes from a run the manager may not read, with a policy."""
    lib = auth_server.admin_lib
    hidden = lib.create_experiment(unique("hidden"))
    run_id = lib.create_run(hidden).info.run_id
    lib.log_batch(run_id, metrics=[Metric("acc", SECRET, 1, 0)])
    name = unique("guarded")
    lib.create_registered_model(name)
    lib.create_model_version(name, f"runs:/{run_id}/model")
    lib.set_promotion_policy(name, {"Production": {"thresholds": ["acc >= 0.9"]}})
    auth_server.grant("manager", "manage", model=name)
    return name


def test_a_policy_check_shows_no_metric_of_a_run_the_caller_may_not_read(auth_server, guarded):
    [failed] = auth_server.client("manager").check_promotion(guarded, 1, "Production")

    assert failed["actual"] is None
    assert failed["message"] == "acc is missing (needs acc >= 0.9)"
    assert str(SECRET) not in repr(failed)


def test_a_refused_transition_shows_no_metric_of_a_run_the_caller_may_not_read(
    auth_server, guarded
):
    with pytest.raises(PolicyViolation) as refused:
        auth_server.client("manager").transition_model_version_stage(guarded, 1, "Production")

    assert "acc is missing" in refused.value.message
    assert str(SECRET) not in refused.value.message + repr(refused.value.details)


def test_a_policy_check_agrees_with_the_comparison_the_caller_sees(auth_server, guarded):
    table = auth_server.client("manager").compare_versions(guarded)

    assert "acc" not in table.rows[0].metrics


def test_whoever_may_read_the_run_sees_its_metric(auth_server, guarded):
    [failed] = auth_server.client("admin").check_promotion(guarded, 1, "Production")

    assert failed["actual"] == SECRET


def test_separation_of_duties_takes_a_second_person_to_promote(auth_server):
    lib = auth_server.admin_lib
    experiment = lib.create_experiment(unique("duties"))
    run_id = lib.create_run(experiment).info.run_id
    name = unique("duties")
    lib.create_registered_model(name)
    lib.set_promotion_policy(name, {"Production": {"separation_of_duties": True}})
    auth_server.grant("editor", "manage", model=name, experiment=experiment)
    auth_server.grant("manager", "manage", model=name, experiment=experiment)
    editor = auth_server.client("editor")
    editor.create_model_version(name, f"runs:/{run_id}/model")

    with pytest.raises(PolicyViolation, match="editor registered version 1 and may not"):
        editor.transition_model_version_stage(name, 1, "Production")
    moved = auth_server.client("manager").transition_model_version_stage(name, 1, "Production")

    assert moved.current_stage == "Production"
