"""Promotion policies: every failed rule is reported; force with a reason overrides, audited."""

from __future__ import annotations

import pytest

from governance_fixtures import version_with_metrics
from modelreg.errors import InvalidArgument, PolicyViolation


@pytest.fixture
def fraud(client):
    """fraud v1 (accuracy .93, f1 .80) and v2 (accuracy .85), both in stage None."""
    client.create_registered_model("fraud")
    version_with_metrics(client, "fraud", {"accuracy": 0.93, "f1": 0.80})
    version_with_metrics(client, "fraud", {"accuracy": 0.85})
    return client


def refusal(client, version, stage="Production", **kwargs) -> PolicyViolation:
    with pytest.raises(PolicyViolation) as caught:
        client.transition_model_version_stage("fraud", version, stage, **kwargs)
    return caught.value


def rules(error: PolicyViolation) -> list[tuple[str, str]]:
    return [(r["rule"], r["expected"]) for r in error.details["failed_rules"]]


def test_a_metric_below_its_threshold_refuses_the_transition(fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"thresholds": ["accuracy >= 0.9"]}})

    error = refusal(fraud, 2)

    assert rules(error) == [("threshold", "accuracy >= 0.9")]
    assert "accuracy is 0.85" in error.message
    assert fraud.get_model_version("fraud", 2).current_stage == "None"


def test_a_version_meeting_the_policy_moves(fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"thresholds": {"accuracy": ">= 0.9"}}})

    moved = fraud.transition_model_version_stage("fraud", 1, "Production")

    assert moved.current_stage == "Production"


def test_a_missing_metric_fails_its_threshold(fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"thresholds": {"f1": 0.5}}})

    assert rules(refusal(fraud, 2)) == [("threshold", "f1 >= 0.5")]


def test_every_failed_rule_is_listed_not_just_the_first(fraud):
    fraud.set_promotion_policy(
        "fraud",
        {
            "Production": {
                "thresholds": ["accuracy >= 0.9", "f1 > 0.5"],
                "required_tags": {"validation_status": "passed"},
                "required_card_fields": ["intended_use"],
                "only_from_staging": True,
            }
        },
    )

    assert [rule for rule, _ in rules(refusal(fraud, 2))] == [
        "threshold",
        "threshold",
        "required_tag",
        "required_card_field",
        "from_stages",
    ]


def test_a_required_tag_must_have_the_required_value(fraud):
    fraud.set_promotion_policy(
        "fraud", {"Production": {"required_tags": ["validation_status = passed"]}}
    )
    fraud.set_model_version_tag("fraud", 1, "validation_status", "failed")

    error = refusal(fraud, 1)

    assert error.details["failed_rules"][0]["message"] == (
        "tag validation_status is 'failed' (needs 'passed')"
    )


def test_only_from_staging_refuses_a_version_that_skips_staging(fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"only_from_staging": True}})

    refusal(fraud, 1)
    fraud.transition_model_version_stage("fraud", 1, "Staging")
    moved = fraud.transition_model_version_stage("fraud", 1, "Production")

    assert moved.current_stage == "Production"


def test_required_card_fields_count_auto_filled_metrics(fraud):
    fraud.set_promotion_policy(
        "fraud", {"Production": {"required_card_fields": ["metrics", "limitations"]}}
    )

    assert rules(refusal(fraud, 1)) == [("required_card_field", "limitations")]


def test_beats_current_compares_scores_with_the_production_holder(fraud):
    fraud.set_scoring_weights("fraud", {"accuracy": 1.0})
    fraud.transition_model_version_stage("fraud", 1, "Production")
    fraud.set_promotion_policy("fraud", {"Production": {"beats_current": {"margin": 0.01}}})

    error = refusal(fraud, 2)

    assert error.details["failed_rules"][0]["message"] == (
        "score 0.85 does not beat version 1's score 0.93 + margin 0.01"
    )


def test_beats_current_passes_when_nothing_holds_the_stage(fraud):
    fraud.set_scoring_weights("fraud", {"accuracy": 1.0})
    fraud.set_promotion_policy("fraud", {"Production": {"beats_current": True}})

    assert fraud.transition_model_version_stage("fraud", 2, "Production").current_stage == (
        "Production"
    )


def test_beats_current_fails_when_the_candidate_has_no_score(fraud):
    fraud.set_scoring_weights("fraud", {"accuracy": 0.5, "f1": 0.5})
    fraud.transition_model_version_stage("fraud", 1, "Production")
    fraud.set_promotion_policy("fraud", {"Production": {"beats_current": True}})

    error = refusal(fraud, 2)

    assert "f1 missing" in error.details["failed_rules"][0]["message"]


def test_force_with_a_reason_overrides_and_the_audit_event_records_it(fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"thresholds": ["accuracy >= 0.9"]}})

    moved = fraud.transition_model_version_stage(
        "fraud", 2, "Production", force=True, reason="hotfix for incident 42"
    )

    event = fraud.get_history("fraud", 2)[-1]
    assert moved.current_stage == "Production"
    assert event.reason == "hotfix for incident 42"
    assert [r["expected"] for r in event.after["policy_override"]["failed_rules"]] == [
        "accuracy >= 0.9"
    ]


