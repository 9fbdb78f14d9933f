"""Signatures written by hand as MLflow code writes them (``mlflow.types``): the same
signature ``infer_signature`` gives for such data, enforced the same way."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg
from modelreg.errors import InvalidArgument
from modelreg.models import ModelSignature, infer_signature
from modelreg.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

FRAME = pd.DataFrame({"age": [31.0, 45.5, 27.0], "city": ["Oslo", "Lima", "Pune"]})
LABELS = np.array([0, 1, 0])


def test_a_hand_written_signature_is_the_inferred_one():
    written = ModelSignature(
        inputs=Schema([ColSpec("double", "age"), ColSpec(DataType.string, "city")]),
        outputs=Schema([ColSpec("long")]),
        params=ParamSchema([ParamSpec("temperature", "double", 0.5)]),
    )

    assert written == infer_signature(FRAME, LABELS, params={"temperature": 0.5})


def test_tensors_unnamed_and_named():
    image = TensorSpec(np.dtype("float32"), (-1, 28, 28))
    assert ModelSignature(Schema([image])) == infer_signature(np.zeros((2, 28, 28), "float32"))

    pair = Schema([TensorSpec(np.float32, (-1, 4), "a"), TensorSpec(np.int64, (-1,), "b")])
    inferred = infer_signature({"a": np.zeros((2, 4), "float32"), "b": np.zeros(2, "int64")})
    assert pair == inferred.inputs


def test_unnamed_columns_of_one_type_are_an_array():
    assert Schema([ColSpec("double")] * 3) == infer_signature(np.zeros((2, 3))).inputs


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_model_logged_with_it_checks_its_input(client):
    numbers = FRAME[["age"]]
    model = LogisticRegression().fit(numbers, LABELS)
    signature = ModelSignature(Schema([ColSpec("double", "age")]), Schema([ColSpec("long")]))
    with modelreg.start_run():
        info = modelreg.log_model(model, name="model", signature=signature)

    loaded = modelreg.load_model(info.model_uri)

    assert list(loaded.predict(numbers)) == list(model.predict(numbers))
    with pytest.raises(InvalidArgument, match="age"):
        loaded.predict(pd.DataFrame({"years": [30.0]}))


@pytest.mark.parametrize(
    ("specs", "problem"),
    [
        ([ColSpec("decimal", "price")], "'price'.*unknown type 'decimal'"),
        ([ColSpec("double", "age", required=False)], "'age'.*optional columns"),
        ([ColSpec("double", "age"), ColSpec("long")], "name every column or tensor"),
        ([ColSpec("double"), ColSpec("long")], "unnamed columns.*one type"),
        ([ColSpec("double", "age"), TensorSpec(np.float32, (-1,), "t")], "cannot be mixed"),
        ([], "at least one"),
    ],
)
def test_a_schema_that_cannot_be_says_why(specs, problem):
    with pytest.raises(InvalidArgument, match=problem):
        Schema(specs)


def test_the_names_are_where_mlflow_code_imports_them_from_too():
    from modelreg.types import schema

    assert (schema.Schema, schema.ColSpec, schema.TensorSpec) == (Schema, ColSpec, TensorSpec)
