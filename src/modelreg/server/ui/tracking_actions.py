"""What a person can change of experiments and runs from the UI: names, tags, a run's
description, deleting and restoring.

As the registry's actions (:mod:`modelreg.server.ui.actions`): a form POST with
the page's CSRF token, made through the same ``Client`` as the signed-in user,
answered with a redirect back to the page. Renaming, deleting and restoring
need the manage role on the experiment (or the run's experiment), the rest edit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote as urlquote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from modelreg.api.route_permissions import on_experiment, on_run
from modelreg.server.guard import Guard
from modelreg.server.ui.actions import act, confirmed, required

# MLflow keeps a run's description in this tag; its UI and ours show it as Markdown.
RUN_NOTE_TAG = "mlflow.note.content"
RUN = "/ui/runs/{run_id}"
EXPERIMENT = "/ui/experiments/{experiment_id}"


def _run_url(run_id: str) -> str:
    return f"/ui/runs/{urlquote(run_id, safe='')}"


def _experiment_url(experiment_id: str) -> str:
    return f"/ui/experiments/{urlquote(experiment_id, safe='')}"


def build_tracking_actions_router(client: Any, guard: Guard) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post(RUN + "/name")
    @guard.requires(on_run("edit"))
    async def run_name(request: Request, run_id: str) -> Response:
        """Renames the run."""
        return await act(
            request, _run_url(run_id), lambda f: client.update_run(run_id, name=required(f, "name"))
        )

    @router.post(RUN + "/description")
    @guard.requires(on_run("edit"))
    async def run_description(request: Request, run_id: str) -> Response:
        """Replaces the run's description (MLflow's note tag); empty removes it."""

        def change(form: dict[str, str]) -> None:
            text = form.get("description", "")
            if text:
                client.set_tag(run_id, RUN_NOTE_TAG, text)
            elif RUN_NOTE_TAG in client.get_run(run_id).data.tags:
                client.delete_tag(run_id, RUN_NOTE_TAG)

        return await act(request, _run_url(run_id), change)

    @router.post(RUN + "/tags")
    @guard.requires(on_run("edit"))
    async def run_tag(request: Request, run_id: str) -> Response:
        """Sets one tag of the run."""
        return await act(
            request,
            _run_url(run_id),
            lambda f: client.set_tag(run_id, required(f, "key"), f.get("value", "")),
        )

    @router.post(RUN + "/tags/delete")
    @guard.requires(on_run("edit"))
    async def run_tag_delete(request: Request, run_id: str) -> Response:
        """Deletes one tag of the run."""
        return await act(
            request, _run_url(run_id), lambda f: client.delete_tag(run_id, required(f, "key"))
        )

    @router.post(RUN + "/delete")
    @guard.requires(on_run("manage"))
    async def run_delete(request: Request, run_id: str) -> Response:
        """Deletes the run, restorably (confirmed on the form)."""

        def change(form: dict[str, str]) -> None:
            confirmed(form, "delete the run")
            client.delete_run(run_id)

        return await act(request, _run_url(run_id), change)

    @router.post(RUN + "/restore")
    @guard.requires(on_run("manage"))
    async def run_restore(request: Request, run_id: str) -> Response:
        """Restores a deleted run."""
        return await act(request, _run_url(run_id), lambda f: client.restore_run(run_id))

    @router.post(EXPERIMENT + "/name")
    @guard.requires(on_experiment("manage"))
    async def experiment_name(request: Request, experiment_id: str) -> Response:
        """Renames the experiment."""
        return await act(
            request,
            _experiment_url(experiment_id),
            lambda f: client.rename_experiment(experiment_id, required(f, "name")),
        )

    @router.post(EXPERIMENT + "/tags")
    @guard.requires(on_experiment("edit"))
    async def experiment_tag(request: Request, experiment_id: str) -> Response:
        """Sets one tag of the experiment."""
        return await act(
            request,
            _experiment_url(experiment_id),
            lambda f: client.set_experiment_tag(
                experiment_id, required(f, "key"), f.get("value", "")
            ),
        )

    @router.post(EXPERIMENT + "/tags/delete")
    @guard.requires(on_experiment("edit"))
    async def experiment_tag_delete(request: Request, experiment_id: str) -> Response:
        """Deletes one tag of the experiment."""
        return await act(
            request,
            _experiment_url(experiment_id),
            lambda f: client.delete_experiment_tag(experiment_id, required(f, "key")),
        )

    @router.post(EXPERIMENT + "/delete")
    @guard.requires(on_experiment("manage"))
    async def experiment_delete(request: Request, experiment_id: str) -> Response:
        """Deletes the experiment and its runs, restorably (confirmed on the form)."""

        def change(form: dict[str, str]) -> None:
            confirmed(form, "delete the experiment")
            client.delete_experiment(experiment_id)

        return await act(request, _experiment_url(experiment_id), change)

    @router.post(EXPERIMENT + "/restore")
    @guard.requires(on_experiment("manage"))
    async def experiment_restore(request: Request, experiment_id: str) -> Response:
        """Restores a deleted experiment and its runs."""
        back = _experiment_url(experiment_id)
        return await act(request, back, lambda f: client.restore_experiment(experiment_id))

    return router
