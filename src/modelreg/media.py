"""Figures and images as the bytes of an artifact file, in the format its name says.

``log_figure`` takes a matplotlib or plotly figure, ``log_image`` a PIL image or
a numpy array (as MLflow's do). Each library is imported only when such an
object is given; arrays are encoded with Pillow (``pip install 'modelreg[images]'``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.extras import needs_extras

_CHANNELS = (1, 3, 4)


def figure_bytes(
    figure: Any, artifact_file: str, save_kwargs: Mapping[str, Any] | None = None
) -> bytes:
    """The figure drawn in the format ``artifact_file``'s extension names (``.png``,
    ``.svg``, ``.pdf`` …; ``.html`` for plotly, which needs kaleido for images), with
    ``save_kwargs`` for the library's save call (matplotlib's ``savefig``: ``dpi``,
    ``bbox_inches`` …; plotly's ``to_html`` or ``to_image``).

    Raises ``InvalidArgument`` for another kind of object, a format the figure's
    library cannot write, or ``save_kwargs`` it refuses.
    """
    suffix = _suffix(artifact_file)
    options = dict(save_kwargs or {})
    if "format" in options:
        raise InvalidArgument("save_kwargs: the format is the artifact file's extension")
    library = type(figure).__module__.split(".")[0]
    if library == "matplotlib" and hasattr(figure, "savefig"):
        supported = figure.canvas.get_supported_filetypes()
        if suffix not in supported:
            raise _unsupported(artifact_file, "matplotlib", sorted(supported))
        buffer = io.BytesIO()
        try:
            figure.savefig(buffer, format=suffix, **options)
        except (TypeError, ValueError, AttributeError) as exc:
            raise InvalidArgument(f"save_kwargs: matplotlib refused them: {exc}") from None
        return buffer.getvalue()
    if library == "plotly" and hasattr(figure, "to_html"):
        if suffix in ("html", "htm"):
            # plotly.js inside the file: viewing it needs no network.
            options = {"include_plotlyjs": True, "full_html": True, **options}
            return str(figure.to_html(**options)).encode()
        try:
            return bytes(figure.to_image(format=suffix, **options))
        except (ValueError, ImportError, RuntimeError) as exc:
            raise InvalidArgument(
                f"artifact_file '{artifact_file}': plotly could not write .{suffix} ({exc}); "
                "name the file .html, or install kaleido for images"
            ) from None
    raise InvalidArgument(
        f"figure must be a matplotlib or plotly figure, got {type(figure).__name__}"
    )


def image_bytes(image: Any, artifact_file: str) -> bytes:
    """The image encoded in the format ``artifact_file``'s extension names (``.png``,
    ``.jpg``, ``.webp`` …).

    ``image`` is a PIL image or a numpy array of shape H×W, H×W×1, H×W×3
    (RGB) or H×W×4 (RGBA): integers from 0 to 255, or floats from 0 to 1.
    Raises ``InvalidArgument`` naming what is wrong with it,
    ``MissingDependency`` when Pillow is not installed.
    """
    suffix = _suffix(artifact_file)
    return encoded(pil_image(image), suffix, artifact_file)


def pil_image(image: Any) -> Any:
    """``image`` (a PIL image, or a numpy array as :func:`image_bytes` takes) as a PIL
    image; raises ``InvalidArgument`` for anything else, ``MissingDependency`` when
    Pillow is not installed."""
    with needs_extras():
        from PIL import Image
    if type(image).__module__.split(".")[0] == "numpy":
        image = Image.fromarray(_as_bytes(image))
    if not isinstance(image, Image.Image):
        kind = type(image).__name__
        raise InvalidArgument(f"image must be a PIL image or a numpy array, got {kind}")
    return image


def encoded(image: Any, suffix: str, artifact_file: str) -> bytes:
    """The PIL ``image`` in the format of the extension ``suffix`` (``png``, ``webp`` …);
    ``InvalidArgument`` names ``artifact_file`` when Pillow cannot write the image so."""
    from PIL import Image

    formats = Image.registered_extensions()
    image_format = formats.get(f".{suffix}")
    if image_format is None:
        writable = sorted(ext[1:] for ext, name in formats.items() if name in Image.SAVE)
        raise _unsupported(artifact_file, "Pillow", writable)
    if image_format == "JPEG" and image.mode in ("RGBA", "LA"):
        raise InvalidArgument(
            f"artifact_file '{artifact_file}': JPEG has no transparency; use .png for an "
            "image with an alpha channel"
        )
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=image_format)
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidArgument(
            f"artifact_file '{artifact_file}': Pillow cannot write a {image.mode} image "
            f"as {image_format} ({exc})"
        ) from None
    return buffer.getvalue()


def _as_bytes(array: Any) -> Any:
    """The array as uint8 pixels Pillow takes (H×W or H×W×3/4), checked."""
    import numpy as np

    if array.size == 0:
        raise InvalidArgument(f"image is empty (shape {array.shape})")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim != 2 and not (array.ndim == 3 and array.shape[2] in _CHANNELS):
        raise InvalidArgument(
            f"image must have shape H×W, H×W×1, H×W×3 or H×W×4, got {tuple(array.shape)}"
        )
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.integer):
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise InvalidArgument(
                f"image values must be from 0 to 255 for integers, got {low} to {high}"
            )
        return array.astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        least, most = float(array.min()), float(array.max())
        if math.isnan(least) or math.isnan(most) or least < 0 or most > 1:
            raise InvalidArgument(
                f"image values must be from 0 to 1 for floats, got {least} to {most}"
            )
        return np.rint(array * 255).astype(np.uint8)
    raise InvalidArgument(f"image values must be numbers, got dtype {array.dtype}")


def _suffix(artifact_file: str) -> str:
    name = artifact_file.rsplit("/", 1)[-1] if isinstance(artifact_file, str) else ""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or not suffix:
        raise InvalidArgument(
            f"artifact_file '{artifact_file}' has no extension to name its format "
            "(plot.png, plot.svg …)"
        )
    return suffix.lower()


def _unsupported(artifact_file: str, library: str, formats: list[str]) -> InvalidArgument:
    return InvalidArgument(
        f"artifact_file '{artifact_file}': {library} cannot write that format; "
        f"use one of {', '.join(formats)}"
    )
