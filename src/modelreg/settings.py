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
    "Local cache of downloaded blobs, keyed by digest. A file downloaded to a named folder "
    "is hard-linked here, not copied (noted by path when the two are on different "
    "filesystems). Safe to delete. Unset means the user cache folder.",
)
S3_ENDPOINT_URL = Setting(
    "s3_endpoint_url",
    "MODELREG_S3_ENDPOINT_URL",
    None,
    "Endpoint of an S3-compatible store (MinIO, Ceph, moto). Unset means AWS.",
)
S3_DIRECT = Setting(
    "s3_direct",
    "MODELREG_S3_DIRECT",
    None,
    "On a server whose artifacts are on S3: 1 lets clients send big uploads and fetch "
    "downloads straight to and from S3 with presigned URLs (the server still checks every "
    "upload before a version can use it). Clients must be able to reach the S3 endpoint.",
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
RUN_LEASE_SECONDS = Setting(
    "run_lease_seconds",
    "MODELREG_RUN_LEASE_SECONDS",
    "120",
    "A run started with start_run is marked KILLED this many seconds after its process "
    "stops renewing its lease (it renews every quarter of that while alive).",
)
ASYNC_LOGGING = Setting(
    "async_logging",
    "MODELREG_ASYNC_LOGGING",
    None,
    "1 makes log_metric(s), log_param(s), set_tag(s) and log_batch (fluent and Client) "
    "queue their values and return at once (synchronous=False); a background thread "
    "writes them in batches, and end_run and Client.set_terminated wait for them.",
)
SYSTEM_METRICS = Setting(
    "system_metrics",
    "MODELREG_ENABLE_SYSTEM_METRICS_LOGGING",
    None,
    "true makes every run start_run starts log CPU, memory, disk and network use as "
    "system/... metrics (needs psutil: modelreg[system-metrics]); start_run("
    "log_system_metrics=False) still opts out.",
)
SYSTEM_METRICS_INTERVAL = Setting(
    "system_metrics_interval",
    "MODELREG_SYSTEM_METRICS_SAMPLING_INTERVAL",
    "10",
    "Seconds between two samples of system metrics.",
)
SYSTEM_METRICS_SAMPLES = Setting(
    "system_metrics_samples",
    "MODELREG_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING",
    "1",
    "How many samples of system metrics are averaged into each logged point.",
)
SYSTEM_METRICS_NODE_ID = Setting(
    "system_metrics_node_id",
    "MODELREG_SYSTEM_METRICS_NODE_ID",
    None,
    "Names this machine in system metric keys (system/NODE_ID/...), so the nodes of "
    "a distributed run log apart.",
)
TRACKING_TOKEN = Setting(
    "tracking_token",
    "MODELREG_TRACKING_TOKEN",
    None,
    "API token the remote client sends (Authorization: Bearer) to a server started with "
    "--auth. Create one with `modelreg users create` or `modelreg tokens create`.",
)
TRACKING_USERNAME = Setting(
    "tracking_username",
    "MODELREG_TRACKING_USERNAME",
    None,
    "When set, the remote client sends HTTP basic auth (this username, the token of "
    "MODELREG_TRACKING_TOKEN as password) instead of a bearer token.",
)
SERVER_AUTH = Setting(
    "server_auth",
    "MODELREG_SERVER_AUTH",
    None,
    "Set to 1 (or pass --auth) to make `modelreg server` require API tokens and check "
    "users' roles. Off by default, for local use.",
)
SERVER_PUBLIC_METRICS = Setting(
    "server_public_metrics",
    "MODELREG_SERVER_PUBLIC_METRICS",
    None,
    "Set to 1 (or pass --public-metrics) to serve /metrics without credentials when auth is "
    "on; otherwise only admins may read it.",
)
SERVER_ACCESS_LOG = Setting(
    "server_access_log",
    "MODELREG_SERVER_ACCESS_LOG",
    None,
    "Set to 1 (or pass --access-log) to make `modelreg server` log every request to standard "
    "error: method, path, status, milliseconds and user.",
)
SERVER_ROOT_PATH = Setting(
    "server_root_path",
    "MODELREG_SERVER_ROOT_PATH",
    None,
    "The path under which a proxy publishes `modelreg server` (--root-path), e.g. "
    "`/modelreg` for `https://tools.example.com/modelreg/`; the proxy may strip it or pass "
    "it on. The web UI's links, forms and redirects stay under it.",
)
SERVER_THREADS = Setting(
    "server_threads",
    "MODELREG_SERVER_THREADS",
    "4",
    "How many requests each `modelreg server` worker works on at once (--threads); uploads "
    "have a lane of their own.",
)
WEBHOOK_ALLOWED_NETWORKS = Setting(
    "webhook_allowed_networks",
    "MODELREG_WEBHOOK_ALLOWED_NETWORKS",
    None,
    "Networks webhooks may reach although they are loopback, private or link-local, as "
    "comma-separated CIDRs (e.g. 10.0.0.0/8,127.0.0.1/32). Unset means public addresses only. "
    "A server setting: set it where the server runs.",
)
SERVE_WEBHOOK_SECRET = Setting(
    "serve_webhook_secret",
    "MODELREG_SERVE_WEBHOOK_SECRET",
    None,
    "Secret of the registry webhook pointed at `modelreg serve` (its --webhook-secret): "
    "POST /webhook deliveries signed with it make the server follow a move at once.",
)

WEBHOOK_SECRET = Setting(
    "webhook_secret",
    "MODELREG_WEBHOOK_SECRET",
    None,
    "The secret `modelreg webhooks create` and `update` give a webhook (their --secret): "
    "it signs the deliveries. A variable, unlike a command line, is not visible to other "
    "users of the machine.",
)

ALL_SETTINGS: tuple[Setting, ...] = (
    TRACKING_URI,
    EXPERIMENT_NAME,
    EXPERIMENT_ID,
    RUN_LEASE_SECONDS,
    ASYNC_LOGGING,
    SYSTEM_METRICS,
    SYSTEM_METRICS_INTERVAL,
    SYSTEM_METRICS_SAMPLES,
    SYSTEM_METRICS_NODE_ID,
    ARTIFACTS_URI,
    CACHE_DIR,
    S3_ENDPOINT_URL,
    S3_DIRECT,
    HTTP_TIMEOUT,
    HTTP_RETRIES,
    TRACKING_TOKEN,
    TRACKING_USERNAME,
    SERVER_AUTH,
    SERVER_PUBLIC_METRICS,
    SERVER_ACCESS_LOG,
    SERVER_ROOT_PATH,
    SERVER_THREADS,
    WEBHOOK_ALLOWED_NETWORKS,
    SERVE_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
)
