"""Model versions: numbering, sources, semantic versions, tags, latest, search."""

import pytest

from modelreg.errors import AlreadyExists, InvalidArgument, NotFound


@pytest.fixture
def run_id(client):
    return client.create_run("0").info.run_id


@pytest.fixture
def model(client, run_id):
    """Model 'fraud' (no versions yet) and a helper that registers one from the run."""
    client.create_registered_model("fraud")

    def register(**kwargs):
        return client.create_model_version("fraud", f"runs:/{run_id}/model", **kwargs)

    return register


def test_first_version_is_1_with_semver_1_0_0_in_stage_none(client, run_id, model):
    version = model(description="first", tags={"data": "2024-06"})

    assert version.version == 1
    assert version.semver == "1.0.0"
    assert version.current_stage == "None"
    assert version.run_id == run_id
    assert version.source == f"runs:/{run_id}/model"
    assert version.description == "first"
    assert version.tags == {"data": "2024-06"}
    assert version.aliases == ()
    assert version.status == "READY"
    assert version.user_id
    assert version.creation_timestamp == version.last_updated_timestamp > 0
    assert client.get_model_version("fraud", 1) == version


def test_version_numbers_are_gapless_and_never_reused(client, model):
    for _ in range(3):
        model()
    client.delete_model_version("fraud", 3)

    assert model().version == 4
    assert [v.version for v in client.search_model_versions("name = 'fraud'")] == [4, 2, 1]


def test_a_failed_creation_does_not_use_up_a_version_number(client, model):
    model(semver="1.0.0")
    with pytest.raises(AlreadyExists):
        model(semver="1.0.0")

    assert model().version == 2


def test_version_numbers_may_be_numeric_strings_everywhere(client, model):
    model()

    client.set_model_version_tag("fraud", "1", "k", "v")
    client.update_model_version("fraud", "1", description="d")
    client.transition_model_version_stage("fraud", "1", "Staging")
    client.set_registered_model_alias("fraud", "a", "1")

    version = client.get_model_version("fraud", "1")
    assert (version.tags, version.description, version.current_stage) == (
        {"k": "v"},
        "d",
        "Staging",
    )
    client.delete_model_version("fraud", "1")


@pytest.mark.parametrize("bad", ["one", "1.5", "", True, 2**64])
def test_malformed_version_numbers_are_refused(client, model, bad):
    model()

    with pytest.raises(InvalidArgument, match="version"):
        client.get_model_version("fraud", bad)


def test_unknown_version_raises_not_found_naming_model_and_version(client, model):
    with pytest.raises(NotFound, match="registered model 'fraud' has no version 7"):
        client.get_model_version("fraud", 7)


@pytest.mark.parametrize("number", [0, -1, "0", "-7"])
def test_a_version_number_below_1_names_no_version(client, model, number):
    model()

    with pytest.raises(NotFound, match=f"registered model 'fraud' has no version {number}"):
        client.get_model_version("fraud", number)


def test_version_of_unknown_model_raises_not_found(client, run_id):
    with pytest.raises(NotFound, match="registered model 'ghost' does not exist"):
        client.create_model_version("ghost", f"runs:/{run_id}/model")


def test_update_model_version_sets_the_description(client, model):
    model()

    updated = client.update_model_version("fraud", 1, "better")

    assert updated.description == "better"
    assert updated.last_updated_timestamp >= updated.creation_timestamp


def test_version_tags_are_set_overwritten_and_deleted(client, model):
    model(tags={"a": "1"})

    client.set_model_version_tag("fraud", 1, "a", "2")
    client.set_model_version_tag("fraud", 1, "b", "3")
    client.delete_model_version_tag("fraud", 1, "b")

    assert client.get_model_version("fraud", 1).tags == {"a": "2"}


def test_deleting_a_missing_version_tag_raises_not_found(client, model):
    model()

    with pytest.raises(NotFound, match="no tag 'nope'"):
        client.delete_model_version_tag("fraud", 1, "nope")


def test_deleted_version_is_gone(client, model):
    model()

    client.delete_model_version("fraud", 1)

    with pytest.raises(NotFound, match="no version 1"):
        client.get_model_version("fraud", 1)


