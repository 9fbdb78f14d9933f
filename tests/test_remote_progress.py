"""Progress bars of big transfers: bytes, speed and time left, drawn only when useful."""

from __future__ import annotations

import io
import re
import time

from rich.console import Console

from modelreg.remote import progress
from modelreg.remote.progress import MIN_BYTES_FOR_BAR, transfer_progress


def test_a_big_transfer_draws_bytes_speed_and_time_left(monkeypatch):
    out = io.StringIO()
    real_progress = __import__("rich.progress", fromlist=["Progress"]).Progress

    def to_buffer(*columns, **kwargs):
        kwargs["console"] = Console(file=out, width=160, force_terminal=True)
        kwargs["transient"] = False
        return real_progress(*columns, **kwargs)

    monkeypatch.setattr("rich.progress.Progress", to_buffer)
    with transfer_progress("uploading weights.bin", 4 * MIB * 2, force=True) as advance:
        for _ in range(4):
            advance(MIB)
            time.sleep(0.05)  # speed needs two samples apart in time

    drawn = out.getvalue()
    assert "uploading weights.bin" in drawn
    assert "4.2/8.4 MB" in drawn  # bytes moved of the total
    assert "MB/s" in drawn  # speed
    assert re.search(r"\d:\d\d:\d\d", drawn)  # time left


def test_a_small_transfer_or_a_pipe_draws_nothing(capsys):
    with transfer_progress("small", MIN_BYTES_FOR_BAR - 1, force=True) as advance:
        advance(10)
    with transfer_progress("piped", 10 * MIN_BYTES_FOR_BAR) as advance:  # stderr is no tty
        advance(10)
    assert capsys.readouterr().err == ""
    assert progress.MIN_BYTES_FOR_BAR == MIN_BYTES_FOR_BAR


MIB = 1024 * 1024
