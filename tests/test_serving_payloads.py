"""Scoring request bodies: MLflow's formats in, values checked against the signature."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modelreg.errors import InvalidArgument
from modelreg.serving.payloads import parse_request, predictions_json
from modelreg.signature import Schema, Signature, Spec

COLUMNS = Signature(
    Schema("columns", (Spec("age", "int64"), Spec("income", "float32"), Spec("city", "string")))
)
TENSOR = Signature(Schema("tensor", (Spec(None, "float32", (-1, 2)),)))
NAMED = Signature(
    Schema("tensors", (Spec("ids", "int64", (-1, 2)), Spec("mask", "int64", (-1, 2))))
)
ROWS = [[31, 52000.5, "Oslo"], [45, 61000.0, "Bergen"]]
EXPECTED = pd.DataFrame(
    {
        "age": np.array([31, 45], dtype="int64"),
        "income": np.array([52000.5, 61000.0], dtype="float32"),
        "city": ["Oslo", "Bergen"],
    }
)


def parse(payload, signature=COLUMNS):
    return parse_request(json.dumps(payload).encode(), "application/json", signature)


def records(rows=ROWS):
    return [dict(zip(["age", "income", "city"], row, strict=True)) for row in rows]


@pytest.mark.parametrize(
    "payload",
    [
        {"dataframe_split": {"columns": ["age", "income", "city"], "data": ROWS}},
        {"dataframe_records": records()},
        {"instances": records()},
        {"inputs": {"age": [31, 45], "income": [52000.5, 61000.0], "city": ["Oslo", "Bergen"]}},
    ],
    ids=["dataframe_split", "dataframe_records", "instances", "inputs"],
)
def test_every_json_format_gives_the_same_frame_in_signature_dtypes(payload):
    frame = parse(payload)

    pd.testing.assert_frame_equal(frame, EXPECTED, check_dtype=True, check_index_type=False)


def test_csv_keeps_string_columns_as_strings():
    body = b"age,income,city\n31,52000.5,Oslo\n45,61000,Bergen\n"

    frame = parse_request(body, "text/csv; charset=utf-8", COLUMNS)

    pd.testing.assert_frame_equal(frame, EXPECTED, check_index_type=False)


def test_a_missing_column_is_named():
    with pytest.raises(InvalidArgument, match="input column 'city' missing"):
        parse({"dataframe_records": [{"age": 1, "income": 2.0}]})


def test_a_string_in_a_number_column_names_the_column_and_row():
    rows = [[31, 1.0, "Oslo"], [45, "lots", "Bergen"]]

    with pytest.raises(
        InvalidArgument, match=r"column 'income': expected float32, got 'lots' in row 1"
    ):
        parse({"dataframe_split": {"columns": ["age", "income", "city"], "data": rows}})


def test_a_fraction_in_an_integer_column_is_refused():
    with pytest.raises(InvalidArgument, match=r"column 'age': expected int64, got 31.5 in row 0"):
        parse({"dataframe_records": records([[31.5, 1.0, "Oslo"]])})


def test_a_null_in_an_integer_column_is_refused():
    with pytest.raises(InvalidArgument, match="'age': expected int64, got a missing value in row"):
        parse({"dataframe_records": records([[1, 1.0, "a"], [None, 2.0, "b"]])})


def test_a_null_in_a_float_column_becomes_nan():
    frame = parse({"dataframe_records": records([[1, None, "a"], [2, 2.0, "b"]])})

    assert np.isnan(frame["income"][0]) and frame["income"].dtype == "float32"


def test_a_number_out_of_range_for_the_dtype_is_refused():
    signature = Signature(Schema("columns", (Spec("level", "int8"),)))

    with pytest.raises(InvalidArgument, match="300 in row 0 does not fit in int8"):
        parse({"inputs": {"level": [300]}}, signature)


def test_a_number_in_a_string_column_is_refused():
    with pytest.raises(InvalidArgument, match="column 'city': expected strings, got 7 in row 0"):
        parse({"dataframe_records": records([[1, 1.0, 7]])})


def test_a_tensor_input_is_an_array_of_the_signature_dtype():
    array = parse({"inputs": [[1, 2], [3, 4]]}, TENSOR)

    assert array.dtype == np.float32 and array.shape == (2, 2)


def test_named_tensors_come_from_a_dict_or_from_instances():
    as_dict = parse({"inputs": {"ids": [[1, 2]], "mask": [[1, 1]]}}, NAMED)
    as_rows = parse({"instances": [{"ids": [1, 2], "mask": [1, 1]}]}, NAMED)

    for name in ("ids", "mask"):
        np.testing.assert_array_equal(as_dict[name], as_rows[name])


def test_ragged_rows_are_refused():
    with pytest.raises(InvalidArgument, match="the rows do not form an array"):
        parse({"inputs": [[1, 2], [3]]}, TENSOR)


def test_two_format_keys_are_refused():
    with pytest.raises(InvalidArgument, match="exactly one of the keys"):
        parse({"inputs": [[1, 2]], "instances": [[1, 2]]}, TENSOR)


def test_an_unknown_key_is_named():
    with pytest.raises(InvalidArgument, match=r"unexpected keys \['params'\]"):
        parse({"inputs": [[1, 2]], "params": {}}, TENSOR)


def test_a_body_that_is_not_json_is_refused():
    with pytest.raises(InvalidArgument, match="not valid JSON"):
        parse_request(b"{nope", "application/json", TENSOR)


def test_another_content_type_is_refused():
    with pytest.raises(InvalidArgument, match="Content-Type 'text/plain' is not supported"):
        parse_request(b"1,2", "text/plain", TENSOR)


def test_a_split_row_of_the_wrong_width_is_refused():
    with pytest.raises(InvalidArgument, match="row 1 must be a list of 3 values"):
        parse({"dataframe_split": {"columns": ["age", "income", "city"], "data": [ROWS[0], [1]]}})


def test_without_a_signature_rows_become_an_array_and_records_a_frame():
    assert parse({"inputs": [[1, 2]]}, None).shape == (1, 2)
    assert list(parse({"instances": [{"x": 1}]}, None).columns) == ["x"]


def test_unicode_strings_pass_through():
    frame = parse({"dataframe_records": records([[1, 1.0, "Zürich ☃"]])})

    assert frame["city"][0] == "Zürich ☃"


def test_predictions_of_every_shape_become_json():
    frame = pd.DataFrame({"label": ["a"], "score": [0.5]})

    assert json.loads(predictions_json(np.array([1, 2]))) == {"predictions": [1, 2]}
    assert json.loads(predictions_json(frame)) == {"predictions": [{"label": "a", "score": 0.5}]}
    assert json.loads(predictions_json({"y": np.array([[1.5]])})) == {"predictions": {"y": [[1.5]]}}
