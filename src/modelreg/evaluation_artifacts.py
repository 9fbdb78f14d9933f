"""Custom artifacts of :func:`modelreg.evaluate` (MLflow's ``custom_artifacts``): functions
of the evaluation whose results are logged as files of the run.

Each function is called as ``function(eval_df, builtin_metrics, artifacts_dir)``:
``eval_df`` a DataFrame of the ``prediction`` and ``target`` columns,
``builtin_metrics`` the metrics computed (name → :class:`MetricValue`), ``artifacts_dir``
a folder it may write files into. It returns ``{name: artifact}``, an artifact being a
file path (``.png``, ``.jpg``, ``.jpeg``, ``.json``, ``.npy``, ``.csv``, ``.parquet``,
``.txt``), a JSON string, a pandas DataFrame (``.csv``), a numpy array (``.npy``), a
matplotlib figure (``.png``) or a JSON value (``.json``), logged as ``<name><ext>`` at
the run's root, as MLflow logs it. Anything else is refused: MLflow pickles it;
modelreg does not.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.evaluation_custom import MetricValue

EXTENSIONS = (".png", ".jpg", ".jpeg", ".json", ".npy", ".csv", ".parquet", ".txt")


def write_custom_artifacts(
    functions: Sequence[Callable[..., Any]],
    *,
    predictions: Any,
    targets: Any,
    metrics: Mapping[str, MetricValue],
    folder: Path,
) -> dict[str, Path]:
    """Calls each function and writes what it returns into ``folder``: name → file.
    Raises ``InvalidArgument`` naming the function and artifact that cannot be written;
    what a function itself raises goes through."""
    if not isinstance(functions, Sequence) or isinstance(functions, str):
        raise InvalidArgument("custom_artifacts must be a list of functions")
    from modelreg.extras import needs_extras

    with needs_extras():
        import pandas

    written: dict[str, Path] = {}
    for index, function in enumerate(functions):
        label = f"custom_artifacts[{index}]"
        if not callable(function):
            raise InvalidArgument(f"{label} is a {type(function).__name__}, not a function")
        frame = pandas.DataFrame({"prediction": list(predictions), "target": list(targets)})
        with tempfile.TemporaryDirectory(prefix="modelreg-artifacts-") as scratch:
            produced = function(frame, copy.deepcopy(dict(metrics)), scratch)
            if produced is None:
                continue
            if not isinstance(produced, Mapping):
                raise InvalidArgument(f"{label} must return a dict of artifact names to artifacts")
            for name, artifact in produced.items():
                if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
                    raise InvalidArgument(f"{label}: artifact name {name!r:.60} is no file name")
                if name in written:
                    raise InvalidArgument(f"{label}: two artifacts are named {name!r:.60}")
                written[name] = _write(artifact, folder / name, f"{label} ({name})")
    return written


def _write(artifact: Any, stem: Path, label: str) -> Path:
    """``artifact`` written at ``stem`` plus the extension its kind takes."""
    if isinstance(artifact, str) and not Path(artifact).exists():
        try:
            json.loads(artifact)
        except ValueError:
            raise InvalidArgument(
                f"{label}: the string is neither the path of a file nor JSON"
            ) from None
        return _text(stem.with_name(stem.name + ".json"), artifact)
    if isinstance(artifact, str | Path):
        source = Path(artifact)
        if not source.is_file():
            raise InvalidArgument(f"{label}: {source} is not a file")
        if source.suffix not in EXTENSIONS:
            raise InvalidArgument(f"{label}: {source.suffix or 'no extension'} is none of "
                                  f"{', '.join(EXTENSIONS)}")  # fmt: skip
        target = stem.with_name(stem.name + source.suffix)
        shutil.copyfile(source, target)
        return target
    kind = f"{type(artifact).__module__.split('.')[0]}.{type(artifact).__name__}"
    if kind == "pandas.DataFrame":
        target = stem.with_name(stem.name + ".csv")
        artifact.to_csv(target, index=False)
        return target
    if kind == "numpy.ndarray":
        import numpy

        target = stem.with_name(stem.name + ".npy")
        try:
            numpy.save(target, artifact, allow_pickle=False)
        except ValueError:
            raise InvalidArgument(f"{label}: an array of objects is not saved (pickle)") from None
        return target
    if kind.startswith("matplotlib.") and hasattr(artifact, "savefig"):
        target = stem.with_name(stem.name + ".png")
        artifact.savefig(target)
        return target
    try:
        text = json.dumps(artifact, allow_nan=False, default=_plain)
    except (TypeError, ValueError):
        raise InvalidArgument(
            f"{label}: a {type(artifact).__name__} is none of a file, JSON, DataFrame, array "
            "or figure (MLflow would pickle it; modelreg does not)"
        ) from None
    return _text(stem.with_name(stem.name + ".json"), text)


def _plain(value: Any) -> Any:
    """A numpy scalar or array as JSON takes it (MLflow's ``NumpyEncoder``)."""
    to_list = getattr(value, "tolist", None)
    if callable(to_list):
        return to_list()
    raise TypeError(type(value).__name__)


def _text(target: Path, text: str) -> Path:
    target.write_text(text, encoding="utf-8")
    return target
