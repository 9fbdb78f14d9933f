"""A model's pip requirements changed by package: add (replacing the same package's
line where it stands) or remove (whatever its version specifier).

Packages are matched by their normalized names (PEP 503: ``Scikit_Learn`` is
``scikit-learn``), read with ``packaging``. Lines that name no package (``-e …``,
``--index-url …``) are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelreg.errors import InvalidArgument


def checked(requirements: Any, field: str) -> list[str]:
    """``requirements`` as a list of requirement lines (``"numpy>=2"``), each a valid
    PEP 508 requirement; raises ``InvalidArgument`` naming ``field`` and the line."""
    if isinstance(requirements, str) or not isinstance(requirements, Iterable):
        raise InvalidArgument(
            f"{field} must be a list of requirements, got {type(requirements).__name__}"
        )
    lines = list(requirements)
    for line in lines:
        if not isinstance(line, str):
            raise InvalidArgument(f"{field}: {line!r} is not a string")
        if package_name(line) is None:
            raise InvalidArgument(f"{field}: {line[:200]!r} is not a requirement (PEP 508)")
    return [line.strip() for line in lines]


def package_name(line: str) -> str | None:
    """The normalized package name ``line`` requires, or ``None`` when it names none."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return str(canonicalize_name(Requirement(line).name))
    except InvalidRequirement:
        return None


def added(requirements: Iterable[str], given: Iterable[str]) -> list[str]:
    """``requirements`` with each of ``given`` in place of the (first) line of its
    package, or after them when none is of its package."""
    wanted = {package_name(line) or line: line for line in given}
    result: list[str] = []
    placed: set[str] = set()
    for line in requirements:
        name = package_name(line) or line
        if name not in wanted:
            result.append(line)
        elif name not in placed:
            result.append(wanted[name])
            placed.add(name)
    return [*result, *(line for name, line in wanted.items() if name not in placed)]


def removed(requirements: Iterable[str], given: Iterable[str]) -> list[str]:
    """``requirements`` without the lines of the packages ``given`` names."""
    names = {name for name in map(package_name, given) if name is not None}
    return [line for line in requirements if package_name(line) not in names]
