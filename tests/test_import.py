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


def test_no_lazy_name_is_also_a_submodule_that_would_shadow_it():
    # Importing modelreg.X sets the package's attribute X to the module: a function
    # exported lazily under that name would become a module for every later caller.
    import pkgutil

    import modelreg

    submodules = {m.name for m in pkgutil.iter_modules(modelreg.__path__)}

    assert sorted(set(modelreg._LAZY) & submodules) == []


def test_the_public_functions_stay_functions_after_every_submodule_is_imported():
    code = (
        "import importlib, pkgutil, modelreg\n"
        "for m in pkgutil.iter_modules(modelreg.__path__):\n"
        "    if m.name != '__main__':\n"
        "        try:\n"
        "            importlib.import_module('modelreg.' + m.name)\n"
        "        except ImportError:\n"
        "            pass\n"
        "module = type(pkgutil)\n"
        "print(sorted(n for n in modelreg._LAZY if isinstance(getattr(modelreg, n), module)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


# What a remote client must never load: it talks HTTP and nothing else.
SERVER_SIDE = ("sqlalchemy", "alembic", "psycopg", "modelreg.store", "modelreg.services")


def test_a_remote_client_loads_no_database_store_or_service_code(live_server):
    code = (
        "import sys, modelreg\n"
        f"client = modelreg.Client({live_server!r})\n"
        "client.search_registered_models()\n"
        "client.get_or_create_registered_model('imports')\n"
        "print(sorted({m.split('.')[0] if not m.startswith('modelreg') else m "
        f"for m in sys.modules if m.startswith({SERVER_SIDE!r})}}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"
