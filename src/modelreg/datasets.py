"""Datasets as lineage records: a name, a sha256 digest of the content, source, schema, rows.

>>> import modelreg
>>> from modelreg.datasets import from_pandas
>>> with modelreg.start_run():
...     modelreg.log_input(from_pandas(train_df, name="train", source="s3://bucket/train.parquet"))
...     modelreg.log_input("data/holdout.csv", context="evaluation")

The digest is computed here, where the data is, so only the description
travels to the store. A single file's digest is the plain sha256 of its
bytes (what ``sha256sum`` prints); a folder's or several files' digest covers
their relative paths and contents; a DataFrame's covers its column names,
dtypes, index and values; an array's its dtype, shape and bytes. pandas and
numpy are imported only when such data is passed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument

__all__ = [
    "Dataset",
    "DatasetInput",
    "InputTag",
    "dataset",
    "from_files",
    "from_numpy",
    "from_pandas",
]

DEFAULT_NAME = "dataset"
# The tag MLflow keeps a dataset input's context in.
CONTEXT_TAG = "mlflow.data.context"
# The key under which a dataset an MLflow client logged keeps MLflow's description of it
# (its fields, all strings) in the dataset's source.
MLFLOW_DESCRIPTION = "mlflow_dataset"
# Enough to see what a folder holds without making the record huge.
MAX_LISTED_FILES = 100
_CHUNK = 1 << 20
_TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t"}


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset as lineage knows it; ``digest`` is a sha256 hex string of its content."""

    name: str
    digest: str
    source: str | None = None
    schema: dict[str, Any] | None = None
    num_rows: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "digest": self.digest,
            "source": self.source,
            "schema": self.schema,
            "num_rows": self.num_rows,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Dataset:
        return cls(d["name"], d["digest"], d.get("source"), d.get("schema"), d.get("num_rows"))

    @property
    def source_type(self) -> str:
        """Where the data is, as MLflow's ``Dataset.source_type`` says it: ``local``,
        ``http``, ``s3`` … (the source's scheme), ``code`` for a dataset without a source
        (the data was made by the code)."""
        described = mlflow_description(self.source)
        if described and isinstance(described.get("source_type"), str):
            return described["source_type"]
        return source_type_of(source_uri(self.source))

    @property
    def profile(self) -> str | None:
        """A summary of the data as JSON text, as MLflow's ``Dataset.profile``
        (``{"num_rows": 150}``); None when nothing is known."""
        described = mlflow_description(self.source)
        if described and isinstance(described.get("profile"), str):
            return described["profile"]
        return None if self.num_rows is None else json.dumps({"num_rows": self.num_rows})


def mlflow_description(source: str | None) -> dict[str, Any] | None:
    """MLflow's own description of a dataset an MLflow client logged, kept in its
    ``source`` (see :data:`MLFLOW_DESCRIPTION`); None for any other dataset."""
    kept = _json(source)
    if isinstance(kept, dict) and isinstance(kept.get(MLFLOW_DESCRIPTION), dict):
        return kept[MLFLOW_DESCRIPTION]
    return None


def source_uri(source: str | None) -> str | None:
    """The URI or path a dataset's ``source`` names: the text itself, or the ``uri``,
    ``url`` or ``path`` of an MLflow source (JSON, such as ``{"uri": "s3://b/k"}``,
    also within MLflow's description of a dataset an MLflow client logged); None when
    it names none."""
    described = mlflow_description(source)
    if described is not None:
        source = described.get("source")
    parsed = _json(source)
    if isinstance(parsed, dict):
        found = [parsed.get(key) for key in ("uri", "url", "path")]
        return next((value for value in found if isinstance(value, str) and value), None)
    return source or None


def source_type_of(uri: str | None) -> str:
    """The kind of source ``uri`` is, by MLflow's names: ``local`` (a path or ``file://``
    URI), ``http`` (or https), ``s3`` … (its scheme), ``code`` for none."""
    if uri is None:
        return "code"
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else "file"
    return {"file": "local", "https": "http"}.get(scheme, scheme)


def _json(text: Any) -> Any:
    if not isinstance(text, str) or not text.startswith("{"):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def tagged_input(
    data: Dataset, context: str | None, tags: Mapping[str, str] | None
) -> DatasetInput:
    """``data`` as a run's input with ``tags``: in ``context``, else in the one the tags'
    ``mlflow.data.context`` names, else in ``training`` (MLflow's ``log_input``).

    Raises ``InvalidArgument`` for tags that are not a mapping."""
    if tags is not None and not isinstance(tags, Mapping):
        raise InvalidArgument(f"tags must be a mapping of key to value, got {tags!r:.60}")
    others = dict(tags or {})
    named = others.pop(CONTEXT_TAG, None)
    return DatasetInput(data, named or "training" if context is None else context, others)


