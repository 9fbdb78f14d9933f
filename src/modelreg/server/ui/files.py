"""Artifact files in the UI: downloads and previews of runs' and versions' files.

A download is always ``application/octet-stream`` with ``Content-Disposition:
attachment``, so a stored HTML or SVG file is never rendered by the browser
as a page of this site. Only raster images (PNG, JPEG, GIF, WebP) are served
inline, for the preview's ``<img>``.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from modelreg.errors import NotFound
from modelreg.server.ui.session import page

CHUNK = 1 << 20
PREVIEW_BYTES = 256 * 1024
PREVIEW_ROWS = 200
# A confusion matrix of more classes is shown as its JSON.
MATRIX_CLASSES = 100
TEXT = {".txt", ".md", ".log", ".py", ".cfg", ".ini", ".toml", ".yaml", ".yml", ".json", ".csv"}
TEXT_NAMES = {"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml", "LICENSE"}
IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
IMAGES[".webp"] = "image/webp"


def _suffix(path: str) -> str:
    return posixpath.splitext(path)[1].lower()


def previewable(path: str) -> bool:
    """Whether the UI can show the file on a page."""
    suffix = _suffix(path)
    return suffix in TEXT or suffix in IMAGES or posixpath.basename(path) in TEXT_NAMES


def entry(manifest: dict[str, Any], path: str) -> Any:
    """The manifest entry of exactly ``path``; raises ``NotFound``."""
    ref = manifest.get(path)
    if ref is None:
        raise NotFound(f"no file '{path[:200]}' here")
    return ref


def _filename(path: str) -> str:
    name = posixpath.basename(path) or "file"
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:120]


def download(blobs: Any, ref: Any, path: str, inline: bool = False) -> Response:
    """The file's bytes: an attachment, or an inline raster image."""
    image = IMAGES.get(_suffix(path)) if inline else None
    disposition = "inline" if image else "attachment"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{_filename(path)}"',
        "Content-Length": str(ref.size),
        "X-Content-Digest": f"sha256:{ref.digest}",
    }
    stream = blobs.open(ref.digest)

    def chunks() -> Any:
        with stream:
            while data := stream.read(CHUNK):
                yield data

    return StreamingResponse(
        chunks(), media_type=image or "application/octet-stream", headers=headers
    )


def _read_head(blobs: Any, digest: str) -> tuple[str, bool]:
    with blobs.open(digest) as stream:
        data = stream.read(PREVIEW_BYTES + 1)
    cut = len(data) > PREVIEW_BYTES
    return data[:PREVIEW_BYTES].decode("utf-8", errors="replace"), cut


def _content(path: str, text: str, cut: bool) -> dict[str, Any]:
    suffix = _suffix(path)
    if suffix == ".json" and not cut:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        else:
            matrix = confusion_matrix(value)
            if matrix is not None:
                return {"matrix": matrix}
            return {"text": json.dumps(value, indent=2, ensure_ascii=False)}
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))[: PREVIEW_ROWS + 1]
        if rows:
            return {"header": rows[0], "rows": rows[1:]}
    return {"text": text}


def confusion_matrix(value: Any) -> dict[str, Any] | None:
    """The labels (as text) and rows of a confusion matrix as ``modelreg.evaluate`` logs
    one (``{"labels": [n labels], "matrix": n rows of n counts}``, true labels down,
    predicted across), or ``None`` for any other JSON."""
    if not isinstance(value, dict) or set(value) != {"labels", "matrix"}:
        return None
    labels, rows = value["labels"], value["matrix"]
    n = len(labels) if isinstance(labels, list) else -1
    if not 0 < n <= MATRIX_CLASSES or not isinstance(rows, list) or len(rows) != n:
        return None
    counts = (c for row in rows if isinstance(row, list) and len(row) == n for c in row)
    if sum(1 for c in counts if type(c) is int and c >= 0) != n * n:
        return None
    return {"labels": [str(label) for label in labels], "rows": rows}


def preview_page(
    request: Request, blobs: Any, ref: Any, path: str, base: str, owner: str
) -> HTMLResponse:
    """A page showing the file: text (JSON indented, CSV as a table, a confusion matrix as
    one) or an image."""
    download_url = f"{base}/files/{path}"
    context: dict[str, Any] = {"path": path, "ref": ref, "download": download_url}
    if _suffix(path) in IMAGES:
        context["image"] = download_url + "?inline=1"
    elif previewable(path):
        text, cut = _read_head(blobs, ref.digest)
        context.update(_content(path, text, cut), cut=cut)
    else:
        context["unsupported"] = True
    return page(request, "preview.html", owner=owner, back=base, file=context)
