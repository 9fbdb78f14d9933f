"""Semantic versions: parsing, precedence, bumping and ranges (pure functions, no store)."""

import pytest

from modelreg import versioning
from modelreg.errors import InvalidArgument


@pytest.mark.parametrize(
    "text", ["1.0.0", "0.0.1", "2.0.0-rc.1", "1.2.3-alpha.1+build.5", "v1.4.0"]
)
def test_valid_semvers_parse(text):
    assert versioning.is_valid(text)


@pytest.mark.parametrize("text", ["1.0", "01.0.0", "1.0.0-", "1.0.0+", "one", "", "1.0.0.0"])
def test_invalid_semvers_are_refused_naming_the_field(text):
    with pytest.raises(InvalidArgument, match="semver"):
        versioning.parse(text)


def test_precedence_follows_semver_2_including_prereleases():
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "10.0.0",
    ]

    assert sorted(reversed(ordered), key=versioning.sort_key) == ordered


def test_highest_ignores_creation_order():
    assert versioning.highest(["1.9.0", "1.10.0", "1.2.0"]) == "1.10.0"


def test_highest_of_nothing_is_none():
    assert versioning.highest([]) is None


@pytest.mark.parametrize(
    ("current", "part", "expected"),
    [
        (None, "minor", "1.0.0"),
        ("1.2.3", "major", "2.0.0"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "patch", "1.2.4"),
        ("1.2.3+build.7", "patch", "1.2.4"),
        ("2.0.0-rc.1", "major", "2.0.0"),
        ("1.3.0-rc.1", "minor", "1.3.0"),
    ],
)
def test_bump(current, part, expected):
    parsed = None if current is None else versioning.parse(current)

    assert versioning.bump(parsed, part) == expected


def test_a_bumped_version_parses_to_what_bump_made():
    bumped = versioning.bump(versioning.parse("4.7.1"), "minor")

    assert versioning.parse(bumped) == versioning.Version(4, 8, 0)
    assert versioning.sort_key(bumped) > versioning.sort_key("4.7.1")


def test_parsed_versions_kept_for_reuse_stay_bounded(monkeypatch):
    monkeypatch.setattr(versioning, "_PARSED", {})
    monkeypatch.setattr(versioning, "_PARSED_LIMIT", 4)

    for minor in range(10):
        versioning.bump(versioning.parse(f"1.{minor}.0"), "patch")

    assert len(versioning._PARSED) <= 4
    assert versioning.parse("1.9.1") == versioning.Version(1, 9, 1)


def test_unknown_bump_is_refused():
    with pytest.raises(InvalidArgument, match="bump"):
        versioning.check_bump("huge")


VERSIONS = ["0.2.3", "0.2.9", "0.3.0", "1.0.0", "1.2.0", "1.2.5", "1.3.0", "2.0.0-rc.1", "2.0.0",
            "2.5.1", "3.0.0"]  # fmt: skip


@pytest.mark.parametrize(
    ("range_text", "best"),
    [
        ("^1.2", "1.3.0"),
        ("^0.2.3", "0.2.9"),
        ("~1.2.3", "1.2.5"),
        ("~1", "1.3.0"),
        (">=2,<3", "2.5.1"),
        (">=2 <3", "2.5.1"),
        ("1.x", "1.3.0"),
        ("1.2.*", "1.2.5"),
        ("1.2.0", "1.2.0"),
        ("=1.2.5", "1.2.5"),
        (">2", "3.0.0"),
        ("<=1.2", "1.2.5"),
        ("*", "3.0.0"),
        ("^4", None),
    ],
)
def test_range_picks_the_highest_match(range_text, best):
    assert versioning.parse_range(range_text).best(VERSIONS) == best


def test_ranges_skip_prereleases_unless_they_name_one():
    assert not versioning.parse_range(">=1.0.0").matches("2.0.0-rc.1")
    assert versioning.parse_range(">=2.0.0-rc.1 <2.0.0").matches("2.0.0-rc.2")


@pytest.mark.parametrize("range_text", ["", "abc", "1.x.3", ">x", "1.2.3.4", "!=1"])
def test_malformed_ranges_are_refused_quoting_them(range_text):
    with pytest.raises(InvalidArgument, match="range"):
        versioning.parse_range(range_text)
