"""What the CLI takes where it names things: missing things, version references, run id prefixes.

Every command that names a model, version, run or experiment that does not
exist says so and exits 1; something that cannot be a version is a usage
error (exit 2); a version may be named as ``models:/`` URIs name it; a run id
may be shortened to a unique prefix of at least 6 characters.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

MISSING = [
    ("versions", "list", "nomodel"),
    ("versions", "show", "nomodel", "1"),
    ("versions", "show", "fraud", "9"),
    ("versions", "delete", "fraud", "9"),
    ("versions", "register", "nomodel", "models:/fraud/1"),
    ("stage", "set", "fraud", "9", "Staging"),
    ("alias", "set", "nomodel", "champion", "1"),
    ("alias", "delete", "fraud", "nochampion"),
    ("rollback", "nomodel"),
    ("history", "nomodel"),
    ("history", "fraud", "9"),
    ("runs", "list", "--experiment", "noexperiment"),
    ("runs", "show", "0123456789abcdef0123456789abcdef"),
    ("runs", "show", "abcdef12"),
    ("artifacts", "download", "models:/fraud/9", "out"),
    ("card", "show", "fraud", "9"),
    ("card", "check", "nomodel", "1"),
    ("lineage", "fraud", "9"),
    ("compare", "nomodel"),
    ("diff", "fraud", "1", "9"),
    ("promote", "fraud", "9", "--to", "Staging"),
    ("cleanup", "nomodel"),
    ("models", "show", "nomodel"),
    ("models", "delete", "nomodel"),
    ("models", "set-weights", "nomodel", "auc=1"),
    ("versions", "show", "fraud", "Production"),
    ("versions", "show", "fraud", "@nochampion"),
]


@pytest.mark.parametrize("args", MISSING, ids=" ".join)
def test_naming_something_that_does_not_exist_says_so_and_exits_1(invoke, fraud, args):
    result = invoke(*args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert any(words in result.stderr for words in ("not exist", "has no", "no run"))


@pytest.mark.parametrize(
    "args",
    [
        ("stage", "set", "fraud", "abc", "Production"),
        ("alias", "set", "fraud", "champion", "two"),
        ("versions", "show", "fraud", "1.2.3.4"),
        ("compare", "fraud", "1", "two"),
        ("card", "show", "fraud", "@"),
    ],
    ids=" ".join,
)
def test_something_that_cannot_be_a_version_is_a_usage_error(invoke, fraud, args):
    result = invoke(*args)

    assert result.exit_code == 2
    assert "is not a version: give a number (3), a stage (Production), @alias" in result.stderr


@pytest.mark.parametrize(
    ("reference", "version"),
    [
        ("2", 2),
        ("Production", 2),
        ("production", 2),
        ("@champion", 3),
        ("latest", 3),
        ("v1.0.0", 1),
    ],
)
def test_a_version_may_be_named_as_models_uris_name_it(invoke, fraud, reference, version):
    fraud.transition_model_version_stage("fraud", 2, "Production")
    fraud.set_registered_model_alias("fraud", "champion", 3)

    result = invoke("versions", "show", "fraud", reference, "--json")

    assert json.loads(result.stdout)["version"] == version


def test_stage_set_takes_an_alias_for_the_version(invoke, fraud):
    fraud.set_registered_model_alias("fraud", "challenger", 1)

    result = invoke("stage", "set", "fraud", "@challenger", "Staging")

    assert result.stdout == "'fraud' version 1 is now in Staging.\n"


# -- run id prefixes --------------------------------------------------------------------


def test_runs_show_takes_the_first_eight_characters_of_a_run_id(invoke, run_id):
    result = invoke("runs", "show", run_id[:8], "--json")

    assert json.loads(result.stdout)["info"]["run_id"] == run_id


def test_a_version_registered_from_a_short_run_uri_keeps_the_full_run_id(invoke, fraud, run_id):
    invoke("versions", "register", "fraud", f"runs:/{run_id[:6]}/model", "--run-id", run_id[:7])

    version = fraud.get_model_version("fraud", 4)
    assert (version.source, version.run_id) == (f"runs:/{run_id}/model", run_id)


def test_artifacts_download_takes_a_short_run_uri(invoke, run_id, tmp_path):
    result = invoke("artifacts", "download", f"runs:/{run_id[:8]}/model/MLmodel", str(tmp_path))

    assert Path(result.stdout.strip()).read_text() == "flavor: python"


def test_a_run_id_prefix_shorter_than_six_characters_is_refused(invoke, run_id):
    result = invoke("runs", "show", run_id[:5])

    assert result.exit_code == 1
    assert f"run id '{run_id[:5]}' is too short: give the full id or at least 6" in result.stderr


def test_an_ambiguous_run_id_prefix_lists_the_runs_it_could_be(invoke, lib, store_uri):
    ids = [lib.create_run("0", run_name=name).info.run_id for name in ("first", "second")]
    _rename_runs(store_uri, {ids[0]: "abcdef" + "0" * 26, ids[1]: "abcdef" + "1" * 26})

    result = invoke("runs", "show", "abcdef")

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: run id 'abcdef' is ambiguous: the ids of {'abcdef' + '0' * 26} (first), "
        f"{'abcdef' + '1' * 26} (second) all start with it; give more characters\n"
    )
    assert json.loads(invoke("runs", "show", "abcdef1", "--json").stdout)["info"]["run_name"] == (
        "second"
    )


def _rename_runs(store_uri: str, renames: dict[str, str]) -> None:
    """Gives runs the ids a test needs (random ids almost never share 6 characters)."""
    with sqlite3.connect(Path(store_uri) / "registry.db") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        with_run_id = [
            t for t in tables if "run_id" in {c[1] for c in db.execute(f"PRAGMA table_info({t})")}
        ]
        db.execute("PRAGMA foreign_keys = OFF")
        for old, new in renames.items():
            for table in with_run_id:
                db.execute(f"UPDATE {table} SET run_id = ? WHERE run_id = ?", (new, old))
