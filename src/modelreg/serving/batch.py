"""Batch scoring: a file of inputs in, a file of predictions out, in chunks.

Input formats, by extension: ``.csv`` (a header line), ``.jsonl`` /
``.ndjson`` (one JSON object per line), ``.parquet``. Each chunk of
``chunk_size`` rows is converted to the model's signature exactly as a
request to ``modelreg serve`` is (:mod:`modelreg.serving.payloads`), so a
row scores the same either way, then predicted. Output, by the output's
extension (the same three): one row per input row, in order, with the
columns ``prediction`` (one value per row), ``prediction_0`` …
(several), the output names of a model returning a dict, or the keys of a
pipeline's records. The output is written to a temporary file beside it
and renamed at the end: an interrupted run leaves no half-written file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.serving.payloads import conform_frame, read_csv

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
DEFAULT_CHUNK_ROWS = 10_000

# (rows done, units done, units total): units are bytes for text input, rows for parquet.
Progress = Callable[[int, int], None]


def file_format(path: str | os.PathLike[str], what: str) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from a path's extension; InvalidArgument otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidArgument(
            f"{what} {os.fspath(path)!r:.200} must end in one of {', '.join(FORMATS)}"
        )
    return FORMATS[suffix]


def input_size(path: Path) -> int:
    """What progress counts to: the file's bytes, or its rows for parquet."""
    if file_format(path, "input") == "parquet":
        return int(_parquet(path).metadata.num_rows)
    return path.stat().st_size


def _parquet(path: Path) -> Any:
    """The Parquet file at ``path``; ``InvalidArgument`` when it is not one."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except ValueError as exc:  # pyarrow's ArrowInvalid: no Parquet footer
        raise InvalidArgument(f"input {path.name} cannot be read: {exc}") from None


def predict_file(
    model: Any,
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    chunk_size: int = DEFAULT_CHUNK_ROWS,
    params: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> int:
    """Scores every row of ``input_path`` with ``model`` (a loaded model) into ``output_path``,
    with inference parameters ``params`` (see ``LoadedModel.predict``).

    Returns the number of rows. ``progress(done, total_units)`` is called
    after each chunk (see :func:`input_size`). Raises InvalidArgument for an
    unknown format, unreadable input or a value the signature refuses
    (naming the column and the row within its chunk); the output is then
    not written.
    """
    source, target = Path(input_path), Path(output_path)
    in_format, out_format = _input_format(source), file_format(target, "output")
    if chunk_size < 1:
        raise InvalidArgument(f"chunk size must be at least 1, got {chunk_size}")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    rows = 0
    writer = _Writer(Path(temporary), out_format)
    try:
        for frame, done in _chunks(source, in_format, chunk_size, model.signature):
            data = conform_frame(frame, model.signature)
            writer.write(predictions_frame(model.predict(data, params=params), len(frame)))
            rows += len(frame)
            if progress is not None:
                progress(rows, done)
        writer.close()
        os.replace(temporary, target)
    except BaseException:
        writer.close()
        Path(temporary).unlink(missing_ok=True)
        raise
    return rows


def read_table(path: str | os.PathLike[str], signature: Any = None) -> Any:
    """Every row of a ``.csv``, ``.jsonl`` or ``.parquet`` file as one DataFrame (a CSV's
    string columns of ``signature`` kept strings). Raises ``InvalidArgument`` for an
    unknown format, a missing file or one that is not what its name says."""
    import pandas as pd

    source = Path(path)
    frames = [frame for frame, _ in _chunks(source, _input_format(source), 10**6, signature)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _input_format(source: Path) -> str:
    fmt = file_format(source, "input")
    if not source.is_file():
        raise InvalidArgument(f"input {str(source)!r:.200} is not a file")
    return fmt


def _chunks(path: Path, fmt: str, size: int, signature: Any) -> Iterator[tuple[Any, int]]:
    """(DataFrame, progress units done) per chunk of ``size`` rows; ``InvalidArgument`` for
    a file that is not what its name says (malformed CSV rows, JSON lines or Parquet)."""
    try:
        yield from _read_chunks(path, fmt, size, signature)
    except ValueError as exc:  # pandas' and pyarrow's errors about the bytes they read
        raise InvalidArgument(f"input {path.name} cannot be read: {exc}") from None


def _read_chunks(path: Path, fmt: str, size: int, signature: Any) -> Iterator[tuple[Any, int]]:
    if fmt == "parquet":
        done = 0
        for batch in _parquet(path).iter_batches(batch_size=size):
            done += batch.num_rows
            yield batch.to_pandas(), done
        return
    import pandas as pd

    with path.open("rb") as f:
        if fmt == "csv":
            reader = read_csv(f, signature, chunksize=size)
        else:
            reader = pd.read_json(f, lines=True, chunksize=size, dtype=False)
        for frame in reader:
            yield frame, f.tell()


def predictions_frame(result: Any, rows: int) -> Any:
    """Predictions for ``rows`` input rows as a DataFrame (columns: see the module docs)."""
    import numpy as np
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        frame = result.reset_index(drop=True)
    elif isinstance(result, dict):
        frame = pd.DataFrame({str(k): _column(v) for k, v in result.items()})
    elif isinstance(result, list) and result and all(isinstance(r, dict) for r in result):
        frame = pd.DataFrame.from_records(result)
    else:
        if hasattr(result, "detach"):  # a torch tensor
            result = result.detach().cpu().numpy()
        array = np.asarray(result)
        if array.ndim == 2 and array.shape[1] > 1:
            frame = pd.DataFrame(array, columns=[f"prediction_{i}" for i in range(array.shape[1])])
        else:
            frame = pd.DataFrame({"prediction": array.reshape(len(array), -1)[:, 0]})
    if len(frame) != rows:
        raise InvalidArgument(f"the model returned {len(frame)} predictions for {rows} rows")
    return frame


def _column(values: Any) -> Any:
    import numpy as np

    array = np.asarray(values)
    return list(array) if array.ndim > 1 else array


class _Writer:
    """Appends DataFrames to one CSV, JSON-lines or parquet file."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self._parquet: Any = None
        self._started = False

    def write(self, frame: Any) -> None:
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, table.schema)
            self._parquet.write_table(table)
        elif self.fmt == "csv":
            frame.to_csv(self.path, mode="a", header=not self._started, index=False)
        else:
            with self.path.open("a", encoding="utf-8") as f:
                text = frame.to_json(orient="records", lines=True, date_format="iso")
                f.write(text if text.endswith("\n") else text + "\n")
        self._started = True

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
