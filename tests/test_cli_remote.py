"""The CLI against a live server: same commands, same exit codes."""

import json

import pytest
from click.testing import CliRunner

from conftest import reset_postgres
from modelreg.cli import cli


@pytest.fixture
def remote(live_server, pg_url):
    reset_postgres(pg_url)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [*args, "--tracking-uri", live_server])

    return invoke


def test_create_then_list_as_json_through_the_server(remote):
    assert remote("models", "create", "fraud").exit_code == 0

    result = remote("models", "list", "--json")

    assert result.exit_code == 0
    assert [m["name"] for m in json.loads(result.output)] == ["fraud"]


def test_refused_operation_exits_1_with_the_servers_message(remote):
    result = remote("models", "show", "missing")

    assert result.exit_code == 1
    assert "missing" in result.stderr


def test_experiments_tags_policies_and_files_through_the_server(remote, live_server, tmp_path):
    assert remote("experiments", "create", "fraud", "--tag", "team=risk").exit_code == 0
    assert remote("experiments", "untag", "fraud", "team").exit_code == 0
    shown = json.loads(remote("experiments", "show", "fraud", "--json").output)
    assert shown["tags"] == {}

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavor: python")
    from modelreg import Client

    run_id = Client(live_server).create_run(shown["experiment_id"]).info.run_id
    uploaded = remote(
        "artifacts", "upload", run_id, str(tmp_path / "model"), "--artifact-path", "model"
    )
    assert uploaded.exit_code == 0
    assert remote("models", "create", "fraud").exit_code == 0
    assert remote("versions", "register", "fraud", f"runs:/{run_id}/model").exit_code == 0
    assert remote("versions", "tag", "fraud", "1", "validated=yes").exit_code == 0
    (tmp_path / "policy.json").write_text('{"Production": {"required_tags": ["validated"]}}')
    assert remote("policy", "set", "fraud", str(tmp_path / "policy.json")).exit_code == 0

    checked = remote("policy", "check", "fraud", "1", "--to", "Production")
    listed = remote("artifacts", "list", "models:/fraud/1", "--json")
    exported = remote("runs", "export", "--experiment", "fraud")

    assert checked.exit_code == 0, checked.output
    assert [f["path"] for f in json.loads(listed.output)] == ["MLmodel"]
    assert run_id in exported.output
