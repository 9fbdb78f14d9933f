"""What code and environment a run ran with, captured as run tags when ``start_run`` starts one.

- ``modelreg.source.git.commit``, ``modelreg.source.git.branch`` and
  ``modelreg.source.git.repoURL`` (the MLflow-compatible API shows MLflow
  clients MLflow's ``mlflow.source.git.*`` names), plus
  ``modelreg.source.git.dirty`` (``true`` when tracked files have uncommitted
  changes), for the git repository holding the working directory;
- ``modelreg.environment``: JSON with the Python version, platform and the
  versions of the main ML packages that are installed.

Cheap by design: finding the repository is a few ``stat`` calls up the
directory tree, so outside a repository no process is started; inside one,
a single ``git status`` gives the commit, branch and dirty flag, and the
remote URL is read from the repository's config file (with any credentials
in it removed). The environment is read from package metadata once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["GIT_COMMIT_TAG", "capture_run_tags", "environment", "git_info"]

GIT_COMMIT_TAG = "modelreg.source.git.commit"
GIT_BRANCH_TAG = "modelreg.source.git.branch"
GIT_REPO_URL_TAG = "modelreg.source.git.repoURL"
GIT_DIRTY_TAG = "modelreg.source.git.dirty"
ENVIRONMENT_TAG = "modelreg.environment"
# The packages whose versions say most about how a model was trained.
PACKAGES = (
    "modelreg",
    "numpy",
    "pandas",
    "scikit-learn",
    "torch",
    "onnx",
    "onnxruntime",
    "xgboost",
    "lightgbm",
)
GIT_TIMEOUT_SECONDS = 10


def capture_run_tags(cwd: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The code-version and environment tags for a run started in ``cwd`` (default: the cwd)."""
    tags = {ENVIRONMENT_TAG: json.dumps(environment(), sort_keys=True)}
    git = git_info(cwd)
    if git is not None:
        tags[GIT_COMMIT_TAG] = git["commit"]
        tags[GIT_DIRTY_TAG] = "true" if git["dirty"] else "false"
        if git.get("branch"):
            tags[GIT_BRANCH_TAG] = git["branch"]
        if git.get("repo_url"):
            tags[GIT_REPO_URL_TAG] = git["repo_url"]
    return tags


@cache
def environment() -> dict[str, Any]:
    """Python version, implementation, platform and installed versions of :data:`PACKAGES`."""
    from modelreg.environment import capture_environment

    return capture_environment(PACKAGES)


def find_repository(start: Path) -> Path | None:
    """The closest folder at or above ``start`` that holds a ``.git`` entry."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def git_info(cwd: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    """``commit``, ``branch``, ``dirty`` and ``repo_url`` of the repository holding ``cwd``.

    ``None`` outside a repository (no process started), when ``git`` is not
    installed, or when the repository has no commit yet.
    """
    root = find_repository(Path(cwd or os.getcwd()).resolve())
    if root is None:
        return None
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    commit, branch, dirty = None, None, False
    for line in done.stdout.splitlines():
        if line.startswith("# branch.oid "):
            commit = line.split(" ", 2)[2]
        elif line.startswith("# branch.head "):
            branch = line.split(" ", 2)[2]
        elif line and not line.startswith("#"):
            dirty = True
    if commit is None or commit == "(initial)":
        return None
    return {
        "commit": commit,
        "branch": None if branch == "(detached)" else branch,
        "dirty": dirty,
        "repo_url": _remote_url(root),
    }


def _git_dir(root: Path) -> Path:
    dot_git = root / ".git"
    if dot_git.is_file():  # worktree or submodule: "gitdir: <path>"
        text = dot_git.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            git_dir = (root / text[len("gitdir:") :].strip()).resolve()
            common = git_dir / "commondir"
            if common.is_file():
                return (git_dir / common.read_text().strip()).resolve()
            return git_dir
    return dot_git


def _remote_url(root: Path) -> str | None:
    """The URL of remote ``origin`` (else the first remote), credentials removed."""
    try:
        text = (_git_dir(root) / "config").read_text(errors="replace")
    except OSError:
        return None
    remotes: dict[str, str] = {}
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line.strip("[]").strip()
        elif section and section.startswith('remote "') and "=" in line:
            key, _, value = line.partition("=")
            if key.strip().lower() == "url":
                remotes.setdefault(section[len('remote "') : -1], value.strip())
    url = remotes.get("origin") or next(iter(remotes.values()), None)
    return None if url is None else strip_credentials(url)


def strip_credentials(url: str) -> str:
    """``https://user:token@host/repo`` → ``https://host/repo``; other schemes keep the user
    name (``ssh://git@host``) but lose any password; scp-style URLs are unchanged."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    if parts.scheme.lower() in ("http", "https"):
        netloc = host
    else:
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))
