"""The remote client under ``multiprocessing``: each child process opens its own connections.

A parent that has talked to the server and then forks workers must not share
its keep-alive socket with them: responses would interleave and children read
each other's answers. The same work runs with the fork and the spawn start
method, against two server workers on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest

import modelreg
from conftest import server_env, start_server, stop_server
from fresh_databases import new_postgres_database
from modelreg.store.database import Database

CHILDREN = 8
VERSIONS_EACH = 25


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``modelreg server --workers 2`` on a database of its own."""
    with new_postgres_database("modelreg_fork") as url:
        Database(url).upgrade()
        folder = tmp_path_factory.mktemp("fork")
        process, server_url = start_server(
            url, str(folder / "artifacts"), workers=2, env=server_env()
        )
        yield server_url
        stop_server(process)


def register_versions(model: str, child: int) -> list[int]:
    """One child's work: a run with a file, then versions of ``model`` made from it."""
    modelreg.set_experiment(f"{model}-child-{child}")
    with modelreg.start_run() as run:
        modelreg.log_text(f"weights of child {child}", "model/weights.txt")
    client = modelreg.Client()
    source = f"runs:/{run.info.run_id}/model"
    return [client.create_model_version(model, source).version for _ in range(VERSIONS_EACH)]


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_children_of_a_connected_parent_register_every_version_once(
    two_workers: str, start_method: str, tmp_path: Path
):
    model = f"forked-{start_method}"
    modelreg.set_tracking_uri(two_workers)
    modelreg.Client().create_registered_model(model)  # the parent's connection is open now
    context = multiprocessing.get_context(start_method)

    with context.Pool(CHILDREN) as pool:
        jobs = pool.starmap_async(register_versions, [(model, c) for c in range(CHILDREN)])
        numbers = sorted(n for versions in jobs.get(timeout=240) for n in versions)

    stored = modelreg.Client().search_model_versions(f"name = '{model}'", max_results=1000)
    assert numbers == list(range(1, CHILDREN * VERSIONS_EACH + 1))
    assert sorted(v.version for v in stored) == numbers
