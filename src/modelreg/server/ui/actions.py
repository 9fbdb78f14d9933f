"""What a person can change from the UI: stages, aliases, rollback, descriptions, tags, cards.

Each action is a form POST carrying the page's CSRF token, runs through the
same ``Client`` (so the same services, rules, protections and audit trail as
the API) as the signed-in user, and answers with a redirect back to the page
(303), or with an error page: a promotion-policy refusal lists the rules the
version fails. Each route declares the role it needs on the model, so a user
without it is refused even if they forge the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote as urlquote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from modelreg.actor import acting_as, os_user
from modelreg.api.route_permissions import on_model
from modelreg.cards import CARD_FIELDS
from modelreg.entities import STAGES
from modelreg.errors import InvalidArgument
from modelreg.server.guard import Guard
from modelreg.server.ui.session import read_form, redirect
from modelreg.services.principal import current_principal

EDIT = on_model("edit")
VERSION = "/ui/models/{name}/versions/{version}"


def _model_url(name: str) -> str:
    return f"/ui/models/{urlquote(name, safe='')}"


def _version_url(name: str, version: int) -> str:
    return f"{_model_url(name)}/versions/{version}"


def required(form: dict[str, str], field: str) -> str:
    value = form.get(field, "").strip()
    if not value:
        raise InvalidArgument(f"the form needs a {field.replace('_', ' ')}")
    return value


def _number(form: dict[str, str], field: str) -> int:
    value = required(form, field)
    if not value.isdigit() or int(value) < 1:
        raise InvalidArgument(f"{field} must be a version number, got '{value[:20]}'")
    return int(value)


def confirmed(form: dict[str, str], what: str) -> None:
    """Refuses a form whose confirmation box (``confirm``) was not ticked."""
    if form.get("confirm") != "yes":
        raise InvalidArgument(f"tick the confirmation to {what}")


async def act(request: Request, back: str, change: Callable[[dict[str, str]], Any]) -> Response:
    """Reads and checks the form, makes the change in a worker thread as the signed-in user
    (with auth off: the local user the server runs as), returns to ``back``."""
    form = await read_form(request)
    principal = current_principal()
    signed_in = principal is not None and principal.user_id is not None
    actor = principal.username if principal is not None and signed_in else os_user()

    def as_actor() -> None:
        with acting_as(actor):
            change(form)

    await run_in_threadpool(as_actor)
    return redirect(request, back)


def build_actions_router(client: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post("/ui/models/{name}/description")
    @guard.requires(EDIT)
    async def model_description(request: Request, name: str) -> Response:
        """Replaces the model's description."""
        return await act(
            request,
            _model_url(name),
            lambda f: client.update_registered_model(name, f.get("description", "")),
        )

    @router.post("/ui/models/{name}/tags")
    @guard.requires(EDIT)
    async def model_tag(request: Request, name: str) -> Response:
        """Sets one tag of the model."""
        return await act(
            request,
            _model_url(name),
            lambda f: client.set_registered_model_tag(name, required(f, "key"), f.get("value", "")),
        )

    @router.post("/ui/models/{name}/tags/delete")
    @guard.requires(EDIT)
    async def model_tag_delete(request: Request, name: str) -> Response:
        """Deletes one tag of the model."""
        return await act(
            request,
            _model_url(name),
            lambda f: client.delete_registered_model_tag(name, required(f, "key")),
        )

    @router.post("/ui/models/{name}/aliases")
    @guard.requires(EDIT)
    async def alias(request: Request, name: str) -> Response:
        """Points an alias at a version (creating or moving it)."""
        return await act(
            request,
            _model_url(name),
            lambda f: client.set_registered_model_alias(
                name, required(f, "alias"), _number(f, "version")
            ),
        )

    @router.post("/ui/models/{name}/aliases/delete")
    @guard.requires(EDIT)
    async def alias_delete(request: Request, name: str) -> Response:
        """Deletes an alias."""
        return await act(
            request,
            _model_url(name),
            lambda f: client.delete_registered_model_alias(name, required(f, "alias")),
        )

    @router.post("/ui/models/{name}/rollback")
    @guard.requires(EDIT)
    async def rollback(request: Request, name: str) -> Response:
        """Gives a stage back to the version that held it before (confirmed on the form)."""

        def change(form: dict[str, str]) -> None:
            confirmed(form, "roll back")
            client.rollback(name, required(form, "stage"), form.get("reason") or None)

        return await act(request, _model_url(name), change)

    @router.post(VERSION + "/stage")
    @guard.requires(EDIT)
    async def stage(request: Request, name: str, version: int) -> Response:
        """Moves the version to a stage (optionally archiving the versions there)."""

        def change(form: dict[str, str]) -> None:
            target = required(form, "stage")
            if target not in STAGES:
                raise InvalidArgument(f"stage must be one of {', '.join(STAGES)}")
            client.transition_model_version_stage(
                name,
                version,
                target,
                archive_existing_versions=form.get("archive_existing") == "yes",
                reason=form.get("reason") or None,
            )

        return await act(request, _version_url(name, version), change)

    @router.post(VERSION + "/description")
    @guard.requires(EDIT)
    async def version_description(request: Request, name: str, version: int) -> Response:
        """Replaces the version's description."""
        return await act(
            request,
            _version_url(name, version),
            lambda f: client.update_model_version(name, version, f.get("description", "")),
        )

    @router.post(VERSION + "/tags")
    @guard.requires(EDIT)
    async def version_tag(request: Request, name: str, version: int) -> Response:
        """Sets one tag of the version."""
        return await act(
            request,
            _version_url(name, version),
            lambda f: client.set_model_version_tag(
                name, version, required(f, "key"), f.get("value", "")
            ),
        )

    @router.post(VERSION + "/tags/delete")
    @guard.requires(EDIT)
    async def version_tag_delete(request: Request, name: str, version: int) -> Response:
        """Deletes one tag of the version."""
        return await act(
            request,
            _version_url(name, version),
            lambda f: client.delete_model_version_tag(name, version, required(f, "key")),
        )

    @router.post(VERSION + "/card")
    @guard.requires(EDIT)
    async def card(request: Request, name: str, version: int) -> Response:
        """Writes the card's text fields (keeping its sections, licence and tags)."""

        def change(form: dict[str, str]) -> None:
            current = client.get_model_card(name, version)
            written = {f: form[f].strip() or None for f in CARD_FIELDS if f in form}
            client.set_model_card(
                name,
                version,
                {
                    **written,
                    # Metrics the registry fills in from the run are not the writer's.
                    "metrics": {} if "metrics" in current.auto_filled else current.metrics,
                    "sections": current.sections,
                    "license": current.license,
                    "tags": list(current.tags),
                },
            )

        return await act(request, _version_url(name, version), change)

    return router
