"""How much of a big upload is sent again after its client is killed half way (issue #21).

    python benchmarks/resume_upload.py            # a 4 GiB file
    python benchmarks/resume_upload.py --gib 1    # a quick run

Starts ``modelreg server`` (SQLite and a local artifact folder, 2 workers) on a
loopback port and writes a file of ``--gib`` GiB of random bytes. A client
process logs it as an artifact of a run and is killed with SIGKILL as soon as
the server holds half of the file's chunks; a fresh client process then logs
the same file again, which resumes the upload. The resumed client counts
every byte its sockets take (request heads and bodies: ``send`` and
``sendall``, which httpx's transport uses, are wrapped in that process). The
output shows the fraction of the file it sent again (the issue's target:
≤ 55% after a kill at half way), its time and peak RSS, the server's peak
RSS, and whether the stored blob hashes to the file's digest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import servers

GIB = 2**30
PIECE = 64 * 2**20
TARGET_RESENT = 0.55
POLL_S = 0.01
# A client process: logs the file, then prints the bytes it sent, its time and its peak RSS.
CLIENT = """
import json, resource, socket, sys, time
from modelreg import Client
sent = 0
send, sendall = socket.socket.send, socket.socket.sendall
def counting_send(sock, data, *args):
    global sent
    n = send(sock, data, *args)
    sent += n
    return n
def counting_sendall(sock, data, *args):
    global sent
    sendall(sock, data, *args)
    sent += memoryview(data).nbytes
socket.socket.send, socket.socket.sendall = counting_send, counting_sendall
url, run_id, path = sys.argv[1:4]
started = time.perf_counter()
Client(url).log_artifact(run_id, path)
took = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"s": took, "sent": sent, "peak_rss_mb": peak}))
"""


def write_random(path: Path, size: int) -> str:
    """Writes ``size`` random bytes to ``path``; returns their SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            piece = os.urandom(min(PIECE, left))
            f.write(piece)
            digest.update(piece)
            left -= len(piece)
    return digest.hexdigest()


def staged_chunks(artifacts: Path) -> int:
    """Chunks the server received whole and checked, for uploads not completed yet."""
    return sum(1 for _ in (artifacts / "tmp" / "uploads").glob("*/done/*"))


def run(gib: float, log: Any = print) -> dict[str, Any]:
    from modelreg.blobs import open_blob_store
    from modelreg.remote import chunked

    size = int(gib * GIB)
    chunks = math.ceil(size / chunked.CHUNK_SIZE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELREG_", "MLFLOW_"))}
    with tempfile.TemporaryDirectory(prefix="bench-resume-") as tmp:
        folder = Path(tmp)
        path = folder / "weights.bin"
        digest = write_random(path, size)
        log(f"resume: wrote {size / GIB:.2f} GiB, {chunks} chunks")
        db = f"sqlite:///{folder / 'registry.db'}"
        artifacts = folder / "artifacts"
        servers.modelreg_upgrade(db, env)
        cmd = servers.modelreg_cmd(db, artifacts, servers.free_port(), 2)
        with servers.running("modelreg-resume", cmd, env, folder) as server:
            from modelreg import Client

            run_id = Client(server.url).create_run("0").info.run_id
            client = [sys.executable, "-c", CLIENT, server.url, run_id, str(path)]
            with server.peak_memory():
                killed = _killed_at_half(client, env, artifacts, chunks)
                log(f"resume: client killed with {killed['kept']} of {chunks} chunks on the server")
                resumed = _resumed(client, env)
            stored = open_blob_store(str(artifacts)).verify(digest)
            return {
                "size": size,
                "chunks": chunks,
                "killed": killed,
                "resumed": resumed,
                "resent_fraction": resumed["sent"] / size,
                "server_peak_rss_mb": server.peak_rss_mb,
                "stored_blob_verified": stored,
            }


def _killed_at_half(client: list[str], env: dict[str, str], artifacts: Path, chunks: int) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen(client, env=env, stdout=subprocess.DEVNULL)
    try:
        while staged_chunks(artifacts) < chunks / 2:
            if process.poll() is not None:
                raise RuntimeError(f"the client ended (exit {process.returncode}) before half way")
            time.sleep(POLL_S)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    return {"s": time.perf_counter() - started, "kept": staged_chunks(artifacts)}


def _resumed(client: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(client, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the resumed upload failed: {done.stderr.strip()[-500:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not result["sent"]:  # at least the declaration goes out: the count missed the sends
        raise RuntimeError("the resumed client's sent bytes were not counted")
    return result


def render(result: dict[str, Any]) -> None:
    size, killed, resumed = result["size"], result["killed"], result["resumed"]
    kept = killed["kept"] / result["chunks"]
    print(f"file: {size / GIB:.2f} GiB in {result['chunks']} chunks")
    print(
        f"killed client: SIGKILL after {killed['s']:.1f} s; "
        f"the server kept {killed['kept']} chunks ({kept:.0%})"
    )
    verdict = "met" if result["resent_fraction"] <= TARGET_RESENT else "missed"
    print(
        f"resumed client: {resumed['sent'] / GIB:.2f} GiB sent in {resumed['s']:.1f} s "
        f"(peak RSS {resumed['peak_rss_mb']:.0f} MB): {result['resent_fraction']:.1%} of the "
        f"file sent again (target ≤ {TARGET_RESENT:.0%}) {verdict}"
    )
    print(f"server peak RSS (all processes): {result['server_peak_rss_mb']:.0f} MB")
    print(f"stored blob hashes to the file's digest: {result['stored_blob_verified']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gib", type=float, default=4.0, help="size of the file (default: 4)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.gib, log=lambda line: print(line, file=sys.stderr))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        render(result)
    ok = result["stored_blob_verified"] and result["resent_fraction"] <= TARGET_RESENT
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
