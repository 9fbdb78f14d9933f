"""The fits autolog leaves alone: those of scikit-learn's cross-validation helpers
(:data:`HELPERS`), which fit a fresh copy of an estimator on every fold to evaluate
it. Those fits train no model a run should keep; logging them would start a run per
fold (or log each fold's params and model over the active run's).

MLflow's autolog turns itself off in these helpers only when they are called through
``sklearn.model_selection`` after autolog was turned on; a script that imported
``cross_val_score`` first gets a run per fold. Here the helper is recognised on the
calling thread's stack by its code, however it was imported. Folds fitted in other
threads (joblib's threading backend) are not recognised; in worker processes
(``n_jobs`` > 1 by default) autolog is not on.
"""

from __future__ import annotations

import functools
import inspect
from types import CodeType

HELPERS = (
    "cross_val_predict",
    "cross_val_score",
    "cross_validate",
    "learning_curve",
    "permutation_test_score",
    "validation_curve",
)


@functools.cache
def _helper_code() -> frozenset[CodeType]:
    """The code of each helper, under the decorators scikit-learn puts on it (which keep
    the function they wrap as ``__wrapped__``)."""
    try:
        import sklearn.model_selection as selection
    except ImportError:  # XGBoost's or LightGBM's own estimators without scikit-learn
        return frozenset()
    helpers = (getattr(selection, name, None) for name in HELPERS)
    return frozenset(inspect.unwrap(helper).__code__ for helper in helpers if helper is not None)


def cross_validating() -> bool:
    """Whether the calling thread is inside one of scikit-learn's cross-validation
    helpers."""
    code = _helper_code()
    frame = inspect.currentframe()
    while frame is not None:
        if frame.f_code in code:
            return True
        frame = frame.f_back
    return False
