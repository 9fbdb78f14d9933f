"""The run an autologged fit logs into (see :mod:`modelreg.autologging`): the active one,
or one started for the fit and ended after it; logging never changes what the fit does.
What each framework's autolog was asked to log is its :class:`AutologOptions`."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from modelreg.entities import RunStatus
from modelreg.errors import InvalidArgument, ModelregWarning
from modelreg.validation import MAX_PARAM_VALUE_LENGTH

_silent: ContextVar[bool] = ContextVar("autolog_silent", default=False)
_thread = threading.local()


@contextmanager
def autolog_busy() -> Iterator[None]:
    """While a fit is trained and logged, or an evaluation autolog follows is computed:
    what runs inside it (a pipeline's steps, the predictions of a score, a metric that
    calls another) is part of it, and logs nothing of its own (see :func:`busy`)."""
    before = busy()
    _thread.busy = True
    try:
        yield
    finally:
        _thread.busy = before


def busy() -> bool:
    """Whether the calling thread is inside :func:`autolog_busy`."""
    return getattr(_thread, "busy", False)


@dataclass(frozen=True)
class LightningOptions:
    """What PyTorch Lightning's autolog logs as it trains, as ``mlflow.pytorch.autolog``'s
    arguments say: the metrics of every ``log_every_n_epoch``-th epoch, and of every
    ``log_every_n_step``-th training step (None: none by step); with ``checkpoint``, the
    module's checkpoints (see :mod:`modelreg.lightning_checkpoints`): each ``"epoch"``
    or every ``checkpoint_save_freq`` steps, only those that improve
    ``checkpoint_monitor`` in ``checkpoint_mode`` (``"min"`` or ``"max"``) when
    ``checkpoint_save_best_only``, weights alone when ``checkpoint_save_weights_only``.
    Raises ``InvalidArgument`` naming the argument that is wrong."""

    log_every_n_epoch: int = 1
    log_every_n_step: int | None = None
    checkpoint: bool = True
    checkpoint_monitor: str | None = "val_loss"
    checkpoint_mode: str = "min"
    checkpoint_save_best_only: bool = True
    checkpoint_save_weights_only: bool = False
    checkpoint_save_freq: str | int = "epoch"

    def __post_init__(self) -> None:
        _check_count("log_every_n_epoch", self.log_every_n_epoch)
        if self.log_every_n_step is not None:
            _check_count("log_every_n_step", self.log_every_n_step)
        if self.checkpoint_save_freq != "epoch":
            _check_count("checkpoint_save_freq", self.checkpoint_save_freq, " or 'epoch'")
        if not (self.checkpoint and self.checkpoint_save_best_only):
            return
        if not isinstance(self.checkpoint_monitor, str) or not self.checkpoint_monitor:
            raise InvalidArgument(
                "checkpoint_monitor: name the metric that decides which checkpoint is best "
                "(checkpoint_save_best_only=True compares it)"
            )
        if self.checkpoint_mode not in ("min", "max"):
            raise InvalidArgument(
                f"checkpoint_mode: must be 'min' or 'max', got {self.checkpoint_mode!r:.40}"
            )


@dataclass(frozen=True)
class KerasOptions:
    """When Keras's autolog logs the metrics of a fit, as ``mlflow.keras.autolog``'s
    arguments say: at the end of each epoch (``log_every_epoch``, the epoch as the step)
    or of every ``log_every_n_steps``-th batch (the optimizer's step count as the step),
    not both: the same names by epoch and by step would mix in one history. Raises
    ``InvalidArgument`` naming the argument that is wrong."""

    log_every_epoch: bool = True
    log_every_n_steps: int | None = None

    def __post_init__(self) -> None:
        if self.log_every_n_steps is not None:
            _check_count("log_every_n_steps", self.log_every_n_steps)
        if self.log_every_epoch == (self.log_every_n_steps is not None):
            raise InvalidArgument(
                "log_every_epoch, log_every_n_steps: log by epoch or every N steps, one of "
                f"them (got log_every_epoch={self.log_every_epoch!r:.10}, "
                f"log_every_n_steps={self.log_every_n_steps!r:.20})"
            )


def _check_count(name: str, value: object, alternative: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        wanted = f"a whole number of at least 1{alternative}"
        raise InvalidArgument(f"{name}: must be {wanted}, got {value!r:.40}")


@dataclass(frozen=True)
class AutologOptions:
    """What autolog logs, as MLflow's ``autolog`` arguments say: the model (registered
    as ``registered_model_name``), with a few training rows as its input example and
    a signature from them; the training data as an input of the run; ``extra_tags``
    on the runs it starts. ``exclusive`` leaves runs the caller started alone;
    ``silent`` turns its warnings off; ``lightning`` and ``keras`` say what PyTorch
    Lightning's and Keras's fits log as they train; a scikit-learn hyperparameter
    search logs its ``max_tuning_runs`` best candidates as child runs (None: every
    one); a classifier's training precision, recall and F1 are of ``pos_label`` alone
    when given (else averaged over the classes); with ``log_post_training_metrics``, how
    a fitted scikit-learn-style model is evaluated later is logged to its run (see
    :mod:`modelreg.autolog_post_training`). Raises ``InvalidArgument`` naming a wrong
    option."""

    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_datasets: bool = True
    exclusive: bool = False
    silent: bool = False
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    registered_model_name: str | None = None
    importance_types: tuple[str, ...] = ()
    lightning: LightningOptions = field(default_factory=LightningOptions)
    keras: KerasOptions = field(default_factory=KerasOptions)
    max_tuning_runs: int | None = 5
    pos_label: Any = None
    log_post_training_metrics: bool = True

    def __post_init__(self) -> None:
        runs = self.max_tuning_runs
        if runs is not None and (runs != 0 or isinstance(runs, bool)):
            _check_count("max_tuning_runs", runs, ", 0 (none) or None (every one)")


_options: dict[str, AutologOptions] = {}


def set_options(framework: str, options: AutologOptions) -> None:
    _options[framework] = options


def options_for(framework: str) -> AutologOptions:
    """The options ``framework``'s autolog was turned on with."""
    return _options.get(framework) or AutologOptions()


