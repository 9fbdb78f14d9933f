"""Signatures: inference from examples, the input check at predict time, compatibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelreg.errors import InvalidArgument
from modelreg.signature import (
    Schema,
    Signature,
    Spec,
    infer_signature,
    signatures_compatible,
)


def frame() -> pd.DataFrame:
    return pd.DataFrame({"age": np.array([30, 40], dtype="int64"), "income": [1.5, 2.5]})


def tensor_signature(dtype: str = "float32", shape: tuple[int, ...] = (-1, 4)) -> Signature:
    return Signature(Schema("tensor", (Spec(None, dtype, shape),)))


# ---------------------------------------------------------------- inference


def test_dataframe_example_gives_column_names_and_dtypes():
    sig = infer_signature(frame().assign(city=["a", "b"]))

    assert sig.inputs == Schema(
        "columns",
        (Spec("age", "int64"), Spec("income", "float64"), Spec("city", "string")),
    )


def test_numpy_example_gives_dtype_and_shape_with_any_batch_size():
    sig = infer_signature(np.zeros((5, 3, 2), dtype=np.float32))

    assert sig.inputs == Schema("tensor", (Spec(None, "float32", (-1, 3, 2)),))


def test_dict_of_arrays_example_gives_one_named_tensor_each():
    sig = infer_signature({"ids": np.zeros((2, 7), dtype=np.int64), "mask": np.ones((2,), bool)})

    assert sig.inputs == Schema(
        "tensors", (Spec("ids", "int64", (-1, 7)), Spec("mask", "bool", (-1,)))
    )


def test_torch_tensor_example_gives_torch_dtype_name():
    import torch

    sig = infer_signature(torch.zeros(3, 8, dtype=torch.float16))

    assert sig.inputs == Schema("tensor", (Spec(None, "float16", (-1, 8)),))


def test_output_example_becomes_the_output_schema():
    sig = infer_signature(frame(), np.array([0, 1]))

    assert sig.outputs == Schema("tensor", (Spec(None, "int64", (-1,)),))


def test_example_of_unsupported_type_is_refused_by_name():
    with pytest.raises(InvalidArgument, match="model_input: cannot infer a signature from set"):
        infer_signature({1, 2})


def test_signature_survives_a_json_round_trip():
    import json

    sig = infer_signature({"x": np.zeros((2, 3), np.float32)}, np.zeros(2))

    assert Signature.from_dict(json.loads(json.dumps(sig.to_dict()))) == sig


def test_malformed_signature_dict_is_refused():
    with pytest.raises(InvalidArgument, match="schema kind must be one of"):
        Signature.from_dict({"inputs": {"kind": "table", "specs": []}})


# ---------------------------------------------------------------- input check


def test_missing_column_is_named():
    sig = infer_signature(frame())

    with pytest.raises(InvalidArgument, match="input column 'income' missing"):
        sig.check_input(frame().drop(columns=["income"]))


def test_float_column_where_int_is_expected_is_refused_naming_the_column():
    sig = infer_signature(frame())

    with pytest.raises(
        InvalidArgument, match="input column 'age': expected dtype int64, got float64"
    ):
        sig.check_input(frame().astype({"age": "float64"}))


def test_narrower_int_column_is_widened_before_the_model_sees_it():
    sig = infer_signature(frame())

    checked = sig.check_input(frame().astype({"age": "int32"}))

    assert checked["age"].dtype == np.int64


def test_extra_columns_are_dropped_and_order_follows_the_signature():
    sig = infer_signature(frame())

    checked = sig.check_input(frame()[["income", "age"]].assign(extra=1))

    assert list(checked.columns) == ["age", "income"]


def test_dict_is_accepted_where_columns_are_expected():
    sig = infer_signature(frame())

    checked = sig.check_input({"age": [1, 2], "income": [0.5, 0.7]})

    assert list(checked.columns) == ["age", "income"]


def test_array_given_where_a_dataframe_is_expected_is_refused():
    sig = infer_signature(frame())

    with pytest.raises(InvalidArgument, match="expects a pandas DataFrame with columns"):
        sig.check_input(np.zeros((2, 2)))


def test_float64_array_where_float32_is_expected_is_refused():
    with pytest.raises(InvalidArgument, match="expected dtype float32, got float64"):
        tensor_signature().check_input(np.zeros((2, 4)))


def test_float32_array_is_widened_to_float64():
    checked = tensor_signature("float64").check_input(np.zeros((2, 4), np.float32))

    assert checked.dtype == np.float64


def test_wrong_shape_is_refused_with_both_shapes():
    with pytest.raises(InvalidArgument, match=r"expected shape \(-1, 4\), got \(2, 5\)"):
        tensor_signature().check_input(np.zeros((2, 5), np.float32))


def test_missing_dict_entry_is_named():
    sig = infer_signature({"ids": np.zeros((2, 3), np.int64), "mask": np.zeros((2, 3), bool)})

    with pytest.raises(InvalidArgument, match="input 'mask' missing"):
        sig.check_input({"ids": np.zeros((1, 3), np.int64)})


def test_torch_tensor_with_narrower_dtype_is_widened():
    import torch

    checked = tensor_signature("float64").check_input(torch.zeros(2, 4, dtype=torch.float32))

    assert checked.dtype == torch.float64


# ---------------------------------------------------------------- compatibility


def test_identical_signatures_are_compatible():
    assert signatures_compatible(infer_signature(frame()), infer_signature(frame()))


def test_new_required_column_is_incompatible():
    old = infer_signature(frame())
    new = infer_signature(frame().assign(city=["a", "b"]))

    assert not signatures_compatible(old, new)


def test_dropping_a_column_is_compatible():
    old = infer_signature(frame())
    new = infer_signature(frame()[["age"]])

    assert signatures_compatible(old, new)


def test_narrowed_input_dtype_is_incompatible_and_widened_one_compatible():
    assert not signatures_compatible(tensor_signature("float64"), tensor_signature("float32"))
    assert signatures_compatible(tensor_signature("float32"), tensor_signature("float64"))


def test_changed_fixed_dimension_is_incompatible():
    assert not signatures_compatible(
        tensor_signature(shape=(-1, 4)), tensor_signature(shape=(-1, 5))
    )


def test_changed_output_dtype_is_incompatible():
    old = infer_signature(frame(), np.array([0, 1]))
    new = infer_signature(frame(), np.array([0.2, 0.8]))

    assert not signatures_compatible(old, new)


def test_missing_signature_on_either_side_counts_as_compatible():
    assert signatures_compatible(None, infer_signature(frame()))
    assert signatures_compatible(infer_signature(frame()), None)


def test_list_that_fits_is_passed_on_unchanged():
    data = [[1.0, 2.0, 3.0, 4.0]]

    assert tensor_signature("float64").check_input(data) is data


# ---------------------------------------------------------------- validate_schema


def test_validate_schema_accepts_data_that_fits_and_names_what_does_not():
    from modelreg.models import validate_schema

    inputs = infer_signature(frame()).inputs

    validate_schema(frame().astype({"age": "int32"}), inputs)  # widened, as at predict
    validate_schema(frame(), inputs.to_dict())
    with pytest.raises(InvalidArgument, match="income"):
        validate_schema(frame().drop(columns="income"), inputs)
    with pytest.raises(InvalidArgument, match="shape"):
        validate_schema(np.zeros((2, 3), dtype="float32"), tensor_signature().inputs)


def test_validate_schema_refuses_a_schema_that_is_not_one():
    from modelreg.models import validate_schema

    with pytest.raises(InvalidArgument, match="expected_schema must be a Schema or a dict"):
        validate_schema(frame(), ["age", "income"])
    with pytest.raises(InvalidArgument, match="schema kind must be one of"):
        validate_schema(frame(), {"kind": "rows", "specs": []})
