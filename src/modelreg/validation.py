"""Input checks shared by every entry point (Python API, REST, CLI).

Each check raises :class:`~modelreg.errors.InvalidArgument` with a message that
names the field and says what is wrong with it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from numbers import Real
from typing import Any
from urllib.parse import unquote

from modelreg.entities import STAGES
from modelreg.errors import InvalidArgument
from modelreg.lookalike import check_visible
from modelreg.path_safety import PERCENT_ESCAPE

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
# MLflow's limits, which its clients rely on: an experiment's notes and a prompt's
# template (a model version tag) are longer than a run's tags.
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20_000
MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
MAX_NAME_LENGTH = 256
MAX_DESCRIPTION_LENGTH = 100_000
MAX_BATCH_ITEMS = 10_000
# The largest integers the database columns hold: BIGINT everywhere, and INTEGER
# (32-bit on PostgreSQL) for ids and version numbers.
MAX_INT64 = 2**63 - 1
MAX_INT32 = 2**31 - 1

_KEY_RE = re.compile(r"[\w\-. /:]+")


def _preview(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


# NUL (which PostgreSQL's text cannot hold) and code points of an unpaired UTF-16
# surrogate (which UTF-8, so neither database, can hold): one rule for both
# databases, so both answer the same.
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def check_storable(value: str, field: str) -> str:
    """Refuses a string holding NUL or an unpaired surrogate, naming ``field``."""
    bad = _UNSTORABLE_RE.search(value)
    if bad is not None:
        what = "a NUL character" if bad.group() == "\x00" else "an unpaired surrogate"
        raise InvalidArgument(
            f"{field} contains {what} (U+{ord(bad.group()):04X}) at position {bad.start()}, "
            "which cannot be stored"
        )
    return value


def check_key(key: Any, field: str = "key") -> str:
    """A param, metric or tag key: 1–250 of letters, digits, ``_ - . / :`` and space
    (MLflow's rule, so every key an MLflow client logs is kept).

    ``..`` path segments and leading ``/`` are refused because keys end up in
    artifact-like paths and URLs.
    """
    if not isinstance(key, str):
        raise InvalidArgument(f"{field} must be a string, got {type(key).__name__}")
    if not key:
        raise InvalidArgument(f"{field} must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument(
            f"{field} '{_preview(key)}' is {len(key)} characters long; "
            f"the limit is {MAX_KEY_LENGTH}"
        )
    if not _KEY_RE.fullmatch(key):
        raise InvalidArgument(
            f"{field} '{_preview(key)}' contains characters other than letters, digits, "
            "'_', '-', '.', ':', ' ' and '/'"
        )
    if key.startswith("/") or ".." in key.split("/"):
        raise InvalidArgument(f"{field} '{_preview(key)}' must not start with '/' or contain '..'")
    return key


def check_string(value: Any, field: str, max_length: int) -> str:
    """A string value no longer than ``max_length``; numbers and bools are stringified."""
    if isinstance(value, bool | int | float):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string, got {type(value).__name__}")
    if len(value) > max_length:
        raise InvalidArgument(f"{field} is {len(value)} characters long; the limit is {max_length}")
    return check_storable(value, field)


def check_param_value(key: str, value: Any) -> str:
    if value is None:
        raise InvalidArgument(f"value of param '{key}' must not be None")
    return check_string(value, f"value of param '{key}'", MAX_PARAM_VALUE_LENGTH)


def check_tag_value(key: str, value: Any, limit: int = MAX_TAG_VALUE_LENGTH) -> str:
    if value is None:
        raise InvalidArgument(f"value of tag '{key}' must not be None")
    return check_string(value, f"value of tag '{key}'", limit)


def check_tags(tags: Any, field: str = "tags", limit: int = MAX_TAG_VALUE_LENGTH) -> dict[str, str]:
    """A mapping of tag key to value (None: empty), each value at most ``limit`` long."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidArgument(f"{field} must be a mapping of key to value")
    return {check_key(k, "tag key"): check_tag_value(k, val, limit) for k, val in tags.items()}


def check_metric_value(key: str, value: Any) -> float:
    """A real number; NaN and ±inf are accepted and stored as such."""
    if isinstance(value, bool) or not isinstance(value, Real):
        # numpy scalars are Real; strings are not, even "1.0".
        raise InvalidArgument(
            f"value of metric '{key}' must be a number, got {type(value).__name__} {value!r:.40}"
        )
    return float(value)


def check_int(value: Any, field: str, minimum: int | None = None, maximum: int = MAX_INT64) -> int:
    """An integer (or its decimal text, or an integral float) from ``minimum`` (default
    ``-2**63``) to ``maximum`` (default ``2**63 - 1``, what a BIGINT column holds)."""
    if isinstance(value, bool):
        raise InvalidArgument(f"{field} must be an integer, got bool")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        text = value.strip()
        if len(text.lstrip("-").lstrip("0")) > 19:  # more digits than any 64-bit integer
            raise InvalidArgument(f"{field} must be at most {maximum}, got {text[:40]}…")
        value = int(text)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise InvalidArgument(f"{field} must be an integer, got {value!r:.40}")
    low = -MAX_INT64 - 1 if minimum is None else minimum
    if value < low:
        raise InvalidArgument(f"{field} must be at least {low}, got {str(value)[:40]}")
    if value > maximum:
        raise InvalidArgument(f"{field} must be at most {maximum}, got {str(value)[:40]}")
    return value


def check_objects(value: Any, field: str) -> list[dict[str, Any]]:
    """A JSON list of objects, as MLflow sends tags, params and metrics (None: empty)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidArgument(f"{field} must be a list of objects, got {value!r:.60}")
    return value


def check_name(name: Any, field: str = "name", *, slashes: bool = False) -> str:
    """An experiment or registered-model name, returned in its one canonical form.

    The canonical form is URL-decoded once and in Unicode NFC, so names that
    read the same (``a b`` and ``a%20b``, ``café`` composed or decomposed) are
    one name. Non-empty, at most 256 characters, not ``.`` or ``..``, no
    '/' unless ``slashes``, no character that shows nothing or changes how the rest shows
    (:func:`modelreg.lookalike.check_visible`: control, format, zero-width,
    bidirectional-control, filler characters …), no URL escape left after
    decoding, and no leading or trailing white space (which would make
    look-alike names). Whether it *looks like* another name is for the store
    to say (:mod:`modelreg.lookalike`).
    """
    if not isinstance(name, str):
        raise InvalidArgument(f"{field} must be a string, got {type(name).__name__}")
    check_storable(name, field)
    if PERCENT_ESCAPE.search(name):
        try:
            decoded = unquote(name, errors="strict")
        except UnicodeDecodeError:
            raise InvalidArgument(
                f"{field} '{_preview(name)}' is not valid UTF-8 once URL-decoded"
            ) from None
        if PERCENT_ESCAPE.search(decoded):
            raise InvalidArgument(
                f"{field} '{_preview(name)}' is URL-encoded twice; name it as it reads"
            )
        name = decoded
    name = unicodedata.normalize("NFC", name)
    if not name.strip():
        raise InvalidArgument(f"{field} must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(
            f"{field} '{_preview(name)}' is {len(name)} characters long; "
            f"the limit is {MAX_NAME_LENGTH}"
        )
    if "/" in name and not slashes:
        raise InvalidArgument(f"{field} '{_preview(name)}' must not contain '/'")
    check_visible(name, field)
    if name != name.strip():
        raise InvalidArgument(f"{field} '{_preview(name)}' must not start or end with white space")
    if name in (".", ".."):
        raise InvalidArgument(f"{field} must not be '.' or '..', which no URL can carry")
    return name


def check_experiment_name(name: Any, field: str = "experiment name") -> str:
    """An experiment name, as :func:`check_name` but '/' is allowed, as MLflow allows it
    (``/Users/me@example.com/churn`` is a Databricks workspace path): nothing reads an
    experiment name as a path, and a server's route carries it part by part."""
    return check_name(name, field, slashes=True)


MAX_ALIAS_LENGTH = 256


def check_alias(alias: Any) -> str:
    """An alias being set: letters, digits, ``_ - .``; not ``latest``, ``3`` or ``v3``,
    which name versions; no invisible or formatting character (see :func:`check_name`)."""
    if not isinstance(alias, str) or not alias:
        raise InvalidArgument(f"alias must be a non-empty string, got {alias!r:.40}")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidArgument(f"alias '{alias[:40]}…' is longer than {MAX_ALIAS_LENGTH} characters")
    check_storable(alias, "alias")
    check_visible(alias, "alias")
    if not all(ch.isalnum() or ch in "_-." for ch in alias):
        raise InvalidArgument(
            f"alias '{alias:.40}' may only contain letters, digits, '_', '-' and '.'"
        )
    lowered = alias.lower()
    if lowered == "latest" or alias.isdigit() or (lowered[:1] == "v" and alias[1:].isdigit()):
        raise InvalidArgument(
            f"alias '{alias}' is reserved: 'latest', numbers and v<number> name versions"
        )
    return alias


def check_alias_name(alias: Any) -> str:
    """An alias being looked up or deleted: any non-empty string (unknown ones are NotFound)."""
    if not isinstance(alias, str) or not alias:
        raise InvalidArgument(f"alias must be a non-empty string, got {alias!r:.40}")
    return alias


_CANONICAL_STAGES = {s.lower(): s for s in STAGES}


def check_stage(stage: Any) -> str:
    """A stage name in any case, returned canonical (``production`` → ``Production``).

    Raises ``InvalidArgument`` listing the stages.
    """
    if isinstance(stage, str) and stage.lower() in _CANONICAL_STAGES:
        return _CANONICAL_STAGES[stage.lower()]
    raise InvalidArgument(f"stage {stage!r:.40} is not one of {', '.join(STAGES)}")


def check_version(version: Any) -> int:
    """A model version number: an integer. Versions are numbered from 1; a lookup of
    0 or a negative number finds no version (``NotFound``, as MLflow answers)."""
    return check_int(version, "version")


def check_description(value: Any, field: str = "description") -> str | None:
    if value is None:
        return None
    return check_string(value, field, MAX_DESCRIPTION_LENGTH)


def check_batch_size(count: int, what: str) -> None:
    if count > MAX_BATCH_ITEMS:
        raise InvalidArgument(f"a batch holds at most {MAX_BATCH_ITEMS} {what}; got {count}")
