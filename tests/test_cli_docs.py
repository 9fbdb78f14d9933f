"""docs/cli.md is generated from ``--help`` and may not drift; every command explains itself."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent
# The registry commands; `db` and `server` work on a database URI, not a tracking URI.
REGISTRY_COMMANDS = [
    "alias",
    "artifacts",
    "history",
    "models",
    "rollback",
    "runs",
    "stage",
    "versions",
]
READ_COMMANDS = [
    "history",
    "models list",
    "models show",
    "runs list",
    "runs show",
    "versions list",
    "versions show",
]


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts/gen_cli_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = load_generator()
CONTEXTS = dict(GENERATOR.commands())


def leaf(path: str) -> click.Context:
    return CONTEXTS[f"modelreg {path}"]


def registry_leaves() -> list[str]:
    leaves = []
    for path, ctx in CONTEXTS.items():
        words = path.split()[1:]
        if words and words[0] in REGISTRY_COMMANDS and not isinstance(ctx.command, click.Group):
            leaves.append(" ".join(words))
    return leaves


def test_cli_reference_matches_the_commands_help():
    expected = GENERATOR.render()

    actual = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")

    assert actual == expected, "docs/cli.md is out of date: run python scripts/gen_cli_docs.py"


@pytest.mark.parametrize("path", registry_leaves())
def test_every_registry_command_has_an_example_and_takes_a_tracking_uri(path):
    ctx = leaf(path)

    assert "Example" in ctx.command.get_help(ctx)
    assert "--tracking-uri" in [opt for p in ctx.command.params for opt in p.opts]


@pytest.mark.parametrize("path", READ_COMMANDS)
def test_every_read_command_takes_json(path):
    ctx = leaf(path)

    assert "--json" in [opt for p in ctx.command.params for opt in p.opts]