# -- sources ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "file:///etc/passwd",
        "http://evil.example.com/model.pkl",
        "https://example.com/m",
        "s3://someone-elses-bucket/model",
        "/etc/passwd",
        "relative/path/model",
        "C:\\models\\m",
        "mlflow-artifacts:/0/../../etc",
    ],
)
def test_foreign_sources_are_refused_naming_the_source(client, model, source):
    with pytest.raises(InvalidArgument, match="source"):
        client.create_model_version("fraud", source)


def test_runs_source_with_unknown_run_raises_not_found(client, model):
    with pytest.raises(NotFound, match="run 'deadbeef'"):
        client.create_model_version("fraud", "runs:/deadbeef/model")


def test_runs_source_must_agree_with_run_id(client, model, run_id):
    other = client.create_run("0").info.run_id

    with pytest.raises(InvalidArgument, match="does not match"):
        client.create_model_version("fraud", f"runs:/{run_id}/model", run_id=other)


def test_run_artifact_uri_source_is_tied_to_its_run(client, model, run_id):
    artifact_uri = client.get_run(run_id).info.artifact_uri

    version = client.create_model_version("fraud", f"{artifact_uri}/model")

    assert version.run_id == run_id


def test_models_source_must_resolve_and_inherits_the_run(client, model, run_id):
    model()
    client.create_registered_model("copy")

    version = client.create_model_version("copy", "models:/fraud/1")

    assert version.run_id == run_id
    with pytest.raises(NotFound, match="'fraud' has no version 9"):
        client.create_model_version("copy", "models:/fraud/9")


def test_registered_version_keeps_a_snapshot_of_the_run_files(client, model, run_id, tmp_path):
    client.log_text(run_id, "weights-1", "model/weights.bin")
    client.log_text(run_id, "config", "model/conf/settings.json")
    client.log_text(run_id, "not part of the model", "plots/loss.txt")
    model()
    client.log_text(run_id, "added later", "model/late.txt")

    folder = client.download_model_version_artifacts("fraud", 1, dst_path=tmp_path / "out")

    files = sorted(
        p.relative_to(folder).as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()
    )
    assert files == ["conf/settings.json", "weights.bin"]


def test_content_digest_is_set_from_the_files_and_none_without_files(client, model, run_id):
    empty = model()
    client.log_text(run_id, "weights", "model/weights.bin")
    with_files = model()

    assert empty.content_digest is None
    assert len(with_files.content_digest) == 64


# -- semantic versions -------------------------------------------------------------------


def test_explicit_semver_is_kept_with_prerelease_and_build(client, model):
    assert model(semver="2.0.0-rc.1+build.5").semver == "2.0.0-rc.1+build.5"
    assert model(semver="v3.1.4").semver == "3.1.4"


def test_explicit_semver_must_be_unique_per_model(client, model, run_id):
    model(semver="1.2.0")
    client.create_registered_model("other")

    with pytest.raises(AlreadyExists, match="1.2.0.*version 1"):
        model(semver="1.2.0")
    assert client.create_model_version("other", f"runs:/{run_id}/m", semver="1.2.0").version == 1


@pytest.mark.parametrize("bad", ["1.2", "banana", "01.0.0", "1.0.0-"])
def test_invalid_semver_is_refused(client, model, bad):
    with pytest.raises(InvalidArgument, match="semver"):
        model(semver=bad)


@pytest.mark.parametrize(
    ("bump", "expected"), [("major", "2.0.0"), ("minor", "1.3.0"), ("patch", "1.2.4")]
)
def test_bump_raises_the_highest_existing_semver(client, model, bump, expected):
    model(semver="1.2.3")
    model(semver="1.0.9")  # a later hotfix of an older line is not the base

    assert model(bump=bump).semver == expected


def test_a_prerelease_above_the_highest_release_is_the_base_of_the_next_bump(client, model):
    model(semver="1.4.0")
    model(semver="2.0.0-rc.1")

    assert model(bump="patch").semver == "2.0.0"
    assert model(bump="patch").semver == "2.0.1"


