"""``modelreg users``, ``tokens`` and ``permissions``: access control, on the database itself.

These commands open the metadata database directly (as ``modelreg db``
does), so they work before any admin exists and whether or not a server
runs: whoever can open the database administers it. The first admin of a
server with ``--auth`` is made with ``modelreg users create NAME --admin``;
there is never a default password. A token is printed once, alone on stdout
(so ``TOKEN=$(modelreg users create ci)`` works); it cannot be shown again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from modelreg.cli.errors import ModelregGroup
from modelreg.cli.output import (
    echo_json,
    json_option,
    none_listed,
    print_table,
    timestamp,
    tracking_uri_of,
)

F = TypeVar("F", bound=Callable[..., Any])

_SHOWN_ONCE = "Store this token now: it is not shown again, and only its hash is kept."


def with_access(func: F) -> F:
    """Adds ``--backend-store-uri`` and passes an ``AccessService`` on it as ``access``."""

    @click.option(
        "--backend-store-uri",
        envvar="MODELREG_BACKEND_STORE_URI",
        show_envvar=True,
        metavar="URI",
        help="Metadata database: sqlite:///path.db or postgresql://… "
        "[default: the embedded store in ./.modelreg/]",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, backend_store_uri: str | None, **kwargs: Any) -> Any:
        from modelreg.errors import InvalidArgument
        from modelreg.services.access import AccessService
        from modelreg.store.database import Database
        from modelreg.uris import resolve_tracking_uri

        create_if_missing = backend_store_uri is None
        if backend_store_uri is None:
            backend_store_uri = resolve_tracking_uri(tracking_uri_of(None)).db_url
            if backend_store_uri is None:
                raise InvalidArgument(
                    "users, tokens and permissions are managed on the database: name it "
                    "with --backend-store-uri (a server URL does not do)"
                )
        database = Database.shared(backend_store_uri)
        # The embedded default store is created as an embedded client (or the server
        # on it) would create it: the first admin may come before either ran.
        database.ensure_schema(
            upgrade=False,
            create_if_missing=create_if_missing and backend_store_uri.startswith("sqlite"),
        )
        return func(*args, access=AccessService(database), **kwargs)

    return wrapper  # type: ignore[return-value]


def _echo_new_token(new: Any, as_json: bool) -> None:
    if as_json:
        echo_json(new.to_dict())
        return
    click.echo(new.token)
    click.echo(
        f"Token {new.info.token_id} ({new.info.name}) of user '{new.info.username}'. "
        + _SHOWN_ONCE,
        err=True,
    )


# -- users ------------------------------------------------------------------------------


@click.group(cls=ModelregGroup)
def users() -> None:
    """Create, list and change users (admins pass every permission check)."""


@users.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the user a global admin.")
@json_option
@with_access
def create_user(access: Any, username: str, admin: bool, as_json: bool) -> None:
    """Create a user and print their first API token (once).

    \b
    Examples:
      modelreg users create alice --admin
      TOKEN=$(modelreg users create ci-bot --backend-store-uri postgresql://db/registry)
    """
    _echo_new_token(access.create_user(username, admin), as_json)


@users.command("list")
@json_option
@with_access
def list_users(access: Any, as_json: bool) -> None:
    """List users.

    \b
    Example:
      modelreg users list --json
    """
    found = access.list_users()
    if as_json:
        echo_json([u.to_dict() for u in found])
        return
    rows = [(u.username, u.is_admin, u.disabled, timestamp(u.creation_time)) for u in found]
    print_table(
        ["Username", "Admin", "Disabled", "Created"],
        rows,
        empty=none_listed("users", hint="Add one with: modelreg users create NAME --admin"),
    )


@users.command("update")
@click.argument("username")
@click.option("--admin/--no-admin", default=None, help="Grant or take global admin rights.")
@click.option(
    "--disable/--enable",
    "disabled",
    default=None,
    help="Disable the user (their tokens stop working at once) or enable them again.",
)
@with_access
def update_user(access: Any, username: str, admin: bool | None, disabled: bool | None) -> None:
    """Make a user admin or not, disabled or not.

    \b
    Examples:
      modelreg users update bob --disable
      modelreg users update alice --no-admin
    """
    user = access.update_user(username, admin, disabled)
    click.echo(f"User '{user.username}': admin={user.is_admin}, disabled={user.disabled}.")


# -- tokens --------------------------------------------------------------------------------


@click.group(cls=ModelregGroup)
def tokens() -> None:
    """Create, list and revoke API tokens."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="default", show_default=True, help="What the token is for.")
@click.option(
    "--expires-in-days",
    type=click.IntRange(1),
    default=None,
    help="Days until the token stops working [default: never].",
)
@json_option
@with_access
def create_token(
    access: Any, username: str, name: str, expires_in_days: int | None, as_json: bool
) -> None:
    """Create an API token for USERNAME and print it (once).

    \b
    Example:
      modelreg tokens create alice --name laptop --expires-in-days 90
    """
    _echo_new_token(access.create_user_token(username, name, expires_in_days), as_json)


@tokens.command("list")
@click.argument("username", required=False)
@json_option
@with_access
def list_tokens(access: Any, username: str | None, as_json: bool) -> None:
    """List API tokens (of USERNAME, or everyone's), never their secrets.

    \b
    Example:
      modelreg tokens list alice
    """
    found = access.list_user_tokens(username)
    if as_json:
        echo_json([t.to_dict() for t in found])
        return
    rows = [
        (
            t.token_id,
            t.username,
            t.name,
            t.prefix + "…",
            timestamp(t.creation_time),
            timestamp(t.expiry_time) or "never",
            timestamp(t.last_used_time),
            "revoked" if t.revoked_time else "",
        )
        for t in found
    ]
    columns = ["Id", "User", "Name", "Prefix", "Created", "Expires", "Last used", "State"]
    print_table(
        columns,
        rows,
        empty=none_listed("API tokens", hint="Make one with: modelreg tokens create USERNAME"),
    )


@tokens.command("revoke")
@click.argument("token_id", type=int)
@with_access
def revoke_token(access: Any, token_id: int) -> None:
    """Revoke an API token; it stops working at once.

    \b
    Example:
      modelreg tokens revoke 7
    """
    access.revoke_token(token_id)
    click.echo(f"Token {token_id} revoked.")


# -- permissions ---------------------------------------------------------------------------


def _resource_options(func: F) -> F:
    func = click.option(
        "--experiment", "experiment_id", metavar="ID", help="An experiment (and its runs)."
    )(func)
    return click.option("--model", metavar="NAME", help="A registered model.")(func)


def _one_resource(model: str | None, experiment_id: str | None) -> None:
    if (model is None) == (experiment_id is None):
        raise click.UsageError("name exactly one of --model and --experiment")


@click.group(cls=ModelregGroup)
def permissions() -> None:
    """Grant, revoke and list roles (read < edit < manage) on models and experiments.

    read: see it; edit: log to it, register versions, set tags, move
    unprotected aliases and stages; manage: also protected aliases and
    stages, policies, roles, renaming and deleting.
    """


@permissions.command("grant")
@click.argument("username")
@click.argument("role", type=click.Choice(["read", "edit", "manage"]))
@_resource_options
@with_access
def grant(
    access: Any, username: str, role: str, model: str | None, experiment_id: str | None
) -> None:
    """Give USERNAME the ROLE on a model or an experiment (replacing their role there).

    \b
    Examples:
      modelreg permissions grant bob edit --model fraud
      modelreg permissions grant carol read --experiment 3
    """
    _one_resource(model, experiment_id)
    if model is not None:
        access.set_model_permission(model, username, role)
        click.echo(f"User '{username}' has the {role} role on registered model '{model}'.")
    else:
        access.set_experiment_permission(experiment_id, username, role)
        click.echo(f"User '{username}' has the {role} role on experiment {experiment_id}.")


@permissions.command("revoke")
@click.argument("username")
@_resource_options
@with_access
def revoke(access: Any, username: str, model: str | None, experiment_id: str | None) -> None:
    """Take USERNAME's role on a model or an experiment away.

    \b
    Example:
      modelreg permissions revoke bob --model fraud
    """
    _one_resource(model, experiment_id)
    if model is not None:
        access.delete_model_permission(model, username)
    else:
        access.delete_experiment_permission(experiment_id, username)
    click.echo(f"User '{username}' has no role there any more.")


@permissions.command("list")
@_resource_options
@click.option("--user", "username", metavar="USERNAME", help="Every role of one user.")
@json_option
@with_access
def list_permissions(
    access: Any,
    model: str | None,
    experiment_id: str | None,
    username: str | None,
    as_json: bool,
) -> None:
    """List the roles on a model or an experiment, or of a user.

    \b
    Examples:
      modelreg permissions list --model fraud
      modelreg permissions list --user bob --json
    """
    if sum(x is not None for x in (model, experiment_id, username)) != 1:
        raise click.UsageError("name exactly one of --model, --experiment and --user")
    if model is not None:
        found = access.list_model_permissions(model)
    elif experiment_id is not None:
        found = access.list_experiment_permissions(experiment_id)
    else:
        found = access.list_user_permissions(username)
    if as_json:
        echo_json([g.to_dict() for g in found])
        return
    rows = [(g.resource_type, g.resource, g.username, g.role) for g in found]
    print_table(["Type", "Resource", "User", "Role"], rows, empty="No permissions granted.")
