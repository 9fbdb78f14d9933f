"""Stateless replicas: two servers on one PostgreSQL database and one artifact store."""

import threading

import pytest

from conftest import reset_postgres, server_env, start_server, stop_server


@pytest.fixture
def replicas(pg_url, tmp_path):
    reset_postgres(pg_url)
    artifacts = tmp_path / "shared-artifacts"
    started = [start_server(pg_url, str(artifacts), env=server_env()) for _ in range(2)]
    yield [url for _, url in started]
    for process, _ in started:
        stop_server(process)


def test_eight_clients_alternating_between_two_replicas_get_gapless_versions(replicas, tmp_path):
    from modelreg import Client

    clients = [Client(url) for url in replicas]
    clients[0].create_registered_model("shared")
    failures, uploaded = [], {}

    def work(worker: int) -> None:
        try:
            for i in range(8):
                client = clients[(worker + i) % 2]
                run_id = client.create_run("0").info.run_id
                path = tmp_path / f"w{worker}-{i}.bin"
                path.write_bytes(f"worker {worker} file {i}".encode() * 1000)
                client.log_artifact(run_id, path, "model")
                client.create_model_version("shared", f"runs:/{run_id}/model", run_id=run_id)
                uploaded[(worker, i)] = (run_id, path.name, path.read_bytes())
        except Exception as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    versions = clients[1].search_model_versions("name = 'shared'", max_results=1000)
    assert sorted(v.version for v in versions) == list(range(1, 65))
    for n, (run_id, name, data) in enumerate(uploaded.values()):
        local = clients[n % 2].download_artifacts(run_id, f"model/{name}", tmp_path / f"d{n}")
        assert open(local, "rb").read() == data