def test_deleting_the_highest_semver_bumps_from_the_next_highest(client, model):
    model(semver="1.4.0")
    model(semver="3.0.0")
    model(semver="1.0.0")
    client.delete_model_version("fraud", 2)

    assert model(bump="minor").semver == "1.5.0"


def test_deleting_another_version_keeps_the_highest_semver_as_base(client, model):
    model(semver="1.4.0")
    model(semver="3.0.0")
    client.delete_model_version("fraud", 1)

    assert model(bump="minor").semver == "3.1.0"


def test_after_every_version_is_deleted_the_next_one_starts_at_1_0_0(client, model):
    model()
    model()
    client.delete_model_version("fraud", 1)
    client.delete_model_version("fraud", 2)

    version = model()

    assert (version.version, version.semver) == (3, "1.0.0")


def test_of_equal_precedence_the_earliest_version_is_the_base_of_auto_bump(client, model, run_id):
    client.log_text(run_id, "weights", "model/weights.bin")
    model(semver="1.2.0+build.1")
    client.create_model_version("fraud", f"runs:/{run_id}/empty", semver="1.2.0+build.2")

    # The same files as version 1 (the base), none in version 2: patch, not minor.
    assert model().semver == "1.2.1"


def test_unknown_bump_is_refused(client, model):
    with pytest.raises(InvalidArgument, match="bump"):
        model(bump="mega")


def test_auto_bump_is_minor_when_files_differ(client, model, run_id):
    client.log_text(run_id, "weights-1", "model/weights.bin")
    model()
    client.log_text(run_id, "weights-2", "model/weights.bin")

    assert model().semver == "1.1.0"


def test_auto_bump_is_patch_when_files_are_identical(client, model, run_id):
    client.log_text(run_id, "weights", "model/weights.bin")
    model()

    assert model(description="same weights, new docs").semver == "1.0.1"


def test_auto_bump_is_minor_when_neither_version_has_files(client, model):
    model()

    assert model().semver == "1.1.0"


SIGNATURE = {"inputs": {"kind": "columns", "specs": [{"name": "amount", "dtype": "float64"}]}}
WIDER = {
    "inputs": {
        "kind": "columns",
        "specs": [{"name": "amount", "dtype": "float64"}, {"name": "country", "dtype": "string"}],
    }
}


def test_auto_bump_is_major_when_the_signature_becomes_incompatible(client, model):
    model(signature=SIGNATURE)

    version = model(signature=WIDER)

    assert version.semver == "2.0.0"
    assert version.signature == client.get_model_version("fraud", 2).signature


def test_auto_bump_is_minor_when_the_signature_stays_compatible(client, model):
    model(signature=WIDER)

    assert model(signature=SIGNATURE).semver == "1.1.0"


def test_malformed_signature_is_refused(client, model):
    with pytest.raises(InvalidArgument, match="signature"):
        model(signature={"outputs": {}})


# -- latest versions ----------------------------------------------------------------------


@pytest.fixture
def staged(client, model):
    """Versions 1..5 of 'fraud': 1 Archived, 2 and 3 Production, 4 Staging, 5 None."""
    for _ in range(5):
        model()
    for version, stage in [(1, "Archived"), (2, "Production"), (3, "Production"), (4, "Staging")]:
        client.transition_model_version_stage("fraud", version, stage)
    return client


def test_get_latest_versions_gives_the_highest_version_of_each_stage(staged):
    latest = staged.get_latest_versions("fraud")

    assert sorted((v.current_stage, v.version) for v in latest) == [
        ("Archived", 1),
        ("None", 5),
        ("Production", 3),
        ("Staging", 4),
    ]


def test_get_latest_versions_for_chosen_stages_in_any_case(staged):
    latest = staged.get_latest_versions("fraud", stages=["production", "STAGING"])

    assert [(v.current_stage, v.version) for v in latest] == [("Production", 3), ("Staging", 4)]


def test_get_latest_versions_rejects_unknown_stages(staged):
    with pytest.raises(InvalidArgument, match="Shipping"):
        staged.get_latest_versions("fraud", stages=["Shipping"])


