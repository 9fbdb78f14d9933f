"""MLflow's module-level registry searches: registered models and versions matching a
filter, as lists, without holding a ``Client`` (``modelreg.search_model_versions(...)``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelreg.entities import ModelVersion, RegisteredModel
from modelreg.fluent import current_client, every_page

_PAGE = 1000  # models or versions asked for at a time


def set_model_version_tag(name: str, version: int | str, key: str, value: Any) -> None:
    """Sets a tag on a model version; see ``Client.set_model_version_tag``."""
    current_client().set_model_version_tag(name, version, key, value)


def search_registered_models(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[RegisteredModel]:
    """Every registered model matching ``filter_string`` (all pages), or the first
    ``max_results``; see ``Client.search_registered_models`` for the filter and order.
    Raises ``InvalidArgument`` for a malformed filter or order.

    >>> [m.name for m in modelreg.search_registered_models(filter_string="tags.team = 'risk'")]
    """
    client = current_client()
    return every_page(
        lambda wanted, token: client.search_registered_models(
            filter_string, wanted, order_by, token
        ),
        max_results,
        _PAGE,
    )


def search_model_versions(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[ModelVersion]:
    """Every model version matching ``filter_string`` (all pages), or the first
    ``max_results``; see ``Client.search_model_versions`` for the filter and order.
    Raises ``InvalidArgument`` for a malformed filter or order.

    >>> modelreg.search_model_versions(filter_string="name = 'fraud' AND stage = 'Production'")
    """
    client = current_client()
    return every_page(
        lambda wanted, token: client.search_model_versions(filter_string, wanted, order_by, token),
        max_results,
        _PAGE,
    )
