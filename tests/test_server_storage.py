"""Artifacts through a server: S3 behind it, big files streamed with flat memory."""

import hashlib
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from conftest import reset_postgres, server_env, start_server, stop_server
from modelreg import Client
from modelreg.blobs import open_blob_store
from s3_fixtures import s3_object_keys


@pytest.fixture
def s3_server(pg_url, s3_uri, tmp_path):
    """A server on PostgreSQL that keeps its artifacts in moto's S3."""
    reset_postgres(pg_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    env["MODELREG_S3_ENDPOINT_URL"] = os.environ["MODELREG_S3_ENDPOINT_URL"]
    process, url = start_server(pg_url, s3_uri, env=env)
    (tmp_path / "artifacts").mkdir(exist_ok=True)
    yield url
    stop_server(process)


def test_artifacts_logged_through_the_server_land_in_s3_and_come_back(s3_server, s3_uri, tmp_path):
    from modelreg import Client

    client = Client(s3_server)
    run_id = client.create_run("0").info.run_id
    (tmp_path / "weights.bin").write_bytes(os.urandom(200_000))
    client.log_artifact(run_id, tmp_path / "weights.bin", "model")

    local = client.download_artifacts(run_id, "model/weights.bin", tmp_path / "out")

    assert open(local, "rb").read() == (tmp_path / "weights.bin").read_bytes()
    assert any(key.startswith("artifacts/blobs/") for key in s3_object_keys(s3_uri))


def test_a_model_registered_through_an_s3_backed_server_loads(s3_server):
    from sklearn.linear_model import LogisticRegression

    import modelreg

    modelreg.set_tracking_uri(s3_server)
    X = np.random.default_rng(1).normal(size=(20, 3))
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    with modelreg.start_run():
        modelreg.log_model(model, "model", registered_model_name="s3model")

    loaded = modelreg.load_model("models:/s3model/1")

    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def _rss_kb(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_large_upload_and_download_keep_server_memory_flat(pg_url, tmp_path):
    from modelreg import Client

    reset_postgres(pg_url)
    process, url = start_server(pg_url, str(tmp_path / "artifacts"), env=server_env())
    try:
        client = Client(url)
        run_id = client.create_run("0").info.run_id
        big = tmp_path / "big.bin"
        with open(big, "wb") as f:
            for _ in range(256):
                f.write(os.urandom(1024 * 1024))
        before = _rss_kb(process.pid)

        client.log_artifact(run_id, big)
        client.download_artifacts(run_id, "big.bin", tmp_path / "back")

        growth_mb = (_rss_kb(process.pid) - before) / 1024
        assert growth_mb < 64, f"server memory grew by {growth_mb:.0f} MB for a 256 MB file"
        assert os.path.getsize(tmp_path / "back" / "big.bin") == big.stat().st_size
    finally:
        stop_server(process)


def test_many_small_uploads_keep_server_memory_flat(pg_url, tmp_path):
    reset_postgres(pg_url)
    process, url = start_server(pg_url, str(tmp_path / "artifacts"), env=server_env())
    try:
        with httpx.Client(base_url=url) as http:

            def upload(_: object) -> None:
                data = os.urandom(4096)
                digest = hashlib.sha256(data).hexdigest()
                assert http.put(f"/api/v1/blobs/{digest}", content=data).status_code == 201

            upload(None)
            before = _rss_kb(process.pid)
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(upload, range(400)))

        growth_mb = (_rss_kb(process.pid) - before) / 1024
        assert growth_mb < 32, f"server memory grew by {growth_mb:.0f} MB for 400 files of 4 KiB"
    finally:
        stop_server(process)


def _staged_bytes(artifacts: Path) -> int:
    staging = artifacts / "tmp"
    return sum(p.stat().st_size for p in staging.iterdir()) if staging.exists() else 0


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.parametrize("route", ["blob", "mlflow-artifact"])
def test_a_client_that_leaves_mid_upload_leaves_no_blob_and_no_staged_bytes(
    route, pg_url, tmp_path
):
    reset_postgres(pg_url)
    artifacts = tmp_path / "artifacts"
    process, url = start_server(pg_url, str(artifacts), env=server_env())
    data = os.urandom(8 << 20)
    digest = hashlib.sha256(data).hexdigest()
    client = Client(url)
    run = client.create_run(client.create_experiment("uploads"))
    if route == "blob":
        target = f"/api/v1/blobs/{digest}"
    else:
        target = (
            f"/api/2.0/mlflow-artifacts/artifacts/{run.info.experiment_id}/"
            f"{run.info.run_id}/artifacts/model.bin"
        )
    try:
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as sock:
            head = f"PUT {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            sock.sendall(f"{head}Content-Length: {len(data)}\r\n\r\n".encode())
            sock.sendall(data[: 2 << 20])
            # What arrived is on disk while the client pauses, before it leaves.
            _wait_for(lambda: _staged_bytes(artifacts) >= 2 << 20, "2 MiB staged")

        _wait_for(lambda: _staged_bytes(artifacts) == 0, "the staged bytes to go")
        assert not open_blob_store(str(artifacts)).exists(digest)
        assert client.list_artifacts(run.info.run_id) == []
        assert httpx.get(f"{url}/health").status_code == 200
    finally:
        stop_server(process)
