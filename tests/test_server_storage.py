"""Artifacts through a server: S3 behind it, big files streamed with flat memory."""

import os

import numpy as np
import pytest

from conftest import reset_postgres, start_server, stop_server
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
    from conftest import server_env
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
