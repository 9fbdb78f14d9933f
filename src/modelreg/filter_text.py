"""Search filters built from values: a value quoted, filters joined so that each keeps its
meaning, and the filters of nested runs (a run's children, top-level runs).

>>> all_of("metrics.auc > 0.9 or params.lr = '0.1'", TOP_LEVEL_RUNS)
"(metrics.auc > 0.9 or params.lr = '0.1') and (tags.`modelreg.parentRunId` IS NULL)"
"""

from __future__ import annotations

from collections.abc import Iterable

from modelreg.run_tags import PARENT_RUN_TAG

__all__ = ["TOP_LEVEL_RUNS", "all_of", "child_runs_of", "quote", "within"]

# Runs that are no other run's child.
TOP_LEVEL_RUNS = f"tags.`{PARENT_RUN_TAG}` IS NULL"


def quote(text: str) -> str:
    """``text`` as the inside of a single-quoted filter string."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def within(values: Iterable[str]) -> str:
    """The list an ``IN`` compares with: ``('a', 'b')``."""
    return "(" + ", ".join(f"'{quote(v)}'" for v in values) + ")"


def all_of(*filters: str) -> str:
    """The filters that are not empty, joined with ``and``, each in parentheses (so that
    an ``or`` in one stays inside it)."""
    given = [f.strip() for f in filters if f and f.strip()]
    return given[0] if len(given) == 1 else " and ".join(f"({f})" for f in given)


def child_runs_of(run_id: str) -> str:
    """The filter that finds the runs nested in ``run_id``."""
    return f"tags.`{PARENT_RUN_TAG}` = '{quote(run_id)}'"