def test_force_without_a_reason_is_refused(fraud):
    with pytest.raises(InvalidArgument, match="needs a reason"):
        fraud.transition_model_version_stage("fraud", 2, "Production", force=True)


def test_an_alias_policy_guards_moving_the_alias(fraud):
    fraud.set_promotion_policy("fraud", {"@champion": {"thresholds": ["accuracy >= 0.9"]}})

    with pytest.raises(PolicyViolation) as caught:
        fraud.set_registered_model_alias("fraud", "champion", 2)

    assert "alias 'champion'" in caught.value.message
    assert fraud.get_registered_model("fraud").aliases == {}


def test_an_alias_move_can_be_forced_with_a_reason(fraud):
    fraud.set_promotion_policy("fraud", {"@champion": {"thresholds": ["accuracy >= 0.9"]}})

    fraud.set_registered_model_alias("fraud", "champion", 2, force=True, reason="A/B test")

    event = fraud.get_history("fraud")[-1]
    assert (event.action, event.reason) == ("set_alias", "A/B test")
    assert "policy_override" in event.after


def test_separation_of_duties_refuses_whoever_registered_the_version(fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"separation_of_duties": True}})

    error = refusal(fraud, 1)

    assert rules(error) == [
        ("separation_of_duties", "moved by someone other than who registered it")
    ]
    registrant = fraud.get_model_version("fraud", 1).user_id
    assert f"{registrant} registered version 1 and may not also move it" in error.message


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_separation_of_duties_lets_another_person_move_the_version(fraud):
    from modelreg.actor import acting_as

    fraud.set_promotion_policy("fraud", {"@champion": {"separation_of_duties": True}})

    with acting_as("reviewer"):
        fraud.set_registered_model_alias("fraud", "champion", 1)

    assert fraud.get_model_version_by_alias("fraud", "champion").version == 1


def test_stages_without_rules_are_not_checked(fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"thresholds": ["accuracy >= 0.99"]}})

    assert fraud.transition_model_version_stage("fraud", 2, "Staging").current_stage == "Staging"


def test_check_promotion_reports_without_moving(fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"thresholds": ["accuracy >= 0.9"]}})

    assert fraud.check_promotion("fraud", 1, "Production") == []
    assert [r["rule"] for r in fraud.check_promotion("fraud", 2, "Production")] == ["threshold"]
    assert fraud.get_model_version("fraud", 2).current_stage == "None"


def test_the_policy_reads_back_normalised_and_setting_it_is_audited(fraud):
    fraud.set_promotion_policy(
        "fraud", {"production": {"thresholds": ["f1 > 0.5"], "only_from_staging": True}}
    )

    assert fraud.get_promotion_policy("fraud") == {
        "Production": {
            "thresholds": [{"metric": "f1", "op": ">", "value": 0.5}],
            "from_stages": ["Staging"],
        }
    }
    assert fraud.get_history("fraud")[-1].action == "set_promotion_policy"


def test_a_policy_read_back_is_accepted_again_unchanged(fraud):
    fraud.set_promotion_policy(
        "fraud",
        {
            "Production": {
                "thresholds": ["f1 > 0.5", "latency_ms <= 50"],
                "beats_current": True,
                "required_tags": ["validated", "by = ci"],
                "required_card_fields": ["intended_use"],
                "only_from_staging": True,
            },
            "@champion": {"thresholds": {"f1": 0.6}},
        },
    )
    read = fraud.get_promotion_policy("fraud")

    assert fraud.set_promotion_policy("fraud", read) == read
    assert fraud.get_promotion_policy("fraud") == read


@pytest.mark.parametrize(
    "threshold",
    [
        {"metric": "f1", "op": "~", "value": 0.5},
        {"metric": "f1", "op": ">", "value": "high"},
        {"metric": "f1", "op": ">"},
        {"metric": "f1", "op": ">", "value": 0.5, "extra": 1},
        {"metric": "../f1", "op": ">", "value": 0.5},
    ],
    ids=["op", "value", "missing", "extra", "metric"],
)
def test_a_malformed_threshold_object_is_refused(fraud, threshold):
    with pytest.raises(InvalidArgument, match="threshold"):
        fraud.set_promotion_policy("fraud", {"Production": {"thresholds": [threshold]}})
    assert fraud.get_promotion_policy("fraud") == {}


def test_an_empty_policy_removes_it(fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"thresholds": ["accuracy >= 0.99"]}})

    fraud.set_promotion_policy("fraud", {})

    assert fraud.get_promotion_policy("fraud") == {}
    assert fraud.transition_model_version_stage("fraud", 2, "Production").current_stage == (
        "Production"
    )


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"Prod": {}}, "neither a stage"),
        ({"Production": {"thresholds": ["accuracy ~ 0.9"]}}, "metric OP number"),
        ({"Production": {"min_accuracy": 0.9}}, "unknown rule"),
        ({"Production": {"required_card_fields": ["colour"]}}, "colour"),
        ({"Production": {"separation_of_duties": "yes"}}, "must be true or false"),
    ],
    ids=["target", "threshold", "rule", "card-field", "duties"],
)
def test_a_malformed_policy_is_refused_naming_the_problem(fraud, policy, message):
    with pytest.raises(InvalidArgument, match=message):
        fraud.set_promotion_policy("fraud", policy)
