"""Parsed filters are kept for reuse: the same answer each time, errors included."""

import pytest

from modelreg.errors import InvalidArgument
from modelreg.store.search_filter import Comparison, parse_filter


def test_a_repeated_filter_reuses_its_parsed_tree():
    first = parse_filter("name = 'fraud' AND tags.team = 'risk'")

    assert parse_filter("name = 'fraud' AND tags.team = 'risk'") is first


def test_a_malformed_filter_is_refused_every_time():
    for _ in range(2):
        with pytest.raises(InvalidArgument, match="comparison operator"):
            parse_filter("name 'fraud'")


def test_a_filter_longer_than_the_cached_ones_still_parses():
    names = ", ".join(f"'m{i}'" for i in range(200))

    node = parse_filter(f"name IN ({names})")

    assert isinstance(node, Comparison) and len(node.value) == 200


def test_a_repeated_registry_filter_reuses_its_condition():
    from modelreg.store.registry_search import model_filter, version_filter

    text = "name = 'fraud' AND tags.validated = 'yes'"

    assert version_filter(text, None) is version_filter(text, None)
    assert model_filter(text, None) is model_filter(text, None)
    assert version_filter(text, None) is not model_filter(text, None)


def test_a_blank_registry_filter_is_everything():
    from modelreg.store.registry_search import version_filter

    everything = object()

    assert version_filter(None, everything) is everything
    assert version_filter("  ", everything) is everything


def test_a_refused_registry_filter_is_refused_every_time():
    from modelreg.store.registry_search import version_filter

    for _ in range(2):
        with pytest.raises(InvalidArgument, match="version is numeric"):
            version_filter("version = 'one'", None)


def test_a_filter_used_again_finds_versions_created_since(client):
    client.create_registered_model("cached")
    run_id = client.create_run("0").info.run_id
    search = "name = 'cached' AND tags.validated = 'yes'"

    for expected in ([1], [2, 1]):
        version = client.create_model_version("cached", f"runs:/{run_id}/model")
        client.set_model_version_tag("cached", version.version, "validated", "yes")

        assert [v.version for v in client.search_model_versions(search)] == expected
