"""A run's image series as the UI shows them (see :mod:`modelreg.image_series`): on the
run's page, per key, the latest image's thumbnail with a slider over the steps; on the
page comparing runs, per key, each run's image at one step, the slider shared."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from modelreg import image_series

# Images of one series the slider steps through; a longer series is sampled evenly (its
# first and last kept), so a page stays small however often a run logs images.
SLIDER_STEPS = 200


def _shown(image: image_series.SeriesImage) -> dict[str, Any]:
    """One image as the page's script needs it: its step and the URL-quoted paths of the
    image and of its thumbnail (the image itself when it has none)."""
    return {
        "step": image.step,
        "path": quote(image.path),
        "thumbnail": quote(image.thumbnail or image.path),
    }


def sampled(images: Sequence[Any], most: int = SLIDER_STEPS) -> list[Any]:
    """``images``, or ``most`` of them evenly spread from the first to the last."""
    if len(images) <= most:
        return list(images)
    last = len(images) - 1
    return [images[round(i * last / (most - 1))] for i in range(most)]


def series_view(paths: Iterable[str]) -> list[dict[str, Any]]:
    """Per series of one run, in key order: its key, how many images it has, and the
    steps the slider offers (all, or :data:`SLIDER_STEPS` sampled) in order."""
    views = []
    for key, images in image_series.series_of(paths).items():
        steps = [_shown(image) for image in sampled(images)]
        views.append({"key": key, "count": len(images), "steps": steps, "last": steps[-1]})
    return views


def comparison_view(paths_of_runs: Sequence[Iterable[str]]) -> list[dict[str, Any]]:
    """Per key any of the runs has a series of, in key order: the steps any of them has,
    and per run (in order) its images of that series in step order (``[]`` for none;
    :data:`SLIDER_STEPS` sampled of a longer series)."""
    found = [image_series.series_of(paths) for paths in paths_of_runs]
    rows = []
    for key in sorted({key for series in found for key in series}):
        cells = [[_shown(image) for image in sampled(series.get(key, []))] for series in found]
        steps = sorted({image["step"] for cell in cells for image in cell})
        rows.append({"key": key, "steps": steps, "cells": cells})
    return rows
