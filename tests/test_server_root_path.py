"""``modelreg server --root-path /tools/modelreg``: published by a proxy under a path,
whether the proxy strips it before passing requests on or keeps it."""

from __future__ import annotations

import re

import httpx
import pytest
from click.testing import CliRunner

from conftest import server_env, start_server, stop_server
from modelreg.errors import InvalidArgument
from modelreg.server.root_path import check_root_path

ROOT = "/tools/modelreg"
_LINK = re.compile(r'(?:href|action|src)="(/[^"]*)"')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rooted")
    process, url = start_server(
        f"sqlite:///{folder / 'r.db'}",
        str(folder / "artifacts"),
        env=server_env(),
        extra_args=["--upgrade", "--root-path", ROOT],
    )
    from modelreg import Client

    client = Client(url + ROOT)
    run_id = client.create_run("0", run_name="train").info.run_id
    client.log_text(run_id, "flavor: python\n", "model/MLmodel")
    client.create_registered_model("fraud")
    client.create_model_version("fraud", f"runs:/{run_id}/model", run_id=run_id)
    yield url
    stop_server(process)


def links(page: str) -> list[str]:
    return _LINK.findall(page)


@pytest.mark.parametrize(
    "path", ["/ui/models", "/ui/models/fraud", "/ui/models/fraud/versions/1", "/ui/experiments"]
)
@pytest.mark.parametrize("proxy", ["keeps the prefix", "strips the prefix"])
def test_every_link_form_and_asset_of_a_page_is_under_the_prefix(server, path, proxy):
    url = server + (ROOT + path if proxy == "keeps the prefix" else path)

    response = httpx.get(url)

    assert response.status_code == 200 and links(response.text)
    assert [link for link in links(response.text) if not link.startswith(ROOT + "/")] == []
    assert f'<meta name="modelreg-root" content="{ROOT}">' in response.text


def test_the_start_line_says_where_the_server_is_published(server, tmp_path_factory):
    logs = list(tmp_path_factory.getbasetemp().glob("rooted*/server-*.log"))

    assert any(f"(1 worker, auth off, published under {ROOT})" in log.read_text() for log in logs)


def test_the_pages_assets_and_api_answer_under_the_prefix(server):
    page = httpx.get(server + ROOT + "/ui/models").text
    for link in links(page):
        if link.split("?")[0].endswith((".css", ".js")) or "/api/v1/docs" in link:
            assert httpx.get(server + link).status_code == 200, link


def test_the_home_redirects_to_the_models_under_the_prefix(server):
    response = httpx.get(server + ROOT + "/")

    assert (response.status_code, response.headers["location"]) == (307, ROOT + "/ui/models")


def test_a_form_returns_to_its_page_under_the_prefix(server):
    with httpx.Client(base_url=server) as http:
        page = http.get(ROOT + "/ui/models/fraud").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)

        response = http.post(
            ROOT + "/ui/models/fraud/description", data={"csrf": csrf, "description": "fraud"}
        )

    assert (response.status_code, response.headers["location"]) == (303, ROOT + "/ui/models/fraud")


def test_a_client_and_the_mlflow_api_work_through_the_prefixed_url(server, tmp_path):
    from modelreg import Client

    client = Client(server + ROOT)
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "loss", 0.5)
    client.log_text(run_id, "hello", "notes.txt")
    found = httpx.post(
        server + ROOT + "/api/2.0/mlflow/runs/search", json={"experiment_ids": ["0"]}
    ).json()

    assert client.get_run(run_id).data.metrics == {"loss": 0.5}
    assert open(client.download_artifacts(run_id, "notes.txt", tmp_path)).read() == "hello"
    assert run_id in {run["info"]["run_id"] for run in found["runs"]}


def test_an_error_page_links_back_under_the_prefix(server):
    response = httpx.get(server + ROOT + "/ui/models/nope", headers={"accept": "text/html"})

    assert response.status_code == 404
    assert f'href="{ROOT}/ui/models"' in response.text


@pytest.mark.parametrize(
    ("given", "kept"),
    [("", ""), ("/", ""), ("/modelreg", "/modelreg"), ("/tools/modelreg/", "/tools/modelreg")],
)
def test_a_root_path_is_kept_as_a_plain_absolute_path(given, kept):
    assert check_root_path(given) == kept


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("modelreg", "absolute path"),
        ("/a b", "only letters"),
        ("/x/../y", "only letters"),
        ("/x?y=1", "only letters"),
        ("/api", "hide the server's /api"),
        ("/ui/x", "hide the server's /ui"),
    ],
)
def test_a_malformed_root_path_is_refused_naming_the_problem(given, problem):
    with pytest.raises(InvalidArgument, match=problem):
        check_root_path(given)


def test_the_server_refuses_a_malformed_root_path_before_it_starts(tmp_path):
    from modelreg.cli import cli

    result = CliRunner().invoke(
        cli,
        ["server", "--backend-store-uri", f"sqlite:///{tmp_path / 'r.db'}", "--root-path", "/api"],
    )

    assert result.exit_code == 1 and "would hide the server's /api" in result.output
