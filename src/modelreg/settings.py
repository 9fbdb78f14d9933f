"""Every setting modelreg reads from the environment, declared once.

Precedence everywhere: an explicit argument or CLI flag, then the environment
variable, then the default. ``docs/settings.md`` lists them; a test keeps the
two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    env_var: str
    default: str | None
    help: str

    def get(self) -> str | None:
        value = os.environ.get(self.env_var)
        return value if value not in (None, "") else self.default


TRACKING_URI = Setting(
    "tracking_uri",
    "MODELREG_TRACKING_URI",
    None,
    "Where runs and models live: a folder, file:, sqlite:///, postgresql:// or http(s):// URI. "
    "Unset means the embedded store in ./.modelreg/.",
)
ARTIFACTS_URI = Setting(
    "artifacts_uri",
    "MODELREG_ARTIFACTS_URI",
    None,
    "Where artifact bytes live for a sqlite:/// or postgresql:// store: a folder, "
    "file:/// or s3://bucket/prefix URI. Unset means an artifacts/ folder next to the "
    "SQLite file, or ./.modelreg/artifacts for PostgreSQL.",
)
CACHE_DIR = Setting(
    "cache_dir",
    "MODELREG_CACHE_DIR",
    None,
    "Local cache of downloaded blobs, keyed by digest. Unset means the user cache folder.",
)
S3_ENDPOINT_URL = Setting(
    "s3_endpoint_url",
    "MODELREG_S3_ENDPOINT_URL",
    None,
    "Endpoint of an S3-compatible store (MinIO, Ceph, moto). Unset means AWS.",
)
HTTP_TIMEOUT = Setting(
    "http_timeout",
    "MODELREG_HTTP_TIMEOUT",
    "60",
    "Seconds the remote client waits for a server response.",
)
HTTP_RETRIES = Setting(
    "http_retries",
    "MODELREG_HTTP_RETRIES",
    "5",
    "How many times the remote client retries on connection errors and 503.",
)

EXPERIMENT_NAME = Setting(
    "experiment_name",
    "MODELREG_EXPERIMENT_NAME",
    None,
    "Experiment the fluent API logs to when set_experiment was not called (created if missing).",
)
EXPERIMENT_ID = Setting(
    "experiment_id",
    "MODELREG_EXPERIMENT_ID",
    None,
    "Experiment id the fluent API logs to when set_experiment was not called.",
)

ALL_SETTINGS: tuple[Setting, ...] = (
    TRACKING_URI,
    EXPERIMENT_NAME,
    EXPERIMENT_ID,
    ARTIFACTS_URI,
    CACHE_DIR,
    S3_ENDPOINT_URL,
    HTTP_TIMEOUT,
    HTTP_RETRIES,
)
