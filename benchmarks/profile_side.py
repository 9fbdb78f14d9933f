"""Profiles one side's phase with cProfile and prints where the time goes.

    python benchmarks/profile_side.py tracking [--side modelreg|mlflow] [--runs 200]
        [--sort tottime|cumulative] [--limit 30] [--filter modelreg] [--save FILE.prof]

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
from run import WORKLOADS, modelreg_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("phase", choices=["tracking", "registry"])
    parser.add_argument("--side", choices=["modelreg", "mlflow"], default="modelreg")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key")
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--filter", default="", help="only functions whose path matches this")
    parser.add_argument("--save", metavar="FILE", help="keep the .prof file (for snakeviz etc.)")
    args = parser.parse_args(argv)

    if args.side == "modelreg":
        python, env = sys.executable, modelreg_env()
    else:
        python, env = mlflow_env.ensure(), mlflow_env.mlflow_env()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        prof = Path(args.save).resolve() if args.save else Path(tmp, "phase.prof")
        cmd = [str(python), str(WORKLOADS / f"{args.side}_side.py"), "--phase", args.phase]
        cmd += ["--runs", str(args.runs), "--out", str(Path(tmp, "result.json"))]
        subprocess.run([*cmd, "--profile", str(prof)], check=True, env=env)
        stats = pstats.Stats(str(prof))
        stats.sort_stats(args.sort).print_stats(args.filter, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
