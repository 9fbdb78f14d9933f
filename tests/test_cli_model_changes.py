"""``modelreg models rename|update|tag|untag|protect``, ``versions update|tag|untag``,
``alias set --force`` and ``alias swap``."""

from __future__ import annotations

import json

import pytest

from cli_fixtures import fraud, invoke, lib, run_id, store_uri  # noqa: F401
from modelreg.errors import NotFound

# ruff: noqa: F811  (fixtures imported above are parameters below)


def test_models_rename_moves_versions_and_aliases_to_the_new_name(invoke, fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    result = invoke("models", "rename", "fraud", "card-fraud")

    assert result.stdout == "Renamed registered model 'fraud' to 'card-fraud'.\n"
    assert fraud.get_model_version_by_alias("card-fraud", "champion").version == 2
    with pytest.raises(NotFound):
        fraud.get_registered_model("fraud")


def test_models_update_sets_and_clears_the_description(invoke, fraud):
    set_ = invoke("models", "update", "fraud", "--description", "EU traffic", "--json")
    assert json.loads(set_.stdout)["description"] == "EU traffic"

    invoke("models", "update", "fraud", "--description", "")
    assert not fraud.get_registered_model("fraud").description


def test_models_update_without_a_description_is_a_usage_error(invoke, fraud):
    result = invoke("models", "update", "fraud")

    assert result.exit_code == 2
    assert "--description" in result.stderr


def test_models_tag_and_untag(invoke, fraud):
    tagged = invoke("models", "tag", "fraud", "owner=ana", "team=fraud-ops")
    assert tagged.stdout == "Set 2 tags on registered model 'fraud'.\n"
    assert fraud.get_registered_model("fraud").tags == {"owner": "ana", "team": "fraud-ops"}

    untagged = invoke("models", "untag", "fraud", "owner")
    assert untagged.stdout == "Removed 1 tag from registered model 'fraud'.\n"
    assert fraud.get_registered_model("fraud").tags == {"team": "fraud-ops"}


def test_models_untag_of_a_missing_key_changes_nothing(invoke, fraud):
    result = invoke("models", "untag", "fraud", "team", "nope")

    assert result.exit_code == 1
    assert "registered model 'fraud' has no tag 'nope'" in result.stderr
    assert fraud.get_registered_model("fraud").tags == {"team": "risk"}


def test_models_tag_of_an_unknown_model_exits_1(invoke, lib):
    result = invoke("models", "tag", "nope", "a=1")

    assert result.exit_code == 1
    assert "nope" in result.stderr


def test_models_protect_without_options_shows_the_protection(invoke, fraud):
    result = invoke("models", "protect", "fraud", "--json")

    assert json.loads(result.stdout) == {
        "name": "fraud",
        "protected_aliases": [],
        "protect_production": False,
    }


def test_models_protect_sets_aliases_and_production_then_only_what_is_given(invoke, fraud):
    invoke("models", "protect", "fraud", "--alias", "champion", "--alias", "prod", "--production")
    production_only = invoke("models", "protect", "fraud", "--no-production")

    assert production_only.exit_code == 0
    protection = fraud.get_model_protection("fraud")
    assert sorted(protection.protected_aliases) == ["champion", "prod"]
    assert protection.protect_production is False
    assert "champion" in production_only.stdout


def test_models_protect_no_aliases_clears_them(invoke, fraud):
    fraud.set_model_protection("fraud", ["champion"])

    invoke("models", "protect", "fraud", "--no-aliases")

    assert fraud.get_model_protection("fraud").protected_aliases == ()


def test_models_protect_alias_and_no_aliases_together_is_a_usage_error(invoke, fraud):
    result = invoke("models", "protect", "fraud", "--alias", "a", "--no-aliases")

    assert result.exit_code == 2


def test_versions_update_by_alias_sets_the_description(invoke, fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    result = invoke("versions", "update", "fraud", "@champion", "--description", "June data")

    assert result.stdout == "Updated the description of 'fraud' version 2.\n"
    assert fraud.get_model_version("fraud", 2).description == "June data"


def test_versions_tag_records_what_ci_checked(invoke, fraud):
    result = invoke("versions", "tag", "fraud", "latest", "validation_status=passed", "by=ci")

    assert result.stdout == "Set 2 tags on 'fraud' version 3.\n"
    assert fraud.get_model_version("fraud", 3).tags == {"validation_status": "passed", "by": "ci"}


def test_versions_tag_with_a_bad_key_writes_none(invoke, fraud):
    result = invoke("versions", "tag", "fraud", "1", "ok=1", "../x=2")

    assert result.exit_code == 1
    assert "../x" in result.stderr
    assert fraud.get_model_version("fraud", 1).tags == {}


def test_versions_untag(invoke, fraud):
    fraud.set_model_version_tag("fraud", 1, "a", "1")
    fraud.set_model_version_tag("fraud", 1, "b", "2")

    refused = invoke("versions", "untag", "fraud", "1", "a", "c")
    done = invoke("versions", "untag", "fraud", "1", "a")

    assert refused.exit_code == 1 and "'fraud' version 1 has no tag 'c'" in refused.stderr
    assert done.stdout == "Removed 1 tag from 'fraud' version 1.\n"
    assert fraud.get_model_version("fraud", 1).tags == {"b": "2"}


def test_alias_set_refused_by_the_policy_lists_every_rule_and_exits_1(invoke, fraud):
    policy = {"thresholds": ["auc >= 0.95"], "required_tags": {"ab_test": "won"}}
    fraud.set_promotion_policy("fraud", {"@champion": policy})

    result = invoke("alias", "set", "fraud", "champion", "2")

    assert result.exit_code == 1
    assert "may not move to alias 'champion'; 2 rule(s)" in result.stderr
    assert "  - auc is 0.91 (needs auc >= 0.95)" in result.stderr
    assert "--force --reason" in result.stderr
    assert "champion" not in fraud.get_registered_model("fraud").aliases


def test_alias_set_force_with_a_reason_overrides_and_is_audited(invoke, fraud):
    fraud.set_promotion_policy("fraud", {"@champion": {"thresholds": ["auc >= 0.95"]}})

    result = invoke("alias", "set", "fraud", "champion", "2", "--force", "--reason", "hotfix")

    assert result.exit_code == 0
    assert fraud.get_model_version_by_alias("fraud", "champion").version == 2
    [event] = [e for e in fraud.get_history("fraud") if e.action == "set_alias"]
    assert event.reason == "hotfix"


def test_alias_swap_exchanges_the_versions(invoke, fraud):
    fraud.set_registered_model_alias("fraud", "champion", 1)
    fraud.set_registered_model_alias("fraud", "challenger", 3)

    result = invoke("alias", "swap", "fraud", "champion", "challenger", "--reason", "won A/B")

    assert result.stdout == (
        "Alias 'champion' of 'fraud' now points at version 3, 'challenger' at version 1.\n"
    )
    assert fraud.get_registered_model("fraud").aliases == {"champion": 3, "challenger": 1}


def test_alias_swap_json_is_the_new_mapping(invoke, fraud):
    fraud.set_registered_model_alias("fraud", "a", 1)
    fraud.set_registered_model_alias("fraud", "b", 2)

    result = invoke("alias", "swap", "fraud", "a", "b", "--json")

    assert json.loads(result.stdout) == {"a": 2, "b": 1}


def test_stage_set_refused_by_the_policy_can_be_forced_with_a_reason(invoke, fraud):
    fraud.set_promotion_policy("fraud", {"Production": {"thresholds": ["auc >= 0.95"]}})

    refused = invoke("stage", "set", "fraud", "2", "Production")
    forced = invoke("stage", "set", "fraud", "2", "Production", "--force", "--reason", "hotfix")

    assert refused.exit_code == 1 and "  - auc is 0.91" in refused.stderr
    assert forced.exit_code == 0
    assert fraud.get_model_version("fraud", 2).current_stage == "Production"
