"""Parsing of the URIs modelreg understands.

Tracking URIs (where the store is) resolve as follows:

=============================  ==============================================
tracking URI                   meaning
=============================  ==============================================
unset                          embedded: ``./.modelreg/`` (``registry.db`` + ``artifacts/``)
a folder path or ``file:`` URI embedded, in that folder
``sqlite:///path.db``          embedded, that database; artifacts from ``MODELREG_ARTIFACTS_URI``
``postgresql://…``             embedded, that database; artifacts from ``MODELREG_ARTIFACTS_URI``
``http(s)://host:port``        remote: a ``modelreg server``
=============================  ==============================================
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

from modelreg import settings
from modelreg.entities import STAGES
from modelreg.errors import InvalidArgument

DEFAULT_FOLDER = ".modelreg"
DB_FILENAME = "registry.db"
ARTIFACTS_FOLDER = "artifacts"


@dataclass(frozen=True)
class TrackingTarget:
    """Where a tracking URI leads: an embedded database + artifact store, or a server."""

    kind: Literal["embedded", "remote"]
    uri: str
    db_url: str | None = None
    artifacts_uri: str | None = None


def _folder_target(folder: Path) -> TrackingTarget:
    folder = folder.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise InvalidArgument(
            f"tracking URI '{folder}' is a file, not a store's folder; for a SQLite "
            f"database file, use sqlite:///{folder}"
        )
    return TrackingTarget(
        "embedded",
        uri=str(folder),
        db_url=f"sqlite:///{folder / DB_FILENAME}",
        artifacts_uri=str(folder / ARTIFACTS_FOLDER),
    )


def without_credentials(uri: str) -> str:
    """``uri`` without the ``user:password@`` it may carry: what messages, reports and
    records show of it, which must not hold a secret.

    >>> without_credentials("postgresql://bob:secret@db:5432/registry")
    'postgresql://db:5432/registry'
    """
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def resolve_tracking_uri(uri: str | None = None) -> TrackingTarget:
    """Resolves ``uri`` (or ``MODELREG_TRACKING_URI``, or the default) to a target.

    Raises ``InvalidArgument`` for schemes modelreg does not know.
    """
    if uri is None:
        uri = settings.TRACKING_URI.get()
    if uri is None or uri == "":
        return _folder_target(Path.cwd() / DEFAULT_FOLDER)
    if not isinstance(uri, str | os.PathLike):
        raise InvalidArgument(f"tracking URI must be a string or a path, got {type(uri).__name__}")
    uri = os.fspath(uri)
    scheme = urlparse(uri).scheme.lower()
    if scheme in ("http", "https"):
        return TrackingTarget("remote", uri=uri.rstrip("/"))
    if scheme == "file":
        parsed = urlparse(uri)
        return _folder_target(Path(unquote(parsed.path)))
    if scheme == "sqlite" or scheme.startswith("postgres"):
        artifacts = settings.ARTIFACTS_URI.get()
        if artifacts is None:
            if scheme == "sqlite":
                db_path = uri.split("///", 1)[1] if "///" in uri else ""
                if not db_path or db_path == ":memory:":
                    raise InvalidArgument(
                        "an in-memory SQLite store cannot be shared between connections; "
                        "use sqlite:///path/to/file.db"
                    )
                base = Path(db_path).expanduser().resolve().parent
            else:
                base = Path.cwd() / DEFAULT_FOLDER
            artifacts = str(base / ARTIFACTS_FOLDER)
        return TrackingTarget("embedded", uri=uri, db_url=uri, artifacts_uri=artifacts)
    if scheme == "" or (len(scheme) == 1 and os.name == "nt"):
        return _folder_target(Path(uri))
    raise InvalidArgument(
        f"tracking URI '{without_credentials(uri)}' has an unsupported scheme '{scheme}'; "
        "use a folder, "
        "file:, sqlite:///, postgresql:// or http(s)://"
    )


# -- models:/ and runs:/ URIs ------------------------------------------------

_RUN_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class ModelUri:
    """A parsed ``models:/`` URI: the model ``name`` and exactly one reference.

    ==============================  ==========================================
    URI                             reference set
    ==============================  ==========================================
    ``models:/name/3``              ``version=3``
    ``models:/name/Staging``        ``stage="Staging"`` (any case in the URI)
    ``models:/name@champion``       ``alias="champion"``
    ``models:/name/latest``         ``latest=True``
    ``models:/name/v1.2.0``         ``semver="1.2.0"``
    ``models:/name/^1.2``           ``range="^1.2"`` (also ``~1.2.3``, ``>=2,<3``, ``1.x``)
    ==============================  ==========================================

    ``path`` is what follows the reference (``models:/name/3/data/x.bin``),
    empty when nothing does. A model whose name contains ``@`` can only be
    named with the alias form, since ``name@x/…`` always reads as an alias.
    """

    name: str
    version: int | None = None
    stage: str | None = None
    alias: str | None = None
    semver: str | None = None
    range: str | None = None
    latest: bool = False
    path: str = ""

    def __str__(self) -> str:
        if self.alias is not None:
            ref = f"{self.name}@{self.alias}"
        else:
            value = (
                self.version
                if self.version is not None
                else self.stage or (f"v{self.semver}" if self.semver else self.range) or "latest"
            )
            ref = f"{self.name}/{value}"
        return f"models:/{ref}" + (f"/{self.path}" if self.path else "")


def _check_artifact_path(path: str, uri: str) -> str:
    if "\\" in path or "\x00" in path or path.startswith("/"):
        raise InvalidArgument(
            f"URI '{uri:.200}': path '{path:.100}' must be relative, without backslashes or NUL"
        )
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidArgument(f"URI '{uri:.200}': path '{path:.100}' must not contain '..'")
    return "/".join(parts)


def parse_model_uri(uri: str) -> ModelUri:
    """Parses a ``models:/`` URI (see :class:`ModelUri` for the forms).

    Raises ``InvalidArgument`` quoting the URI when it is not one of them.
    Whether the model and the version exist is for the registry to say.
    """
    from modelreg.validation import check_int, check_name

    if not isinstance(uri, str) or not uri.startswith("models:/"):
        raise InvalidArgument(f"model URI '{uri!s:.200}' must start with 'models:/'")
    rest = uri[len("models:/") :]
    if rest.startswith("/"):
        raise InvalidArgument(
            f"model URI '{uri:.200}' must be models:/<name>/<version|stage|latest|semver> "
            "or models:/<name>@<alias>, with one slash after 'models:'"
        )
    head, _, tail = rest.partition("/")
    if "@" in head:
        # An alias names the version; anything after it is a path inside the version.
        name, _, alias = head.rpartition("@")
        if not alias:
            raise InvalidArgument(f"model URI '{uri:.200}' has an empty alias after '@'")
        return ModelUri(
            check_name(name, "model name"), alias=alias, path=_check_artifact_path(tail, uri)
        )
    name = check_name(head, "model name")
    ref, _, path = tail.partition("/")
    if not ref:
        raise InvalidArgument(
            f"model URI '{uri:.200}' names no version: use models:/{name}/<version>, "
            f"models:/{name}/<stage>, models:/{name}/latest, models:/{name}/v<semver>, "
            f"a semver range or models:/{name}@<alias>"
        )
    path = _check_artifact_path(path, uri)
    if ref.isdigit():
        return ModelUri(name, version=check_int(ref, "model URI version", 1), path=path)
    lowered = ref.lower()
    if lowered == "latest":
        return ModelUri(name, latest=True, path=path)
    for stage in STAGES:
        if lowered == stage.lower():
            return ModelUri(name, stage=stage, path=path)
    from modelreg import versioning

    if ref[:1] in ("v", "V") and versioning.is_valid(ref):
        return ModelUri(name, semver=ref[1:], path=path)
    try:
        versioning.parse_range(ref)
    except InvalidArgument as exc:
        raise InvalidArgument(
            f"model URI '{uri:.200}': '{ref:.60}' is not a version number, stage "
            f"({', '.join(STAGES)}), 'latest', v<semver> or semver range ({exc.message})"
        ) from None
    return ModelUri(name, range=ref, path=path)


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """Splits ``runs:/<run_id>/<path>`` into ``(run_id, path)``; the path may be empty.

    Raises ``InvalidArgument`` for another scheme, a malformed run id, or a
    path that is absolute, contains ``..``, a backslash or NUL.
    """
    if not isinstance(uri, str) or not uri.startswith("runs:/"):
        raise InvalidArgument(f"run URI '{uri!s:.200}' must start with 'runs:/'")
    run_id, _, path = uri[len("runs:/") :].partition("/")
    if not _RUN_ID_RE.fullmatch(run_id):
        raise InvalidArgument(
            f"run URI '{uri:.200}' must be runs:/<run_id>/<path>; '{run_id:.64}' is not a run id"
        )
    return run_id, _check_artifact_path(path, uri)
