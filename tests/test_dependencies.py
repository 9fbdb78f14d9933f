"""What modelreg imports is what it declares; CI's pins stay out of the published package."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Imported inside ``try: … except ImportError`` with a working fallback (JSON
# instead of YAML), so no install needs it.
OPTIONAL_WITH_FALLBACK = {"yaml"}


def requirements() -> list[Requirement]:
    listed = [*PROJECT["dependencies"]]
    for extra in PROJECT["optional-dependencies"].values():
        listed.extend(extra)
    return [Requirement(r) for r in listed]


def imported_packages() -> set[str]:
    """The top-level names of every third-party package ``src/modelreg`` imports."""
    names = set()
    for path in (ROOT / "src" / "modelreg").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"modelreg"}


def test_every_imported_package_is_declared_in_the_dependencies_or_an_extra():
    declared = {canonicalize_name(r.name) for r in requirements()}
    distributions = packages_distributions()

    undeclared = {
        name: distributions.get(name)
        for name in sorted(imported_packages() - OPTIONAL_WITH_FALLBACK)
        if not {canonicalize_name(d) for d in distributions.get(name, [name])} & declared
    }

    assert undeclared == {}


def test_the_server_extra_declares_the_frameworks_it_builds_on():
    server = {
        canonicalize_name(Requirement(r).name) for r in PROJECT["optional-dependencies"]["server"]
    }

    assert {"fastapi", "starlette", "pydantic", "anyio"} <= server


def test_fastapi_is_capped_because_the_server_reads_undocumented_routing_details():
    fastapi = next(r for r in requirements() if r.name == "fastapi")

    assert any(spec.operator == "<" for spec in fastapi.specifier)


def test_no_published_requirement_pins_an_exact_release():
    pinned = [str(r) for r in requirements() if any(s.operator == "==" for s in r.specifier)]

    assert pinned == []


def readme_test_command() -> str:
    line = next(line for line in (ROOT / "README.md").read_text().splitlines() if "pytest" in line)
    return line.split("  #", 1)[0].strip()


def test_the_readme_test_command_installs_with_the_ci_constraints():
    # That .ci/run runs this very command (quietly) is test_docs.py's to check.
    assert "-c .ci/constraints.txt" in readme_test_command()


def test_ci_constraints_pin_the_torch_build_on_the_ci_machine():
    pins = re.findall(r"^([\w.-]+)==(\S+)$", (ROOT / ".ci" / "constraints.txt").read_text(), re.M)

    assert ("torch", "2.13.0") in pins
