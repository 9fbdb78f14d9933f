"""``modelreg gc`` and ``modelreg verify``: what an operator reads and the exit codes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest


@pytest.fixture
def litter(lib, run_id, store_uri) -> tuple[str, Path]:
    """A blob no run names any more (a.txt rewritten) and a temporary file an upload killed
    two hours ago left; (the orphan's digest, that file)."""
    lib.log_text(run_id, "v1", "a.txt")
    orphan = lib._backend.artifacts.manifest(run_id)["a.txt"].digest
    lib.log_text(run_id, "v2", "a.txt")
    part = Path(store_uri) / "artifacts" / "tmp" / "killed.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(os.urandom(1 << 20))
    two_hours_ago = time.time() - 2 * 3600
    os.utime(part, (two_hours_ago, two_hours_ago))
    return orphan, part


def test_gc_dry_run_lists_the_blob_and_the_partial_upload_and_removes_nothing(invoke, litter):
    orphan, part = litter

    result = invoke("gc", "--dry-run", "--grace-seconds", "0")

    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "Would remove 1 unreferenced blob(s).",
        f"  {orphan}",
        "Would remove 1 abandoned partial upload(s), 1.0 MB:",
        f"  {part} (untouched for 2.0 h)",
    ]
    assert part.exists()


def test_gc_removes_them_and_a_second_run_finds_nothing(invoke, litter):
    _, part = litter

    first = invoke("gc", "--grace-seconds", "0")
    second = invoke("gc", "--grace-seconds", "0")

    assert first.stdout.startswith("Removed 1 unreferenced blob(s).")
    assert "Removed 1 abandoned partial upload(s), 1.0 MB:" in first.stdout
    assert not part.exists()
    assert second.stdout == "Removed 0 unreferenced blob(s).\n"


def test_verify_exits_0_when_every_blob_is_whole_and_1_naming_a_damaged_one(
    invoke, lib, run_id, store_uri
):
    assert invoke("verify").stdout == "Checked 1 blob: each matches its digest.\n"
    digest = lib._backend.artifacts.manifest(run_id)["model/MLmodel"].digest
    blob = Path(store_uri) / "artifacts" / "blobs" / digest[:2] / digest[2:]
    blob.chmod(0o644)
    blob.write_text("tampered")

    result = invoke("verify")

    assert result.exit_code == 1
    assert result.stderr == f"corrupt: {digest} used by run {run_id}: model/MLmodel\n"
