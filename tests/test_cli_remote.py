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
