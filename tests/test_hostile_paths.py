"""Path traversal in every artifact path a caller can give, on every backend.

Each hostile path is tried against every entry point that takes one (logging,
listing, downloading, ``runs:/`` and ``models:/`` URIs, version sources,
``load_model``): all refuse it with ``InvalidArgument`` and nothing is
written anywhere, whatever encoding hides the traversal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import modelreg
from modelreg.artifact_files import check_artifact_path
from modelreg.errors import InvalidArgument

TRAVERSALS = [
    pytest.param("../../../etc/passwd", id="plain"),
    pytest.param("model/../../../../etc/passwd", id="inner-dotdot"),
    pytest.param("/etc/passwd", id="absolute"),
    pytest.param("%2e%2e/%2e%2e/%2e%2e/etc/passwd", id="url-encoded"),
    pytest.param("..%2f..%2f..%2fetc%2fpasswd", id="encoded-slash"),
    pytest.param("%252e%252e/%252e%252e/etc/passwd", id="double-encoded"),
    pytest.param("..\\..\\etc\\passwd", id="backslash"),
    pytest.param("..%5c..%5cetc%5cpasswd", id="encoded-backslash"),
    pytest.param("C:\\Windows\\win.ini", id="drive-letter"),
    pytest.param("model/\x00/../etc/passwd", id="nul"),
    pytest.param("model%00/x", id="encoded-nul"),
    pytest.param("..;/..;/etc/passwd", id="semicolon"),
    pytest.param("..?/etc/passwd", id="question-mark"),
    pytest.param("..#/etc/passwd", id="hash"),
    pytest.param("\uff0e\uff0e/\uff0e\uff0e/etc/passwd", id="fullwidth-dots"),
    pytest.param("..\uff0f..\uff0fetc\uff0fpasswd", id="fullwidth-slash"),
    pytest.param("\u2025/\u2025/etc/passwd", id="two-dot-leader"),
    pytest.param("..\u2215..\u2215etc\u2215passwd", id="division-slash"),
    pytest.param("..%c0%af..%c0%afetc%c0%afpasswd", id="overlong-utf8"),
]

HARMLESS = ["model/weights.bin", "a b/c d.txt", "100%.txt", "a;b", "q?x", "x#1", "1\u20442"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_the_artifact_path_check_refuses_every_disguise(path):
    with pytest.raises(InvalidArgument):
        check_artifact_path(path)


@pytest.mark.parametrize("path", HARMLESS)
def test_odd_but_harmless_paths_are_kept_as_written(path):
    assert check_artifact_path(path) == path


@pytest.fixture
def registered(client, tmp_path):
    """A run with model/weights.bin, registered as version 1 of model 'm'."""
    run_id = client.create_run("0").info.run_id
    client.log_text(run_id, "weights", "model/weights.bin")
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model")
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "f.txt").write_text("f")
    return run_id


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _accepted(call, *args, **kwargs) -> bool:
    try:
        call(*args, **kwargs)
    except InvalidArgument:
        return False
    return True


def test_every_artifact_entry_point_refuses_every_hostile_path(client, registered, tmp_path):
    # One store for all the paths: setting up a store per path would cost more than the checks.
    run_id = registered
    before = _files(tmp_path)
    dst = tmp_path / "dst"
    upload = tmp_path / "upload"
    accepted = []
    for param in TRAVERSALS:
        path = param.values[0]
        calls = {
            "log_text": (client.log_text, (run_id, "x", path), {}),
            "log_artifact": (client.log_artifact, (run_id, upload / "f.txt", path), {}),
            "log_artifacts": (client.log_artifacts, (run_id, upload, path), {}),
            "list_artifacts": (client.list_artifacts, (run_id, path), {}),
            "download": (client.download_artifacts, (run_id, path, dst), {}),
            "runs:/ download": (
                client.download_artifacts,
                (),
                {"artifact_uri": f"runs:/{run_id}/{path}", "dst_path": dst},
            ),
            "models:/ download": (
                client.download_artifacts,
                (),
                {"artifact_uri": f"models:/m/1/{path}", "dst_path": dst},
            ),
            "version download": (client.download_model_version_artifacts, ("m", 1, path, dst), {}),
            "runs:/ source": (client.create_model_version, ("m", f"runs:/{run_id}/{path}"), {}),
            "load_model": (modelreg.load_model, (f"runs:/{run_id}/{path}",), {"client": client}),
        }
        accepted += [(param.id, name) for name, (f, a, k) in calls.items() if _accepted(f, *a, **k)]

    assert accepted == []
    assert sorted(client._backend.artifacts.manifest(run_id)) == ["model/weights.bin"]
    assert [v.version for v in client.search_model_versions("name = 'm'")] == [1]
    assert {p for p in _files(tmp_path) - before if "cache" not in p.parts} == set()
