"""The run an autologged fit logs into (see :mod:`modelreg.autologging`): the active one,
or one started for the fit and ended after it; logging never changes what the fit does."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from modelreg.entities import RunStatus
from modelreg.errors import ModelregWarning
from modelreg.validation import MAX_PARAM_VALUE_LENGTH


def fit_in_run(fit: Callable[[str | None], Any], log: Callable[[str], None]) -> Any:
    """Calls ``fit(run_id)`` in the active run, or in a run started for it and ended after
    (``FAILED`` when the fit raises, which it then raises as before), then ``log(run_id)``.
    A run that cannot be started leaves the fit alone: ``fit(None)``."""
    from modelreg import fluent

    started = fluent.active_run() is None
    if started and not quietly(fluent.start_run):
        return fit(None)  # no run to log to: the fit alone
    run_id = fluent.get_or_start_run_id()
    try:
        result = fit(run_id)
    except BaseException:
        if started:
            quietly(fluent.end_run, RunStatus.FAILED)
        raise
    quietly(log, run_id)
    if started:
        quietly(fluent.end_run)
    return result


def param_text(value: Any) -> str:
    """``value`` as a param's text, cut to the longest a param may be."""
    text = str(value)
    return text if len(text) <= MAX_PARAM_VALUE_LENGTH else text[: MAX_PARAM_VALUE_LENGTH - 1] + "…"


def client() -> Any:
    """The client of the fluent API, which the run around a fit is on."""
    from modelreg import fluent

    return fluent.current_client()


def log_metrics(run_id: str, metrics: list[Any]) -> None:
    """Logs metrics a training reports as it goes; a failure is a warning (see
    :func:`quietly`), never the training's."""
    quietly(lambda: client().log_batch(run_id, metrics=metrics))


def quietly(step: Callable[..., Any], *args: Any) -> bool:
    """Runs one logging step; a failure is a warning, never the fit's (``False``)."""
    try:
        step(*args)
    except Exception as exc:  # noqa: BLE001 - logging never changes what fit does
        warnings.warn(f"autolog: could not log this fit: {exc}", ModelregWarning, stacklevel=5)
        return False
    return True
