"""Stages, aliases and rollback."""

import pytest

from modelreg.errors import Conflict, InvalidArgument, NotFound


@pytest.fixture
def fraud(client):
    """Model 'fraud' with versions 1..4, all in stage None."""
    run_id = client.create_run("0").info.run_id
    client.create_registered_model("fraud")
    for _ in range(4):
        client.create_model_version("fraud", f"runs:/{run_id}/model")
    return client


def stages(client):
    return {v.version: v.current_stage for v in client.search_model_versions("name = 'fraud'")}


# -- stages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("production", "Production"),
        ("STAGING", "Staging"),
        ("archived", "Archived"),
        ("none", "None"),
    ],
)
def test_stage_names_are_case_insensitive_and_come_back_canonical(fraud, given, canonical):
    version = fraud.transition_model_version_stage("fraud", 1, given)

    assert version.current_stage == canonical
    assert fraud.get_model_version("fraud", 1).current_stage == canonical


@pytest.mark.parametrize("bad", ["Prod", "", "deployed"])
def test_unknown_stage_is_refused_listing_the_stages(fraud, bad):
    with pytest.raises(InvalidArgument, match="None, Staging, Production, Archived"):
        fraud.transition_model_version_stage("fraud", 1, bad)


def test_a_missing_stage_is_refused_naming_the_field(fraud):
    with pytest.raises(InvalidArgument, match="stage"):
        fraud.transition_model_version_stage("fraud", 1, None)


def test_several_versions_may_share_a_stage(fraud):
    fraud.transition_model_version_stage("fraud", 1, "Production")
    fraud.transition_model_version_stage("fraud", 2, "Production")

    assert stages(fraud) == {1: "Production", 2: "Production", 3: "None", 4: "None"}


def test_archive_existing_versions_archives_the_others_in_that_stage(fraud):
    fraud.transition_model_version_stage("fraud", 1, "Production")
    fraud.transition_model_version_stage("fraud", 2, "Production")
    fraud.transition_model_version_stage("fraud", 3, "Staging")

    fraud.transition_model_version_stage("fraud", 4, "Production", archive_existing_versions=True)

    assert stages(fraud) == {1: "Archived", 2: "Archived", 3: "Staging", 4: "Production"}


def test_archive_existing_versions_only_applies_to_staging_and_production(fraud):
    with pytest.raises(InvalidArgument, match="archive_existing_versions"):
        fraud.transition_model_version_stage("fraud", 1, "Archived", archive_existing_versions=True)


def test_transition_of_unknown_version_raises_not_found(fraud):
    with pytest.raises(NotFound, match="no version 9"):
        fraud.transition_model_version_stage("fraud", 9, "Staging")


# -- aliases ---------------------------------------------------------------------------


