"""``modelreg doctor``: versions, and whether the store answers and is usable; exit 1 on a
problem, nothing created or changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelreg.cli import cli
from modelreg.store.database import HEAD_REVISION


def doctor(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, ["--json", "doctor", *args], env=env, catch_exceptions=False)
    return result.exit_code, {f["check"]: f for f in json.loads(result.stdout)}


def test_a_new_folder_is_fine_and_stays_empty(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    code, found = doctor()

    assert code == 0
    assert found["modelreg"]["status"] == "info" and "scikit-learn" in found
    assert "does not exist yet" in found["database"]["detail"]
    assert "does not exist yet" in found["artifacts"]["detail"]
    assert list(tmp_path.iterdir()) == []


def test_a_migrated_store_is_ok_at_the_newest_revision(store_uri, invoke):
    invoke("runs", "list")  # the artifact folder, as a first use makes it
    Path(store_uri, "artifacts").mkdir(exist_ok=True)

    code, found = doctor("--tracking-uri", store_uri)

    assert code == 0
    assert found["database"]["status"] == "ok" and HEAD_REVISION in found["database"]["detail"]
    assert (found["artifacts"]["status"], found["artifacts"]["detail"][-8:]) == ("ok", "writable")


def test_a_database_behind_says_how_to_upgrade_it_and_fails(tmp_path):
    from fresh_databases import migrate_to

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate_to(url, "0019")

    code, found = doctor("--tracking-uri", url)

    assert code == 1 and found["database"]["status"] == "problem"
    assert f"modelreg db upgrade --backend-store-uri {url}" in found["database"]["detail"]


def test_a_postgresql_store_is_checked_as_well(pg_url):
    from conftest import reset_postgres

    reset_postgres(pg_url)

    code, found = doctor("--tracking-uri", pg_url)

    assert code == 0 and found["database"]["status"] == "ok"


def test_an_s3_artifact_store_that_answers_is_ok(tmp_path, s3_uri):
    from modelreg.store.database import Database

    url = f"sqlite:///{tmp_path / 'r.db'}"
    Database(url).upgrade()

    code, found = doctor("--tracking-uri", url, env={"MODELREG_ARTIFACTS_URI": s3_uri})

    assert code == 0 and found["artifacts"] == {
        "check": "artifacts",
        "status": "ok",
        "detail": f"{s3_uri} answers",
    }


def test_a_server_that_answers_and_takes_the_credentials_is_ok(live_server):
    code, found = doctor("--tracking-uri", live_server)

    assert code == 0
    assert found["server"]["status"] == "ok" and found["access"]["status"] == "ok"


def test_a_refused_token_is_a_problem_of_access(auth_server):
    env = {"MODELREG_TRACKING_TOKEN": "mrg_not-a-token"}

    code, found = doctor("--tracking-uri", auth_server.url, env=env)

    assert (code, found["server"]["status"], found["access"]["status"]) == (1, "ok", "problem")


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "https://127.0.0.1:9/prefix"])
def test_a_server_that_does_not_answer_is_a_problem(url):
    code, found = doctor("--tracking-uri", url)

    assert code == 1 and "does not answer" in found["server"]["detail"]


def test_the_table_marks_problems_for_a_person_and_wraps_rather_than_cuts(tmp_path):
    result = CliRunner().invoke(
        cli, ["doctor", "--tracking-uri", "http://127.0.0.1:9"], env={"COLUMNS": "80"}
    )

    assert result.exit_code == 1 and "PROBLEM" in result.stdout
    assert "refused" in result.stdout and "…" not in result.stdout


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://bob:hunter2@127.0.0.1:1/nodb",
        "http://bob:hunter2@127.0.0.1:1",
        "https://hunter2@127.0.0.1:1/registry",
    ],
)
def test_credentials_in_the_tracking_uri_are_not_shown(uri):
    result = CliRunner().invoke(cli, ["doctor", "--tracking-uri", uri], catch_exceptions=False)
    _, found = doctor("--tracking-uri", uri)

    assert "hunter2" not in result.stdout + result.stderr
    assert "hunter2" not in json.dumps(found)
    assert found["tracking URI"]["detail"].startswith(uri.split("//")[0] + "//127.0.0.1:1")


def test_the_python_doctor_prints_the_checks_and_the_environment_with_secrets_hidden(
    capsys, monkeypatch, tmp_path
):
    import modelreg

    monkeypatch.setenv("MODELREG_TRACKING_URI", str(tmp_path / "store"))
    monkeypatch.setenv("MODELREG_TRACKING_TOKEN", "tok-hunter2")
    monkeypatch.setenv("MODELREG_ARTIFACTS_URI", "s3://bob:hunter2@bucket/artifacts")

    modelreg.doctor()
    shown = capsys.readouterr().out
    modelreg.doctor(mask_envs=True)
    masked = capsys.readouterr().out

    assert shown.splitlines()[0].split() == ["modelreg", modelreg.__version__]
    assert f"\ntracking URI {tmp_path / 'store'}\n" in re.sub(" +", " ", shown)
    assert "MODELREG_TRACKING_TOKEN=***" in shown
    assert "MODELREG_ARTIFACTS_URI=s3://bucket/artifacts" in shown
    assert f"MODELREG_TRACKING_URI={tmp_path / 'store'}" in shown
    assert "MODELREG_TRACKING_URI=***" in masked
    assert "hunter2" not in shown + masked
    assert list(tmp_path.iterdir()) == []
