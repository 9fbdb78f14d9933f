"""A run's image series as its page shows them: per key, the latest image's thumbnail
with a slider over the steps (see :mod:`modelreg.image_series`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from modelreg import image_series


def series_view(paths: Iterable[str]) -> list[dict[str, Any]]:
    """Per series, in key order: its key and its steps in order, each with the
    URL-quoted artifact paths of the image and of its thumbnail (the image itself when
    it has none)."""
    views = []
    for key, images in image_series.series_of(paths).items():
        steps = [
            {
                "step": image.step,
                "path": quote(image.path),
                "thumbnail": quote(image.thumbnail or image.path),
            }
            for image in images
        ]
        views.append({"key": key, "steps": steps, "last": steps[-1]})
    return views
