"""A package that an extra brings and that is missing: one line naming the extra, no traceback.

Each case runs in a fresh interpreter in which the package cannot be imported
(``sys.modules[name] = None``, exactly how Python reports an absent package).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

HIDE = "import sys\nfor name in {names!r}: sys.modules[name] = None\n"


def run_without(names: list[str], code: str) -> subprocess.CompletedProcess[str]:
    program = HIDE.format(names=names) + code
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)


def cli_without(names: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    code = f"from modelreg.cli import main\nsys.argv = ['modelreg', *{list(args)!r}]\nmain()\n"
    return run_without(names, code)


def test_the_server_without_the_server_extra_says_what_to_install(tmp_path):
    done = cli_without(
        ["uvicorn"], "server", "--backend-store-uri", f"sqlite:///{tmp_path}/r.db", "--upgrade"
    )

    assert done.returncode == 1
    assert done.stderr == (
        "Error: uvicorn is not installed, and modelreg needs it for the server: "
        "pip install 'modelreg[server]'\n"
    )


def test_a_postgresql_uri_without_the_postgres_extra_names_it_on_the_command_line():
    done = cli_without(
        ["psycopg"], "models", "list", "--tracking-uri", "postgresql://nobody@127.0.0.1:9/x"
    )

    assert done.returncode == 1
    assert done.stderr == (
        "Error: psycopg is not installed, and modelreg needs it for PostgreSQL stores: "
        "pip install 'modelreg[postgres]'\n"
    )


def test_a_postgresql_uri_without_the_postgres_extra_raises_one_clear_error():
    done = run_without(
        ["psycopg"],
        "import modelreg\nfrom modelreg.errors import MissingDependency\n"
        "try:\n    modelreg.Client('postgresql://nobody@127.0.0.1:9/x')\n"
        "except MissingDependency as exc:\n    print(exc)\n",
    )

    assert done.stdout == (
        "psycopg is not installed, and modelreg needs it for PostgreSQL stores: "
        "pip install 'modelreg[postgres]'\n"
    )


def test_loading_a_model_without_its_framework_names_the_extra(tmp_path):
    from sklearn.linear_model import LinearRegression

    import modelreg

    modelreg.set_tracking_uri(tmp_path / "store")
    with modelreg.start_run():
        logged = modelreg.log_model(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), "model")

    done = run_without(
        ["skops", "sklearn"],
        f"import modelreg\nmodelreg.set_tracking_uri({str(tmp_path / 'store')!r})\n"
        f"modelreg.load_model({logged.model_uri!r})\n",
    )

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "modelreg.errors.MissingDependency: skops is not installed, and modelreg needs it for "
        "scikit-learn models and evaluate: pip install 'modelreg[sklearn]'"
    )


def test_the_base_install_brings_the_remote_client_and_the_extras_bring_the_rest():
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    names = {req.split("[")[0].split(">")[0].split("=")[0] for req in project["dependencies"]}
    extras = project["optional-dependencies"]

    assert "httpx" in names and "psycopg" not in names
    assert extras["postgres"] == ["psycopg[binary]>=3.1"]
    assert {"fastapi", "uvicorn[standard]"} <= {req.split(">")[0] for req in extras["server"]}


def test_evaluate_without_scikit_learn_names_the_extra(tmp_path):
    done = run_without(
        ["sklearn"],
        f"import modelreg\nmodelreg.set_tracking_uri({str(tmp_path / 'store')!r})\n"
        "from modelreg.errors import MissingDependency\n"
        "try:\n"
        "    modelreg.evaluate(lambda rows: [0, 1], [[0.0], [1.0]], targets=[0, 1],\n"
        "                      model_type='classifier')\n"
        "except MissingDependency as exc:\n    print(exc)\n",
    )

    assert done.stdout == (
        "sklearn is not installed, and modelreg needs it for scikit-learn models and evaluate: "
        "pip install 'modelreg[sklearn]'\n"
    )
    assert not (tmp_path / "store").exists()  # refused before any run was made


def test_every_extra_that_brings_packages_is_named_when_one_is_missing():
    from modelreg.extras import EXTRAS

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    # The others gather extras (all, test, serve), or warn on their own (system-metrics).
    gathering = {"all", "test", "serve", "system-metrics"}

    assert set(project["optional-dependencies"]) - gathering == set(EXTRAS)


def test_a_frameworks_autolog_without_the_framework_names_its_extra():
    done = run_without(
        ["xgboost"],
        "import modelreg\nfrom modelreg.errors import MissingDependency\n"
        "try:\n    modelreg.xgboost.autolog()\n"
        "except MissingDependency as exc:\n    print(exc)\n",
    )

    assert done.stdout == (
        "xgboost is not installed, and modelreg needs it for XGBoost models: "
        "pip install 'modelreg[xgboost]'\n"
    )


def test_autolog_without_any_framework_names_scikit_learns_extra():
    done = run_without(
        [
            "sklearn",
            "xgboost",
            "lightgbm",
            "keras",
            "transformers",
            "lightning",
            "pytorch_lightning",
        ],
        "import modelreg\nfrom modelreg.errors import MissingDependency\n"
        "try:\n    modelreg.autolog()\n"
        "except MissingDependency as exc:\n    print(exc)\n",
    )

    assert done.stdout.startswith("sklearn is not installed")
    assert done.stdout.endswith("pip install 'modelreg[sklearn]'\n")
