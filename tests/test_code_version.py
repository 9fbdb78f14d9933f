"""start_run records the code version (git) and the environment as run tags, cheaply."""

from __future__ import annotations

import json
import subprocess

import pytest

import modelreg

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository with one commit of train.py, as the working directory."""
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=root, check=True)
    (root / "train.py").write_text("print('train')\n")
    subprocess.run([*GIT, "add", "train.py"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "first"], cwd=root, check=True)
    monkeypatch.chdir(root)
    modelreg.set_tracking_uri(str(tmp_path / "store"))
    return root


def head(root) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def started_tags() -> dict[str, str]:
    with modelreg.start_run() as run:
        return modelreg.get_run(run.info.run_id).data.tags


def test_a_run_records_the_commit_branch_and_a_clean_tree(repo):
    tags = started_tags()

    assert tags["modelreg.source.git.commit"] == head(repo)
    assert tags["modelreg.source.git.branch"] == "main"
    assert tags["modelreg.source.git.dirty"] == "false"


def test_uncommitted_changes_mark_the_run_dirty(repo):
    (repo / "train.py").write_text("print('changed')\n")

    assert started_tags()["modelreg.source.git.dirty"] == "true"


def test_the_remote_url_is_recorded_without_credentials(repo):
    remote = "https://bot:ghp_secret@example.com/org/repo.git"
    subprocess.run(["git", "remote", "add", "origin", remote], cwd=repo, check=True)

    assert started_tags()["modelreg.source.git.repoURL"] == "https://example.com/org/repo.git"


def test_the_environment_is_recorded(repo):
    environment = json.loads(started_tags()["modelreg.environment"])

    assert environment["python"].count(".") == 2
    assert environment["packages"]["modelreg"] == modelreg.__version__


def test_tags_given_to_start_run_win(repo):
    with modelreg.start_run(tags={"modelreg.source.git.commit": "pinned"}) as run:
        tags = modelreg.get_run(run.info.run_id).data.tags

    assert tags["modelreg.source.git.commit"] == "pinned"


def test_outside_a_repository_no_git_process_runs_and_no_git_tag_is_set(tmp_path, monkeypatch):
    modelreg.set_tracking_uri(str(tmp_path / "store"))

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    tags = started_tags()

    assert not [key for key in tags if "git" in key]
    assert "modelreg.environment" in tags
