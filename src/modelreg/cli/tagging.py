"""Setting and removing several tags in one command, all checked before any is written."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from modelreg.errors import NotFound
from modelreg.validation import check_tags


def set_tags(tags: Mapping[str, str], limit: int, set_one: Callable[[str, str], None]) -> None:
    """Sets each tag with ``set_one``; a bad key or value refuses them all, naming it."""
    for key, value in check_tags(dict(tags), "tags", limit).items():
        set_one(key, value)


def remove_tags(
    keys: Iterable[str], current: Mapping[str, str], what: str, delete_one: Callable[[str], None]
) -> None:
    """Removes each key with ``delete_one``; a key ``what`` does not have refuses them all."""
    wanted = list(dict.fromkeys(keys))
    missing = [key for key in wanted if key not in current]
    if missing:
        raise NotFound(f"{what} has no tag {', '.join(repr(k) for k in missing)}")
    for key in wanted:
        delete_one(key)