def test_alias_names_one_version(fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    assert fraud.get_model_version_by_alias("fraud", "champion").version == 2
    assert fraud.get_model_version("fraud", 2).aliases == ("champion",)
    assert fraud.get_registered_model("fraud").aliases == {"champion": 2}


def test_setting_an_alias_again_moves_it(fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    fraud.set_registered_model_alias("fraud", "champion", 3)

    assert fraud.get_model_version_by_alias("fraud", "champion").version == 3
    assert fraud.get_model_version("fraud", 2).aliases == ()


def test_a_version_may_carry_several_aliases(fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)
    fraud.set_registered_model_alias("fraud", "blue", 2)

    assert fraud.get_model_version("fraud", 2).aliases == ("blue", "champion")


def test_deleted_alias_no_longer_resolves(fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    fraud.delete_registered_model_alias("fraud", "champion")

    with pytest.raises(NotFound, match="'fraud' has no alias 'champion'"):
        fraud.get_model_version_by_alias("fraud", "champion")


def test_deleting_a_version_drops_its_aliases(fraud):
    fraud.set_registered_model_alias("fraud", "champion", 2)

    fraud.delete_model_version("fraud", 2)

    with pytest.raises(NotFound, match="no alias 'champion'"):
        fraud.get_model_version_by_alias("fraud", "champion")
    assert fraud.get_registered_model("fraud").aliases == {}


def test_deleting_an_unknown_alias_raises_not_found(fraud):
    with pytest.raises(NotFound, match="no alias 'ghost'"):
        fraud.delete_registered_model_alias("fraud", "ghost")


def test_alias_on_unknown_version_raises_not_found(fraud):
    with pytest.raises(NotFound, match="no version 9"):
        fraud.set_registered_model_alias("fraud", "champion", 9)


@pytest.mark.parametrize("alias", ["latest", "LATEST", "Latest"])
def test_the_reserved_alias_latest_names_the_highest_version(fraud, alias):
    fraud.transition_model_version_stage("fraud", 4, "Archived")

    assert fraud.get_model_version_by_alias("fraud", alias).version == 4


def test_a_model_without_versions_has_no_latest_version(client):
    client.create_registered_model("empty")

    with pytest.raises(NotFound, match="'empty'"):
        client.get_model_version_by_alias("empty", "latest")


@pytest.mark.parametrize("bad", ["latest", "LATEST", "3", "v3", "", "a/b", "a b", "x" * 257])
def test_reserved_or_malformed_aliases_are_refused(fraud, bad):
    with pytest.raises(InvalidArgument, match="alias"):
        fraud.set_registered_model_alias("fraud", bad, 1)


# -- rollback ------------------------------------------------------------------------------


def promote(client, version, stage="Production"):
    client.transition_model_version_stage("fraud", version, stage, archive_existing_versions=True)


def test_rollback_restores_the_previous_production_version(fraud):
    promote(fraud, 1)
    promote(fraud, 2)

    restored = fraud.rollback("fraud", reason="v2 leaks memory")

    assert restored.version == 1
    assert restored.current_stage == "Production"


def test_rollback_puts_the_current_version_back_in_the_stage_it_was_promoted_from(fraud):
    promote(fraud, 1)
    promote(fraud, 2, "Staging")
    promote(fraud, 2)

    fraud.rollback("fraud")

    assert stages(fraud) == {1: "Production", 2: "Staging", 3: "None", 4: "None"}


def test_the_rollback_event_records_where_the_demoted_version_went(fraud):
    promote(fraud, 1)
    promote(fraud, 2, "Staging")
    promote(fraud, 2)

    fraud.rollback("fraud")

    demoted = fraud.get_history("fraud", 2)[-1]
    assert (demoted.before, demoted.after) == (
        {"current_stage": "Production"},
        {"current_stage": "Staging", "rolled_back_to": 1},
    )


def test_a_version_demoted_into_staging_does_not_hide_the_earlier_staging_versions(fraud):
    promote(fraud, 1)
    promote(fraud, 2, "Staging")
    promote(fraud, 3, "Staging")
    promote(fraud, 3)
    fraud.rollback("fraud")  # 3 back in Staging, 1 in Production

    assert fraud.rollback("fraud", stage="Staging").version == 2
    assert stages(fraud) == {1: "Production", 2: "Staging", 3: "None", 4: "None"}


def test_rolling_back_staging_never_promotes_the_demoted_version_to_production(fraud):
    promote(fraud, 1, "Staging")
    promote(fraud, 2)
    fraud.transition_model_version_stage("fraud", 2, "Staging", archive_existing_versions=True)

    assert fraud.rollback("fraud", stage="Staging").version == 1
    assert stages(fraud)[2] == "Archived"


def test_repeated_rollbacks_walk_further_back_until_nothing_is_left(fraud):
    promote(fraud, 1)
    promote(fraud, 2)
    promote(fraud, 3)

    assert fraud.rollback("fraud").version == 2
    assert fraud.rollback("fraud").version == 1
    with pytest.raises(Conflict, match="no earlier Production version"):
        fraud.rollback("fraud")
    # 3 was promoted from None; 2 came back from Archived by the first rollback.
    assert stages(fraud) == {1: "Production", 2: "Archived", 3: "None", 4: "None"}


def test_rollback_after_a_new_promotion_returns_to_the_restored_version(fraud):
    promote(fraud, 1)
    promote(fraud, 2)
    fraud.rollback("fraud")  # 1 again
    promote(fraud, 3)

    assert fraud.rollback("fraud").version == 1


def test_rollback_skips_deleted_versions(fraud):
    promote(fraud, 1)
    promote(fraud, 2)
    promote(fraud, 3)
    fraud.delete_model_version("fraud", 2)

    assert fraud.rollback("fraud").version == 1


def test_rollback_skips_the_current_version_promoted_twice(fraud):
    promote(fraud, 1)
    promote(fraud, 2)
    fraud.transition_model_version_stage("fraud", 2, "Staging")
    promote(fraud, 2)

    assert fraud.rollback("fraud").version == 1


def test_rollback_with_nothing_in_the_stage_is_a_conflict(fraud):
    with pytest.raises(Conflict, match="no version of registered model 'fraud' is in Production"):
        fraud.rollback("fraud")


def test_rollback_of_the_first_production_version_is_a_conflict(fraud):
    promote(fraud, 1)

    with pytest.raises(Conflict, match="version 1 is the first"):
        fraud.rollback("fraud")
    assert stages(fraud)[1] == "Production"


def test_rollback_works_for_staging_too(fraud):
    promote(fraud, 1, "Staging")
    promote(fraud, 2, "Staging")

    assert fraud.rollback("fraud", stage="staging").version == 1


@pytest.mark.parametrize("stage", ["Archived", "None", "Live"])
def test_rollback_applies_only_to_staging_and_production(fraud, stage):
    with pytest.raises(InvalidArgument):
        fraud.rollback("fraud", stage=stage)


def test_rollback_of_unknown_model_raises_not_found(client):
    with pytest.raises(NotFound, match="ghost"):
        client.rollback("ghost")
