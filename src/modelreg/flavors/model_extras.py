"""What a model folder keeps besides the model, as MLflow's ``log_model`` options do:
``metadata`` and ``model_config`` (JSON objects: ``ModelInfo.metadata``, and what a
``PythonModel``'s context holds as ``model_config``), ``extra_files``
(copied to ``extra_files/``) and a conda environment (``conda_env``), of which modelreg
keeps the pip requirements."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument

EXTRA_DIR = "extra_files"


def json_object(value: Any, field: str) -> dict[str, Any] | None:
    """``value`` (``metadata``, ``model_config``) as a dict that JSON keeps as it is;
    raises InvalidArgument naming ``field`` otherwise."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidArgument(f"{field} must be a dict with string keys")
    try:
        return dict(json.loads(json.dumps(dict(value), allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"{field} must hold JSON values only: {exc}") from None


def copy_extra_files(
    sources: Iterable[str | os.PathLike[str]] | None, directory: Path
) -> list[str]:
    """Copies each file of ``sources`` into ``extra_files/`` of the model ``directory``;
    returns their paths in the model. Raises InvalidArgument for a missing file, a
    folder, or two files of one name."""
    if sources is None:
        return []
    if isinstance(sources, str | os.PathLike):
        raise InvalidArgument("extra_files must be a list of file paths")
    copied: list[str] = []
    for source in map(Path, sources):
        if not source.is_file():
            raise InvalidArgument(f"extra_files: {source} is not a file")
        relative = f"{EXTRA_DIR}/{source.name}"
        if relative in copied:
            raise InvalidArgument(f"extra_files: two files are named {source.name!r}")
        (directory / EXTRA_DIR).mkdir(exist_ok=True)
        shutil.copyfile(source, directory / relative)
        copied.append(relative)
    return sorted(copied)


def conda_pip_requirements(conda_env: Any) -> list[str] | None:
    """The pip requirements of a conda environment (a dict, or the path of its YAML file):
    the ``pip:`` list among its ``dependencies``, as MLflow writes them. Raises
    InvalidArgument for an unreadable file or an environment of another shape."""
    if conda_env is None:
        return None
    if isinstance(conda_env, str | os.PathLike):
        conda_env = _read_yaml(Path(conda_env))
    dependencies = conda_env.get("dependencies") if isinstance(conda_env, Mapping) else None
    if not isinstance(dependencies, list):
        raise InvalidArgument("conda_env must be a conda environment with a dependencies list")
    found: list[str] = []
    for entry in dependencies:
        if isinstance(entry, Mapping) and "pip" in entry:
            pip = entry["pip"]
            if not isinstance(pip, list) or not all(isinstance(r, str) for r in pip):
                raise InvalidArgument("conda_env: dependencies' pip entry must list strings")
            found += [r.strip() for r in pip if r.strip()]
    return found


def _read_yaml(path: Path) -> Any:
    try:
        import yaml
    except ImportError:
        raise InvalidArgument(f"conda_env: reading {path} needs PyYAML installed") from None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidArgument(f"conda_env: cannot read {path}: {exc}") from None