def fit_in_run(framework: str, fit: Callable[[str | None], Any], log: Callable[[str], None]) -> Any:
    """Calls ``fit(run_id)`` in the active run, or in a run started for it and ended after
    (``FAILED`` when the fit raises, which it then raises as before), then ``log(run_id)``.
    A run that cannot be started, or an active run with ``exclusive``, leaves the fit
    alone: ``fit(None)``."""
    from modelreg import fluent

    options = options_for(framework)
    started = fluent.active_run() is None
    if not started and options.exclusive:
        return fit(None)
    quiet = _silent.set(options.silent)
    try:
        tags = dict(options.extra_tags) or None
        if started and not quietly(lambda: fluent.start_run(tags=tags)):
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
    finally:
        _silent.reset(quiet)


def log_model_of_fit(
    framework: str, model: Any, run_id: str, name: str = "model", **options: Any
) -> Any:
    """Logs the fitted ``model`` as ``runs:/<run_id>/<name>`` unless the options leave
    models out; the one named ``model`` is registered as the options say. Returns what
    :func:`modelreg.models.log_model` returned (None when models are left out)."""
    chosen = options_for(framework)
    if not chosen.log_models:
        return None
    from modelreg.models import log_model

    registered = chosen.registered_model_name if name == "model" else None
    return log_model(
        model, name, run_id=run_id, client=client(), registered_model_name=registered,
        **options,
    )  # fmt: skip


def example_options(framework: str, example: Any, predict: Callable[[Any], Any]) -> dict[str, Any]:
    """How a fitted model is logged, given ``example``, its first training inputs (None
    when there are none to take): as its input example and with the signature that
    ``example`` and ``predict(example)`` give, as the options say. A ``predict`` that
    fails leaves the signature out (a warning says why)."""
    options = options_for(framework)
    if example is None or not (options.log_input_examples or options.log_model_signatures):
        return {"signature": False}
    if options.log_input_examples:
        return {
            "input_example": example,
            "signature": None if options.log_model_signatures else False,
        }
    from modelreg.signature import infer_signature

    try:
        return {"signature": infer_signature(example, predict(example))}
    except Exception as exc:  # noqa: BLE001 - the model's own code: logged without one
        warn(f"autolog: the model is logged without a signature: {exc}")
        return {"signature": False}


def log_training_data(
    run_id: str, data: Any, context: str = "train", name: str | None = None
) -> Any:
    """Records ``data`` as an input of ``run_id`` (the ``train`` one unless ``context``
    says otherwise, named ``name``) and returns its dataset; None when that fails (a
    warning says why: the rest of the fit is still logged)."""
    try:
        return client().log_input(run_id, data, context, name=name)
    except Exception as exc:  # noqa: BLE001 - the model and the rest are still logged
        what = "training" if context == "train" else f"{name or context}"
        warn(f"autolog: the {what} data is not recorded as an input: {exc}")
        return None


def estimator_tags(estimator: Any) -> dict[str, str]:
    """The tags naming the estimator a run fitted: ``estimator_name`` and
    ``estimator_class``."""
    kind = type(estimator)
    return {
        "estimator_name": kind.__name__,
        "estimator_class": f"{kind.__module__}.{kind.__name__}",
    }


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


class StepMetrics:
    """The metrics a training logs at its steps into ``run_id``, written in the background:
    a training step does not wait for the store. :meth:`finish` waits for them (a
    failure to write is a warning, never the training's)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.pending: list[Any] = []

    def send(self, metrics: list[Any]) -> None:
        if metrics:
            quietly(
                lambda: self.pending.append(
                    client().log_batch(self.run_id, metrics, synchronous=False)
                )
            )

    def finish(self) -> None:
        for operations in self.pending:
            quietly(operations.wait)
        self.pending.clear()


def scalars(values: Mapping[str, Any] | None) -> dict[str, float]:
    """The scalar ones of ``values`` (numbers, or one-element tensors and arrays) as
    floats; a training's logs hold other things too (a learning-rate schedule)."""
    found = {}
    for key, value in (values or {}).items():
        try:
            found[key] = float(value)
        except (TypeError, ValueError, RuntimeError):  # not a scalar
            continue
    return found


def quietly(step: Callable[..., Any], *args: Any) -> bool:
    """Runs one logging step; a failure is a warning (none when ``silent``), never the
    fit's (``False``)."""
    try:
        step(*args)
    except Exception as exc:  # noqa: BLE001 - logging never changes what fit does
        warn(f"autolog: could not log this fit: {exc}", stacklevel=5)
        return False
    return True


def warn(message: str, stacklevel: int = 2) -> None:
    """An autolog warning (a ``ModelregWarning``), unless autolog was asked to be
    ``silent``."""
    if not _silent.get():
        warnings.warn(message, ModelregWarning, stacklevel=stacklevel + 1)
