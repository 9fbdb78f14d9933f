"""Profiles one side's phase with cProfile and prints where the time goes.

    python benchmarks/profile_side.py tracking [--side modelreg|mlflow] [--runs 200]
        [--sort tottime|cumulative] [--limit 30] [--filter modelreg] [--save FILE.prof]
        [--tracking-uri http://127.0.0.1:PORT] [--artifact-mb 256] [--small-files 1000]

Phases: tracking, registry, artifacts (writes its data first), log_model.
``--tracking-uri`` profiles the client against a server you started; the
server's own time is not in the profile (sample it with e.g. ``py-spy``).
Profiling slows every Python call, so read the shares, not the times; the
benchmark's own numbers come from run.py, which never profiles.
"""

from __future__ import annotations

import argparse
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

import mlflow_env
from phase_artifacts import write_data
from sides import WORKLOADS, modelreg_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("phase", choices=["tracking", "registry", "artifacts", "log_model"])
    parser.add_argument("--side", choices=["modelreg", "mlflow"], default="modelreg")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key")
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--filter", default="", help="only functions whose path matches this")
    parser.add_argument("--save", metavar="FILE", help="keep the .prof file (for snakeviz etc.)")
    parser.add_argument("--tracking-uri", help="a running server's URL (default: embedded)")
    parser.add_argument("--artifact-mb", type=int, default=256, help="artifacts: large file MiB")
    parser.add_argument("--small-files", type=int, default=1000, help="artifacts: 4 KiB files")
    args = parser.parse_args(argv)

    if args.side == "modelreg":
        python, env = sys.executable, modelreg_env()
    else:
        python, env = mlflow_env.ensure(), mlflow_env.mlflow_env()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        env = {**env, "MODELREG_CACHE_DIR": str(Path(tmp, "cache"))}
        prof = Path(args.save).resolve() if args.save else Path(tmp, "phase.prof")
        cmd = [str(python), str(WORKLOADS / f"{args.side}_side.py"), "--phase", args.phase]
        cmd += ["--runs", str(args.runs), "--out", str(Path(tmp, "result.json"))]
        if args.tracking_uri:
            cmd += ["--tracking-uri", args.tracking_uri]
        if args.phase == "artifacts":
            data = Path(tmp, "data")
            data.mkdir()
            write_data(data, args.artifact_mb, args.small_files)
            cmd += ["--data", str(data)]
        if args.phase == "log_model":
            workdir = Path(tmp, "work")
            workdir.mkdir()
            cmd += ["--workdir", str(workdir)]
        subprocess.run([*cmd, "--profile", str(prof)], check=True, env=env)
        stats = pstats.Stats(str(prof))
        stats.sort_stats(args.sort).print_stats(args.filter, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
