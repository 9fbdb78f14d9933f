"""Searches and lists never return what the caller may not read; creators manage what they
create. Filtering happens in SQL, so pages and page tokens count readable rows only."""

from __future__ import annotations

import pytest

from auth_fixtures import unique


@pytest.fixture
def models(auth_server):
    """Five models tagged with one fresh tag; the reader may read the 2nd and 4th."""
    lib = auth_server.admin_lib
    tag = unique("batch")
    names = [f"{tag}-{i}" for i in range(5)]
    for name in names:
        lib.create_registered_model(name, tags={"batch": tag})
        lib.create_model_version(name, "mlflow-artifacts:/elsewhere")
    for name in names[1::2]:
        auth_server.grant("reader", "read", model=name)
    return tag, names


def test_model_search_returns_only_readable_models(auth_server, models):
    tag, names = models

    found = auth_server.client("reader").search_registered_models(f"tags.batch = '{tag}'")

    assert [m.name for m in found] == names[1::2]


def test_model_search_pages_over_readable_models_only(auth_server, models):
    tag, names = models
    client = auth_server.client("reader")

    first = client.search_registered_models(f"tags.batch = '{tag}'", max_results=1)
    second = client.search_registered_models(
        f"tags.batch = '{tag}'", max_results=1, page_token=first.token
    )

    assert [m.name for m in first] == [names[1]] and [m.name for m in second] == [names[3]]
    assert second.token is None


def test_version_search_returns_only_versions_of_readable_models(auth_server, models):
    _, names = models

    found = auth_server.client("reader").search_model_versions(f"name LIKE '{names[0][:-1]}%'")

    assert sorted(v.name for v in found) == names[1::2]


def test_one_filter_text_shows_each_caller_only_what_they_may_read(auth_server, models):
    # The filter's condition is built once and kept; the caller's rights are added per call.
    tag, names = models
    search = f"name LIKE '{tag}-%'"

    found = {
        user: sorted(v.name for v in auth_server.client(user).search_model_versions(search))
        for user in ("admin", "reader", "stranger", "reader")
    }

    assert found == {"admin": names, "reader": names[1::2], "stranger": []}


def test_an_admin_sees_everything(auth_server, models):
    tag, names = models

    found = auth_server.client("admin").search_registered_models(f"tags.batch = '{tag}'")

    assert [m.name for m in found] == names


def test_experiment_search_and_run_search_skip_unreadable_experiments(auth_server):
    lib = auth_server.admin_lib
    hidden, shown = lib.create_experiment(unique("hidden")), lib.create_experiment(unique("shown"))
    lib.create_run(hidden)
    visible_run = lib.create_run(shown).info.run_id
    auth_server.grant("reader", "read", experiment=shown)
    client = auth_server.client("reader")

    experiments = {e.experiment_id for e in client.search_experiments(max_results=1000)}
    runs = client.search_runs([hidden, shown])

    assert shown in experiments and hidden not in experiments
    assert [r.info.run_id for r in runs] == [visible_run]


def test_mlflow_searches_are_filtered_too(auth_server, models):
    tag, names = models

    with auth_server.http("reader") as http:
        found = http.get(
            "/api/2.0/mlflow/registered-models/search", params={"filter": f"tags.batch = '{tag}'"}
        ).json()["registered_models"]

    assert [m["name"] for m in found] == names[1::2]


def test_the_web_ui_lists_only_readable_models(auth_server, models):
    _, names = models

    with auth_server.http("reader") as http:
        page = http.get("/ui/models", params={"q": f"name LIKE '{names[0][:-1]}%'"}).text

    assert names[1] in page and names[0] not in page


def test_the_creator_of_a_model_becomes_its_manager(auth_server):
    name = unique("mine")

    auth_server.client("stranger").create_registered_model(name)

    grants = auth_server.admin_lib.list_model_permissions(name)
    assert [(g.username, g.role) for g in grants] == [("stranger", "manage")]


def test_the_creator_of_an_experiment_becomes_its_manager(auth_server):
    experiment_id = auth_server.client("stranger").create_experiment(unique("mine"))

    grants = auth_server.admin_lib.list_experiment_permissions(experiment_id)
    assert [(g.username, g.role) for g in grants] == [("stranger", "manage")]


def test_a_manager_grants_a_role_and_it_takes_effect(auth_server, world):
    from modelreg.errors import NotFound

    with pytest.raises(NotFound):
        auth_server.client("stranger").get_registered_model(world.model)

    auth_server.client("manager").set_model_permission(world.model, "stranger", "read")

    assert auth_server.client("stranger").get_registered_model(world.model).name == world.model


def test_granting_a_role_is_in_the_models_audit_trail(auth_server, world):
    auth_server.client("manager").set_model_permission(world.model, "victim", "edit")

    event = auth_server.admin_lib.get_history(world.model)[-1]
    assert (event.action, event.actor) == ("set_permission", "manager")
    assert event.after == {"username": "victim", "role": "edit"}


def test_a_deleted_models_grants_do_not_pass_to_a_new_model_of_that_name(auth_server):
    lib = auth_server.admin_lib
    name = unique("reborn")
    lib.create_registered_model(name)
    auth_server.grant("stranger", "manage", model=name)

    lib.delete_registered_model(name)
    lib.create_registered_model(name)

    assert lib.list_model_permissions(name) == []


def test_reading_a_run_needs_a_role_on_its_experiment(auth_server, world):
    from modelreg.errors import NotFound

    with pytest.raises(NotFound, match=world.run_id):
        auth_server.client("stranger").get_run(world.run_id)


def test_registering_from_a_run_the_caller_may_not_read_is_refused(auth_server, world):
    from modelreg.errors import NotFound

    secret = auth_server.admin_lib.create_experiment(unique("secret"))
    run_id = auth_server.admin_lib.create_run(secret).info.run_id

    with pytest.raises(NotFound, match=run_id):
        auth_server.client("editor").create_model_version(world.model, f"runs:/{run_id}/model")


def test_registering_from_a_model_the_caller_may_not_read_is_refused(auth_server, world):
    from modelreg.errors import NotFound

    other = auth_server.world()
    auth_server.backend.access.delete_model_permission(other.model, "editor")

    with pytest.raises(NotFound, match=other.model):
        auth_server.client("editor").create_model_version(world.model, f"models:/{other.model}/1")


def test_naming_a_parent_the_caller_may_not_read_is_refused(auth_server, world):
    from modelreg.errors import NotFound

    other = auth_server.world()
    auth_server.backend.access.delete_model_permission(other.model, "editor")

    with pytest.raises(NotFound, match=other.model):
        auth_server.client("editor").create_model_version(
            world.model, f"runs:/{world.run_id}/model", parent=(other.model, 1)
        )
