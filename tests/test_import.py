"""``import modelreg`` stays light."""

import subprocess
import sys

HEAVY = [
    "sqlalchemy.dialects.postgresql", "pandas", "numpy", "sklearn", "torch", "onnx", "boto3",
    "xgboost", "lightgbm", "catboost", "keras", "transformers", "starlette", "uvicorn",
]  # fmt: skip


def test_import_modelreg_loads_no_heavy_module():
    code = f"import sys, modelreg; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


def test_public_names_resolve():
    import modelreg

    missing = [name for name in modelreg.__all__ if not hasattr(modelreg, name)]

    assert missing == []


def test_all_lists_exactly_the_lazy_names_and_submodules():
    import modelreg

    expected = sorted([*modelreg._LAZY, *modelreg._SUBMODULES, "__version__"])

    assert modelreg.__all__ == expected
