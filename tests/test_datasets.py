"""Describing datasets for lineage: digests of the content, schema, row counts."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from modelreg.datasets import Dataset, dataset, from_files, from_numpy, from_pandas
from modelreg.errors import InvalidArgument


def test_a_single_files_digest_is_the_sha256_of_its_bytes(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\x00\x01" * 1000)

    assert from_files(path).digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_csv_gives_its_columns_and_row_count(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("age,income\n31,50000\n45,72000\n29,41000")

    described = from_files(path)

    assert described.num_rows == 3
    assert described.schema["columns"] == [{"name": "age"}, {"name": "income"}]
    assert described.source == path.resolve().as_uri()


def test_a_folders_digest_follows_its_content_not_its_name(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name / "part").mkdir(parents=True)
        (tmp_path / name / "part" / "0.txt").write_text("same")

    first, second = from_files(tmp_path / "a"), from_files(tmp_path / "b")
    (tmp_path / "b" / "part" / "0.txt").write_text("changed")

    assert first.digest == second.digest
    assert from_files(tmp_path / "b").digest != first.digest


def test_a_dataframes_digest_changes_with_any_value(tmp_path):
    df = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})
    changed = df.copy()
    changed.loc[2, "y"] = "z"

    assert from_pandas(df).digest == from_pandas(df.copy()).digest
    assert from_pandas(changed).digest != from_pandas(df).digest


def test_a_dataframe_gives_its_columns_and_rows():
    described = from_pandas(pd.DataFrame({"x": [1.5, 2.5]}), name="train", source="s3://b/t")

    assert (described.name, described.source, described.num_rows) == ("train", "s3://b/t", 2)
    assert described.schema == {"type": "dataframe", "columns": [{"name": "x", "type": "float64"}]}


def test_a_sparse_matrix_has_one_digest_whatever_its_format_and_its_values_change_it():
    import scipy.sparse as sparse

    matrix = sparse.random(6, 4, density=0.5, random_state=0, format="csr")
    changed = matrix.copy()
    changed.data[0] += 1
    wide = sparse.csr_matrix(
        (matrix.data, matrix.indices.astype(np.int64), matrix.indptr.astype(np.int64)),
        shape=matrix.shape,
    )

    digests = {dataset(m).digest for m in (matrix, matrix.tocsc(), sparse.coo_array(matrix), wide)}

    assert len(digests) == 1
    assert dataset(changed).digest not in digests
    assert dataset(matrix.T).digest not in digests
    assert dataset(matrix).schema == {"type": "sparse", "dtype": "float64", "shape": [6, 4]}
    assert dataset(matrix).num_rows == 6


def test_an_arrays_digest_covers_shape_and_dtype():
    a = np.arange(6, dtype=np.int64)

    assert from_numpy(a).digest != from_numpy(a.reshape(2, 3)).digest
    assert from_numpy(a).digest != from_numpy(a.astype(np.int32)).digest
    assert from_numpy(a.reshape(2, 3)).num_rows == 2


def test_dataset_picks_the_description_from_the_type(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("x")

    assert dataset(pd.DataFrame({"a": [1]})).schema["type"] == "dataframe"
    assert dataset(np.zeros(3)).schema["type"] == "ndarray"
    assert dataset(str(path)).schema["type"] == "files"
    assert dataset({"X": np.zeros((4, 2)), "y": np.zeros(4)}).num_rows == 4


def test_a_dataset_is_returned_as_is():
    given = Dataset("d", "0" * 64)

    assert dataset(given) is given


def test_something_that_is_not_data_is_refused():
    with pytest.raises(InvalidArgument, match="cannot describe a object"):
        dataset(object())


def test_a_missing_path_is_refused(tmp_path):
    with pytest.raises(InvalidArgument, match="does not exist"):
        from_files(tmp_path / "nope.csv")
