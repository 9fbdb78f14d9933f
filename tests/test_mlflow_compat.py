"""The unmodified MLflow client, in its own virtual environment, against ``modelreg server``
and against a real ``mlflow server``: each scenario of tests/compat must give the same
answers from both, which pins modelreg's reading of MLflow's behaviour to MLflow's own.
MLflow's answers are recorded once per MLflow release and version of the scenarios'
code (see ``answers``); modelreg's are asked every run.

The venv (``mlflow==3.17.2``, scikit-learn, pandas) lives outside the checkout, in
``~/.cache/modelreg-test/mlflow``, so local runs and CI on the same machine reuse it;
``.ci/run`` creates it before the tests.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import mlflow_source_fixtures

# Both servers run every scenario in the module's first test: minutes, not seconds.
pytestmark = pytest.mark.timeout(1800)

ROOT = Path(__file__).resolve().parent.parent
COMPAT = ROOT / "tests" / "compat"


def _scenario_names() -> list[str]:
    """The scenarios, read from their sources (they run in MLflow's interpreter, not here)."""
    names = []
    for source in sorted(COMPAT.glob("scenarios_*.py")):
        names += re.findall(r"^@scenario\ndef (\w+)\(", source.read_text(), re.MULTILINE)
    return names


def _mlflow_env_module():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import mlflow_env
    finally:
        sys.path.pop(0)
    return mlflow_env


@pytest.fixture(scope="session")
def mlflow_python() -> Path:
    # The one cached venv the import tests use too, built once under a lock.
    return mlflow_source_fixtures.mlflow_python()


def _client_env() -> dict[str, str]:
    env = _mlflow_env_module().mlflow_env()
    env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    return {k: v for k, v in env.items() if not k.startswith("MODELREG_")}


def _run_mlflow(mlflow_python: Path, *args: str) -> str:
    """What MLflow's interpreter printed running ``args`` as a client, once it exited 0."""
    result = subprocess.run(
        [str(mlflow_python), *args], capture_output=True, text=True, timeout=300, env=_client_env()
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@contextmanager
def _real_mlflow_server(mlflow_python: Path, folder: Path) -> Iterator[str]:
    """A real ``mlflow server`` (SQLite, proxied artifacts) from the MLflow venv."""
    import httpx

    from conftest import free_port, stop_server
    from modelreg.tls import tls_context

    port = free_port()
    command = [
        str(mlflow_python.parent / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{folder / 'mlflow.db'}",
        "--artifacts-destination",
        str(folder / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    # The webhooks scenario's receiver listens on loopback, over http; MLflow's cached
    # webhook list must expire within the scenario's pauses.
    env = {
        **_client_env(),
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
        "MLFLOW_WEBHOOK_CACHE_TTL": "1",
    }
    with open(folder / "server.log", "w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError(
                f"mlflow server did not start: {(folder / 'server.log').read_text()[-3000:]}"
            )
        try:
            if httpx.get(url + "/health", timeout=2, verify=tls_context()).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def compat_modelreg_server(tmp_path_factory) -> Iterator[str]:
    """A ``modelreg server`` of its own (fresh SQLite), so its answers depend on the scenarios
    alone, as the real server's do."""
    from conftest import LOOPBACK, server_env, start_server, stop_server
    from modelreg.store.database import Database

    folder = tmp_path_factory.mktemp("modelreg-compat")
    url = f"sqlite:///{folder / 'registry.db'}"
    db = Database(url)
    db.upgrade()
    db.dispose()
    # A machine under load may take longer than the usual 30 s to start a server.
    env = {**server_env(), "MODELREG_WEBHOOK_ALLOWED_NETWORKS": LOOPBACK}
    process, server = start_server(url, str(folder / "artifacts"), env=env, startup_seconds=120)
    yield server
    stop_server(process)


def _run_scenarios(python: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(python), str(COMPAT / "run_scenarios.py"), url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_client_env(),
        cwd=COMPAT,
    )


def _results(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=1500)
    lines = [line for line in out.splitlines() if line.startswith("RESULTS ")]
    assert lines, f"the scenarios printed no results: {err[-3000:]}"
    return json.loads(lines[-1][len("RESULTS ") :])


def _answers_key() -> str:
    """What MLflow's answers depend on: the MLflow release and the scenarios' code."""
    digest = hashlib.sha256(mlflow_source_fixtures.MLFLOW_SPEC.encode())
    for source in sorted(COMPAT.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def answers(mlflow_python, compat_modelreg_server, tmp_path_factory) -> dict[str, dict]:
    """Every scenario's answers from both servers.

    A real ``mlflow server`` answers the scenarios once per MLflow release and
    version of the scenarios' code; its answers are kept with the cached MLflow
    venv (``~/.cache/modelreg-test``) and read back by later sessions, as the
    seeded MLflow history is. A run in which MLflow's side crashed is not kept.
    """
    cache = mlflow_source_fixtures.CACHE / f"mlflow-answers-{_answers_key()}.json"
    ours = _run_scenarios(mlflow_python, compat_modelreg_server)
    with mlflow_source_fixtures.locked(mlflow_source_fixtures.CACHE / "mlflow-answers.lock"):
        if cache.exists():
            theirs = json.loads(cache.read_text())
        else:
            folder = tmp_path_factory.mktemp("mlflow-server")
            with _real_mlflow_server(mlflow_python, folder) as url:
                theirs = _results(_run_scenarios(mlflow_python, url))
            if not any("crash" in answer for answer in theirs.values()):
                partial = cache.with_suffix(".partial")
                partial.write_text(json.dumps(theirs))
                os.replace(partial, cache)
    return {"mlflow": theirs, "modelreg": _results(ours)}


@pytest.mark.parametrize("scenario", _scenario_names())
def test_mlflow_client_sees_the_same_from_modelreg_as_from_mlflow(answers, scenario):
    ours, theirs = answers["modelreg"][scenario], answers["mlflow"][scenario]

    assert "crash" not in theirs, f"the scenario fails against mlflow server: {theirs}"
    assert ours == theirs


def test_mlflow_client_runs_the_seed_workflow_against_modelreg(mlflow_python, live_server, pg_url):
    from conftest import reset_postgres

    reset_postgres(pg_url)

    out = _run_mlflow(mlflow_python, str(COMPAT / "mlflow_client_workflow.py"), live_server)

    assert out.strip().endswith("OK")


def test_mlflow_client_runs_the_seed_workflow_under_a_proxys_path(mlflow_python, tmp_path):
    from conftest import server_env, start_server, stop_server

    process, url = start_server(
        f"sqlite:///{tmp_path / 'r.db'}",
        str(tmp_path / "artifacts"),
        env=server_env(),
        extra_args=["--upgrade", "--root-path", "/tools/modelreg"],
    )
    try:
        out = _run_mlflow(
            mlflow_python, str(COMPAT / "mlflow_client_workflow.py"), url + "/tools/modelreg"
        )
    finally:
        stop_server(process)

    assert out.strip().endswith("OK")


_LOAD_AND_REGISTER = """
import sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_registry_uri(sys.argv[1])
prompt = mlflow.genai.load_prompt("prompts:/both-ways/1")
print("LOADED", prompt.format(q="why"), "|", prompt.commit_message)
mlflow.genai.register_prompt(name="both-ways", template=[{"role": "user", "content": "{{q}}?"}])
"""


def test_a_prompt_registered_by_either_client_loads_with_the_other(mlflow_python, live_server):
    from modelreg import Client

    client = Client(live_server)
    client.register_prompt("both-ways", "Answer {{q}}", commit_message="from modelreg")

    out = _run_mlflow(mlflow_python, "-c", _LOAD_AND_REGISTER, live_server)

    assert "LOADED Answer why | from modelreg" in out
    assert client.load_prompt("both-ways").format(q="why") == [{"role": "user", "content": "why?"}]


_TABLES_BOTH_WAYS = """
import json, sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(experiment_id=sys.argv[3])
frame = mlflow.load_table(sys.argv[4], run_ids=[sys.argv[2]], extra_columns=["run_id"])
print("LOADED", json.dumps(frame.to_dict(orient="records")))
with mlflow.start_run() as run:
    mlflow.log_table({"q": ["from mlflow"], "score": [0.25]}, sys.argv[4])
print("LOGGED", run.info.run_id)
"""


@pytest.mark.parametrize("table", ["eval.json", "eval.parquet"])
def test_a_table_logged_by_either_client_loads_with_the_other(mlflow_python, live_server, table):
    import modelreg

    client = modelreg.Client(live_server)
    experiment = client.create_experiment(f"tables both ways {table}")
    ours = client.create_run(experiment).info.run_id
    client.log_table(ours, {"q": ["from modelreg"], "score": [0.5]}, table)

    out = _run_mlflow(mlflow_python, "-c", _TABLES_BOTH_WAYS, live_server, ours, experiment, table)

    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert json.loads(lines["LOADED"]) == [{"q": "from modelreg", "score": 0.5, "run_id": ours}]
    theirs = lines["LOGGED"].strip()
    modelreg.set_tracking_uri(live_server)
    modelreg.set_experiment(experiment_id=experiment)
    frame = modelreg.load_table(table, extra_columns=["run_id"])
    assert frame.to_dict(orient="records") == [
        {"q": "from mlflow", "score": 0.25, "run_id": theirs},
        {"q": "from modelreg", "score": 0.5, "run_id": ours},
    ]


_READ_DATASETS = """
import sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
for item in mlflow.get_run(sys.argv[2]).inputs.dataset_inputs:
    d, tags = item.dataset, {t.key: t.value for t in item.tags}
    print("DATASET", d.name, d.source_type, tags["mlflow.data.context"], d.profile)
    if d.source_type != "code":
        print("LOADED", mlflow.data.get_source(d).load())
"""


def test_mlflows_client_reads_and_loads_a_dataset_modelreg_logged(
    mlflow_python, live_server, tmp_path
):
    import numpy as np
    import pandas as pd

    import modelreg

    path = tmp_path / "train.csv"
    path.write_text("a,b\n1,2\n")
    client = modelreg.Client(live_server)
    run_id = client.create_run("0").info.run_id
    frame = modelreg.data.from_pandas(pd.read_csv(path), source=str(path))
    client.log_input(run_id, frame, "training")
    client.log_input(run_id, modelreg.data.from_numpy(np.ones(3), name="made"), "eval")

    out = _run_mlflow(mlflow_python, "-c", _READ_DATASETS, live_server, run_id)

    assert f'DATASET dataset local training {{"num_rows": 1}}\nLOADED {path}' in out
    assert "DATASET made code eval" in out


_EVALUATE = """
import sys, warnings
warnings.simplefilter("ignore")
import mlflow, numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression

mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("mlflow.evaluate")
rng = np.random.default_rng(0)
X = rng.normal(size=(80, 2))
frame = pd.DataFrame(X, columns=["a", "b"])
frame["label"] = (X[:, 0] > 0).astype(int)
model = LogisticRegression().fit(X, frame["label"])
with mlflow.start_run() as run:
    info = mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
    mlflow.evaluate(info.model_uri, frame, targets="label", model_type="classifier",
                    evaluator_config={"log_model_explainability": False})
print("RUN", run.info.run_id, info.model_id)
"""


def test_mlflows_evaluate_logs_its_metrics_plots_and_model_metrics_to_modelreg(
    mlflow_python, live_server
):
    import modelreg

    out = _run_mlflow(mlflow_python, "-c", _EVALUATE, live_server)

    run_id, model_id = out.split("RUN ", 1)[1].split()
    client = modelreg.Client(live_server)
    metrics = client.get_run(run_id).data.metrics
    assert {"accuracy_score", "f1_score", "roc_auc", "log_loss"} <= set(metrics)
    files = {f.path for f in client.list_artifacts(run_id)}
    assert {"confusion_matrix.png", "roc_curve_plot.png"} <= files
    measured = {m.metric.key for m in client.get_logged_model(model_id).metrics}
    assert "accuracy_score" in measured
