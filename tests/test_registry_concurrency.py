"""Integer versions stay gapless and unique when many processes register at once."""

import subprocess
import sys
import textwrap
import time

PROCESSES = 8
VERSIONS_EACH = 25

# Each process opens its own Client, waits for the start signal so that all of
# them create versions at the same time, then registers its share.
REGISTRAR = textwrap.dedent(
    """
    import os, sys, time
    from modelreg import Client
    uri, source, folder, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    client = Client(uri)
    client.get_registered_model("fraud")  # connected and warmed up
    open(os.path.join(folder, f"ready-{os.getpid()}"), "w").close()
    while not os.path.exists(os.path.join(folder, "go")):
        time.sleep(0.005)
    print(" ".join(str(client.create_model_version("fraud", source).version)
                   for _ in range(count)))
    """
)


def test_concurrent_creations_from_many_processes_yield_exactly_1_to_n(
    client, tracking_uri, tmp_path
):
    client.create_registered_model("fraud")
    source = f"runs:/{client.create_run('0').info.run_id}/model"
    signals = tmp_path / "signals"
    signals.mkdir()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                REGISTRAR,
                tracking_uri,
                source,
                str(signals),
                str(VERSIONS_EACH),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    deadline = time.monotonic() + 60
    while len(list(signals.glob("ready-*"))) < PROCESSES and time.monotonic() < deadline:
        time.sleep(0.01)
    (signals / "go").touch()
    outputs = [p.communicate(timeout=240) for p in procs]

    assert [p.returncode for p in procs] == [0] * PROCESSES, [err for _, err in outputs]
    returned = sorted(int(v) for out, _ in outputs for v in out.split())
    total = PROCESSES * VERSIONS_EACH
    assert returned == list(range(1, total + 1))
    stored = client.search_model_versions("name = 'fraud'", max_results=1000)
    assert sorted(v.version for v in stored) == list(range(1, total + 1))
    assert len({v.semver for v in stored}) == total
