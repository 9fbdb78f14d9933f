"""A model's history in pages: newest or oldest first, narrowed by action and actor."""

import pytest

from modelreg.actor import acting_as
from modelreg.errors import InvalidArgument, NotFound


@pytest.fixture
def fraud(client):
    """fraud: created, then versions 1–3, each tagged, version 3 promoted to Staging."""
    source = f"runs:/{client.create_run('0').info.run_id}/model"
    client.create_registered_model("fraud")
    for number in (1, 2, 3):
        client.create_model_version("fraud", source)
        client.set_model_version_tag("fraud", number, "checked", "yes")
    client.transition_model_version_stage("fraud", 3, "Staging", reason="ready")
    return client


def actions(events):
    return [(e.action, e.version) for e in events]


def test_pages_of_the_history_join_into_the_whole_trail(fraud):
    whole = fraud.get_history("fraud")
    pages, token = [], None
    while True:
        page = fraud.get_history("fraud", max_results=3, page_token=token)
        pages.extend(page)
        token = page.token
        if token is None:
            break

    assert [e.event_id for e in pages] == [e.event_id for e in whole]
    assert len(whole) == 8 and whole.token is None


def test_newest_first_starts_from_the_last_change(fraud):
    page = fraud.get_history("fraud", newest_first=True, max_results=2)

    assert actions(page) == [("transition_stage", 3), ("set_model_version_tag", 3)]
    assert page.token is not None


def test_newest_first_pages_go_back_in_time_without_repeats(fraud):
    first = fraud.get_history("fraud", newest_first=True, max_results=5)
    second = fraud.get_history("fraud", newest_first=True, max_results=5, page_token=first.token)

    ids = [e.event_id for e in [*first, *second]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 8
    assert second.token is None


def test_history_narrowed_to_actions(fraud):
    events = fraud.get_history("fraud", actions=["transition_stage", "create_registered_model"])

    assert actions(events) == [("create_registered_model", None), ("transition_stage", 3)]


def test_one_version_history_narrowed_to_one_action(fraud):
    events = fraud.get_history("fraud", 2, actions="set_model_version_tag")

    assert actions(events) == [("set_model_version_tag", 2)]


def test_history_narrowed_to_one_actor(client):
    client.create_registered_model("fraud")
    with acting_as("alice"):
        client.update_registered_model("fraud", "by alice")

    events = client.get_history("fraud", actor="alice")

    assert [(e.action, e.actor) for e in events] == [("update_registered_model", "alice")]


def test_a_page_token_of_another_list_is_refused_naming_it(fraud):
    other = fraud.search_model_versions("name='fraud'", max_results=1).token

    with pytest.raises(InvalidArgument, match="page_token"):
        fraud.get_history("fraud", page_token=other)


def test_a_forged_page_token_is_refused(fraud):
    with pytest.raises(InvalidArgument, match="page_token"):
        fraud.get_history("fraud", page_token="not-a-token")


def test_a_page_size_below_one_is_refused_naming_it(fraud):
    with pytest.raises(InvalidArgument, match="max_results"):
        fraud.get_history("fraud", max_results=0)


def test_an_actor_filter_of_the_wrong_kind_is_refused_naming_it(fraud):
    with pytest.raises(InvalidArgument, match="actor"):
        fraud.get_history("fraud", actor="x" * 300)


def test_paged_history_of_an_unknown_model_raises_not_found(client):
    with pytest.raises(NotFound, match="ghost"):
        client.get_history("ghost", newest_first=True, max_results=5)
