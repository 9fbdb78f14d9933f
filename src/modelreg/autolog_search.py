"""What autolog logs of a scikit-learn hyperparameter search (``GridSearchCV``,
``RandomizedSearchCV`` and the halving searches), as MLflow's autolog does, so a
search's runs look alike in either tool.

The search's run gets the search's own parameters (``cv``, ``param_grid`` … rather than
its estimator's starting values, which the candidates replace) and the best
candidate's as ``best_<name>``; ``best_cv_score``; ``cv_results.csv`` (the search's
``cv_results_``, a row a candidate); and, besides the search as ``model``, the refitted
best estimator as ``best_estimator``. The ``max_tuning_runs`` best candidates (by their
rank; with several scorers, the rank by the one the search refits on) become child runs
of it (``modelreg.parentRunId``), best first: each with the estimator's parameters and
the candidate's over them, and its cross-validation results but the per-split ones
(``mean_test_score``, ``std_test_score``, ``rank_test_score``, ``mean_fit_time`` …).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from modelreg.autolog_runs import estimator_tags, param_text
from modelreg.entities import Metric, Param
from modelreg.run_tags import PARENT_RUN_TAG
from modelreg.timeutil import now_ms

_SEARCHES = ("GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV")


def is_search(estimator: Any) -> bool:
    """Whether ``estimator`` is one of scikit-learn's hyperparameter searches."""
    from sklearn import model_selection

    for name in _SEARCHES:
        try:
            kind = getattr(model_selection, name)
        except ImportError:  # the halving searches are there once enabled, as they must be
            continue
        if isinstance(estimator, kind):
            return True
    return False


def search_params(search: Any) -> dict[str, Any]:
    """The search's own parameters, and the best candidate's as ``best_<name>``."""
    params = search.get_params(deep=False)
    best = getattr(search, "best_params_", {})
    return {**params, **{f"best_{name}": value for name, value in best.items()}}


def log_search(client: Any, run_id: str, search: Any, limit: int | None, train: Any) -> None:
    """Logs a fitted search's results into its run ``run_id`` and its ``limit`` best
    candidates (None: all) as child runs, with ``train`` (a dataset, or None) as their
    input."""
    if hasattr(search, "best_score_"):
        best = Metric("best_cv_score", float(search.best_score_), now_ms(), 0)
        client.log_batch(run_id, metrics=[best])
    results = search.cv_results_
    client.log_text(run_id, _csv(results), "cv_results.csv")
    order = _best_first(results, search.refit)
    _log_candidates(client, run_id, search, order if limit is None else order[:limit], train)


def _best_first(results: dict[str, Any], refit: Any) -> list[int]:
    """The candidates' rows, best ranked first (ties in the search's order)."""
    ranks = sorted(name for name in results if name.startswith("rank_test_"))
    if "rank_test_score" in results:
        column = "rank_test_score"
    elif isinstance(refit, str) and f"rank_test_{refit}" in results:
        column = f"rank_test_{refit}"
    else:
        column = ranks[0]
    rank = results[column]
    return sorted(range(len(rank)), key=lambda row: rank[row])


def _log_candidates(client: Any, parent_id: str, search: Any, rows: list[int], train: Any) -> None:
    if not rows:
        return
    results = search.cv_results_
    parent = client.get_run(parent_id).info
    base = search.estimator.get_params(deep=True)
    tags = {PARENT_RUN_TAG: parent_id, **estimator_tags(search.estimator)}
    scores = [
        name for name, values in results.items()
        if not name.startswith(("param", "split")) and _numbers(values)
    ]  # fmt: skip
    for row in rows:
        child = client.create_run(parent.experiment_id, parent.start_time, tags).info.run_id
        timestamp = now_ms()
        candidate = {**base, **results["params"][row]}
        params = [Param(name, param_text(value)) for name, value in candidate.items()]
        metrics = [Metric(name, float(results[name][row]), timestamp, 0) for name in scores]
        client.log_batch(child, metrics, params)
        if train is not None:
            client.log_inputs(child, [train], "train")
        client.set_terminated(child, end_time=timestamp)


def _numbers(values: Any) -> bool:
    import numpy as np

    return bool(np.issubdtype(np.asarray(values).dtype, np.number))


def _csv(results: dict[str, Any]) -> str:
    """``cv_results_`` as CSV: a column a key, a row a candidate (unset values empty)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(results)
    for row in range(len(results["params"])):
        writer.writerow([_cell(values[row]) for values in results.values()])
    return out.getvalue()


def _cell(value: Any) -> str:
    import numpy as np

    if value is np.ma.masked:  # a parameter this candidate does not set
        return ""
    return str(value.item() if isinstance(value, np.generic) else value)
