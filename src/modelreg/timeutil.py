"""Timestamps are integers in milliseconds since the epoch, as in MLflow."""

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000
