"""Nested runs in the web UI (``start_run(nested=True)``, a hyperparameter search's
candidates): which run of a page is the child of which, and how many children each
has, looked up for a whole page at once (two searches, whatever its length)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from modelreg.filter_text import child_runs_of, within
from modelreg.run_tags import PARENT_RUN_TAG

# Children counted per page: past it a parent's count reads "1000+".
CHILDREN_COUNTED = 1000
CHILDREN_LISTED = 100


@dataclass(frozen=True)
class Nesting:
    """Of a page of runs: each child's parent (id → the parent run, when it is in the
    experiment), and each parent's number of children in the experiment (capped at
    ``CHILDREN_COUNTED``, ``capped`` says whether the cap was reached)."""

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
    return Nesting(parents, dict(children), capped=len(found) >= CHILDREN_COUNTED)


def run_children(client: Any, run: Any) -> tuple[list[Any], bool]:
    """The first ``CHILDREN_LISTED`` children of ``run`` in its experiment, and whether
    there are more."""
    found = client.search_runs(
        [run.info.experiment_id],
        child_runs_of(run.info.run_id),
        max_results=CHILDREN_LISTED,
        order_by=["attributes.start_time ASC"],
    )
    return list(found), bool(found.token)
