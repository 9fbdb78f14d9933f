"""What a result may show of the models and runs beyond the one the caller asked about.

A route checks the caller's role on the resource it names, say model A. A's
lineage graph, model cards and comparisons also show other models' versions
(fine-tuning parents and children) and runs (their names, metrics, params and
datasets), which the caller may not be allowed to read. The services ask a
:class:`Visibility` before showing any of them and put a placeholder, or
nothing, in place of what it refuses.

Registry reads do the same for the ``source`` of a version registered from
another model (``models:/B/3``) and for the parent and source that version's
audit events record: a model the caller may not read is named
``(hidden)`` (``models:/(hidden)/3``), so the value keeps its shape. A run id
stays as it is: it is random hex, and it tells nothing but itself.

The rules are those of searches (:func:`modelreg.services.principal.readable_only`,
applied in SQL): any role on a model reads it, any role on an experiment reads
its runs; admins, embedded use and a server without ``--auth`` read everything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection

from modelreg.entities import AuditEvent, ModelVersion, RegisteredModel
from modelreg.services import principal
from modelreg.store import governance as gstore
from modelreg.store.registry import rm
from modelreg.store.schema import runs
from modelreg.uris import without_credentials

__all__ = ["EVERYTHING", "HIDDEN", "Visibility", "hidden_source", "source_model"]

# What stands in for a name the caller may not read.
HIDDEN = "(hidden)"
MODELS_SCHEME = "models:/"


def source_model(source: str) -> str | None:
    """The name of the model a stored ``models:/`` source names; ``None`` for other sources.

    Sources are stored canonical (``models:/<name>/<ref>…`` or ``models:/<name>@<alias>…``,
    names never hold ``/``), so the name is read off without parsing the rest. A source
    that is not canonical yields a name no model has, so it is hidden rather than shown.
    """
    if not source.startswith(MODELS_SCHEME):
        return None
    head = source[len(MODELS_SCHEME) :].partition("/")[0]
    # As parse_model_uri reads it: the last '@' starts the alias.
    return head.rpartition("@")[0] if "@" in head else head


def hidden_source(source: str) -> str:
    """``source`` with the model it names replaced by :data:`HIDDEN`: ``models:/(hidden)/3``."""
    name = source_model(source)
    assert name is not None, "only a models:/ source names a model"
    return MODELS_SCHEME + HIDDEN + source[len(MODELS_SCHEME) + len(name) :]


class Visibility:
    """Which models and runs may be shown; each name is looked up once."""

    def __init__(self, conn: Connection | None, *, restricted: bool) -> None:
        self._conn = conn
        self._restricted = restricted
        self._models: dict[str, bool] = {}
        self._runs: dict[str, bool] = {}

    @classmethod
    def of_caller(cls, conn: Connection) -> Visibility:
        """What the caller of the current request may read, looked up on ``conn``.

        :data:`EVERYTHING` when the caller may read everything: nothing is built, and
        nothing is looked up, on the hot read paths of admins and embedded use."""
        if principal.restricted_user_id() is None:
            return EVERYTHING
        return cls(conn, restricted=True)

    def models(self, names: Iterable[str]) -> set[str]:
        """The names among ``names`` of models that may be shown: all of them for an
        unrestricted caller, else those of existing models the caller may read."""

        def readable(unknown: list[str]) -> set[str]:
            where = principal.readable_only(rm.c.name.in_(unknown), rm.c.model_id, "model")
            return gstore.model_names(self._connection(), where)

        return self._visible(names, self._models, readable)

    def runs(self, run_ids: Iterable[str]) -> set[str]:
        """The ids among ``run_ids`` of runs that may be shown: all of them for an
        unrestricted caller, else those of existing runs the caller may read."""

        def readable(unknown: list[str]) -> set[str]:
            where = principal.readable_only(
                runs.c.run_id.in_(unknown), runs.c.experiment_id, "experiment"
            )
            return gstore.run_ids(self._connection(), where)

        return self._visible(run_ids, self._runs, readable)

    def _visible(
        self,
        keys: Iterable[str],
        known: dict[str, bool],
        readable: Callable[[list[str]], set[str]],
    ) -> set[str]:
        wanted = set(keys)
        if not self._restricted:
            return wanted
        unknown = [k for k in wanted if k not in known]
        if unknown:
            found = readable(unknown)
            known.update((k, k in found) for k in unknown)
        return {k for k in wanted if known[k]}

    def _connection(self) -> Connection:
        assert self._conn is not None, "a restricted Visibility is built on a connection"
        return self._conn

    def version(self, version: ModelVersion) -> ModelVersion:
        """``version`` as it may be shown (see :meth:`versions`)."""
        if not self._restricted:
            return version
        return self.versions([version])[0]

    def versions(self, versions: Sequence[ModelVersion]) -> list[ModelVersion]:
        """``versions`` as they may be shown: a ``models:/`` source naming a model that may
        not be shown reads ``models:/(hidden)/…``. One lookup for all of them."""
        if not self._restricted:
            return list(versions)
        shown = self._sources(mv.source for mv in versions)
        return [_with_source(mv, shown[mv.source]) for mv in versions]

    def registered_models(self, models: Sequence[RegisteredModel]) -> list[RegisteredModel]:
        """``models`` with their latest versions as they may be shown (see :meth:`versions`).
        One lookup for the whole page."""
        if not self._restricted:
            return list(models)
        shown = self._sources(mv.source for m in models for mv in m.latest_versions)
        return [
            dataclasses.replace(
                m,
                latest_versions=tuple(
                    _with_source(mv, shown[mv.source]) for mv in m.latest_versions
                ),
            )
            for m in models
        ]

    def events(self, events: Sequence[AuditEvent]) -> list[AuditEvent]:
        """Audit events as they may be shown: where ``before`` or ``after`` records a
        ``parent`` (``{"name", "version"}``) or a ``models:/`` ``source`` (a version created
        or deleted) naming a model that may not be shown, the name reads :data:`HIDDEN`;
        a webhook's URL reads as its origin (``https://host/…``). One lookup for all."""
        if not self._restricted:
            return list(events)
        records = [r for e in events for r in (e.before, e.after) if r]
        sources = [r["source"] for r in records if isinstance(r.get("source"), str)]
        parents = [r["parent"]["name"] for r in records if _parent_name(r) is not None]
        # One query for every name; _sources then finds them all known.
        self.models([*parents, *(n for n in map(source_model, sources) if n is not None)])
        shown = self._sources(sources)
        return [
            dataclasses.replace(
                e, before=self._record(e.before, shown), after=self._record(e.after, shown)
            )
            for e in events
        ]

    def _record(
        self, record: dict[str, Any] | None, shown: dict[str, str]
    ) -> dict[str, Any] | None:
        if not record:
            return record
        out = record
        source = record.get("source")
        if isinstance(source, str) and shown[source] != source:
            out = {**out, "source": shown[source]}
        parent = _parent_name(record)
        if parent is not None and not self.model(parent):
            out = {**out, "parent": {**record["parent"], "name": HIDDEN}}
        if "webhook_id" in record and isinstance(record.get("url"), str):
            # Webhooks are admins' to read: the URL's path may be the receiver's secret
            # (a chat tool's incoming-webhook URL is), so others see where it posts only.
            out = {**out, "url": _origin(record["url"])}
        return out

    def _sources(self, sources: Iterable[str]) -> dict[str, str]:
        """Each of ``sources`` mapped to the form it may be shown in."""
        named = {s: source_model(s) for s in set(sources)}
        readable = self.models(n for n in named.values() if n is not None)
        return {s: s if n is None or n in readable else hidden_source(s) for s, n in named.items()}

    def model(self, name: str) -> bool:
        """Whether the model ``name`` may be shown."""
        return bool(self.models([name]))

    def run(self, run_id: str) -> bool:
        """Whether the run ``run_id`` may be shown."""
        return bool(self.runs([run_id]))


def _with_source(version: ModelVersion, source: str) -> ModelVersion:
    return version if source == version.source else dataclasses.replace(version, source=source)


def _parent_name(record: dict[str, Any]) -> str | None:
    parent = record.get("parent")
    name = parent.get("name") if isinstance(parent, dict) else None
    return name if isinstance(name, str) else None


# Everything may be shown: for rules (promotion policies) that judge on all the facts.
EVERYTHING = Visibility(None, restricted=False)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, and ``/…`` when it goes on."""
    parts = urlsplit(without_credentials(url))
    rest = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{rest}"
