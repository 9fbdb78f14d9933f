"""Traversal hidden behind encodings: what a path may turn into further down the line.

A path that is harmless as written can become ``../../etc/passwd`` once some
other tool reads it: a web framework or proxy that percent-decodes it (once,
or twice) or cuts it at ``?``, ``#`` or ``;``, a filesystem or a Windows
"best fit" code page that folds full-width and look-alike characters
(``．．／``, ``∕``, ``‥``) into ASCII dots and slashes. modelreg never
decodes a stored path itself, but it refuses paths and names that would mean
something else to such a reader, so the form it checks is the only form
anyone can see.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

__all__ = ["PERCENT_ESCAPE", "decoded_forms", "hidden_traversal", "url_views"]

# Characters NFKC leaves alone that still look like (and are best-fit mapped to) slashes.
_SLASH_LOOKALIKES = str.maketrans(
    {"\u2215": "/", "\u2044": "/", "\u29f8": "/", "\u2571": "/", "\u29f9": "\\", "\u2216": "\\"}
)
PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE_RE = re.compile(r"[A-Za-z]:")
_SPECIAL_RE = re.compile(r"[%;?#]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_DECODE_ROUNDS = 3


def decoded_forms(text: str) -> list[str]:
    """``text`` as readers might see it: percent-decoded up to three times, each form
    also Unicode-folded (NFKC plus slash look-alikes). The first item is ``text``."""
    forms = [text]
    current = text
    for _ in range(_DECODE_ROUNDS):
        if not PERCENT_ESCAPE.search(current):
            break
        current = unquote(current, errors="surrogateescape")
        forms.append(current)
    folded = [
        unicodedata.normalize("NFKC", form).translate(_SLASH_LOOKALIKES)
        for form in forms
        if not form.isascii()
    ]
    return forms + [f for f in folded if f not in forms]


def url_views(form: str) -> list[str]:
    """How a URL parser may cut ``form``: at ``?`` or ``#``, and without ``;`` parameters."""
    views = [form]
    cut = re.split(r"[?#]", form, maxsplit=1)[0]
    if cut != form:
        views.append(cut)
    if ";" in cut:
        views.append("/".join(segment.split(";", 1)[0] for segment in cut.split("/")))
    return views


def hidden_traversal(path: str) -> str | None:
    """Why some reading of ``path`` escapes its folder, or ``None`` when none does.

    Checks every form but ``path`` itself as written (the caller checks that):
    percent-decoded, Unicode-folded, cut at ``?`` or ``#``, or stripped of
    ``;`` path parameters, for an absolute path, a drive letter, a ``..``
    segment (with ``/`` or ``\\`` as separator), a backslash, NUL or another
    control character.
    """
    if path.isascii() and not _SPECIAL_RE.search(path):
        return None  # the common case: nothing to decode, fold or cut
    for form in decoded_forms(path):
        for view in url_views(form):
            if view == path:
                continue
            if _CONTROL_RE.search(view):
                return "would contain NUL or control characters once URL-decoded"
            if _SURROGATE_RE.search(view):
                return "would not be valid UTF-8 once URL-decoded (overlong or broken escapes)"
            if view.startswith(("/", "\\")) or _DRIVE_RE.match(view):
                return "would be absolute once URL-decoded or Unicode-normalised"
            if "\\" in view:
                return "would contain a backslash once URL-decoded or Unicode-normalised"
            if ".." in view.split("/"):
                return (
                    "would contain a '..' segment once URL-decoded, Unicode-normalised or "
                    "cut at ';', '?' or '#'"
                )
    return None
