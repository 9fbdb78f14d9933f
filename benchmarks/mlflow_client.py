"""The unmodified MLflow client against ``modelreg server`` and ``mlflow server``, one run.

    python benchmarks/mlflow_client.py [--calls 200] [--workers 1]

Both servers run on PostgreSQL with the same workers; the same MLflow client
(MLflow's venv, see :mod:`mlflow_env`) times each call against each, and the
same request again through a bare keep-alive ``requests`` session, which is
what the server alone costs. The table gives medians, MLflow/modelreg (above 1: modelreg
is faster), modelreg client/bare (the delay only the MLflow client sees) and,
for both servers, that delay in ms: where it is the same against both, it is
the client's own work (building requests, parsing answers into protobuf and
entities), not a delay the server causes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

import mlflow_env
import servers
import sides

HERE = Path(__file__).resolve().parent
TARGETS = ("modelreg-pg", "mlflow-pg")


def measure(target: str, calls: int, workers: int, python: Path) -> dict[str, float]:
    client_env = mlflow_env.mlflow_env()
    server_env = sides.modelreg_env() if target.startswith("modelreg") else client_env
    with tempfile.TemporaryDirectory() as tmp:
        with servers.start_target(target, workers, Path(tmp), python, server_env) as server:
            script = HERE / "workloads" / "mlflow_client_calls.py"
            result = subprocess.run(
                [str(python), str(script), server.url, str(calls)],
                capture_output=True,
                text=True,
                env=client_env,
                check=True,
            )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--venv", type=Path, default=mlflow_env.DEFAULT_VENV)
    parser.add_argument("--mlflow-spec", default="mlflow==3.17.2")
    args = parser.parse_args()
    console = Console(width=150)
    python = mlflow_env.ensure(args.venv, args.mlflow_spec, log=console.print)
    ours, theirs = (measure(t, args.calls, args.workers, python) for t in TARGETS)
    table = Table(title=f"MLflow {mlflow_env.version(python)} client, median ms per call")
    columns = (
        "call",
        "modelreg",
        "mlflow",
        "MLflow/modelreg",
        "modelreg bare",
        "client/bare",
        "client-bare ms, modelreg",
        "client-bare ms, mlflow",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "call" else "right")
    for op, ms in ours.items():
        if op.startswith("bare "):
            continue
        bare, their_bare = ours[f"bare {op}"], theirs[f"bare {op}"]
        table.add_row(
            op,
            f"{ms:.2f}",
            f"{theirs[op]:.2f}",
            f"{theirs[op] / ms:.1f}x",
            f"{bare:.2f}",
            f"{ms / bare:.2f}x",
            f"{ms - bare:.2f}",
            f"{theirs[op] - their_bare:.2f}",
        )
    console.print(table)
    console.print(
        "[dim]targets: MLflow/modelreg above 1x for every call; client/bare at most 1.5x[/]"
    )


if __name__ == "__main__":
    main()
