"""Optional dependencies: which extra brings which package, and one clear line when one is missing.

The base install runs the embedded store on SQLite and the remote client.
Everything else comes with an extra (``pip install 'modelreg[server]'``);
code that reaches for a package an extra brings runs under
:func:`needs_extras`, which turns the ``ModuleNotFoundError`` into a
:class:`~modelreg.errors.MissingDependency` saying what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from modelreg.errors import MissingDependency

# extra -> (what it is for, the top-level modules it brings)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "server": (
        "the server",
        (
            "fastapi",
            "starlette",
            "pydantic",
            "anyio",
            "uvicorn",
            "jinja2",
            "markupsafe",
            "prometheus_client",
        ),
    ),
    "postgres": ("PostgreSQL stores", ("psycopg",)),
    "s3": ("S3 artifact stores", ("boto3", "botocore")),
    "sklearn": ("scikit-learn models and evaluate", ("sklearn", "skops")),
    "torch": ("PyTorch models", ("torch", "safetensors")),
    "onnx": ("ONNX models", ("onnx", "onnxruntime")),
    "pandas": ("DataFrames", ("pandas",)),
    "parquet": ("Parquet tables", ("pyarrow",)),
    "images": ("images", ("PIL",)),
    "xgboost": ("XGBoost models", ("xgboost",)),
    "lightgbm": ("LightGBM models", ("lightgbm",)),
    "catboost": ("CatBoost models", ("catboost",)),
    "keras": ("Keras models", ("keras",)),
    "transformers": ("Transformers models", ("transformers", "tokenizers")),
    "lightning": ("PyTorch Lightning autologging", ("lightning", "pytorch_lightning")),
    "plots": ("autolog's training plots and log_figure", ("matplotlib",)),
}
_EXTRA_OF = {module: extra for extra, (_, modules) in EXTRAS.items() for module in modules}


def missing_dependency(exc: ImportError) -> MissingDependency | None:
    """The one-line error for a failed import of a package an extra brings, else ``None``."""
    module = (exc.name or "").split(".")[0]
    extra = _EXTRA_OF.get(module)
    if extra is None:
        return None
    purpose = EXTRAS[extra][0]
    return MissingDependency(
        f"{module} is not installed, and modelreg needs it for {purpose}: "
        f"pip install 'modelreg[{extra}]'"
    )


@contextmanager
def needs_extras() -> Iterator[None]:
    """Runs the block; a package an extra brings that fails to import raises
    ``MissingDependency`` naming the extra (other import errors pass unchanged)."""
    try:
        yield
    except ModuleNotFoundError as exc:
        error = missing_dependency(exc)
        if error is None:
            raise
        raise error from None
