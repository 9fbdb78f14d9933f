"""No input makes the server answer 500, on SQLite or on PostgreSQL.

Two generators look for one: schemathesis, from the server's own OpenAPI
document (every REST v1 operation, with values that fit its schema and
values that do not), and Hypothesis, for the MLflow-compatible API, which
has no schema: bodies of MLflow's field names with hostile values (NUL,
unpaired surrogates, huge and negative integers, deep nesting, wrong
types). Each runs against its own ``modelreg server --auth`` per database,
as an admin (who reaches the most code), with bounded examples.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth_fixtures import AuthServer, World, auth_server_on
from modelreg.server.mlflow_compat import HANDLERS
from modelreg.server.mlflow_routes import PREFIX as MLFLOW
from modelreg.tls import tls_context

pytestmark = pytest.mark.slow

# Operations that would lock the fuzzer out of its own server (401s from then on).
LOCKOUT = {("PATCH", "/api/v1/users/{username}"), ("DELETE", "/api/v1/tokens/{token_id}")}


@pytest.fixture(
    scope="module",
    params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres")],
)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AuthServer, World]]:
    """A server of its own per database: what the fuzzers change touches no other test."""
    root = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        with auth_server_on(f"sqlite:///{root / 'registry.db'}", root) as server:
            yield server, server.world()
        return
    request.getfixturevalue("pg_url")  # skips (or fails in CI) without PostgreSQL
    from fresh_databases import new_postgres_database

    with new_postgres_database("modelreg_fuzz") as db_url, auth_server_on(db_url, root) as server:
        yield server, server.world()


def _admin(server: AuthServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.tokens['admin']}"}


# -- schemathesis over /api/v1 -----------------------------------------------------------


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[AuthServer, World]) -> Any:
    server, _ = fuzzed
    schema = schemathesis.openapi.from_url(
        f"{server.url}/api/v1/openapi.json", headers=_admin(server)
    )
    schema.config.update(base_url=server.url)
    return schema.exclude(
        func=lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in LOCKOUT
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    """One keep-alive session for every case, reading no proxy or netrc setting: a new
    session per case spent more time on those than the server spent answering."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_rest_request_is_a_server_error(case, fuzzed, session):
    server, _ = fuzzed

    response = case.call(headers=_admin(server), timeout=30, session=session)

    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"


# -- Hypothesis over the MLflow-compatible API -------------------------------------------

FIELDS = [
    "name", "new_name", "experiment_id", "experiment_ids", "experiment_name", "run_id",
    "run_uuid", "key", "value", "timestamp", "step", "metrics", "params", "tags", "filter",
    "order_by", "max_results", "page_token", "view_type", "run_view_type", "status",
    "end_time", "start_time", "run_name", "version", "stage", "alias", "source",
    "description", "metric_key", "path", "model_json", "archive_existing_versions",
    "artifact_location", "url", "events", "event", "secret",
]  # fmt: skip

HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\x00", "\ud800", "a\udfffb", "..", "%00", "1e999", "-1", "9" * 30]),
    st.text(alphabet=st.sampled_from("()'\"` =<>!.,aN0\\"), max_size=40),
)
HOSTILE_INT = st.one_of(
    st.integers(-(2**70), 2**70), st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**30])
)
SCALARS = st.one_of(st.none(), st.booleans(), HOSTILE_INT, st.floats(allow_nan=False), HOSTILE_TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
    max_leaves=8,
)


def _body(world: World) -> st.SearchStrategy[dict[str, Any]]:
    real = st.sampled_from([world.run_id, world.model, world.experiment_id, "1", "champion"])
    return st.dictionaries(st.sampled_from(FIELDS), real | VALUES, max_size=6)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_no_mlflow_request_is_a_server_error(fuzzed, data):
    server, world = fuzzed
    method, path = data.draw(st.sampled_from(sorted(HANDLERS)), label="endpoint")
    body = data.draw(_body(world), label="body")
    # The MLflow client sends GET parameters in the query string, the rest as JSON.
    content = None if method == "GET" else json.dumps(body).encode()
    query = (
        urlencode({k: str(v) for k, v in body.items()}, errors="surrogatepass")
        if method == "GET"
        else ""
    )

    response = httpx.request(
        method,
        f"{server.url}{MLFLOW}{path}?{query}",
        content=content,
        headers={**_admin(server), "Content-Type": "application/json"},
        timeout=30,
        verify=tls_context(),
    )

    assert response.status_code < 500, f"{method} {path} {body!r}: {response.text}"
