"""Names that look alike: one key for all spellings a reader cannot tell apart.

A name (registered model, experiment, alias) is refused when it *looks like*
one that exists: ``сhampion`` with a Cyrillic ``с``, full-width
``ｃhampion``, ``Champion``, ``champion.`` and ``𝐜hampion`` all look like
``champion``. Each name has a :func:`lookalike_key`, and two names with the
same key are one name as far as uniqueness goes. The key is, repeated until
it no longer changes:

1. NFKC and full case folding (``ｃ`` → ``c``, ``𝐜`` → ``c``, ``C`` → ``c``);
2. the Unicode TS #39 *skeleton*: NFD, each character replaced by its
   prototype from ``confusables.txt`` (``с`` → ``c``, ``0`` → ``O``, ``m`` →
   ``rn``), NFD again;

then stripped of leading and trailing ``.``, ``-``, ``_`` and spaces. The
database keeps the SHA-256 of the key in a column with a unique index, so
the check is one index lookup and holds under concurrent writers.

Characters that show nothing, or change how the rest shows, are refused
outright (:func:`check_visible`): format characters (``Cf``: zero-width
joiners, bidirectional controls such as U+061C and U+202E, soft hyphen,
tag characters), the other default-ignorable code points (fillers such as
U+3164, variation selectors such as U+FE0F, U+034F), control, private-use,
unassigned and surrogate code points, separators other than the space, and
the blank Braille pattern U+2800.

The confusables data is Unicode's ``confusables.txt`` 13.0.0, vendored in
``modelreg/unicode_data`` with its licence; it is read on first use. Keys are stored,
so a change of that data or of this function needs a migration that
recomputes them. A known gap: case folding runs before the skeleton, so an
upper-case ``I`` folds to ``i`` and is not matched with ``l``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache
from importlib.resources import files

from modelreg.errors import InvalidArgument

__all__ = ["check_visible", "key_digest", "lookalike_key", "skeleton"]

# Default_Ignorable_Code_Point characters that are not of category Cf, Cn or
# Zs (Unicode 14, DerivedCoreProperties.txt), and blank-looking symbols.
_INVISIBLE_GRAPHIC = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x2800]
    + [0x3164, 0xFFA0, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "a format character (zero-width, bidirectional-control or similar)",
    "Cs": "an unpaired surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Zs": "a space other than ' '",
}
_TRIMMED = " .-_"
_ROUNDS = 4  # folding and skeleton reach a fixed point in one or two


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Source character → prototype string, from confusables.txt."""
    text = (
        files("modelreg")
        .joinpath("unicode_data", "confusables.txt")
        .read_text(encoding="utf-8-sig")
    )
    table = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 2:
            continue
        source = chr(int(fields[0], 16))
        table[source] = "".join(chr(int(cp, 16)) for cp in fields[1].split())
    return table


def skeleton(text: str) -> str:
    """The TS #39 skeleton of ``text``: two strings with one skeleton are confusable."""
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(ch, ch) for ch in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def lookalike_key(text: str) -> str:
    """What ``text`` looks like: equal for names a reader cannot tell apart."""
    key = text
    for _ in range(_ROUNDS):
        folded = skeleton(_fold(key))
        if folded == key:
            break
        key = folded
    return key.strip(_TRIMMED)


def key_digest(text: str) -> str:
    """The SHA-256 (hex) of :func:`lookalike_key`: what the database indexes."""
    return hashlib.sha256(lookalike_key(text).encode("utf-8", "surrogatepass")).hexdigest()


def check_visible(text: str, field: str) -> str:
    """Refuses, naming ``field`` and the character, text holding a character that shows
    nothing or changes how the rest shows (see the module's docstring)."""
    for position, ch in enumerate(text):
        category = unicodedata.category(ch)
        problem = _REFUSED_CATEGORIES.get(category)
        if problem is None and ord(ch) in _INVISIBLE_GRAPHIC:
            problem = "an invisible character (a filler, variation selector or blank)"
        if problem is not None and ch != " ":
            name = unicodedata.name(ch, "unnamed")
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise InvalidArgument(
                f"{field} {shown!r} contains {problem}, U+{ord(ch):04X} {name}, at position "
                f"{position}: names must not hold control, zero-width, invisible or "
                "bidirectional-control characters"
            )
    return text
