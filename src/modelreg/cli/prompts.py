"""``modelreg prompts``: versioned prompt templates (see :mod:`modelreg.prompts`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import (
    Column,
    echo_json,
    echo_next_page,
    json_option,
    none_listed,
    print_fields,
    print_table,
    timestamp,
    with_client,
)
from modelreg.prompts import readable

if TYPE_CHECKING:
    from modelreg.client import Client


@click.group(cls=ModelregGroup)
def prompts() -> None:
    """Prompts: versioned templates for LLM applications (MLflow's prompt registry)."""


@prompts.command("list")
@click.option("--max-results", type=int, default=100, show_default=True)
@click.option("--page-token", help="Where the previous page stopped.")
@json_option
@with_client
def list_prompts(client: Client, max_results: int, page_token: str | None, as_json: bool) -> None:
    """List prompts by name.

    \b
    Examples:
      modelreg prompts list
      modelreg prompts list --json
    """
    page = client.search_prompts(max_results=max_results, page_token=page_token)
    if as_json:
        echo_json([model.to_dict() for model in page])
    else:
        print_table(
            [
                Column("Name", cut=True),
                "Latest",
                Column("Aliases", drop=2),
                Column("Description", wrap=True, drop=3),
                Column("Updated", drop=1),
            ],
            [
                [
                    m.name,
                    max((v.version for v in m.latest_versions), default=""),
                    ", ".join(f"@{a} → v{n}" for a, n in sorted(m.aliases.items())),
                    m.description,
                    timestamp(m.last_updated_timestamp),
                ]
                for m in page
            ],
            empty=none_listed(
                "prompts",
                more=page_token is not None,
                hint="Register one from Python: modelreg.register_prompt(NAME, TEMPLATE)",
            ),
        )
    echo_next_page(page.token)


@prompts.command()
@click.argument("prompt")
@click.option("--version", help="A version number or alias. [default: the newest]")
@json_option
@with_client
def show(client: Client, prompt: str, version: str | None, as_json: bool) -> None:
    """Show a version of PROMPT (a name, prompts:/NAME/3 or prompts:/NAME@ALIAS): its
    template, placeholders, commit message, tags and aliases.

    \b
    Examples:
      modelreg prompts show qa
      modelreg prompts show prompts:/qa@production
    """
    found = client.load_prompt(prompt, version)
    if as_json:
        echo_json(found.to_dict())
        return
    print_fields(
        [
            ("Prompt", found.name),
            ("Version", found.version),
            ("Aliases", ", ".join(f"@{a}" for a in found.aliases)),
            ("Commit message", found.commit_message),
            ("Placeholders", ", ".join(sorted(found.variables))),
        ]
    )
    if found.tags:
        print_table(["Key", Column("Value", wrap=True)], sorted(found.tags.items()), title="Tags")
    click.echo()
    click.echo(readable(found.template))
