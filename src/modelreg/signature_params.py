"""Inference parameters of a model (MLflow's ``ParamSchema``): settings given with each
``predict`` call rather than with the data, such as a generation's ``temperature``.

A signature names each one with its type, default and, for a list, the shape ``(-1,)``.
``predict(data, params={...})`` fills in the defaults and checks the given values:
an unknown name or a value of the wrong type is ``InvalidArgument`` naming it (MLflow
warns and drops an unknown one; a mistyped name silently ignored is a bug to find later).

>>> sig = infer_signature(X, y, params={"temperature": 0.5, "stop": ["\\n"]})
>>> [p.to_dict() for p in sig.params]
[{'name': 'temperature', 'type': 'double', 'default': 0.5, 'shape': None},
 {'name': 'stop', 'type': 'string', 'default': ['\\n'], 'shape': [-1]}]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelreg.errors import InvalidArgument

# MLflow's names for the types a parameter may have.
PARAM_TYPES = ("string", "integer", "long", "float", "double", "boolean", "datetime")
LIST_SHAPE = (-1,)


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One inference parameter: its name, type (one of :data:`PARAM_TYPES`), default
    value, and ``shape`` ``(-1,)`` when it is a list of that type (``None`` otherwise)."""

    name: str
    type: str
    default: Any
    shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if isinstance(default, dt.datetime):
            default = default.isoformat()
        elif self.shape is not None:
            default = [v.isoformat() if isinstance(v, dt.datetime) else v for v in default]
        shape = None if self.shape is None else list(self.shape)
        return {"name": self.name, "type": self.type, "default": default, "shape": shape}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ParamSpec:
        """Rebuilds a spec from :meth:`to_dict` (or MLflow's JSON form); raises
        InvalidArgument naming what is malformed."""
        if not isinstance(d, Mapping) or not isinstance(d.get("name"), str) or not d["name"]:
            raise InvalidArgument("signature params: each param needs a non-empty 'name'")
        name, kind = d["name"], d.get("type")
        if kind not in PARAM_TYPES:
            raise InvalidArgument(
                f"signature params: param {name!r:.100} has type {kind!r:.40}; "
                f"types are {', '.join(PARAM_TYPES)}"
            )
        shape = d.get("shape")
        if shape is not None and tuple(shape) != LIST_SHAPE:
            raise InvalidArgument(
                f"signature params: param {name!r:.100} has shape {shape!r:.40}; a param is "
                "one value (no shape) or a list (shape [-1])"
            )
        spec = cls(name, kind, None, None if shape is None else LIST_SHAPE)
        default = d.get("default")
        return cls(name, kind, None if default is None else spec.convert(default), spec.shape)

    def convert(self, value: Any) -> Any:
        """``value`` as this parameter's type; raises InvalidArgument naming the param."""
        if self.shape is None:
            return _convert(self.name, self.type, value)
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise InvalidArgument(
                f"params: {self.name!r:.100} must be a list of {self.type}, "
                f"got {type(value).__name__}"
            )
        return [_convert(f"{self.name}[{i}]", self.type, v) for i, v in enumerate(value)]


def _convert(label: str, kind: str, value: Any) -> Any:
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind in ("float", "double") and isinstance(value, int | float):
        if not isinstance(value, bool):
            return float(value)
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "datetime":
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
    raise InvalidArgument(f"params: {label!r:.100} must be {_a(kind)}, got {value!r:.60}")


def _a(kind: str) -> str:
    return {"integer": "an integer", "long": "an integer", "datetime": "an ISO 8601 datetime"}.get(
        kind, f"a {kind}"
    )


def infer_params(params: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    """The specs of ``params`` (name → default value): ``int`` is ``long``, ``float``
    ``double``, ``bool`` ``boolean``, ``str`` ``string``, a ``datetime`` ``datetime``, and
    a non-empty list of one of those a list of it. Raises InvalidArgument for other
    values."""
    if not isinstance(params, Mapping):
        raise InvalidArgument(f"params must be a dict of defaults, got {type(params).__name__}")
    specs = []
    for name, value in params.items():
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"params: names must be non-empty strings, got {name!r:.40}")
        if isinstance(value, list | tuple):
            kinds = {_kind_of(name, v) for v in value}
            if len(kinds) != 1:
                raise InvalidArgument(
                    f"params: {name!r:.100} must be a non-empty list of values of one type"
                )
            specs.append(ParamSpec(name, kinds.pop(), list(value), LIST_SHAPE))
        else:
            specs.append(ParamSpec(name, _kind_of(name, value), value))
    return tuple(specs)


def _kind_of(name: str, value: Any) -> str:
    for kind, types in (
        ("boolean", bool),
        ("long", int),
        ("double", float),
        ("string", str),
        ("datetime", dt.datetime),
    ):
        if isinstance(value, types):
            return kind
    raise InvalidArgument(
        f"params: {name!r:.100} has a {type(value).__name__}; a param is a string, number, "
        "boolean, datetime or a list of one of those"
    )


def check_params(specs: Sequence[ParamSpec], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` checked against ``specs``: every declared param, the given value
    converted to its type or else its default. Raises InvalidArgument for a name the
    specs do not declare or a value of the wrong type."""
    given = dict(_given(params))
    unknown = sorted(set(given) - {s.name for s in specs})
    if unknown:
        declared = ", ".join(repr(s.name) for s in specs) or "none"
        raise InvalidArgument(
            f"params: {unknown[0]!r:.100} is not a parameter of this model "
            f"(its signature declares {declared})"
        )
    return {s.name: s.convert(given[s.name]) if s.name in given else s.default for s in specs}


def _given(params: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise InvalidArgument(
            f"params must be a dict of parameter names to values, got {type(params).__name__}"
        )
    return params


def given_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` for a model whose signature declares none: a dict of names to values,
    unchecked; raises InvalidArgument for anything else."""
    return dict(_given(params))
