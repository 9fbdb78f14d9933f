"""Semantic versions of model versions: parsing, ordering, bumping and ranges.

Parsing and ordering follow SemVer 2.0 through the ``semver`` library. Ranges
follow npm's grammar, which most people know from package managers:

==============  =========================================================
range           matches
==============  =========================================================
``1.2.3``       exactly 1.2.3 (``=1.2.3`` and ``v1.2.3`` too)
``^1.2``        >=1.2.0 <2.0.0 (``^0.2.3``: <0.3.0, ``^0.0.3``: <0.0.4)
``~1.2.3``      >=1.2.3 <1.3.0 (``~1``: <2.0.0)
``>=2,<3``      every comparator holds (``,`` or spaces separate them)
``1.x``         >=1.0.0 <2.0.0 (also ``1.*``, ``1``, ``1.2.x``, ``*``)
==============  =========================================================

Partial versions in comparators widen as in npm: ``>2`` means ``>=3.0.0`` and
``<=2.1`` means ``<2.2.0``. A pre-release version only matches a range that
names a pre-release of the same ``major.minor.patch``, so ``^1.2`` never picks
``2.0.0-rc.1``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import semver

from modelreg.errors import InvalidArgument

__all__ = [
    "BUMPS",
    "FIRST",
    "Range",
    "bump",
    "check_bump",
    "highest",
    "is_valid",
    "parse",
    "parse_range",
    "sort_key",
]

FIRST = "1.0.0"
BUMPS = ("major", "minor", "patch", "auto")

Version = semver.Version

# A partial version as ranges write it: "1", "1.2", "1.x", "1.2.*", "1.2.3-rc.1".
_PARTIAL_RE = re.compile(
    r"v?(?P<major>\d+|[xX*])"
    r"(?:\.(?P<minor>\d+|[xX*])"
    r"(?:\.(?P<patch>\d+|[xX*])"
    r"(?:-(?P<prerelease>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?)?)?"
)
_COMPARATOR_RE = re.compile(r"(?P<op>\^|~|>=|<=|>|<|==|=|!=)?\s*(?P<version>\S+)")


# Parsed versions by their text. Not an lru_cache: bump() puts in the version it
# makes, so when the next version is registered, the highest one (and the new
# row's MAJOR.MINOR.PATCH columns) are found here instead of parsed again.
_PARSED: dict[str, Version] = {}
_PARSED_LIMIT = 65_536


def _parse_cached(text: str) -> Version:
    version = _PARSED.get(text)
    if version is None:
        version = Version.parse(text)
        _remember(text, version)
    return version


def _remember(text: str, version: Version) -> None:
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.clear()
    _PARSED[text] = version


def parse(text: str, field: str = "semver") -> Version:
    """Parses a full SemVer 2.0 string (a leading ``v`` is allowed).

    Raises ``InvalidArgument`` naming ``field`` when ``text`` is not one.
    """
    if not isinstance(text, str):
        raise InvalidArgument(f"{field} must be a string, got {type(text).__name__}")
    core = text[1:] if text[:1] in ("v", "V") else text
    try:
        return _parse_cached(core)
    except ValueError:
        raise InvalidArgument(
            f"{field} '{text:.60}' is not a valid semantic version (MAJOR.MINOR.PATCH, "
            "optionally -prerelease and +build, e.g. 1.4.0 or 2.0.0-rc.1)"
        ) from None


def is_valid(text: str) -> bool:
    """True when ``text`` is a full SemVer 2.0 string (leading ``v`` allowed)."""
    try:
        parse(text)
    except InvalidArgument:
        return False
    return True


@lru_cache(maxsize=65_536)
def sort_key(text: str) -> tuple:
    """A tuple that orders semver strings by SemVer precedence (cached per string).

    Comparing these tuples is much cheaper than comparing ``semver.Version``
    objects, which matters when picking the highest of a model's versions.
    """
    version = _parse_cached(text)
    if not version.prerelease:
        return (version.major, version.minor, version.patch, 1, ())
    identifiers = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in version.prerelease.split(".")
    )
    return (version.major, version.minor, version.patch, 0, identifiers)


def highest(texts: Iterable[str]) -> str | None:
    """The highest of some semver strings by SemVer precedence; ``None`` when there are none."""
    return max(texts, key=sort_key, default=None)


def bump(current: Version | None, part: str) -> str:
    """The next version after ``current`` (``None``: no version yet → 1.0.0).

    ``part`` is ``major``, ``minor`` or ``patch``. Bumping a pre-release
    releases it where SemVer allows (1.0.0-rc.1 → 1.0.0 for any part,
    1.2.3-rc.1 + minor → 1.3.0); build metadata is dropped.
    """
    if current is None:
        return FIRST
    if part not in ("major", "minor", "patch"):
        raise InvalidArgument(f"bump must be one of major, minor, patch, auto; got {part!r:.40}")
    following = current.next_version(part)
    text = str(following)
    _remember(text, following)
    return text


# -- ranges ---------------------------------------------------------------


@dataclass(frozen=True)
class _Bound:
    op: str  # one of > >= < <= = !=
    version: Version


@dataclass(frozen=True)
class Range:
    """A set of comparators that must all hold; build with :func:`parse_range`."""

    text: str
    bounds: tuple[_Bound, ...]

    def matches(self, version: Version | str) -> bool:
        """True when ``version`` lies in the range (see the module doc on pre-releases)."""
        if isinstance(version, str):
            version = parse(version)
        if version.prerelease and not any(
            b.version.prerelease and b.version.to_tuple()[:3] == version.to_tuple()[:3]
            for b in self.bounds
        ):
            return False
        return all(_holds(b, version) for b in self.bounds)

    def span(self) -> tuple[tuple[int, int, int] | None, tuple[int, int, int] | None]:
        """``(floor, ceiling)``: every match's ``(major, minor, patch)`` is at least
        ``floor`` and below ``ceiling`` (``None``: unbounded), so a store can read
        only that stretch of an index, highest first."""
        floor: tuple[int, int, int] | None = None
        ceiling: tuple[int, int, int] | None = None
        for b in self.bounds:
            triple = (b.version.major, b.version.minor, b.version.patch)
            if b.op in (">", ">=", "=") and (floor is None or triple > floor):
                floor = triple
            if b.op in ("<", "<=", "="):
                # Just past the bound's own triple: "<= 1.2.3" admits 1.2.3, and even
                # "< 1.2.3" admits the pre-releases of 1.2.3, which come before it.
                top = (triple[0], triple[1], triple[2] + 1)
                ceiling = top if ceiling is None or top < ceiling else ceiling
        return floor, ceiling

    def best(self, texts: Iterable[str]) -> str | None:
        """The highest of ``texts`` (semver strings) inside the range, or ``None``."""
        best: tuple[Version, str] | None = None
        for text in texts:
            version = _parse_cached(text)
            if self.matches(version) and (best is None or version > best[0]):
                best = (version, text)
        return None if best is None else best[1]


def _holds(bound: _Bound, version: Version) -> bool:
    cmp = version.compare(bound.version)
    if bound.op == "=":
        return cmp == 0
    if bound.op == "!=":
        return cmp != 0
    if bound.op == ">":
        return cmp > 0
    if bound.op == ">=":
        return cmp >= 0
    if bound.op == "<":
        return cmp < 0
    return cmp <= 0


def _is_wild(part: str | None) -> bool:
    return part is None or part in ("x", "X", "*")


def _comparator(op: str, text: str, whole: str) -> list[_Bound]:
    m = _PARTIAL_RE.fullmatch(text)
    if m is None:
        raise InvalidArgument(f"semver range '{whole}': '{text}' is not a version")
    major, minor, patch = m["major"], m["minor"], m["patch"]
    if _is_wild(major):
        if op in ("", "=", "==", ">=", "<=", "^", "~"):
            return []  # "*": anything
        raise InvalidArgument(f"semver range '{whole}': '{op}{text}' matches nothing")
    if (_is_wild(minor) and not _is_wild(patch)) or (_is_wild(patch) and m["prerelease"]):
        raise InvalidArgument(f"semver range '{whole}': '{text}' has a part after a wildcard")
    ma = int(major)
    mi = 0 if _is_wild(minor) else int(minor)
    pa = 0 if _is_wild(patch) else int(patch)
    precision = 1 if _is_wild(minor) else 2 if _is_wild(patch) else 3
    if precision == 3:
        try:
            low = Version(ma, mi, pa, m["prerelease"], m["build"])
        except ValueError:
            raise InvalidArgument(f"semver range '{whole}': '{text}' is not a version") from None
    else:
        low = Version(ma, mi, pa)
    # The first version past the partial one: 1.x → 2.0.0, 1.2.x → 1.3.0.
    after = low.bump_major() if precision == 1 else low.bump_minor()

    if op in ("", "=", "=="):
        if precision == 3:
            return [_Bound("=", low)]
        return [_Bound(">=", low), _Bound("<", after)]
    if op == "!=":
        if precision != 3:
            raise InvalidArgument(f"semver range '{whole}': '!=' needs a full version")
        return [_Bound("!=", low)]
    if op == "^":
        if ma > 0 or precision == 1:
            upper = low.bump_major()
        elif mi > 0 or precision == 2:
            upper = low.bump_minor()
        else:
            upper = low.bump_patch()
        return [_Bound(">=", low), _Bound("<", upper)]
    if op == "~":
        upper = low.bump_major() if precision == 1 else low.bump_minor()
        return [_Bound(">=", low), _Bound("<", upper)]
    if precision == 3:
        return [_Bound(op, low)]
    if op == ">=":
        return [_Bound(">=", low)]
    if op == ">":
        return [_Bound(">=", after)]
    if op == "<":
        return [_Bound("<", low)]
    return [_Bound("<", after)]  # "<="


@lru_cache(maxsize=1024)
def parse_range(text: str) -> Range:
    """Parses a range such as ``^1.2``, ``~1.2.3``, ``>=2,<3``, ``1.x`` or ``1.2.0``.

    Raises ``InvalidArgument`` quoting the range and the part that is wrong.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidArgument("semver range must be a non-empty string")
    bounds: list[_Bound] = []
    for piece in re.split(r"[,\s]+", text.strip()):
        if not piece:
            continue
        m = _COMPARATOR_RE.fullmatch(piece)
        if m is None:
            raise InvalidArgument(f"semver range '{text}': cannot read '{piece}'")
        bounds.extend(_comparator(m["op"] or "", m["version"], text))
    return Range(text, tuple(bounds))


def check_bump(value: object) -> str:
    """``major``, ``minor``, ``patch`` or ``auto`` (any case), lower-cased."""
    if not isinstance(value, str) or value.lower() not in BUMPS:
        raise InvalidArgument(f"bump must be one of major, minor, patch, auto; got {value!r:.40}")
    return value.lower()
