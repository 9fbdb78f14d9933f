"""The shape of the code: layers, no import cycles, no borrowed private names."""

from __future__ import annotations

import ast
import builtins
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "modelreg"


def test_the_layering_contract_of_pyproject_holds():
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
    result = subprocess.run(
        [sys.executable, "-c", command, "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """Every import between modelreg's modules that runs, function-level ones included."""
    sys.path.insert(0, str(SRC))
    try:
        return grimp.build_graph("modelreg", exclude_type_checking_imports=True, cache_dir=None)
    finally:
        sys.path.remove(str(SRC))


def test_the_graph_is_read_from_this_tree(graph):
    assert "modelreg.services.principal" in graph.modules


def cycles_in(graph: grimp.ImportGraph) -> list[str]:
    """Each import that some chain of imports leads back from, as that cycle."""
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append(" -> ".join((module, *back)))
    return cycles


def test_no_module_imports_itself_back_through_others(graph):
    assert cycles_in(graph) == []


def private_names_imported(path: Path, root: Path = SRC) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("modelreg"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(root)}: {node.module}.{alias.name}")
    return found


def test_no_module_imports_a_private_name_of_another():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in private_names_imported(path)]

    assert found == []


def test_the_private_name_check_sees_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from modelreg.services.registry import _audit, __version__, audit\n")

    assert private_names_imported(sample, tmp_path) == [
        "sample.py: modelreg.services.registry._audit"
    ]


def exceptions_outside_the_hierarchy(path: Path, root: Path = SRC) -> list[str]:
    """Classes deriving straight from a built-in exception: every error modelreg raises on
    purpose is a ``ModelregError`` (``modelreg.errors`` roots the hierarchy), so the CLI
    says it in one line and the server answers it with its status."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.ClassDef) or not node.bases:
            continue
        names = [base.id if isinstance(base, ast.Name) else "" for base in node.bases]
        builtin = [getattr(builtins, name, None) for name in names]
        if all(isinstance(b, type) and issubclass(b, BaseException) for b in builtin):
            found.append(f"{path.relative_to(root)}: {node.name}({', '.join(names)})")
    return found


def test_every_exception_modelreg_defines_is_a_modelreg_error():
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        for hit in exceptions_outside_the_hierarchy(path)
    ]

    assert found == [
        "modelreg/errors.py: ModelregWarning(UserWarning)",
        "modelreg/errors.py: ModelregError(Exception)",
    ]


def test_the_exception_check_sees_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "class Fine(ModelregError): ...\n"
        "class AlsoFine(ModelregError, ImportError): ...\n"
        "class Loose(RuntimeError): ...\n"
    )

    assert exceptions_outside_the_hierarchy(sample, tmp_path) == ["sample.py: Loose(RuntimeError)"]


def test_the_cycle_check_sees_one():
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")

    assert cycles_in(graph)[0] == "a -> b -> c -> a"


MAX_MODULE_LINES = 600


def test_no_module_is_over_600_lines():
    long = {
        str(path.relative_to(SRC)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }

    assert long == {}


@pytest.mark.timeout(900)
def test_mypy_finds_no_error_in_src():
    # The cache lives outside the checkout, as the MLflow venv does, so a CI run on a
    # fresh clone checks only what changed since the last run on that machine.
    cache = Path.home() / ".cache/modelreg-test/mypy"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=850,
    )

    assert result.returncode == 0, result.stdout + result.stderr
