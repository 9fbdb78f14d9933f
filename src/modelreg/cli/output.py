"""Shared pieces of the CLI commands: common options, Rich tables for people, JSON for scripts.

Tables go to stdout without colour or wrapping when stdout is not a terminal,
so ``grep`` and ``awk`` see one row per line. Values are shown as plain text,
never as Rich markup, so a description like ``[bold]`` prints as written.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# Wide enough that a piped table never wraps; Rich only uses what the columns need.
_PIPE_WIDTH = 1000


def with_client(func: F) -> F:
    """Adds ``--tracking-uri`` and passes a ``modelreg.Client`` on that URI as ``client``."""

    @click.option(
        "--tracking-uri",
        envvar="MODELREG_TRACKING_URI",
        show_envvar=True,
        metavar="URI",
        help="Store to use: a folder, sqlite:///…, postgresql://… or the http(s):// URL "
        "of a modelreg server. [default: ./.modelreg/]",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, tracking_uri: str | None, **kwargs: Any) -> Any:
        from modelreg.client import Client

        return func(*args, client=Client(tracking_uri or None), **kwargs)

    return wrapper  # type: ignore[return-value]


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (the entities' fields) for scripts."
)


def _parse_tags(
    ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> dict[str, str] | None:
    tags: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"'{item}' is not KEY=VALUE", ctx, param)
        tags[key] = value
    return tags or None


tag_option = click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_parse_tags,
    help="A tag to set; repeat for more.",
)


def search_options(default_max_results: int) -> Callable[[F], F]:
    """``--filter``, ``--order-by`` (repeatable), ``--max-results`` and ``--page-token``."""

    def decorate(func: F) -> F:
        for option in reversed(
            [
                click.option(
                    "--filter",
                    "filter_string",
                    metavar="FILTER",
                    help="Only rows that match FILTER.",
                ),
                click.option(
                    "--order-by",
                    multiple=True,
                    metavar="CLAUSE",
                    help="Sort order, e.g. 'name DESC'; repeat for more keys.",
                ),
                click.option(
                    "--max-results",
                    type=int,
                    default=default_max_results,
                    show_default=True,
                    help="Largest number of rows to print.",
                ),
                click.option(
                    "--page-token",
                    metavar="TOKEN",
                    help="Continue a listing where the previous one stopped.",
                ),
            ]
        ):
            func = option(func)
        return func

    return decorate


def echo_json(data: Any) -> None:
    """Prints ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def echo_next_page(token: str | None) -> None:
    """Tells (on stderr, so JSON on stdout stays clean) how to fetch the next page."""
    if token:
        click.echo(f"More results: repeat with --page-token {token}", err=True)


def _print(renderable: Any) -> None:
    """Prints to a terminal with Rich; elsewhere as plain lines without trailing blanks."""
    from rich.console import Console

    console = Console(highlight=False)
    if console.is_terminal:
        console.print(renderable)
        return
    console = Console(highlight=False, width=_PIPE_WIDTH, no_color=True)
    with console.capture() as captured:
        console.print(renderable)
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None
) -> None:
    """Prints a Rich table; each cell goes through :func:`text`."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(text(value)) for value in row))
    _print(table)


def print_fields(fields: Sequence[tuple[str, Any]]) -> None:
    """Prints ``name: value`` pairs of one entity, aligned."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in fields:
        grid.add_row(name, Text(text(value)))
    _print(grid)


def text(value: Any) -> str:
    """How a value reads in a table: mappings as ``k=v, …``, sequences comma-separated."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def timestamp(ms: int | None) -> str:
    """Milliseconds since the epoch as local time, to the second."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")
