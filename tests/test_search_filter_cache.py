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
