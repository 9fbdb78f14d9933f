"""What ``modelreg doctor`` checks: versions, and whether the store a tracking URI names
answers and is usable, without creating or changing anything.

Each check gives a :class:`Finding`: ``ok``, ``problem`` (with what to do) or
``info``. The versions of the libraries modelreg works with are read from the
installed packages' metadata, not by importing them.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from modelreg.errors import ModelregError
from modelreg.uris import without_credentials
from modelreg.version import __version__

OK, PROBLEM, INFO = "ok", "problem", "info"
# The libraries whose versions a bug report needs: the store's, the server's, the flavors'.
PACKAGES = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "fastapi",
    "uvicorn",
    "httpx",
    "boto3",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "xgboost",
    "xgboost-cpu",
    "lightgbm",
    "catboost",
    "torch",
    "keras",
    "transformers",
    "onnx",
    "onnxruntime",
    "psutil",
    "nvidia-ml-py",
)


@dataclass(frozen=True)
class Finding:
    """One check: what was looked at, how it went (``ok``, ``problem``, ``info``), and
    what was seen (for a problem, what to do)."""

    check: str
    status: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def diagnose(tracking_uri: str | None = None) -> list[Finding]:
    """The findings for the store ``tracking_uri`` names (default: as every command
    resolves it), after modelreg's, Python's and the libraries' versions."""
    from modelreg.uris import resolve_tracking_uri

    found = [
        Finding("modelreg", INFO, __version__),
        Finding("python", INFO, f"{platform.python_version()} on {sys.platform}"),
    ]
    for package in PACKAGES:
        try:
            found.append(Finding(package, INFO, metadata.version(package)))
        except metadata.PackageNotFoundError:
            continue
    try:
        target = resolve_tracking_uri(tracking_uri)
    except ModelregError as exc:
        return [*found, Finding("tracking URI", PROBLEM, exc.message)]
    shown = Finding("tracking URI", INFO, without_credentials(target.uri))
    if target.kind == "remote":
        return [*found, shown, *_server(target.uri)]
    assert target.db_url is not None and target.artifacts_uri is not None
    return [
        *found,
        shown,
        _database(target.db_url),
        _artifacts(target.artifacts_uri),
    ]


# Environment variables whose value ``doctor`` never prints.
_SECRET_WORDS = ("TOKEN", "PASSWORD", "SECRET", "KEY")


def doctor(mask_envs: bool = False) -> None:
    """Prints what a bug report needs (MLflow's ``mlflow.doctor``): modelreg's, Python's
    and the libraries' versions, whether the current store answers, and the
    ``MODELREG_*`` environment variables, their values shown as ``***`` with
    ``mask_envs=True`` (a token's, password's or secret's always). The same checks as
    ``modelreg doctor``; nothing is created or changed.

    >>> import modelreg
    >>> modelreg.doctor(mask_envs=True)  # doctest: +SKIP
    modelreg        0.1.0
    ...
    """
    found = diagnose()
    width = max(len(f.check) for f in found) + 2
    for f in found:
        mark = "PROBLEM: " if f.status == PROBLEM else ""
        print(f"{f.check:<{width}}{mark}{f.detail}")
    for name in sorted(n for n in os.environ if n.startswith("MODELREG_")):
        secret = mask_envs or any(word in name for word in _SECRET_WORDS)
        print(f"{name}={'***' if secret else without_credentials(os.environ[name])}")


def _server(uri: str) -> list[Finding]:
    import httpx

    from modelreg.tls import tls_context

    shown = without_credentials(uri)
    try:
        answer = httpx.get(uri + "/health", timeout=10, verify=tls_context())
    except httpx.HTTPError as exc:
        return [Finding("server", PROBLEM, f"{shown} does not answer: {exc}")]
    try:
        health = answer.json()
    except ValueError:
        health = {}
    if answer.status_code != 200 or "version" not in health:
        detail = f"{shown}/health answered {answer.status_code}"
        if answer.status_code == 503:
            detail += ": the server cannot reach its database"
        elif "version" not in health:
            detail += ", not as a modelreg server does (is this the right URL?)"
        return [Finding("server", PROBLEM, detail)]
    found = [Finding("server", OK, f"modelreg server {health['version']} answers")]
    from modelreg import Client

    try:
        Client(uri).search_experiments(max_results=1)
    except ModelregError as exc:
        found.append(Finding("access", PROBLEM, exc.message))
    else:
        found.append(Finding("access", OK, "searching experiments works with these credentials"))
    return found


def _database(url: str) -> Finding:
    from sqlalchemy.engine import make_url

    from modelreg.store.database import HEAD_REVISION, Database
    from modelreg.store.engine import normalize_db_url

    parsed = make_url(normalize_db_url(url))
    shown = parsed.render_as_string(hide_password=True)
    # Looked at before any engine: one for SQLite makes the file's folder.
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return Finding("database", INFO, f"{shown} does not exist yet: made on first use")
    database = Database(url)
    try:
        revision = database.current_revision()
    except ModelregError as exc:
        return Finding("database", PROBLEM, f"{shown}: {exc.message}")
    finally:
        database.dispose()
    if revision is None:
        return Finding("database", INFO, f"{shown} has no schema yet: made on first use")
    if revision == HEAD_REVISION:
        return Finding("database", OK, f"{shown} at schema revision {revision}")
    if revision < HEAD_REVISION:
        return Finding(
            "database",
            PROBLEM,
            f"{shown} is at schema revision {revision}, this modelreg needs {HEAD_REVISION}: "
            f"run `modelreg db upgrade --backend-store-uri {shown}`",
        )
    return Finding(
        "database",
        PROBLEM,
        f"{shown} is at schema revision {revision}, newer than this modelreg knows "
        f"({HEAD_REVISION}): upgrade modelreg",
    )


def _artifacts(uri: str) -> Finding:
    if "://" in uri and not uri.startswith("file://"):
        return _remote_artifacts(uri)
    folder = Path(uri.removeprefix("file://")).expanduser()
    if not folder.exists():
        return Finding("artifacts", INFO, f"{folder} does not exist yet: made on first use")
    if not folder.is_dir():
        return Finding("artifacts", PROBLEM, f"{folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        return Finding("artifacts", PROBLEM, f"{folder} is not writable by this user")
    return Finding("artifacts", OK, f"{folder} is writable")


def _remote_artifacts(uri: str) -> Finding:
    from modelreg.blobs import open_blob_store

    try:
        store: Any = open_blob_store(uri)
        store.exists("0" * 64)  # a read of a blob no one has: the bucket and the rights
    except ModelregError as exc:
        return Finding("artifacts", PROBLEM, f"{uri}: {exc.message}")
    return Finding("artifacts", OK, f"{uri} answers")
