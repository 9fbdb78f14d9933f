"""MLflow's module-level experiment functions: create, find, search, delete and tag
experiments without holding a ``Client`` (``modelreg.create_experiment(...)``)."""

from __future__ import annotations

from collections.abc import Sequence

from modelreg.entities import Experiment
from modelreg.fluent import current_client, current_experiment_id, every_page

_PAGE = 1000  # experiments asked for at a time (the most one page holds)


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
) -> str:
    """Creates an experiment and returns its id; see ``Client.create_experiment``."""
    return current_client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with that id; raises ``NotFound``."""
    return current_client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with that name, or ``None``."""
    return current_client().get_experiment_by_name(name)


def search_experiments(
    view_type: str = "ACTIVE_ONLY",
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Every experiment matching ``filter_string`` (all pages), or the first
    ``max_results``; see ``Client.search_experiments``.

    >>> [e.name for e in modelreg.search_experiments(filter_string="name LIKE 'fraud%'")]
    """
    client = current_client()
    return every_page(
        lambda wanted, token: client.search_experiments(
            view_type, wanted, filter_string, order_by, token
        ),
        max_results,
        _PAGE,
    )


def delete_experiment(experiment_id: str) -> None:
    """Deletes an experiment and its runs, restorably; see ``Client.delete_experiment``."""
    current_client().delete_experiment(experiment_id)


def restore_experiment(experiment_id: str) -> None:
    """Brings back a deleted experiment and its runs; see ``Client.restore_experiment``."""
    current_client().restore_experiment(experiment_id)


def delete_experiment_tag(key: str) -> None:
    """Removes a tag from the current experiment."""
    current_client().delete_experiment_tag(current_experiment_id(), key)


def set_experiment_tag(key: str, value: str) -> None:
    """Sets a tag on the current experiment (the one new runs go to)."""
    current_client().set_experiment_tag(current_experiment_id(), key, value)


def set_experiment_tags(tags: dict[str, str]) -> None:
    """Sets several tags on the current experiment."""
    experiment_id = current_experiment_id()
    client = current_client()
    for key, value in tags.items():
        client.set_experiment_tag(experiment_id, key, value)
