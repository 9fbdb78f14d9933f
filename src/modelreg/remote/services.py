"""The services' methods, carried over HTTP to a ``modelreg server``.

The proxies are built from the same operation table the server builds its
routes from (``modelreg.api.operations``), so every call has the same name,
arguments, results and errors as in embedded use.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import quote

from modelreg.api.operations import API_PREFIX, OPERATIONS, Operation, decode, signature_of
from modelreg.errors import InvalidArgument
from modelreg.remote.http import HttpSession

# Operations that only read but send their arguments as a JSON body: safe to
# repeat, so they go without an Idempotency-Key.
READS_SENT_AS_POST = frozenset({"search_runs", "compare_versions", "search_logged_models"})

_BY_SERVICE: dict[str, dict[str, Operation]] = {}
for _op in OPERATIONS:
    _BY_SERVICE.setdefault(_op.service, {})[_op.name] = _op


def _jsonable(value: Any) -> Any:
    # Raw field values travel as they are (NaN and infinities as JSON's
    # non-standard tokens, which the server reads back), so the server's
    # validation sees exactly what embedded validation would.
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _scalar(value: Any) -> Any:
    """numpy scalars as Python numbers; anything else as its string, as params are."""
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


class RemoteService:
    """Calls the server's route for each method of one service."""

    def __init__(self, http: HttpSession, service: str) -> None:
        self._http = http
        self._service = service

    def __getattr__(self, name: str) -> Any:
        op = _BY_SERVICE.get(self._service, {}).get(name)
        if op is None:
            raise AttributeError(f"the {self._service} service has no remote method {name!r}")
        method = self._bind(op)
        setattr(self, name, method)
        return method

    def _bind(self, op: Operation) -> Any:
        sig, hints = signature_of(op)
        sig = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "self"])
        returns = hints.get("return", Any)
        path_names = op.path_params
        slashed = op.slashed_params
        template = op.plain_path

        def call(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            path = template.format(
                **{n: _segment(n, values.pop(n), n in slashed) for n in path_names}
            )
            request: dict[str, Any]
            if op.in_body:
                body = json.dumps({k: _jsonable(v) for k, v in values.items()}, default=_scalar)
                request = {"content": body, "headers": {"Content-Type": "application/json"}}
            else:
                request = {"params": _query(values)}
            repeatable = True if op.name in READS_SENT_AS_POST else None
            data = self._http.json(
                op.http_method, API_PREFIX + path, repeatable=repeatable, **request
            )
            return None if returns is type(None) else decode(data, returns)

        call.__name__ = op.name
        call.__signature__ = sig  # type: ignore[attr-defined]
        return call


def _segment(name: str, value: Any, slashed: bool = False) -> str:
    """One URL path segment, or for a ``slashed`` value (a key such as ``train/loss``) one
    per part, so the server reads back the value as given and validates it as embedded
    use does; values that no path can carry are refused here."""
    text = str(value)
    if not slashed and (not text or "/" in text or text in (".", "..")):
        raise InvalidArgument(f"{name} {text!r:.80} must not be empty, '.', '..' or contain '/'")
    if not text:
        raise InvalidArgument(f"{name} must not be empty")
    # A '.' or '..' part would be dropped by URL normalization; encoded, it arrives as is.
    return "/".join(
        part.replace(".", "%2E") if part in (".", "..") else quote(part, safe="")
        for part in text.split("/")
    )


def _query(values: dict[str, Any]) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            params.extend((key, str(v)) for v in value)
        elif isinstance(value, bool):
            params.append((key, "true" if value else "false"))
        else:
            params.append((key, str(value)))
    return params


__all__ = ["RemoteService"]
