"""``modelreg compare`` and ``modelreg diff``: versions side by side, scored and ranked."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from modelreg.cli.output import Column, echo_json, json_option, print_table, text, with_client
from modelreg.cli.references import VERSION, resolve_version

if TYPE_CHECKING:
    from modelreg.client import Client


def parse_weights(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dict[str, float] | None:
    if value is None:
        return None
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, sep, number = item.partition("=")
        try:
            weights[key.strip()] = float(number)
        except ValueError:
            raise click.BadParameter(f"'{item}' is not METRIC=NUMBER", ctx, param) from None
        if not sep:
            raise click.BadParameter(f"'{item}' is not METRIC=NUMBER", ctx, param)
    return weights


@click.command()
@click.argument("name")
@click.argument("versions", nargs=-1, type=VERSION)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="METRIC",
    help="A metric column to show; repeat for more. [default: every metric]",
)
@click.option(
    "--weights",
    callback=parse_weights,
    metavar="METRIC=W,…",
    help="Score with these weights instead of the model's scoring weights; negative "
    "for lower-is-better metrics.",
)
@json_option
@with_client
def compare(
    client: Client,
    name: str,
    versions: tuple[str, ...],
    metrics: tuple[str, ...],
    weights: dict[str, float] | None,
    as_json: bool,
) -> None:
    """Compare versions of model NAME (all, or VERSIONS): metrics, score and rank.

    The score is the sum of weight × metric, with the model's scoring weights
    (`modelreg models set-weights`) or those given with --weights; a version
    missing a weighted metric shows it as "missing" and is not ranked.
    Without weights the versions are listed unscored.

    \b
    Examples:
      modelreg compare fraud
      modelreg compare fraud 3 4 5 --weights accuracy=0.7,f1=0.3,latency_ms=-0.01
      modelreg compare fraud --metric auc --json
    """
    table = client.compare_versions(
        name,
        [resolve_version(client, name, v) for v in versions] or None,
        list(metrics) or None,
        weights,
    )
    if as_json:
        echo_json(table.to_dicts())
        return
    scored = bool(table.weights)
    columns: list[str | Column] = [
        "Version",
        Column("Semver", drop=20),
        Column("Stage", drop=30),
        Column("Aliases", wrap=True, drop=40),
    ]
    # Unweighted metrics give way from the right when the terminal is narrow.
    columns += [
        Column(m, drop=0 if m in table.weights else 1 + j) for j, m in enumerate(table.metrics)
    ]
    columns += ["Score", "Rank"] if scored else []
    print_table(
        columns,
        [
            [
                r.version,
                r.semver,
                r.stage,
                r.aliases,
                *(_cell(r.metrics.get(m)) for m in table.metrics),
                *([_cell(r.score), r.rank] if scored else []),
            ]
            for r in table.rows
        ],
        title=f"{name}: score = " + formula(table.weights) if scored else None,
    )
    if not scored:
        example = ",".join(f"{m}=1" for m in table.metrics[:2]) or "accuracy=1,latency_ms=-0.01"
        click.echo(
            f"'{name}' has no scoring weights, so its versions are not ranked. Rank them with "
            f"--weights {example}, or set the model's weights once: modelreg models "
            f"set-weights {name} {example}",
            err=True,
        )


def _cell(value: float | None) -> str:
    return "missing" if value is None or value != value else text(value)


def formula(weights: dict[str, float]) -> str:
    return " + ".join(f"{w:g}·{metric}" for metric, w in weights.items())


@click.command()
@click.argument("name")
@click.argument("a", type=VERSION)
@click.argument("b", type=VERSION)
@json_option
@with_client
def diff(client: Client, name: str, a: str, b: str, as_json: bool) -> None:
    """Show what differs between versions A and B of model NAME.

    Attributes, run params and metrics, tags, signature, model-card fields
    and files (by digest).

    \b
    Examples:
      modelreg diff fraud 3 4
      modelreg diff fraud 3 4 --json
    """
    found = client.diff_versions(
        name, resolve_version(client, name, a), resolve_version(client, name, b)
    )
    if as_json:
        echo_json(found.to_dict())
        return
    if found.identical:
        click.echo(f"Versions {a} and {b} of '{name}' do not differ.")
        return
    rows: list[list[Any]] = []
    for section in ("attributes", "params", "metrics", "tags", "card", "files"):
        for key, (left, right) in getattr(found, section).items():
            rows.append([section, key, _side(left), _side(right)])
    if found.signature is not None:
        rows.append(["signature", "", _side(found.signature[0]), _side(found.signature[1])])
    print_table(["Section", "Key", f"Version {found.a}", f"Version {found.b}"], rows)


def _side(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return text(value)
