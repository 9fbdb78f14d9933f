"""How the CLI reads the versions and run ids people type.

A VERSION argument takes what a ``models:/`` URI takes after the model name:
a number (``3``), a stage (``Production``), ``@alias``, ``latest``, a semantic
version (``v1.2.0``) or a range (``^1.2``). A run id may be a unique prefix of
at least 6 characters, wherever a command takes one (also in ``runs:/`` URIs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from modelreg.errors import InvalidArgument
from modelreg.uris import parse_model_uri, parse_runs_uri

if TYPE_CHECKING:
    from modelreg.entities import Experiment


def model_uri(name: str, ref: str) -> str:
    """The ``models:/`` URI of version reference ``ref`` of model ``name``."""
    return f"models:/{name}@{ref[1:]}" if ref.startswith("@") else f"models:/{name}/{ref}"


class VersionReference(click.ParamType):
    """A version number, stage, ``@alias``, ``latest``, ``v<semver>`` or semver range."""

    name = "version"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        ref = str(value)
        try:
            parse_model_uri(model_uri("model", ref))
        except InvalidArgument:
            self.fail(
                f"'{ref:.60}' is not a version: give a number (3), a stage (Production), "
                "@alias, latest, v1.2.0 or a range (^1.2)",
                param,
                ctx,
            )
        return ref


VERSION = VersionReference()


def resolve_version(client: Any, name: str, ref: str) -> int:
    """The number of the version ``ref`` names; a number is taken as it is (the
    command then says if there is no such version). Raises ``NotFound``."""
    if ref.isdigit():
        return int(ref)
    return int(client.resolve_model_uri(model_uri(name, ref)).version)


def resolve_experiment(client: Any, ref: str) -> Experiment:
    """The experiment named ``ref``, else the one whose id it is (deleted ones too).
    Raises ``NotFound``."""
    found = client.get_experiment_by_name(ref)
    return found if found is not None else client.get_experiment(ref)


def full_runs_uri(client: Any, uri: str) -> str:
    """``uri`` with the run id of a ``runs:/`` URI completed from its prefix; other URIs as
    they are."""
    if not uri.startswith("runs:/"):
        return uri
    run_id, path = parse_runs_uri(uri)
    return f"runs:/{client.resolve_run_id(run_id)}" + (f"/{path}" if path else "")
