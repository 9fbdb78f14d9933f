"""The one speed trick of the scoring server: numeric rows to scikit-learn as an array.

A scikit-learn model fitted on a DataFrame spends most of a small
prediction checking the DataFrame (about 0.5 ms of a 0.6 ms call for a
four-column logistic regression, most of a request): the same prediction
from the same values as a 2-D array takes a fifth of that. The check it
skips is that the columns are the ones the model was fitted on, in order;
the signature check here does that instead.

:func:`array_predictor` offers the array path only when it is equivalent:
the model is a scikit-learn estimator whose ``feature_names_in_`` are
exactly the signature's columns, in order; every column is numeric (or
float), so the DataFrame's own array (``DataFrame.to_numpy``, which
scikit-learn uses) has one dtype, ``numpy.result_type`` of the columns';
and the two paths give identical predictions on the model's input example.
:meth:`ArrayPredictor.rows` then accepts a request only when its values
already have exactly the columns' types (numbers where numbers are
declared, integral values in integer columns, no nulls, nothing out of
range); anything else goes the general way (:mod:`modelreg.serving.payloads`),
which converts it or refuses it with the message naming the column.

scikit-learn warns ("X does not have valid feature names") when a model
fitted with names gets an array; a serving process that uses the array
path ignores that warning.
"""

from __future__ import annotations

import warnings
from typing import Any

from modelreg.signature import Signature

_FEATURE_NAMES_WARNING = r"X does not have valid feature names"


class ArrayPredictor:
    """Predicts rows of the signature's numeric columns, given as lists, with one array call."""

    def __init__(self, predict: Any, columns: list[str], dtypes: list[Any], common: Any) -> None:
        import numpy as np

        self.predict = predict
        self.columns = columns
        self._dtype = common
        self._np = np
        self._int_columns = [i for i, d in enumerate(dtypes) if d.kind in "iu"]
        self._ranges = [(i, np.iinfo(dtypes[i])) for i in self._int_columns]

    def rows(self, payload: Any) -> Any:
        """The 2-D array for a ``dataframe_split`` or ``dataframe_records`` body, or None.

        None means "take the general path": another shape of body, or values
        the general path must convert or refuse.
        """
        if not isinstance(payload, dict) or len(payload) != 1:
            return None
        if "dataframe_split" in payload:
            split = payload["dataframe_split"]
            if not isinstance(split, dict) or split.get("columns") != self.columns:
                return None
            data = split.get("data")
        elif "dataframe_records" in payload:
            records = payload["dataframe_records"]
            if not isinstance(records, list) or not all(
                isinstance(r, dict) and len(r) == len(self.columns) for r in records
            ):
                return None
            try:
                data = [[r[c] for c in self.columns] for r in records]
            except KeyError:
                return None
        else:
            return None
        return self._array(data)

    def _array(self, data: Any) -> Any:
        np = self._np
        if not isinstance(data, list) or not data:
            return None
        try:
            array = np.asarray(data)
        except ValueError:
            return None
        if array.ndim != 2 or array.shape[1] != len(self.columns):
            return None
        kind = array.dtype.kind
        if kind not in "iuf":
            return None  # strings, nulls, mixed values: the general path says what is wrong
        if self._int_columns:
            ints = array[:, self._int_columns]
            if kind == "f" and not bool(np.all(ints == np.round(ints))):
                return None
            for i, info in self._ranges:
                column = array[:, i]
                if column.min() < info.min or column.max() > info.max:
                    return None
        return array.astype(self._dtype, copy=False)


def array_predictor(model: Any) -> ArrayPredictor | None:
    """The array path for a loaded model, or None when it is not equivalent (see the module)."""
    signature: Signature | None = model.signature
    if model.flavor != "sklearn" or signature is None or signature.inputs.kind != "columns":
        return None
    names = getattr(model.native, "feature_names_in_", None)
    columns = [str(s.name) for s in signature.inputs.specs]
    if names is None or [str(n) for n in names] != columns:
        return None
    import numpy as np

    try:
        dtypes = [np.dtype(s.dtype) for s in signature.inputs.specs]
    except TypeError:
        return None
    if any(d.kind not in "iuf" for d in dtypes):
        return None
    fast = ArrayPredictor(model.native.predict, columns, dtypes, np.result_type(*dtypes))
    warnings.filterwarnings("ignore", message=_FEATURE_NAMES_WARNING, category=UserWarning)
    return fast if _agrees(model, fast) else None


def _agrees(model: Any, fast: ArrayPredictor) -> bool:
    """Whether both paths give identical predictions on the model's input example."""
    import numpy as np

    from modelreg.serving.payloads import parse_payload

    example = model.input_example
    array = fast.rows(example) if example is not None else None
    if array is None:
        return False
    try:
        general = np.asarray(model.predict(parse_payload(example, model.signature)))
        quick = np.asarray(fast.predict(array))
    except Exception:
        return False
    return general.shape == quick.shape and bool(np.array_equal(general, quick))
