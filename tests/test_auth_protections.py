"""Protected aliases and the protected Production stage need a manager; swap_aliases moves
two aliases in one transaction."""

from __future__ import annotations

import pytest

from modelreg.errors import InvalidArgument, NotFound, PermissionDenied


@pytest.fixture
def protected(auth_server, world):
    """The world's model with versions 1 (champion) and 2 (challenger), 'champion' and
    Production protected, version 1 in Production."""
    lib = auth_server.admin_lib
    lib.create_model_version(world.model, f"runs:/{world.run_id}/model")
    lib.set_registered_model_alias(world.model, "challenger", 2)
    lib.transition_model_version_stage(world.model, 1, "Production")
    lib.set_model_protection(world.model, ["champion"], protect_production=True)
    return world.model


def test_protection_is_read_back(auth_server, protected):
    protection = auth_server.client("reader").get_model_protection(protected)

    assert protection.protected_aliases == ("champion",) and protection.protect_production


def test_only_a_manager_sets_protection(auth_server, world):
    with pytest.raises(PermissionDenied):
        auth_server.client("editor").set_model_protection(world.model, ["champion"])

    auth_server.client("manager").set_model_protection(world.model, ["champion"])

    assert auth_server.admin_lib.get_model_protection(world.model).protected_aliases == (
        "champion",
    )


def test_setting_protection_is_audited(auth_server, world):
    auth_server.client("manager").set_model_protection(world.model, protect_production=True)

    event = auth_server.admin_lib.get_history(world.model)[-1]
    assert (event.action, event.actor) == ("set_model_protection", "manager")
    assert event.after == {"protected_aliases": [], "protect_production": True}


def test_an_editor_moves_an_unprotected_alias(auth_server, protected):
    auth_server.client("editor").set_registered_model_alias(protected, "challenger", 1)

    assert auth_server.admin_lib.get_model_version_by_alias(protected, "challenger").version == 1


def test_an_editor_may_not_move_or_delete_a_protected_alias(auth_server, protected):
    editor = auth_server.client("editor")

    with pytest.raises(PermissionDenied, match="alias 'champion'.*protected"):
        editor.set_registered_model_alias(protected, "champion", 2)
    with pytest.raises(PermissionDenied):
        editor.delete_registered_model_alias(protected, "champion")

    assert auth_server.admin_lib.get_model_version_by_alias(protected, "champion").version == 1


def test_a_manager_moves_a_protected_alias(auth_server, protected):
    auth_server.client("manager").set_registered_model_alias(protected, "champion", 2)

    assert auth_server.admin_lib.get_model_version_by_alias(protected, "champion").version == 2


@pytest.mark.parametrize(
    ("version", "stage"), [(2, "Production"), (1, "Archived")], ids=["into", "out-of"]
)
def test_an_editor_may_not_move_a_version_into_or_out_of_protected_production(
    auth_server, protected, version, stage
):
    with pytest.raises(PermissionDenied, match="Production stage"):
        auth_server.client("editor").transition_model_version_stage(protected, version, stage)


def test_an_editor_still_moves_versions_to_staging_on_a_protected_model(auth_server, protected):
    moved = auth_server.client("editor").transition_model_version_stage(protected, 2, "Staging")

    assert moved.current_stage == "Staging"


def test_a_manager_moves_a_version_into_protected_production(auth_server, protected):
    moved = auth_server.client("manager").transition_model_version_stage(
        protected, 2, "Production", archive_existing_versions=True
    )

    assert moved.current_stage == "Production"


def test_an_editor_may_not_roll_back_protected_production(auth_server, protected):
    with pytest.raises(PermissionDenied):
        auth_server.client("editor").rollback(protected)


def test_an_editor_may_not_take_a_version_out_of_protected_production_by_rolling_back_staging(
    auth_server, protected
):
    lib = auth_server.admin_lib
    lib.transition_model_version_stage(protected, 1, "Staging")
    lib.transition_model_version_stage(protected, 2, "Staging", archive_existing_versions=True)
    lib.transition_model_version_stage(protected, 1, "Production")  # Staging's previous holder

    with pytest.raises(PermissionDenied, match="Production stage"):
        auth_server.client("editor").rollback(protected, stage="Staging")

    assert lib.get_model_version(protected, 1).current_stage == "Production"
    assert lib.get_model_version(protected, 2).current_stage == "Staging"


def test_an_editor_rolls_back_staging_when_production_is_untouched(auth_server, protected):
    lib = auth_server.admin_lib
    lib.create_model_version(protected, lib.get_model_version(protected, 1).source)
    lib.transition_model_version_stage(protected, 2, "Staging")
    lib.transition_model_version_stage(protected, 3, "Staging", archive_existing_versions=True)

    assert auth_server.client("editor").rollback(protected, stage="Staging").version == 2


def test_without_protection_an_editor_moves_production(auth_server, world):
    moved = auth_server.client("editor").transition_model_version_stage(
        world.model, 1, "Production"
    )

    assert moved.current_stage == "Production"


def test_swap_aliases_exchanges_the_versions(auth_server, protected):
    swapped = auth_server.client("manager").swap_aliases(protected, "champion", "challenger")

    lib = auth_server.admin_lib
    assert swapped == {"champion": 2, "challenger": 1}
    assert lib.get_registered_model(protected).aliases == {"champion": 2, "challenger": 1}


def test_swap_aliases_writes_an_audit_event_per_alias(auth_server, protected):
    auth_server.client("manager").swap_aliases(protected, "champion", "challenger")

    events = auth_server.admin_lib.get_history(protected)[-2:]
    assert [(e.action, e.actor) for e in events] == [("set_alias", "manager")] * 2
    assert [(e.after["alias"], e.before["version"], e.after["version"]) for e in events] == [
        ("champion", 1, 2),
        ("challenger", 2, 1),
    ]


def test_an_editor_may_not_swap_a_protected_alias_and_nothing_moves(auth_server, protected):
    with pytest.raises(PermissionDenied):
        auth_server.client("editor").swap_aliases(protected, "champion", "challenger")

    assert auth_server.admin_lib.get_registered_model(protected).aliases == {
        "champion": 1,
        "challenger": 2,
    }


def test_swapping_with_a_missing_alias_is_not_found_and_moves_nothing(auth_server, world):
    with pytest.raises(NotFound, match="no alias 'ghost'"):
        auth_server.client("editor").swap_aliases(world.model, "champion", "ghost")

    assert auth_server.admin_lib.get_registered_model(world.model).aliases == {"champion": 1}


def test_swapping_an_alias_with_itself_is_refused(auth_server, world):
    with pytest.raises(InvalidArgument):
        auth_server.client("editor").swap_aliases(world.model, "champion", "champion")


def test_embedded_use_checks_no_roles(auth_server, protected):
    auth_server.admin_lib.set_registered_model_alias(protected, "champion", 2)

    assert auth_server.admin_lib.get_model_version_by_alias(protected, "champion").version == 2


def test_swap_aliases_works_on_every_backend(client):
    client.create_registered_model("fraud")
    for _ in range(2):
        client.create_model_version("fraud", "mlflow-artifacts:/elsewhere")
    client.set_registered_model_alias("fraud", "champion", 1)
    client.set_registered_model_alias("fraud", "challenger", 2)

    client.swap_aliases("fraud", "champion", "challenger")

    assert client.get_registered_model("fraud").aliases == {"champion": 2, "challenger": 1}
