"""Registered models: create, get, rename, update, delete, tags, search."""

import pytest

from modelreg.errors import AlreadyExists, Conflict, InvalidArgument, NotFound


@pytest.fixture
def source(client):
    """A runs:/ source for new versions."""
    return f"runs:/{client.create_run('0').info.run_id}/model"


def test_create_registered_model_returns_it_and_get_finds_it(client):
    created = client.create_registered_model("fraud", "catches fraud", {"team": "risk"})

    found = client.get_registered_model("fraud")

    assert created.name == found.name == "fraud"
    assert found.description == "catches fraud"
    assert found.tags == {"team": "risk"}
    assert found.aliases == {}
    assert found.latest_versions == ()
    assert found.creation_timestamp == found.last_updated_timestamp > 0


def test_duplicate_model_name_raises_already_exists(client):
    client.create_registered_model("fraud")

    with pytest.raises(AlreadyExists, match="fraud"):
        client.create_registered_model("fraud")


@pytest.mark.parametrize(
    ("name", "problem"),
    [("", "empty"), ("a/b", "'/'"), ("x" * 257, "257"), ("bell\x07", "control"), (3, "string")],
)
def test_bad_model_names_are_refused_with_the_reason(client, name, problem):
    with pytest.raises(InvalidArgument, match=problem):
        client.create_registered_model(name)


def test_model_names_are_unicode_normalized(client):
    client.create_registered_model("cafe\u0301")  # "café" with a combining accent

    assert client.get_registered_model("caf\u00e9").name == "caf\u00e9"


def test_unknown_model_raises_not_found_naming_it(client):
    with pytest.raises(NotFound, match="registered model 'ghost' does not exist"):
        client.get_registered_model("ghost")


def test_get_or_create_creates_once_then_returns_the_same_model(client):
    first = client.get_or_create_registered_model("fraud", "v1 description")
    second = client.get_or_create_registered_model("fraud", "ignored")

    assert first.name == second.name == "fraud"
    assert second.description == "v1 description"


def test_rename_moves_versions_and_frees_the_old_name(client, source):
    client.create_registered_model("old")
    client.create_model_version("old", source)

    renamed = client.rename_registered_model("old", "new")

    assert renamed.name == "new"
    assert client.get_model_version("new", 1).name == "new"
    with pytest.raises(NotFound):
        client.get_registered_model("old")


def test_rename_onto_a_taken_name_raises_already_exists(client):
    client.create_registered_model("a")
    client.create_registered_model("b")

    with pytest.raises(AlreadyExists, match="'b'"):
        client.rename_registered_model("a", "b")


def test_update_registered_model_sets_the_description(client):
    client.create_registered_model("fraud", "old")

    updated = client.update_registered_model("fraud", "new")

    assert updated.description == "new"
    assert client.get_registered_model("fraud").description == "new"


def test_update_registered_model_without_description_is_refused(client):
    client.create_registered_model("fraud")

    with pytest.raises(InvalidArgument, match="description"):
        client.update_registered_model("fraud")


def test_delete_registered_model_removes_it_and_its_versions(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source)

    client.delete_registered_model("fraud")

    with pytest.raises(NotFound):
        client.get_registered_model("fraud")
    assert client.search_model_versions("name = 'fraud'") == []


def test_delete_is_refused_while_a_version_is_in_production(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source)
    client.transition_model_version_stage("fraud", 1, "Production")

    with pytest.raises(Conflict, match="Production.*force=True"):
        client.delete_registered_model("fraud")
    assert client.get_registered_model("fraud").name == "fraud"


def test_delete_with_force_removes_a_model_in_production(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source)
    client.transition_model_version_stage("fraud", 1, "Production")

    client.delete_registered_model("fraud", force=True)

    with pytest.raises(NotFound):
        client.get_registered_model("fraud")


def test_a_deleted_name_can_be_registered_again_starting_at_version_1(client, source):
    client.create_registered_model("fraud")
    client.create_model_version("fraud", source)
    client.delete_registered_model("fraud")
    client.create_registered_model("fraud")

    assert client.create_model_version("fraud", source).version == 1


def test_model_tags_are_set_overwritten_and_deleted(client):
    client.create_registered_model("fraud")

    client.set_registered_model_tag("fraud", "team", "risk")
    client.set_registered_model_tag("fraud", "team", "fraud-ops")
    client.set_registered_model_tag("fraud", "tier", 1)
    client.delete_registered_model_tag("fraud", "tier")

    assert client.get_registered_model("fraud").tags == {"team": "fraud-ops"}


def test_deleting_a_missing_model_tag_raises_not_found(client):
    client.create_registered_model("fraud")

    with pytest.raises(NotFound, match="no tag 'team'"):
        client.delete_registered_model_tag("fraud", "team")


def test_tag_on_unknown_model_raises_not_found(client):
    with pytest.raises(NotFound, match="ghost"):
        client.set_registered_model_tag("ghost", "k", "v")


def test_registered_model_lists_aliases_and_latest_version_per_stage(client, source):
    client.create_registered_model("fraud")
    for _ in range(3):
        client.create_model_version("fraud", source)
    client.transition_model_version_stage("fraud", 1, "Production")
    client.set_registered_model_alias("fraud", "champion", 1)

    model = client.get_registered_model("fraud")

    assert model.aliases == {"champion": 1}
    assert {(v.current_stage, v.version) for v in model.latest_versions} == {
        ("Production", 1),
        ("None", 3),
    }


