"""A ``modelreg server --auth`` for the session, its users, and fresh resources to test on.

``auth_server`` runs one real server with auth on a SQLite file (per xdist
worker). Its users are made once: ``admin`` (a global admin), ``stranger``
(no role anywhere), ``reader``, ``editor`` and ``manager`` (who get those
roles on each :class:`World`), and ``victim`` (whose tokens and roles other
users try to touch). ``auth_server.world()`` makes a fresh experiment with a
run holding ``model/MLmodel``, and a model ``fraud-…`` with version 1 from
that run and alias ``champion`` → 1, with the three roles granted on both.
Tests only use names they made, so they never need to reset the server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conftest import server_env, start_server, stop_server
from modelreg.tls import tls_context

ROLES = ("reader", "editor", "manager")
USERS = ("admin", "stranger", *ROLES, "victim")
MLMODEL = b"flavor: python"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class World:
    experiment_id: str
    experiment_name: str
    run_id: str
    model: str
    digest: str
    victim_token_id: int


@dataclass
class AuthServer:
    url: str
    db_url: str
    artifacts: str
    backend: Any
    tokens: dict[str, str]

    @property
    def admin_lib(self) -> Any:
        """The Python API embedded on the server's database: no checks, for arranging."""
        from modelreg import Client

        return Client.from_backend(self.backend)

    def client(self, user: str) -> Any:
        """A ``modelreg.Client`` talking to the server as ``user``."""
        from modelreg import Client
        from modelreg.remote import RemoteBackend

        return Client.from_backend(RemoteBackend(self.url, token=self.tokens[user]))

    def cli(self, user: str, args: list[str]) -> Any:
        """``modelreg ARGS`` run against the server as ``user`` (a click ``Result``)."""
        from click.testing import CliRunner

        from modelreg.cli import cli

        env = {"MODELREG_TRACKING_URI": self.url, "MODELREG_TRACKING_TOKEN": self.tokens[user]}
        return CliRunner().invoke(cli, args, env=env)

    def http(self, user: str | None = None) -> httpx.Client:
        headers = {} if user is None else {"Authorization": f"Bearer {self.tokens[user]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, verify=tls_context())

    def grant(self, user: str, role: str, *, model: str | None = None, experiment: str = ""):
        access = self.backend.access
        if model is not None:
            access.set_model_permission(model, user, role)
        if experiment:
            access.set_experiment_permission(experiment, user, role)

    def world(self) -> World:
        lib = self.admin_lib
        name = unique("exp")
        experiment_id = lib.create_experiment(name)
        run_id = lib.create_run(experiment_id).info.run_id
        ref = self.backend.artifacts.log_bytes(run_id, MLMODEL, "model/MLmodel")
        model = unique("fraud")
        lib.create_registered_model(model)
        lib.create_model_version(model, f"runs:/{run_id}/model")
        lib.set_registered_model_alias(model, "champion", 1)
        for user, role in zip(ROLES, ("read", "edit", "manage"), strict=True):
            self.grant(user, role, model=model, experiment=experiment_id)
        token = self.backend.access.create_user_token("victim", unique("t"))
        return World(experiment_id, name, run_id, model, ref.digest, token.info.token_id)


@contextmanager
def auth_server_on(db_url: str, root: Any) -> Iterator[AuthServer]:
    """A `modelreg server --auth` on `db_url`, with the users of this module."""
    from modelreg.backend import EmbeddedBackend

    artifacts = str(root / "artifacts")
    backend = EmbeddedBackend(db_url, artifacts)
    tokens = {u: backend.access.create_user(u, is_admin=u == "admin").token for u in USERS}
    process, url = start_server(db_url, artifacts, env=server_env(), extra_args=["--auth"])
    try:
        yield AuthServer(url, db_url, artifacts, backend, tokens)
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    root = tmp_path_factory.mktemp("auth-server")
    with auth_server_on(f"sqlite:///{root / 'registry.db'}", root) as server:
        yield server


@pytest.fixture(scope="session")
def pg_auth_server(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    """As ``auth_server``, on a PostgreSQL database of its own."""
    from fresh_databases import new_postgres_database

    with new_postgres_database("modelreg_auth") as db_url:
        with auth_server_on(db_url, tmp_path_factory.mktemp("pg-auth-server")) as server:
            yield server


@pytest.fixture(
    params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres")]
)
def any_auth_server(request: pytest.FixtureRequest) -> AuthServer:
    """``auth_server`` and ``pg_auth_server`` in turn: for attacks whose answer may
    depend on the database."""
    return request.getfixturevalue("auth_server" if request.param == "sqlite" else "pg_auth_server")


@pytest.fixture
def world(auth_server: AuthServer) -> World:
    return auth_server.world()


@pytest.fixture(scope="session")
def auth_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The server's app, built in this process (to inspect its routes)."""
    from modelreg.backend import EmbeddedBackend
    from modelreg.server.app import create_app
    from modelreg.server.auth import AuthConfig

    root = tmp_path_factory.mktemp("auth-app")
    backend = EmbeddedBackend(f"sqlite:///{root / 'registry.db'}", str(root / "artifacts"))
    return create_app(backend, AuthConfig(enabled=True))


def served_routes(app: Any) -> list[tuple[str, str]]:
    """``(method, path template)`` of every route the app serves."""
    from modelreg.server.guard import iter_routes

    return sorted(
        (method, route.path)
        for route in iter_routes(app.routes)
        for method in getattr(route, "methods", None) or ("*",)
    )