def test_get_latest_versions_of_unknown_model_raises_not_found(client):
    with pytest.raises(NotFound, match="ghost"):
        client.get_latest_versions("ghost")


# -- search ---------------------------------------------------------------------------------


@pytest.fixture
def catalogue(client, run_id):
    """'fraud' v1..v3 (v2 in Production, v3 tagged) and 'churn' v1 from another run."""
    other_run = client.create_run("0").info.run_id
    client.create_registered_model("fraud")
    client.create_registered_model("churn")
    for semver in ("1.0.0", "1.1.0", "2.0.0"):
        client.create_model_version("fraud", f"runs:/{run_id}/m", semver=semver)
    client.create_model_version("churn", f"runs:/{other_run}/m")
    client.transition_model_version_stage("fraud", 2, "Production")
    client.set_model_version_tag("fraud", 3, "candidate", "yes")
    return client, run_id, other_run


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (None, [("churn", 1), ("fraud", 3), ("fraud", 2), ("fraud", 1)]),
        ("name = 'fraud'", [("fraud", 3), ("fraud", 2), ("fraud", 1)]),
        ("name = 'fraud' AND version >= 2", [("fraud", 3), ("fraud", 2)]),
        ("version_number = '1'", [("churn", 1), ("fraud", 1)]),
        ("semver = '1.1.0'", [("fraud", 2)]),
        ("semver LIKE '1.%' AND name = 'fraud'", [("fraud", 2), ("fraud", 1)]),
        ("current_stage = 'production'", [("fraud", 2)]),
        ("stage IN ('None', 'Staging')", [("churn", 1), ("fraud", 3), ("fraud", 1)]),
        ("tags.candidate = 'yes'", [("fraud", 3)]),
    ],
)
def test_search_model_versions_filters(catalogue, filter_string, expected):
    client, _, _ = catalogue

    found = client.search_model_versions(filter_string)

    assert [(v.name, v.version) for v in found] == expected


def test_search_model_versions_by_run_id(catalogue):
    client, _, other_run = catalogue

    found = client.search_model_versions(f"run_id = '{other_run}'")

    assert [(v.name, v.version) for v in found] == [("churn", 1)]


def test_a_version_page_token_continues_only_its_own_search(catalogue):
    client, _, _ = catalogue
    first = client.search_model_versions(max_results=1, order_by="name ASC")
    again = client.search_model_versions(
        max_results=1, order_by=["name ASC"], page_token=first.token
    )
    assert len(first + again) == 2

    with pytest.raises(InvalidArgument, match="another search"):
        client.search_model_versions(order_by=["name DESC"], page_token=first.token)


def test_search_model_versions_orders_and_pages(catalogue):
    client, _, _ = catalogue
    order = ["name ASC", "version ASC"]

    first = client.search_model_versions(max_results=3, order_by=order)
    rest = client.search_model_versions(max_results=3, order_by=order, page_token=first.token)

    assert [(v.name, v.version) for v in first + rest] == [
        ("churn", 1),
        ("fraud", 1),
        ("fraud", 2),
        ("fraud", 3),
    ]
    assert rest.token is None


def test_search_results_carry_tags_and_aliases(catalogue):
    client, _, _ = catalogue
    client.set_registered_model_alias("fraud", "challenger", 3)

    (version,) = client.search_model_versions("tags.candidate = 'yes'")

    assert version.tags == {"candidate": "yes"}
    assert version.aliases == ("challenger",)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"page_token": "!!"}, "page_token"),
        ({"filter_string": "colour = 'red'"}, "unknown model version field 'colour'"),
        ({"filter_string": "semver > '1.0.0'"}, "semver"),
        ({"filter_string": "version = 'two'"}, "numeric"),
        ({"order_by": ["colour"]}, "colour"),
    ],
)
def test_bad_version_search_arguments_are_refused(catalogue, kwargs, problem):
    client, _, _ = catalogue

    with pytest.raises(InvalidArgument, match=problem):
        client.search_model_versions(**kwargs)