# -- last_updated_timestamp ---------------------------------------------------------

# Every kind of change to a model or to one of its versions, on "fraud" as
# ``changing`` leaves it (versions 1 and 2, 2 in Production after 1).
CHANGES = {
    "new version": lambda c, source: c.create_model_version("fraud", source),
    "stage": lambda c, _: c.transition_model_version_stage("fraud", 1, "Staging"),
    "rollback": lambda c, _: c.rollback("fraud"),
    "alias set": lambda c, _: c.set_registered_model_alias("fraud", "champion", 2),
    "alias deleted": lambda c, _: c.delete_registered_model_alias("fraud", "old"),
    "model tag set": lambda c, _: c.set_registered_model_tag("fraud", "team", "risk"),
    "model tag deleted": lambda c, _: c.delete_registered_model_tag("fraud", "old"),
    "version tag set": lambda c, _: c.set_model_version_tag("fraud", 1, "ok", "yes"),
    "version tag deleted": lambda c, _: c.delete_model_version_tag("fraud", 1, "old"),
    "model description": lambda c, _: c.update_registered_model("fraud", "catches fraud"),
    "version description": lambda c, _: c.update_model_version("fraud", 1, "first"),
    "version deleted": lambda c, _: c.delete_model_version("fraud", 1),
}


@pytest.fixture
def changing(client, source):
    client.create_registered_model("fraud", tags={"old": "x"})
    for number in (1, 2):
        client.create_model_version("fraud", source, tags={"old": "x"})
        client.transition_model_version_stage("fraud", number, "Production")
    client.set_registered_model_alias("fraud", "old", 1)
    return client


def _after_a_clock_tick(timestamp: int) -> None:
    from modelreg.timeutil import now_ms

    while now_ms() <= timestamp:  # timestamps are milliseconds
        pass


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_every_change_to_a_model_or_its_versions_moves_its_last_updated_time(
    changing, source, change
):
    before = changing.get_registered_model("fraud").last_updated_timestamp
    _after_a_clock_tick(before)

    change(changing, source)

    assert changing.get_registered_model("fraud").last_updated_timestamp > before


def test_a_refused_change_leaves_the_last_updated_time(changing):
    before = changing.get_registered_model("fraud").last_updated_timestamp
    _after_a_clock_tick(before)

    with pytest.raises(NotFound):
        changing.set_model_version_tag("fraud", 9, "ok", "yes")

    assert changing.get_registered_model("fraud").last_updated_timestamp == before


# -- search -------------------------------------------------------------------------


@pytest.fixture
def models(client):
    for name, team in [
        ("fraud-a", "risk"),
        ("fraud-b", "risk"),
        ("Churn", "growth"),
        ("ltv", None),
    ]:
        client.create_registered_model(name, tags={"team": team} if team else None)
    return client


@pytest.mark.parametrize(
    ("filter_string", "names"),
    [
        (None, ["Churn", "fraud-a", "fraud-b", "ltv"]),
        ("name = 'ltv'", ["ltv"]),
        ("name != 'ltv'", ["Churn", "fraud-a", "fraud-b"]),
        ("name LIKE 'fraud%'", ["fraud-a", "fraud-b"]),
        ("name ILIKE 'c%'", ["Churn"]),
        ("tags.team = 'risk'", ["fraud-a", "fraud-b"]),
        ("tags.team = 'risk' AND name LIKE '%b'", ["fraud-b"]),
        ("name IN ('ltv', 'Churn')", ["Churn", "ltv"]),
    ],
)
def test_search_registered_models_filters(models, filter_string, names):
    found = models.search_registered_models(filter_string)

    assert [m.name for m in found] == names


def test_search_registered_models_orders_by_name_descending(models):
    found = models.search_registered_models(order_by=["name DESC"])

    assert [m.name for m in found] == ["ltv", "fraud-b", "fraud-a", "Churn"]


def test_a_model_page_token_continues_only_its_own_search(models):
    first = models.search_registered_models("name LIKE 'fraud%'", max_results=1)
    again = models.search_registered_models(
        "name LIKE 'fraud%'", max_results=1, order_by=[], page_token=first.token
    )
    assert [m.name for m in first + again] == ["fraud-a", "fraud-b"]

    with pytest.raises(InvalidArgument, match="another search"):
        models.search_registered_models("name LIKE 'f%'", page_token=first.token)
    with pytest.raises(InvalidArgument, match="another search"):
        models.search_model_versions("name LIKE 'fraud%'", page_token=first.token)


def test_search_registered_models_pages_with_tokens(models):
    first = models.search_registered_models(max_results=3)
    second = models.search_registered_models(max_results=3, page_token=first.token)

    assert [m.name for m in first] + [m.name for m in second] == [
        "Churn",
        "fraud-a",
        "fraud-b",
        "ltv",
    ]
    assert second.token is None


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"page_token": "not-a-token"}, "page_token"),
        ({"filter_string": "owner = 'x'"}, "unknown registered model field 'owner'"),
        ({"filter_string": "name = "}, "invalid filter"),
        ({"order_by": ["size"]}, "size"),
        ({"max_results": 0}, "max_results"),
    ],
)
def test_bad_search_arguments_are_refused(models, kwargs, problem):
    with pytest.raises(InvalidArgument, match=problem):
        models.search_registered_models(**kwargs)
