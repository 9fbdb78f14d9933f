"""The package uses only the public API of its dependencies, and builds no code at run time.

A dependency's private names (``conn._has_events``) and internals with public
spellings (``compiled.positiontup``) change without notice in a minor
release. The source is read as Python syntax: an attribute access whose name
starts with one underscore must name something modelreg itself defines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import modelreg

SRC = Path(modelreg.__file__).parent

# Underscore names that are documented public API: namedtuple's methods (which
# SQLAlchemy's Row shares: _mapping, _asdict, _fields, _t, _tuple) and os._exit.
PUBLIC_UNDERSCORE_NAMES = {"_asdict", "_exit", "_fields", "_make", "_mapping", "_replace", "_t"}
# SQLAlchemy internals spelled without an underscore, which the store once used.
INTERNAL_NAMES = {"positiontup", "POSTCOMPILE", "_has_events"}


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def _names_defined_by_modelreg() -> set[str]:
    """Every name modelreg binds: functions, classes, arguments, variables, attributes, slots."""
    names: set[str] = set()
    for _path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[0])
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets
            ):
                names.update(e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant))
    return names


def _attribute_reads(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """``(node, name)`` of every attribute read: ``x.name`` and ``getattr(x, "name")``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
            yield node, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            yield node, node.args[1].value


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(SRC.parent)}:{getattr(node, 'lineno', '?')}"


def test_no_private_attribute_of_a_dependency_is_used():
    own = _names_defined_by_modelreg() - INTERNAL_NAMES
    found = [
        f"{_where(path, node)} .{name}"
        for path, tree in _modules()
        for node, name in _attribute_reads(tree)
        if name.startswith("_")
        and not name.startswith("__")
        and name not in own | PUBLIC_UNDERSCORE_NAMES
    ]
    assert found == []


def test_no_internal_of_sqlalchemy_with_a_public_spelling_is_used():
    found = [
        f"{path.relative_to(SRC.parent)}: {name}"
        for path in sorted(SRC.rglob("*.py"))
        for name in sorted(INTERNAL_NAMES)
        if name in path.read_text()
    ]
    assert found == []


def test_no_private_module_of_a_dependency_is_imported():
    found = [
        f"{_where(path, node)} {node.module}"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.split(".")[0] not in ("modelreg", "__future__")
        and any(part.startswith("_") for part in node.module.split("."))
    ]
    assert found == []


def test_no_code_is_built_at_run_time_and_no_object_changes_class():
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("exec", "eval", "compile")
            ):
                found.append(f"{_where(path, node)} {node.func.id}()")
            if isinstance(node, ast.Attribute) and node.attr == "__class__":
                if isinstance(node.ctx, ast.Store):
                    found.append(f"{_where(path, node)} __class__ assignment")
    assert found == []
