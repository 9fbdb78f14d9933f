"""One folder of a run's, version's or logged model's files, as the UI lists them.

Most runs hold a few files, listed whole. A run may hold tens of thousands (a
folder of images, a sharded checkpoint): past :data:`FLAT_UP_TO` files, a page
shows the folders and files directly inside one folder, each folder with how
many files it holds and their size, and at most :data:`MAX_FILES_SHOWN` files,
saying how many more there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelreg.artifact_files import check_artifact_path
from modelreg.errors import NotFound

FLAT_UP_TO = 100
MAX_FILES_SHOWN = 500


@dataclass
class Folder:
    """A folder inside the one listed: its full path, its name, and what it holds."""

    path: str
    name: str
    files: int = 0
    size: int = 0


@dataclass
class FileListing:
    """The folders and files directly inside ``folder`` (``""``: the top), with the
    breadcrumbs leading there as (name, path) pairs, and ``hidden`` files not shown."""

    folder: str
    crumbs: list[tuple[str, str]]
    folders: list[Folder] = field(default_factory=list)
    files: list[tuple[str, Any]] = field(default_factory=list)
    hidden: int = 0

    @property
    def total(self) -> int:
        """Every file at or below the folder."""
        return sum(f.files for f in self.folders) + len(self.files) + self.hidden


def checked_folder(folder: str) -> str:
    """``folder`` as a manifest path (no trailing slash), or ``""`` for the top.

    Raises ``InvalidArgument`` for a path that could never be one (``..``, ``\\``)."""
    return check_artifact_path(folder, "folder", allow_root=True)


def listing(manifest: dict[str, Any], folder: str) -> FileListing:
    """The view of ``folder`` (see :func:`checked_folder`) of a manifest of path → entry
    holding at least what is below it. Raises ``NotFound`` for a folder holding nothing."""
    prefix = folder + "/" if folder else ""
    parts = folder.split("/") if folder else []
    found = FileListing(folder, [(p, "/".join(parts[: i + 1])) for i, p in enumerate(parts)])
    folders: dict[str, Folder] = {}
    below = sorted(path for path in manifest if path.startswith(prefix))
    flat = len(below) <= FLAT_UP_TO
    for path in below:
        ref = manifest[path]
        name, slash, _ = path[len(prefix) :].partition("/")
        if slash and not flat:
            inner = folders.setdefault(name, Folder(prefix + name, name))
            inner.files += 1
            inner.size += ref.size
        elif len(found.files) < MAX_FILES_SHOWN:
            found.files.append((path, ref))
        else:
            found.hidden += 1
    found.folders = list(folders.values())
    if folder and not found.total:
        raise NotFound(f"no folder '{folder[:200]}' here")
    return found


def folder_of(manifest: Callable[[str], dict[str, Any]], folder: str) -> FileListing:
    """The view of ``folder`` (as a page's query gives it) of the files that ``manifest``
    returns at or below a path. Raises ``InvalidArgument`` for a bad folder and
    ``NotFound`` for one that holds nothing."""
    folder = checked_folder(folder)
    return listing(manifest(folder), folder)
