"""Image series: one image per training step under a key, as MLflow's
``log_image(image, key=..., step=...)`` keeps them.

Each image is two artifact files of the run in the ``images/`` folder, named as
MLflow 3 names them so that series logged by the MLflow client against a
``modelreg server``, or brought over by ``import-mlflow``, are read the same way::

    images/<key>+step+<step>+timestamp+<ms>+<uuid>.png              full size
    images/<key>+step+<step>+timestamp+<ms>+<uuid>+compressed.webp  thumbnail

A ``/`` in the key is written ``~`` (a file name has no folders); MLflow 2 wrote
``%`` where ``+`` stands, and such names are read too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from modelreg.errors import InvalidArgument

FOLDER = "images"
# The tag MLflow's UI reads to show a run's images.
LOGGED_IMAGES_TAG = "mlflow.loggedImages"
THUMBNAIL_PIXELS = 256
MAX_KEY_LENGTH = 250
_INT64 = 2**63
_KEY = re.compile(r"[A-Za-z0-9_\-./ ]+")
# The key's characters exclude both separators, so each part ends where the next
# separator starts: no backtracking over the name.
_NAME = re.compile(
    r"(?P<key>[A-Za-z0-9_\-. ~]+)[+%]step[+%](?P<step>-?[0-9]{1,19})"
    r"[+%]timestamp[+%](?P<timestamp>[0-9]{1,19})[+%](?P<id>[0-9A-Fa-f-]{1,64})"
    r"(?P<compressed>[+%]compressed)?\.(?P<ext>png|webp)"
)


@dataclass(frozen=True)
class SeriesImage:
    """One image of a series: its step, when it was logged (ms since the epoch), the
    artifact path of the full image and of its thumbnail (``None`` when it has none)."""

    step: int
    timestamp: int
    path: str
    thumbnail: str | None


def check_key(key: Any) -> str:
    """``key`` if it names a series: 1 to 250 letters, digits, ``_ - . /`` or spaces
    (MLflow's rule); raises ``InvalidArgument`` naming what is wrong."""
    if not isinstance(key, str):
        raise InvalidArgument(f"key must be a string, got {type(key).__name__}")
    if not key.strip():
        raise InvalidArgument("key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument(f"key is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}")
    if not _KEY.fullmatch(key):
        raise InvalidArgument(
            f"key {key[:200]!r} may only hold letters, digits, '_', '-', '.', '/' and spaces"
        )
    return key


def check_position(name: str, value: Any) -> int:
    """``value`` as a step or a timestamp: an integer in 64 bits (``bool`` is refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name} must be an integer, got {type(value).__name__}")
    if not -_INT64 <= value < _INT64 or (name == "timestamp" and value < 0):
        raise InvalidArgument(f"{name} {value} is out of range")
    return value


def file_names(key: str, step: int, timestamp: int) -> tuple[str, str]:
    """The names, in ``images/``, of a new image of the series ``key`` at ``step``: the
    full image's and its thumbnail's (unique, so that logging a step again keeps both)."""
    stem = f"{key.replace('/', '~')}+step+{step}+timestamp+{timestamp}+{uuid.uuid4()}"
    return f"{stem}.png", f"{stem}+compressed.webp"


def current_name(path: str) -> str:
    """``path``, or for a file of a series named as MLflow 2 named them (``%`` between
    the parts, which other tools read as percent-escapes) the name MLflow 3 gives it."""
    folder, _, name = path.rpartition("/")
    if folder == FOLDER and "%" in name and _NAME.fullmatch(name):
        return f"{folder}/{name.replace('%', '+')}"
    return path


def series_of(paths: Iterable[str]) -> dict[str, list[SeriesImage]]:
    """The image series among a run's artifact paths: key → its images by step (and,
    within a step, by time), keys sorted. Other files of ``images/`` are left out."""
    full: dict[str, tuple[str, int, int, str]] = {}
    thumbnails: dict[str, str] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        if folder != FOLDER:
            continue
        match = _NAME.fullmatch(name)
        if match is None:
            continue
        if match.group("compressed"):
            thumbnails[name[: match.start("compressed")]] = path
        elif match.group("ext") == "png":
            key = match.group("key").replace("~", "/")
            step, timestamp = int(match.group("step")), int(match.group("timestamp"))
            full[name[: -len(".png")]] = (key, step, timestamp, path)
    series: dict[str, list[SeriesImage]] = {}
    for stem, (key, step, timestamp, path) in full.items():
        image = SeriesImage(step, timestamp, path, thumbnails.get(stem))
        series.setdefault(key, []).append(image)
    return {
        key: sorted(images, key=lambda i: (i.step, i.timestamp, i.path))
        for key, images in sorted(series.items())
    }


def thumbnail(image: Any) -> Any:
    """A copy of the PIL ``image`` that fits in 256 × 256 pixels, keeping its aspect, in a
    mode WebP can hold."""
    small = image.copy()
    small.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
    if small.mode not in ("RGB", "RGBA"):
        small = small.convert("RGBA" if "A" in small.getbands() else "RGB")
    return small
