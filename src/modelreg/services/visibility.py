"""What a result may show of the models and runs beyond the one the caller asked about.

A route checks the caller's role on the resource it names, say model A. A's
lineage graph, model cards and comparisons also show other models' versions
(fine-tuning parents and children) and runs (their names, metrics, params and
datasets), which the caller may not be allowed to read. The services ask a
:class:`Visibility` before showing any of them and put a placeholder, or
nothing, in place of what it refuses.

The rules are those of searches (:func:`modelreg.services.access.readable_only`,
applied in SQL): any role on a model reads it, any role on an experiment reads
its runs; admins, embedded use and a server without ``--auth`` read everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Connection

from modelreg.services import access
from modelreg.store import governance as gstore
from modelreg.store.registry import rm
from modelreg.store.schema import runs

__all__ = ["EVERYTHING", "HIDDEN", "Visibility"]

# What stands in for a name the caller may not read.
HIDDEN = "(hidden)"


class Visibility:
    """Which models and runs may be shown; each name is looked up once."""

    def __init__(self, conn: Connection | None, *, restricted: bool) -> None:
        self._conn = conn
        self._restricted = restricted
        self._models: dict[str, bool] = {}
        self._runs: dict[str, bool] = {}

    @classmethod
    def of_caller(cls, conn: Connection) -> Visibility:
        """What the caller of the current request may read, looked up on ``conn``."""
        return cls(conn, restricted=access.restricted_user_id() is not None)

    def models(self, names: Iterable[str]) -> set[str]:
        """The names among ``names`` of models that may be shown: all of them for an
        unrestricted caller, else those of existing models the caller may read."""

        def readable(unknown: list[str]) -> set[str]:
            where = access.readable_only(rm.c.name.in_(unknown), rm.c.model_id, "model")
            return gstore.model_names(self._connection(), where)

        return self._visible(names, self._models, readable)

    def runs(self, run_ids: Iterable[str]) -> set[str]:
        """The ids among ``run_ids`` of runs that may be shown: all of them for an
        unrestricted caller, else those of existing runs the caller may read."""

        def readable(unknown: list[str]) -> set[str]:
            where = access.readable_only(
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

    def model(self, name: str) -> bool:
        """Whether the model ``name`` may be shown."""
        return bool(self.models([name]))

    def run(self, run_id: str) -> bool:
        """Whether the run ``run_id`` may be shown."""
        return bool(self.runs([run_id]))


# Everything may be shown: for rules (promotion policies) that judge on all the facts.
EVERYTHING = Visibility(None, restricted=False)
