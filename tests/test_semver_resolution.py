"""Semver URIs resolve from the top of their range, read a page at a time (#17 point 1).

The versions are read from the (model, major, minor, patch) index, highest
first, in pages of 64; these models have more versions than a page, and one
``major.minor.patch`` with more pre-releases than a page holds, so every
page boundary is crossed.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def many(client):
    """1.0.0 … 1.0.69, then 2.0.0-rc.1 … 2.0.0-rc.70 (one triple, past a page), then 2.0.0."""
    source = f"runs:/{client.create_run('0').info.run_id}/model"
    client.create_registered_model("wide")
    semvers = [f"1.0.{i}" for i in range(70)] + [f"2.0.0-rc.{i}" for i in range(1, 71)]
    for semver in [*semvers, "2.0.0"]:
        client.create_model_version("wide", source, semver=semver)
    return client


# Each case reads the same 141 versions, made once per backend.
RANGES = [
    ("models:/wide/^1", "1.0.69"),
    ("models:/wide/^1.0.3", "1.0.69"),
    ("models:/wide/<2.0.0", "1.0.69"),
    ("models:/wide/~1.0.12", "1.0.69"),
    ("models:/wide/<=1.0.40", "1.0.40"),
    ("models:/wide/>=2.0.0-rc.3 <2.0.0", "2.0.0-rc.70"),
    ("models:/wide/^2.0.0-rc.1", "2.0.0"),
    ("models:/wide/>=1", "2.0.0"),
    ("models:/wide/v2.0.0-rc.65", "2.0.0-rc.65"),
    ("models:/wide/v1.0.7+build.9", "1.0.7"),
]


def test_a_range_resolves_to_its_highest_version_across_pages(many, subtests):
    for uri, semver in RANGES:
        with subtests.test(uri=uri):
            assert many.resolve_model_uri(uri).semver == semver
