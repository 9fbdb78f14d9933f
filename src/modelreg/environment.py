"""The Python environment a model was saved in: interpreter and package versions.

Versions come from installed package metadata (:mod:`importlib.metadata`),
looked up by name for the few packages that matter to a model. Nothing runs
in a subprocess and nothing asks pip, so capturing costs milliseconds, not
the seconds a requirements inference by import tracing would.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable
from importlib import metadata
from typing import Any

__all__ = ["capture_environment", "package_version", "requirements_for"]


def package_version(name: str) -> str | None:
    """The installed version of distribution ``name`` (``-``/``_`` agnostic), or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def capture_environment(packages: Iterable[str] = ()) -> dict[str, Any]:
    """Python version, implementation, platform and the installed versions of ``packages``.

    Packages that are not installed are left out rather than failing: a model
    saved from a module that is not a distribution simply has no entry for it.
    """
    versions = {}
    for name in sorted(set(packages)):
        version = package_version(name)
        if version is not None:
            versions[name] = version
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": f"{sys.platform}-{platform.machine()}",
        "packages": versions,
    }


def requirements_for(environment: dict[str, Any]) -> list[str]:
    """Pinned requirement lines (``name==version``) for the packages of an environment."""
    return [f"{name}=={version}" for name, version in sorted(environment["packages"].items())]
