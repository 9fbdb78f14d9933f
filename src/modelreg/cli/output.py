"""Shared pieces of the CLI commands: common options, Rich tables for people, JSON for scripts.

Tables fit the terminal: identifiers, names, times and numbers never break
across lines (free text wraps), and when the terminal is too narrow the
least important columns are left out. When stdout is not a terminal (and
``COLUMNS`` is not set) tables go out without colour or wrapping, so
``grep`` and ``awk`` see one row per line. Values are shown as plain text,
never as Rich markup, so a description like ``[bold]`` prints as written.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import OverflowMethod

F = TypeVar("F", bound=Callable[..., Any])

# Wide enough that a piped table never wraps; Rich only uses what the columns need.
_PIPE_WIDTH = 1000


def root_options(ctx: click.Context | None = None) -> dict[str, Any]:
    """The options given before the subcommand (``modelreg --json models list``)."""
    ctx = ctx or click.get_current_context()
    return dict(ctx.find_root().obj or {})


TRACKING_URI_HELP = (
    "Store to use: a folder, sqlite:///…, postgresql://… or the http(s):// URL of a modelreg "
    "server. [env var: MODELREG_TRACKING_URI; default: ./.modelreg/]"
)


def tracking_uri_of(given: str | None) -> str | None:
    """``--tracking-uri`` after the subcommand, else before it, else ``MODELREG_TRACKING_URI``."""
    return given or root_options().get("tracking_uri") or None


def with_client(func: F) -> F:
    """Adds ``--tracking-uri`` and passes a ``modelreg.Client`` on that URI as ``client``."""

    @click.option("--tracking-uri", metavar="URI", help=TRACKING_URI_HELP)
    @functools.wraps(func)
    def wrapper(*args: Any, tracking_uri: str | None, **kwargs: Any) -> Any:
        from modelreg.client import Client

        return func(*args, client=Client(tracking_uri_of(tracking_uri)), **kwargs)

    return wrapper  # type: ignore[return-value]


def json_option(func: F) -> F:
    """Adds ``--json``; ``modelreg --json COMMAND`` turns it on too."""

    @click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (the entities' fields) for scripts."
    )
    @functools.wraps(func)
    def wrapper(*args: Any, as_json: bool, **kwargs: Any) -> Any:
        return func(*args, as_json=as_json or bool(root_options().get("json")), **kwargs)

    return wrapper  # type: ignore[return-value]


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

tags_argument = click.argument(
    "tags", nargs=-1, required=True, metavar="KEY=VALUE...", callback=_parse_tags
)


def page_options(default_max_results: int, rows: str = "rows") -> Callable[[F], F]:
    """``--max-results`` and ``--page-token``, for a listing that comes in pages."""

    def decorate(func: F) -> F:
        func = click.option(
            "--page-token",
            metavar="TOKEN",
            help="Continue a listing where the previous one stopped.",
        )(func)
        return click.option(
            "--max-results",
            type=int,
            default=default_max_results,
            show_default=True,
            help=f"Largest number of {rows} to print.",
        )(func)

    return decorate


def search_options(default_max_results: int) -> Callable[[F], F]:
    """``--filter``, ``--order-by`` (repeatable), ``--max-results`` and ``--page-token``."""

    def decorate(func: F) -> F:
        func = page_options(default_max_results)(func)
        func = click.option(
            "--order-by",
            multiple=True,
            metavar="CLAUSE",
            help="Sort order, e.g. 'name DESC'; repeat for more keys.",
        )(func)
        return click.option(
            "--filter", "filter_string", metavar="FILTER", help="Only rows that match FILTER."
        )(func)

    return decorate


def counted(n: int, noun: str) -> str:
    """``1 tag``, ``3 tags``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def echo_json(data: Any) -> None:
    """Prints ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def echo_next_page(token: str | None) -> None:
    """Tells (on stderr, so JSON on stdout stays clean) how to fetch the next page."""
    if token:
        click.echo(f"More results: repeat with --page-token {token}", err=True)


def none_listed(what: str, *, filtered: bool = False, more: bool = False, hint: str = "") -> str:
    """What a list command prints when it found nothing: ``No runs match.`` under a
    filter, ``No more runs.`` past the first page, else ``No runs yet.`` and ``hint``."""
    if more:
        return f"No more {what}."
    if filtered:
        return f"No {what} match."
    return f"No {what} yet." + (f" {hint}" if hint else "")


@dataclass(frozen=True)
class Column:
    """A table column.

    By default a cell stays on one line (identifiers, names, times, numbers).
    ``wrap``: free text, wrapped to fit. ``cut``: one line, shortened with
    "…" when the terminal is narrow. ``drop``: when the table does not fit,
    columns are left out, the highest ``drop`` first (0: always shown).
    """

    header: str
    wrap: bool = False
    cut: bool = False
    drop: int = 0


# The width a wrapped or cut column is counted at when deciding what fits.
_SHRUNK_WIDTH = 12
_LONGEST_WORD = 24


def _console() -> Any:
    from rich.console import Console

    console = Console(highlight=False)
    if console.is_terminal or os.environ.get("COLUMNS"):
        return console
    return Console(highlight=False, width=_PIPE_WIDTH, no_color=True)


def _print(console: Any, renderable: Any) -> None:
    """Prints to a terminal with Rich; elsewhere as plain lines without trailing blanks."""
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


def print_table(
    columns: Sequence[str | Column],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    empty: str | None = None,
) -> None:
    """Prints a Rich table that fits the terminal; each cell goes through :func:`text`.

    ``empty``: the line printed instead of a table without rows (a list command says
    that there is nothing, and what to do, rather than show bare headers)."""
    from rich.table import Table
    from rich.text import Text

    cells = [[text(value) for value in row] for row in rows]
    if not cells and empty is not None:
        click.echo(empty)
        return
    console = _console()
    specs = [c if isinstance(c, Column) else Column(c) for c in columns]
    widths = _fitted_widths(specs, cells, console.width)
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, limit in widths.items():
        wrap = specs[i].wrap
        overflow: OverflowMethod = "fold" if wrap else "ellipsis"
        table.add_column(specs[i].header, no_wrap=not wrap, overflow=overflow, max_width=limit)
    for row in cells:
        table.add_row(*(Text(row[i]) for i in widths))
    _print(console, table)


def _fitted_widths(
    specs: Sequence[Column], cells: list[list[str]], width: int
) -> dict[int, int | None]:
    """The columns to show, by index, with the width each may take (``None``: what it needs).

    Droppable columns are left out, the highest ``drop`` first, until the
    rest fit in ``width``; what is left after the one-line columns is shared
    among the wrapped and cut ones.
    """
    from rich.cells import cell_len

    def widest(i: int) -> int:
        return max([cell_len(specs[i].header), *(cell_len(row[i]) for row in cells)])

    def flexible(i: int) -> bool:
        return specs[i].wrap or specs[i].cut

    def least(i: int) -> int:
        # Wrapped text breaks between words; a word wider than the column would be split.
        words = [w for row in cells for w in row[i].split()] if specs[i].wrap else []
        longest_word = min(max(map(cell_len, words), default=0), _LONGEST_WORD)
        return min(widest(i), max(_SHRUNK_WIDTH, cell_len(specs[i].header), longest_word))

    kept = list(range(len(specs)))
    # Rich's default box: one border line per column (and one more), two spaces of padding.
    while sum((least(i) if flexible(i) else widest(i)) + 3 for i in kept) + 1 > width:
        droppable = [i for i in kept if specs[i].drop]
        if not droppable:
            break
        kept.remove(max(droppable, key=lambda i: specs[i].drop))
    room = width - 1 - sum(widest(i) + 3 for i in kept if not flexible(i))
    limits: dict[int, int | None] = {i: None for i in kept}
    cut = sorted((i for i in kept if specs[i].cut), key=widest)
    wrapped = sorted((i for i in kept if specs[i].wrap), key=widest)
    # Cut columns lose what does not fit, wrapped ones only take more lines:
    # the cut ones are served first, leaving the wrapped ones their least.
    room -= _share(cut, room - sum(least(i) + 3 for i in wrapped), widest, least, limits)
    _share(wrapped, room, widest, least, limits)
    return limits


def _share(
    columns: list[int],
    room: int,
    widest: Callable[[int], int],
    least: Callable[[int], int],
    limits: dict[int, int | None],
) -> int:
    """Shares ``room`` evenly among ``columns`` (narrowest first, each between its least and
    widest width), into ``limits``; returns the room used."""
    used = 0
    for n, i in enumerate(columns):
        left = len(columns) - n
        share = max(least(i), (room - used - 3 * left) // left)
        limits[i] = min(widest(i), share)
        used += limits[i] + 3  # type: ignore[operator]
    return used


def print_fields(fields: Sequence[tuple[str, Any]]) -> None:
    """Prints ``name: value`` pairs of one entity, aligned."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in fields:
        grid.add_row(name, Text(text(value)))
    _print(_console(), grid)


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
    """Milliseconds since the epoch as local time, to the minute (``--json`` has the rest)."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")