def as_input(item: Any, context: str) -> DatasetInput:
    """``item`` as a run's input: a ``DatasetInput`` as it is, a ``Dataset`` in ``context``.

    Raises ``InvalidArgument`` for anything else."""
    if isinstance(item, DatasetInput):
        return item
    if not isinstance(item, Dataset):
        raise InvalidArgument(
            f"datasets: expected a Dataset or DatasetInput, got {type(item).__name__}"
        )
    return DatasetInput(item, context)


@dataclass(frozen=True, slots=True)
class InputTag:
    """A tag of a run's dataset input (MLflow's ``InputTag``)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class DatasetInput:
    """A dataset used by a run, how (``context``: ``training``, ``evaluation`` …) and
    the input's other tags (``other_tags``: MLflow's ``log_input(tags=…)``)."""

    dataset: Dataset
    context: str
    other_tags: dict[str, str] = field(default_factory=dict)

    @property
    def tags(self) -> list[InputTag]:
        """The input's tags as MLflow has them: the context as ``mlflow.data.context``,
        then the others."""
        others = [InputTag(k, v) for k, v in self.other_tags.items()]
        return [InputTag(CONTEXT_TAG, self.context), *others]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dataset": self.dataset.to_dict(), "context": self.context}
        if self.other_tags:
            out["other_tags"] = dict(self.other_tags)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DatasetInput:
        return cls(Dataset.from_dict(d["dataset"]), d["context"], dict(d.get("other_tags") or {}))


def dataset(data: Any, name: str | None = None, source: str | None = None) -> Dataset:
    """A ``Dataset`` describing ``data``, whatever it is.

    ``data`` may be a ``Dataset`` (returned as is), a pandas DataFrame or
    Series, a numpy array (or a list of numbers), a SciPy sparse matrix (a text
    model's TF-IDF features), a mapping of names to arrays (``{"X": X, "y": y}``),
    or a local file or folder path (or a list of them). Raises ``InvalidArgument``
    for anything else or a missing path.
    """
    if isinstance(data, Dataset):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return from_pandas(data, name, source)
    if module == "numpy" or isinstance(data, list | tuple) and not _all_paths(data):
        return from_numpy(data, name, source)
    if module == "scipy" and hasattr(data, "tocsr"):
        return from_sparse(data, name, source)
    if isinstance(data, str | os.PathLike) or isinstance(data, list | tuple) and data:
        return from_files(data, name, source)
    if isinstance(data, Mapping):
        return _from_mapping(data, name, source)
    raise InvalidArgument(
        f"cannot describe a {type(data).__name__} as a dataset: pass a pandas DataFrame, "
        "a numpy array, a mapping of arrays, a file or folder path, or a Dataset"
    )


def from_pandas(df: Any, name: str | None = None, source: str | None = None) -> Dataset:
    """A dataset for a pandas DataFrame (or Series): digest over columns, dtypes, index, values."""
    import pandas as pd

    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise InvalidArgument(f"expected a pandas DataFrame, got {type(df).__name__}")
    columns = [{"name": str(c), "type": str(t)} for c, t in df.dtypes.items()]
    h = hashlib.sha256(json.dumps(columns).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    schema = {"type": "dataframe", "columns": columns}
    return Dataset(name or DEFAULT_NAME, h.hexdigest(), source, schema, len(df))


def from_numpy(array: Any, name: str | None = None, source: str | None = None) -> Dataset:
    """A dataset for an array: digest over dtype, shape and the bytes in C order."""
    import numpy as np

    a = np.asarray(array)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    if a.dtype.hasobject:
        # Object arrays hold pointers; their text is what is stable.
        h.update("\0".join(map(repr, a.ravel().tolist())).encode())
    else:
        h.update(np.ascontiguousarray(a).tobytes())
    schema = {"type": "ndarray", "dtype": str(a.dtype), "shape": list(a.shape)}
    rows = int(a.shape[0]) if a.ndim else None
    return Dataset(name or DEFAULT_NAME, h.hexdigest(), source, schema, rows)


def from_sparse(matrix: Any, name: str | None = None, source: str | None = None) -> Dataset:
    """A dataset for a SciPy sparse matrix or array: digest over dtype, shape and its
    canonical CSR form (duplicates summed, indices sorted), so the same values give the
    same digest whatever the format (CSR, CSC, COO …) they came in."""
    csr = matrix.tocsr(copy=True)
    csr.sum_duplicates()
    csr.sort_indices()
    import numpy as np

    h = hashlib.sha256(f"sparse{csr.dtype.str}{csr.shape}".encode())
    for part in (csr.indptr, csr.indices):  # int32 or int64 as SciPy chose: one width here
        h.update(np.asarray(part, dtype="<i8").tobytes())
    h.update(np.ascontiguousarray(csr.data).tobytes())
    schema = {"type": "sparse", "dtype": str(csr.dtype), "shape": list(csr.shape)}
    return Dataset(name or DEFAULT_NAME, h.hexdigest(), source, schema, int(csr.shape[0]))


def _from_mapping(data: Mapping[str, Any], name: str | None, source: str | None) -> Dataset:
    h = hashlib.sha256()
    fields: dict[str, Any] = {}
    rows: set[int | None] = set()
    for key in sorted(data, key=str):
        part = dataset(data[key])
        h.update(f"{key}\0{part.digest}\n".encode())
        fields[str(key)] = part.schema
        rows.add(part.num_rows)
    schema = {"type": "mapping", "fields": fields}
    return Dataset(
        name or DEFAULT_NAME, h.hexdigest(), source, schema, rows.pop() if len(rows) == 1 else None
    )


def from_files(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    name: str | None = None,
    source: str | None = None,
) -> Dataset:
    """A dataset for local files or folders, read once to hash them.

    One file: the sha256 of its bytes. Several, or a folder: sha256 over the
    sorted ``relative path NUL file digest`` lines (paths inside the folder,
    so the folder's own name does not count). CSV and TSV files also
    give their header as the schema's columns and their line count as rows.
    ``source`` defaults to the ``file://`` URI of the (first) path. Raises
    ``InvalidArgument`` for a path that does not exist or an empty folder.
    """
    roots = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
    if not roots:
        raise InvalidArgument("no file given to describe as a dataset")
    files: list[tuple[str, Path]] = []
    for root in roots:
        if root.is_dir():
            # One folder: paths inside it, so renaming the folder keeps the digest.
            prefix = f"{root.name}/" if len(roots) > 1 else ""
            found = sorted(p for p in root.rglob("*") if p.is_file())
            files += [(prefix + p.relative_to(root).as_posix(), p) for p in found]
        elif root.is_file():
            files.append((root.name, root))
        else:
            raise InvalidArgument(f"dataset path '{root}' does not exist")
    if not files:
        raise InvalidArgument(f"dataset folder '{roots[0]}' holds no files")
    listed: list[dict[str, Any]] = []
    rows, columns = 0, None
    combined = hashlib.sha256()
    for relative, path in sorted(files):
        digest, lines, header = _hash_file(path)
        combined.update(f"{relative}\0{digest}\n".encode())
        listed.append({"path": relative, "size": path.stat().st_size, "digest": digest})
        if header is not None:
            rows += max(lines - 1, 0)
            columns = columns or header
    single = len(files) == 1 and roots[0].is_file()
    schema: dict[str, Any] = {"type": "files", "files": listed[:MAX_LISTED_FILES]}
    if len(listed) > MAX_LISTED_FILES:
        schema["file_count"] = len(listed)
    if columns is not None:
        schema["columns"] = [{"name": c} for c in columns]
    return Dataset(
        name or roots[0].name or DEFAULT_NAME,
        listed[0]["digest"] if single else combined.hexdigest(),
        source or roots[0].resolve().as_uri(),
        schema,
        rows if columns is not None else None,
    )


def _hash_file(path: Path) -> tuple[str, int, list[str] | None]:
    """sha256 of a file; for CSV/TSV also its line count and header columns."""
    separator = _TABLE_SUFFIXES.get(path.suffix.lower())
    h = hashlib.sha256()
    lines, first, last = 0, b"", b""
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            if separator is not None:
                lines += chunk.count(b"\n")
                if len(first) < 65536 and b"\n" not in first:
                    first += chunk[:65536]
            last = chunk
    if separator is None:
        return h.hexdigest(), 0, None
    if first and not last.endswith(b"\n"):
        lines += 1  # a last line without a newline still counts
    header = first.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    return h.hexdigest(), lines, [c.strip().strip('"') for c in header.split(separator)]


def _all_paths(items: list[Any] | tuple[Any, ...]) -> bool:
    return bool(items) and all(isinstance(i, str | os.PathLike) for i in items)
