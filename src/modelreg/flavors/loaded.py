"""The object ``load_model_dir`` returns: a model with a checked ``predict``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg.errors import InvalidArgument
from modelreg.signature import Signature
from modelreg.signature_params import check_params, given_params

if TYPE_CHECKING:
    from modelreg.flavors.model_dir import ModelInfo


class LoadedModel:
    """A loaded model of any flavor.

    ``predict(input, params=None)`` checks ``input`` (and ``params``) against
    ``signature`` (when there is one) and calls the model; ``native`` is the
    framework object itself (the estimator, ``nn.Module``,
    ``onnxruntime.InferenceSession`` or python object); ``metadata`` is the model's
    :class:`~modelreg.flavors.ModelInfo` (MLflow's ``model.metadata``:
    ``metadata.get_input_schema()``, ``metadata.run_id``, ``metadata.manifest``).
    """

    def __init__(
        self,
        *,
        path: Path,
        flavor: str,
        native: Any,
        predict_fn: Callable[..., Any],
        metadata: ModelInfo,
    ) -> None:
        self.path = path
        self.flavor = flavor
        self.native = native
        self.signature: Signature | None = metadata.signature
        self.metadata = metadata
        self._predict = predict_fn
        self._takes_params = _takes_params(predict_fn)

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        """The model's prediction for ``data``, with inference parameters ``params``
        (a model that takes them: a ``PythonModel`` or class whose ``predict`` has a
        ``params`` argument, a Transformers pipeline, which gets them as keywords).

        When the signature declares params, the model gets each of them: the given
        value or its default. Raises InvalidArgument naming the missing column or
        tensor, the wrong dtype or the wrong shape when ``data`` does not fit the
        signature, and naming the param that is unknown or of the wrong type, or
        saying the model takes none.

        >>> model.predict(["Hello"], params={"max_new_tokens": 20})
        """
        declared = None if self.signature is None else self.signature.params
        given = given_params(params)
        if given and not self._takes_params:
            raise InvalidArgument(
                f"params: this {self.flavor} model's predict takes no inference parameters "
                f"(given {', '.join(repr(k) for k in given)})"
            )
        if declared is not None:
            given = check_params(declared, given)
        if self.signature is not None:
            data = self.signature.check_input(data)
        if not self._takes_params or (params is None and declared is None):
            return self._predict(data)
        return self._predict(data, params=given)

    def unwrap_python_model(self) -> Any:
        """The model object itself (MLflow's name for it; the same as ``native``)."""
        return self.native

    def get_raw_model(self) -> Any:
        """The framework's model object (MLflow 3's name for it; the same as ``native``)."""
        return self.native

    @property
    def model_id(self) -> str | None:
        """The id of the logged model this model was loaded from, when the store says."""
        return self.metadata.model_id

    @property
    def environment(self) -> dict[str, Any]:
        """Python and package versions the model was saved with."""
        return self.metadata.environment

    @property
    def requirements(self) -> list[str]:
        return list(self.metadata.requirements)

    @property
    def input_example(self) -> dict[str, Any] | None:
        """The first rows of the input example given at save time, as a scoring-request
        body (``{"dataframe_split": …}`` or ``{"inputs": …}``), or None."""
        example = self.metadata.manifest.get("input_example")
        return example if isinstance(example, dict) else None

    def __repr__(self) -> str:
        return (
            f"LoadedModel(flavor={self.flavor!r}, native={type(self.native).__name__}, "
            f"path={str(self.path)!r})"
        )


def _takes_params(predict: Callable[..., Any]) -> bool:
    """Whether ``predict`` has a ``params`` argument (not any ``**kwargs``: scikit-learn's
    ``Pipeline.predict`` routes those to its steps)."""
    try:
        parameters = inspect.signature(predict).parameters
    except (TypeError, ValueError):  # a builtin or extension type says nothing
        return False
    found = parameters.get("params")
    return found is not None and found.kind is not found.VAR_POSITIONAL
