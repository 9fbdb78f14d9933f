"""How the caller wrote a call: the variable names its arguments have where they were
first passed on, so that a metric autolog records reads as the code that computed it
(``accuracy_score(y_true=y_test, y_pred=y_pred)``, measured on ``X_test``)."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any

# The longest string argument a call's text shows whole.
SHOWN_TEXT = 32


def variable_name(value: Any, frame: FrameType | None, fallback: str) -> str:
    """The name ``value`` has in the code that first passed it on: from ``frame``
    outward, the frames of functions that were given it as an argument are passed by,
    and the name it has in the next one is returned: a local name, else a global one (a
    name not starting with ``_`` first: a notebook also keeps outputs as ``_``, ``_3``
    …); ``fallback`` when it has none there (an expression, such as ``X[:10]``)."""
    while frame is not None and any(value is given for given in _arguments(frame)):
        frame = frame.f_back
    if frame is None:
        return fallback
    for scope in (frame.f_locals, frame.f_globals):
        names = [name for name, known in scope.items() if known is value]
        public = [name for name in names if not name.startswith("_")]
        if names:
            return (public or names)[0]
    return fallback


def _arguments(frame: FrameType) -> Iterator[Any]:
    """The values the function running in ``frame`` was called with (as they are now)."""
    info = inspect.getargvalues(frame)
    for name in info.args:
        if name in info.locals:
            yield info.locals[name]
    if info.varargs:
        yield from info.locals.get(info.varargs, ())
    if info.keywords:
        yield from info.locals.get(info.keywords, {}).values()


def call_text(
    name: str,
    parameters: Sequence[str],
    args: Sequence[Any],
    kwargs: dict[str, Any],
    frame: FrameType | None,
) -> str:
    """The call ``name(*args, **kwargs)`` as text, each argument by its parameter's name:
    ``accuracy_score(y_true=y_test, y_pred=y_pred, normalize=False)``. Plain values
    are shown as they are (long strings cut), data by its variable's name (see
    :func:`variable_name`), or its type's when it has none."""
    named = [*zip(parameters, args, strict=False), *kwargs.items()]
    shown = ", ".join(f"{key}={_argument_text(value, frame)}" for key, value in named)
    return f"{name}({shown})"


def _argument_text(value: Any, frame: FrameType | None) -> str:
    if value is None or isinstance(value, (numbers.Number, str, bytes)):
        if isinstance(value, str) and len(value) > SHOWN_TEXT:
            return repr(value[:SHOWN_TEXT] + "...")
        return repr(value)
    return variable_name(value, frame, f"<{type(value).__name__}>")
