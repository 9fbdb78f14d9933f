"""models:/ and runs:/ URIs: parsing (pure) and resolution against a registry."""

import pytest

from modelreg.errors import InvalidArgument, NotFound
from modelreg.uris import ModelUri, parse_model_uri, parse_runs_uri

# -- parsing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/fraud/3", ModelUri("fraud", version=3)),
        ("models:/fraud/Staging", ModelUri("fraud", stage="Staging")),
        ("models:/fraud/production", ModelUri("fraud", stage="Production")),
        ("models:/fraud@champion", ModelUri("fraud", alias="champion")),
        ("models:/fraud/latest", ModelUri("fraud", latest=True)),
        ("models:/fraud/v1.2.0", ModelUri("fraud", semver="1.2.0")),
        ("models:/fraud/^1.2", ModelUri("fraud", range="^1.2")),
        ("models:/fraud/~1.2.3", ModelUri("fraud", range="~1.2.3")),
        ("models:/fraud/>=2,<3", ModelUri("fraud", range=">=2,<3")),
        ("models:/fraud/3/data/weights.bin", ModelUri("fraud", version=3, path="data/weights.bin")),
        ("models:/fraud@champion/model", ModelUri("fraud", alias="champion", path="model")),
        ("models:/my model/1", ModelUri("my model", version=1)),
    ],
)
def test_model_uri_forms(uri, expected):
    assert parse_model_uri(uri) == expected


def test_model_uri_prints_back_in_canonical_form():
    assert str(parse_model_uri("models:/fraud/staging")) == "models:/fraud/Staging"


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("runs:/abc/model", "models:/"),
        ("models:/fraud", "names no version"),
        ("models://fraud/1", "one slash"),
        ("models:/fraud/nonsense", "'nonsense' is not a version"),
        ("models:/fraud@", "empty alias"),
        ("models:/fraud/1/../../etc", r"\.\."),
        ("models:/ /1", "model name"),
    ],
)
def test_malformed_model_uris_are_refused(uri, problem):
    with pytest.raises(InvalidArgument, match=problem):
        parse_model_uri(uri)


def test_runs_uri_splits_run_and_path():
    assert parse_runs_uri("runs:/abc123/model/data") == ("abc123", "model/data")
    assert parse_runs_uri("runs:/abc123") == ("abc123", "")


@pytest.mark.parametrize("uri", ["runs:/abc/../x", "runs://abc", "runs:/a b/x", "runs:/abc/a\\b"])
def test_malformed_runs_uris_are_refused(uri):
    with pytest.raises(InvalidArgument):
        parse_runs_uri(uri)


# -- resolution ---------------------------------------------------------------------


@pytest.fixture
def fraud(client):
    """Model 'fraud': v1 1.0.0 (Archived), v2 1.1.0 (Production, @champion), v3 2.0.0 (Staging)."""
    run_id = client.create_run("0").info.run_id
    client.create_registered_model("fraud")
    for semver in ("1.0.0", "1.1.0", "2.0.0"):
        client.create_model_version("fraud", f"runs:/{run_id}/model", semver=semver)
    client.transition_model_version_stage("fraud", 1, "Archived")
    client.transition_model_version_stage("fraud", 2, "Production")
    client.transition_model_version_stage("fraud", 3, "Staging")
    client.set_registered_model_alias("fraud", "champion", 2)
    return client


@pytest.mark.parametrize(
    ("uri", "version"),
    [
        ("models:/fraud/1", 1),
        ("models:/fraud/Production", 2),
        ("models:/fraud/staging", 3),
        ("models:/fraud@champion", 2),
        ("models:/fraud/latest", 3),
        ("models:/fraud/v1.1.0", 2),
        ("models:/fraud/^1.0", 2),
        ("models:/fraud/~1.0.0", 1),
        ("models:/fraud/>=1,<2", 2),
        ("models:/fraud/1.x", 2),
        ("models:/fraud/2.0.0", 3),
    ],
)
def test_resolve_model_uri(fraud, uri, version):
    assert fraud.resolve_model_uri(uri).version == version


def test_stage_uri_picks_the_highest_version_in_the_stage(fraud):
    fraud.transition_model_version_stage("fraud", 1, "Production")

    assert fraud.resolve_model_uri("models:/fraud/Production").version == 2


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("models:/ghost/1", "registered model 'ghost' does not exist"),
        ("models:/fraud/9", "'fraud' has no version 9"),
        ("models:/fraud/None", "'fraud' has no version in stage 'None'"),
        ("models:/fraud@challenger", "'fraud' has no alias 'challenger'"),
        ("models:/fraud/v3.0.0", "'fraud' has no version with semver 3.0.0"),
        ("models:/fraud/^3", "'fraud' has no version whose semver matches '\\^3'"),
    ],
)
def test_unresolvable_uris_name_the_model_and_what_is_missing(fraud, uri, message):
    with pytest.raises(NotFound, match=message):
        fraud.resolve_model_uri(uri)


def test_latest_of_a_model_without_versions_is_not_found(client):
    client.create_registered_model("empty")

    with pytest.raises(NotFound, match="'empty' has no versions"):
        client.resolve_model_uri("models:/empty/latest")
