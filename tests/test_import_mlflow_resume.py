"""``modelreg import-mlflow``: interrupted and resumed, dry runs, verification, big files, auth."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

import modelreg
from conftest import free_port
from loopback_proxy import LoopbackProxy
from mlflow_source_fixtures import MlflowHistory, mlflow_history  # noqa: F401 - a fixture
from modelreg.mlflow_import import Options, import_mlflow
from modelreg.mlflow_import.progress import Progress
from modelreg.mlflow_import.source import (
    ARTIFACTS_API,
    SourceAuth,
    SourceError,
    proxied_root,
)

pytestmark = pytest.mark.timeout(1800)

ROOT = Path(__file__).resolve().parent.parent
RUN_EVENTS = (
    "SELECT count(*) FROM audit_events WHERE action = 'import_mlflow' AND entity_type = 'run'"
)
SUBSET = ["-e", "long_history", "-e", "my_experiment", "-m", "aliased", "-m", "my_model"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "modelreg", "import-mlflow", *args]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_an_unreachable_source_is_said_in_one_line_with_exit_code_1(tmp_path: Path):
    source = f"http://127.0.0.1:{free_port()}"

    result = subprocess.run(
        _cli(source, "--tracking-uri", str(tmp_path / "target"), "--dry-run"),
        env=_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: cannot reach {source}: ")
    assert result.stderr.count("\n") == 1


def test_an_import_killed_mid_way_resumes_without_duplicating_anything(
    mlflow_history: MlflowHistory,  # noqa: F811
    tmp_path: Path,
):
    target = tmp_path / "target"
    args = _cli(mlflow_history.url, "--tracking-uri", str(target), *SUBSET)
    # One worker, so the kill lands after the first metrics and before any version.
    process = subprocess.Popen(
        [*args, "--workers", "1"], env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    db = target / "registry.db"
    deadline = time.monotonic() + 600
    while _count(db, "SELECT count(*) FROM metrics") == 0:
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        assert time.monotonic() < deadline, "the import wrote no metric in 10 minutes"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished_runs = _count(
        db,
        "SELECT count(*) FROM audit_events WHERE action = 'import_mlflow' AND entity_type = 'run'",
    )
    assert _count(db, "SELECT count(*) FROM model_versions") == 0, "killed too late"

    resumed = subprocess.run(
        [*args, "--workers", "4", "--json"], env=_env(), capture_output=True, text=True, timeout=900
    )

    assert resumed.returncode == 0, resumed.stderr[-3000:]
    report = json.loads(resumed.stdout)
    for row, counts in report["counts"].items():
        assert counts["source"] == counts["target"], row
    client = modelreg.Client(str(target))
    long_run = mlflow_history.ids["long_run"]
    expected = mlflow_history.run(long_run)["metrics"]["loss"]
    got = client.get_metric_history(long_run, "loss")
    assert [(m.step, m.timestamp) for m in got] == [(p[0], p[1]) for p in expected]
    events = _count(
        db,
        "SELECT count(*) FROM audit_events WHERE action = 'import_mlflow' AND entity_type = 'run'",
    )
    assert events == report["counts"]["runs"]["source"] > finished_runs
    versions = client.search_model_versions("name = 'aliased'")
    assert sorted(v.version for v in versions) == [1, 2, 4]


def test_files_of_runs_whose_artifacts_mlflow_serves_are_read_through_its_artifact_api(
    mlflow_history: MlflowHistory,  # noqa: F811
    tmp_path: Path,
):
    proxy = LoopbackProxy(mlflow_history.url)
    try:
        result = import_mlflow(
            proxy.url,
            str(tmp_path / "target"),
            options=Options(experiments=("my_experiment", "images")),
            mapping_file=tmp_path / "ids.json",
            progress=Progress(enabled=False),
        )
    finally:
        proxy.close()

    downloads = [h.split("\r\n", 1)[0] for h in proxy.request_heads if h.startswith("GET ")]
    assert any(line.startswith(f"GET {ARTIFACTS_API}/") for line in downloads)
    assert [line for line in downloads if line.startswith("GET /get-artifact")] == []
    source_files, target_files = result.counts["artifacts"]
    assert source_files > 0
    assert source_files == target_files + 1  # odd/．．/notes.txt is left out, and reported


def test_credentials_in_the_source_url_are_used_and_kept_out_of_the_audit_trail_and_files(
    mlflow_history: MlflowHistory,  # noqa: F811
    tmp_path: Path,
):
    proxy = LoopbackProxy(mlflow_history.url)
    with_credentials = proxy.url.replace("http://", "http://bob:hunter2@")
    target = str(tmp_path / "target")
    try:
        import_mlflow(
            with_credentials,
            target,
            options=Options(experiments=("my_experiment",), models=("aliased",)),
            mapping_file=tmp_path / "ids.json",
            progress=Progress(enabled=False),
        )
    finally:
        proxy.close()

    sent = base64.b64encode(b"bob:hunter2").decode()
    assert all(f"Authorization: Basic {sent}" in head for head in proxy.request_heads)
    events = modelreg.Client(target).get_history("aliased")
    shown = {e.after["mlflow_url"] for e in events if e.action == "import_mlflow"}
    assert shown == {proxy.url}
    assert "hunter2" not in (tmp_path / "ids.json").read_text()
    with pytest.raises(SourceError) as unreachable:
        import_mlflow(
            f"http://bob:hunter2@127.0.0.1:{free_port()}",
            target,
            options=Options(dry_run=True),
            progress=Progress(enabled=False),
        )
    assert "hunter2" not in str(unreachable.value)


def test_a_dry_run_lists_what_it_would_copy_and_writes_nothing(
    mlflow_history: MlflowHistory,  # noqa: F811
    tmp_path: Path,
):
    target = str(tmp_path / "target")

    result = import_mlflow(
        mlflow_history.url,
        target,
        options=Options(experiments=("my_experiment",), models=("aliased",), dry_run=True),
        mapping_file=tmp_path / "ids.json",
        progress=Progress(enabled=False),
    )

    assert result.plan is not None
    [experiment] = result.plan.experiments
    assert experiment["name"] == "my_experiment" and not experiment["exists"]
    assert experiment["new_runs"] == experiment["runs"] > 0
    assert experiment["new_files"] > 0
    assert result.plan.models == [
        {"name": "aliased", "versions": 3, "new_versions": 3, "aliases": 2}
    ]
    client = modelreg.Client(target)
    assert client.get_experiment_by_name("my_experiment") is None
    assert client.search_registered_models() == []
    assert not (tmp_path / "ids.json").exists()


def test_verify_finds_an_artifact_damaged_in_the_target(
    mlflow_history: MlflowHistory,  # noqa: F811
    tmp_path: Path,
):
    target = tmp_path / "target"
    options = Options(experiments=("my_experiment",), models=("my_model",))
    import_mlflow(mlflow_history.url, str(target), options=options, mapping_file=None)
    seed = mlflow_history.ids["seed_run"]
    digest = modelreg.Client(str(target))._backend.artifacts.manifest(seed)["model/weights.txt"]
    blob = target / "artifacts" / digest.digest[:2] / digest.digest[2:]
    if not blob.exists():
        blob = next((target / "artifacts").rglob(digest.digest[2:]))
    blob.chmod(0o644)
    blob.write_bytes(b"tampered")

    checked = import_mlflow(
        mlflow_history.url,
        str(target),
        options=Options(experiments=("my_experiment",), models=("my_model",), verify=True),
        mapping_file=None,
    )

    damaged = [p for p in checked.problems if p.kind == "artifact"]
    assert [p.what for p in damaged] == [f"run {seed}: model/weights.txt"]
    assert "damaged in the target" in damaged[0].detail


@pytest.mark.skipif(
    os.environ.get("MODELREG_TEST_BIG_ARTIFACT_MB") == "0", reason="no big artifact seeded"
)
def test_a_big_artifact_is_streamed_never_held_in_memory(
    mlflow_history: MlflowHistory,  # noqa: F811
    tmp_path: Path,
):
    target = str(tmp_path / "target")
    tracemalloc.start()
    try:
        import_mlflow(
            mlflow_history.url,
            target,
            options=Options(experiments=("big",)),
            mapping_file=None,
            progress=Progress(enabled=False),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    expected = mlflow_history.run(mlflow_history.ids["big_run"])["artifacts"]["data/big.bin"]
    stored = modelreg.Client(target)._backend.artifacts.manifest(mlflow_history.ids["big_run"])
    assert stored["data/big.bin"].digest == expected["sha256"]
    assert stored["data/big.bin"].size == expected["size"] >= 100 << 20
    assert peak < 64 << 20, f"peak Python memory {peak >> 20} MiB"


def test_the_source_is_read_with_the_token_mlflow_clients_use(
    mlflow_history: MlflowHistory,  # noqa: F811
    tmp_path: Path,
):
    from loopback_proxy import LoopbackProxy

    proxy = LoopbackProxy(mlflow_history.url)
    try:
        import_mlflow(
            proxy.url,
            str(tmp_path / "target"),
            auth=SourceAuth(token="s3cret"),
            options=Options(experiments=("Default",), models=("renamed_model",), dry_run=True),
        )
        basic = SourceAuth(username="ann", password="pw")
        import_mlflow(
            proxy.url,
            str(tmp_path / "target"),
            auth=basic,
            options=Options(experiments=("Default",), dry_run=True),
        )
    finally:
        proxy.close()

    heads = [h.lower() for h in proxy.request_heads]
    assert heads and all("authorization: " in h for h in heads)
    assert any("authorization: bearer s3cret" in h for h in heads)
    basic_value = base64.b64encode(b"ann:pw").decode().lower()
    assert any(f"authorization: basic {basic_value}" in h for h in heads)


def test_the_command_prints_the_table_the_mapping_file_and_the_problems(
    mlflow_history: MlflowHistory,  # noqa: F811
    tmp_path: Path,
):
    result = subprocess.run(
        _cli(
            mlflow_history.url,
            "--tracking-uri",
            str(tmp_path / "target"),
            "-e",
            "Default",
            "-m",
            "lost_files_model",
            "--mapping-file",
            str(tmp_path / "ids.json"),
        ),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Source and target" in result.stdout
    assert f"written to {tmp_path / 'ids.json'}" in result.stdout
    assert "lost_files_model 1" in result.stdout
    assert json.loads((tmp_path / "ids.json").read_text())["experiments"] == {"0": "0"}
    # Without a terminal, each phase says what it did in one line instead of a bar.
    assert "models: 1 of 1 (0 already there)" in result.stderr


@pytest.mark.parametrize(
    ("uri", "root"),
    [
        ("mlflow-artifacts:/6/abc/artifacts", "6/abc/artifacts"),
        ("mlflow-artifacts:/6/abc/artifacts/", "6/abc/artifacts"),
        ("mlflow-artifacts://other-host:5000/6/abc/artifacts", None),
        ("mlflow-artifacts:/", None),
        ("s3://bucket/6/abc/artifacts", None),
        ("/mlruns/6/abc/artifacts", None),
        ("", None),
    ],
)
def test_only_a_run_whose_artifacts_this_server_proxies_is_read_through_the_artifact_api(uri, root):
    assert proxied_root(uri) == root
