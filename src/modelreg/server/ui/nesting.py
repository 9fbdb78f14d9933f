"""Nested runs in the web UI (``start_run(nested=True)``, a hyperparameter search's
candidates): which run of a page is the child of which, and how many children each
has, looked up for a whole page at once (two searches, whatever its length)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from modelreg.filter_text import child_runs_of, within
from modelreg.run_tags import PARENT_RUN_TAG
from modelreg.system_metrics import is_system_metric

# Children counted for a page of the runs table (past it, counts read "100+": counting
# loads the runs, and a page stays fast) and listed on a run's page.
CHILDREN_COUNTED = 100
CHILDREN_LISTED = 50
# Params and metrics a parent's table of children shows, each.
SHOWN_COLUMNS = 6


@dataclass(frozen=True)
class Nesting:
    """Of a page of runs: each child's parent (id → the parent run, when it is in the
    experiment), and each parent's number of children in the experiment (capped at
    ``CHILDREN_COUNTED``; ``capped`` says whether there were more)."""

    parents: dict[str, Any] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)
    capped: bool = False


def parent_id(run: Any) -> str | None:
    """The id of the run ``run`` is nested in, or None."""
    return run.data.tags.get(PARENT_RUN_TAG)


def page_nesting(client: Any, experiment_id: str, runs: list[Any]) -> Nesting:
    """How the runs of one page of ``experiment_id`` nest."""
    if not runs:
        return Nesting()
    ids = [run.info.run_id for run in runs]
    found = client.search_runs(
        [experiment_id], f"tags.`{PARENT_RUN_TAG}` IN {within(ids)}", max_results=CHILDREN_COUNTED
    )
    children = Counter(str(parent_id(child)) for child in found)
    wanted = sorted({p for run in runs if (p := parent_id(run)) is not None})
    on_page = {run.info.run_id: run for run in runs}
    missing = [p for p in wanted if p not in on_page]
    fetched = (
        client.search_runs([experiment_id], f"attributes.run_id IN {within(missing)}")
        if missing
        else []
    )
    known = {**on_page, **{run.info.run_id: run for run in fetched}}
    parents = {
        run.info.run_id: known[p]
        for run in runs
        if (p := parent_id(run)) is not None and p in known
    }
    return Nesting(parents, dict(children), capped=bool(found.token))


@dataclass(frozen=True)
class Children:
    """The first children of a run, as its page lists them: those with a
    ``rank_test_score`` (a search's candidates) best ranked first, the others in the
    order they started; with the params that tell them apart and the metrics they
    have."""

    runs: list[Any]
    more: bool
    params: list[str]
    metrics: list[str]


def run_children(client: Any, run: Any) -> Children:
    """The first ``CHILDREN_LISTED`` children of ``run`` in its experiment."""
    found = client.search_runs(
        [run.info.experiment_id],
        child_runs_of(run.info.run_id),
        max_results=CHILDREN_LISTED,
        # A search's candidates best first; runs without a rank after them, by start.
        order_by=["metrics.rank_test_score ASC", "attributes.start_time ASC"],
    )
    runs = list(found)
    keys = sorted({k for r in runs for k in r.data.params})
    varying = [k for k in keys if len({r.data.params.get(k) for r in runs}) > 1]
    metrics = sorted({k for r in runs for k in r.data.metrics if not is_system_metric(k)})
    return Children(runs, bool(found.token), varying[:SHOWN_COLUMNS], metrics[:SHOWN_COLUMNS])
