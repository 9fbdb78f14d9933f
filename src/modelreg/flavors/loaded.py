"""The object ``load_model_dir`` returns: a model with a checked ``predict``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelreg.signature import Signature


class LoadedModel:
    """A loaded model of any flavor.

    ``predict(input)`` checks ``input`` against ``signature`` (when there is
    one) and calls the model; ``native`` is the framework object itself (the
    estimator, ``nn.Module``, ``onnxruntime.InferenceSession`` or python
    object); ``metadata`` is the model directory's manifest.
    """

    def __init__(
        self,
        *,
        path: Path,
        flavor: str,
        native: Any,
        predict_fn: Callable[[Any], Any],
        signature: Signature | None,
        metadata: dict[str, Any],
    ) -> None:
        self.path = path
        self.flavor = flavor
        self.native = native
        self.signature = signature
        self.metadata = metadata
        self._predict = predict_fn

    def predict(self, data: Any) -> Any:
        """The model's prediction for ``data``.

        Raises InvalidArgument naming the missing column or tensor, the wrong
        dtype or the wrong shape when ``data`` does not fit the signature.
        """
        if self.signature is not None:
            data = self.signature.check_input(data)
        return self._predict(data)

    def unwrap_python_model(self) -> Any:
        """The model object itself (MLflow's name for it; the same as ``native``)."""
        return self.native

    @property
    def environment(self) -> dict[str, Any]:
        """Python and package versions the model was saved with."""
        return self.metadata.get("environment", {})

    @property
    def requirements(self) -> list[str]:
        return list(self.metadata.get("requirements", []))

    @property
    def input_example(self) -> dict[str, Any] | None:
        """The first rows of the input example given at save time, as a scoring-request
        body (``{"dataframe_split": …}`` or ``{"inputs": …}``), or None."""
        example = self.metadata.get("input_example")
        return example if isinstance(example, dict) else None

    def __repr__(self) -> str:
        return (
            f"LoadedModel(flavor={self.flavor!r}, native={type(self.native).__name__}, "
            f"path={str(self.path)!r})"
        )
