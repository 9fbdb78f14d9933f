"""Where a model version comes from: checking its ``source`` and copying the files' manifest.

A version's source is one of

- ``runs:/<run_id>/<path>``: the run must exist; the run's files under
  ``path`` are the version's files;
- ``models:/…``: another registered version (which must resolve), whose files,
  run and signature are inherited;
- ``models:/m-<32 hex>``: an MLflow 3 logged model, whose files and source run
  are the version's;
- an artifact URI inside the artifact folder of a run the registry knows
  (``modelreg-artifacts:/0/<run_id>/artifacts/model``, or MLflow's name for
  it, ``mlflow-artifacts:/…``, as MLflow clients send), or elsewhere in the
  registry's own ``modelreg-artifacts:/`` namespace;
- ``dummy-source`` or ``prompt-template``, the placeholders MLflow clients send
  for a version of a *prompt* (MLflow keeps prompts in its model registry: the
  template is the tag ``mlflow.prompt.text``): a version without files, allowed
  only with the tag ``mlflow.prompt.is_prompt = 'true'`` (see
  :func:`check_prompt_rule`), as MLflow's server requires.

Anything else (``file:///etc/passwd``, ``http://…``, ``//proc/…``, a foreign
``s3://`` bucket, a relative path) is refused with ``InvalidArgument`` naming
it. A source is canonicalised once, by :func:`parse_source`: its path is
checked with :func:`~modelreg.services.artifacts.check_artifact_path` (so
``..``, backslashes, NUL, and traversal hidden behind percent-encoding or
Unicode look-alikes are refused) and the URI is rebuilt from the checked
parts; that rebuilt form is what the version stores and what every later
reader sees. The server never opens a source as a file or URL: the version's
files are manifest rows (path → digest, size) copied from the run, so
deleting the run later never loses a registered model.

:func:`resolve_row` finds the version a ``models:/`` URI names (number,
stage, alias, latest, semver or semver range), for sources and parents as
for ``resolve_model_uri``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from modelreg import versioning
from modelreg.artifact_files import check_artifact_path
from modelreg.entities import ModelVersion
from modelreg.errors import InvalidArgument, NotFound
from modelreg.logged_models import LOGGED_MODEL_ID_RE
from modelreg.prompts import PROMPT_SOURCES, PROMPT_TAG, tagged_as_prompt
from modelreg.store import logged_models as logged_store
from modelreg.store import registry as store
from modelreg.uris import ModelUri, parse_model_uri

MAX_SOURCE_LENGTH = 4096
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_RUN_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
REGISTRY_SCHEME = "modelreg-artifacts"
# MLflow's name for the same namespace, as MLflow clients and older stores have it.
REGISTRY_SCHEMES = frozenset({REGISTRY_SCHEME, "mlflow-artifacts"})
# Object stores a run's artifact folder may be in when an admin chose its location;
# a source there is accepted only inside the folder of a run the registry knows.
OBJECT_STORE_SCHEMES = frozenset({"s3", "gs", "wasbs", "abfss", "oss"})

Manifest = list[tuple[str, str, int]]


@dataclass(frozen=True)
class Source:
    """A checked source: ``kind`` is ``runs``, ``models``, ``logged_model``, ``artifact``
    or ``prompt``; ``uri`` is its canonical form, the only form that is stored."""

    uri: str
    kind: str
    run_id: str | None = None
    path: str = ""
    model: ModelUri | None = None
    logged_model_id: str | None = None
    # A runs:/ source whose run may be missing (then the version has no files).
    missing_run_ok: bool = False


@dataclass(frozen=True)
class Snapshot:
    """What a new version keeps from its source."""

    manifest: Manifest
    run_id: str | None
    signature: dict[str, Any] | None
    logged_model_id: str | None = None  # the MLflow 3 logged model it was made from


def list_on_logged_model(
    conn: Connection, source: Source, name: str, version: int, now: int
) -> None:
    """Lists a new version registered from a logged model (not a copy of such a version)
    on that model's ``mlflow.modelVersions`` tag, as MLflow's server does."""
    if source.logged_model_id is not None:
        logged_store.note_model_version(conn, source.logged_model_id, name, version, now)


# Set by :func:`runs_as_pointers`: runs:/ sources whose run may be missing.
_RUNS_AS_POINTERS: ContextVar[bool] = ContextVar("runs_as_pointers", default=False)


@contextmanager
def runs_as_pointers() -> Iterator[None]:
    """Within the block, a ``runs:/`` source whose run does not exist is kept as a pointer
    (a version without files), as MLflow's server does; its REST API uses this, modelreg's
    own API does not."""
    token = _RUNS_AS_POINTERS.set(True)
    try:
        yield
    finally:
        _RUNS_AS_POINTERS.reset(token)


def parse_source(source: Any, run_id: str | None) -> Source:
    """Checks the form of a source and canonicalises it (no database access).

    Raises ``InvalidArgument`` naming the source when it is not ``runs:/``,
    ``models:/``, ``modelreg-artifacts:/`` or an object-store URI, when its
    path could leave the folder it names, or when ``run_id`` contradicts it.
    """
    if not isinstance(source, str) or not source:
        raise InvalidArgument(f"source must be a non-empty string, got {source!r:.60}")
    if len(source) > MAX_SOURCE_LENGTH:
        raise InvalidArgument(
            f"source '{source[:60]}…' is {len(source)} characters long; "
            f"the limit is {MAX_SOURCE_LENGTH}"
        )
    if _CONTROL_RE.search(source):
        raise InvalidArgument(f"source {source[:60]!r} contains control characters")
    if source in PROMPT_SOURCES:
        return Source(source, "prompt", run_id)
    if source.startswith("runs:/"):
        parsed = _runs_source(source, run_id)
        return replace(parsed, missing_run_ok=True) if _RUNS_AS_POINTERS.get() else parsed
    if source.startswith("models:/"):
        model_id, _, rest = source[len("models:/") :].partition("/")
        if LOGGED_MODEL_ID_RE.fullmatch(model_id):
            path = _checked_path(rest, source)
            canonical = f"models:/{model_id}/{path}" if path else f"models:/{model_id}"
            return Source(canonical, "logged_model", run_id, path, logged_model_id=model_id)
        try:
            model = parse_model_uri(source)
        except InvalidArgument as exc:
            raise InvalidArgument(f"source: {exc.message}") from None
        _checked_path(model.path, source)
        return Source(str(model), "models", model=model)
    return _artifact_source(source, run_id)


def check_prompt_rule(source: Source, tags: dict[str, str]) -> None:
    """A version is a prompt's (tagged ``mlflow.prompt.is_prompt = 'true'``, any case)
    exactly when its source is a prompt placeholder; ``InvalidArgument`` otherwise."""
    tagged = tagged_as_prompt(tags)
    if tagged and source.kind != "prompt":
        raise InvalidArgument(
            f"source '{source.uri:.200}': a prompt version (tag {PROMPT_TAG} = 'true') has "
            f"no files; its source is one of {', '.join(sorted(PROMPT_SOURCES))}"
        )
    if source.kind == "prompt" and not tagged:
        raise InvalidArgument(
            f"source '{source.uri}' is MLflow's placeholder for a prompt version, which "
            f"carries the tag {PROMPT_TAG} = 'true'; register a model from runs:/<run_id>/<path>"
        )


def _runs_source(source: str, run_id: str | None) -> Source:
    source_run, _, path = source[len("runs:/") :].partition("/")
    if not _RUN_ID_RE.fullmatch(source_run):
        raise InvalidArgument(
            f"source '{source:.200}' must be runs:/<run_id>/<path>; "
            f"'{source_run:.64}' is not a run id"
        )
    if run_id is not None and run_id != source_run:
        raise InvalidArgument(
            f"run_id '{run_id}' does not match the run '{source_run}' of source '{source}'"
        )
    path = _checked_path(path, source)
    canonical = f"runs:/{source_run}/{path}" if path else f"runs:/{source_run}"
    return Source(canonical, "runs", source_run, path)


def _artifact_source(source: str, run_id: str | None) -> Source:
    match = _SCHEME_RE.match(source)
    scheme = match.group(1).lower() if match else ""
    rest = source[len(scheme) + 1 :]
    if scheme in REGISTRY_SCHEMES and rest.startswith("/") and not rest.startswith("//"):
        path = _checked_path(rest[1:], source)
        return Source(f"{REGISTRY_SCHEME}:/{path}", "artifact", run_id)
    if scheme in OBJECT_STORE_SCHEMES and rest.startswith("//"):
        location = _checked_path(rest[2:], source)
        return Source(f"{scheme}://{location}", "artifact", run_id)
    raise InvalidArgument(
        f"source '{source:.200}' is not a runs:/, models:/ or {REGISTRY_SCHEME}:/ URI, "
        "nor inside the artifact folder of a run this registry knows (files, local paths "
        "and URLs are refused: register from runs:/<run_id>/<path>)"
    )


def _checked_path(path: str, source: str) -> str:
    """The path part of a source, checked as an artifact path ('' for none)."""
    try:
        return check_artifact_path(path, "path", allow_root=True)
    except InvalidArgument as exc:
        raise InvalidArgument(f"source '{source:.200}': {exc.message}") from None


def snapshot(
    conn: Connection,
    source: Source,
    run_id: str | None,
    signature: dict[str, Any] | None,
) -> Snapshot:
    """The manifest, run id and signature a new version takes from ``source``.

    Raises
    ``NotFound`` for a missing run or version, ``InvalidArgument`` for an
    artifact URI outside every run the registry knows.
    """
    if source.kind == "prompt":
        return Snapshot([], run_id, signature)
    if source.kind == "runs":
        assert source.run_id is not None
        manifest = store.run_manifest(conn, source.run_id, source.path)
        if manifest is None and source.missing_run_ok:
            return Snapshot([], source.run_id, signature)
        if manifest is None:
            raise NotFound(f"run '{source.run_id}' of source '{source.uri}' does not exist")
        return Snapshot(manifest, source.run_id, signature)
    if source.kind == "logged_model":
        assert source.logged_model_id is not None
        row = logged_store.require_model(conn, source.logged_model_id)
        entries = logged_store.entries(conn, source.logged_model_id)
        manifest = _under([(p, r.digest, r.size) for p, r in entries.items()], source.path)
        return Snapshot(manifest, run_id or row.source_run_id, signature, source.logged_model_id)
    if source.kind == "models":
        assert source.model is not None
        row = resolve_row(conn, source.model)
        if row.source in PROMPT_SOURCES:
            raise InvalidArgument(
                f"source '{source.uri:.200}' is a prompt version: a prompt's versions have "
                "no files to register as a model"
            )
        manifest = _under(store.version_manifest(conn, row.version_id), source.model.path)
        inherited = json.loads(row.signature) if row.signature else None
        return Snapshot(manifest, run_id or row.run_id, signature or inherited, row.logged_model_id)
    return _artifact_snapshot(conn, source.uri, run_id, signature)


def _artifact_snapshot(
    conn: Connection, uri: str, run_id: str | None, signature: dict[str, Any] | None
) -> Snapshot:
    if run_id is not None:
        artifact_uri = store.run_artifact_uri(conn, run_id)
        if artifact_uri is None:
            raise NotFound(f"run '{run_id}' does not exist")
        candidates = [(run_id, artifact_uri)]
    else:
        candidates = store.runs_with_artifact_uri_prefix(conn, uri)
    for candidate_run, artifact_uri in candidates:
        base = artifact_uri.rstrip("/")
        if uri == base or uri.startswith(base + "/"):
            manifest = store.run_manifest(conn, candidate_run, uri[len(base) + 1 :].strip("/"))
            return Snapshot(manifest or [], candidate_run, signature)
    if uri.startswith(f"{REGISTRY_SCHEME}:/"):
        return Snapshot([], run_id, signature)
    where = f"folder of run '{run_id}'" if run_id else "folder of a run this registry knows"
    raise InvalidArgument(
        f"source '{uri:.200}' is not a runs:/ or models:/ URI nor inside the artifact {where}"
    )


def _under(manifest: Manifest, path: str) -> Manifest:
    """The entries under ``path``, relative to it (a file named ``path`` keeps its name)."""
    if not path:
        return manifest
    prefix = path + "/"
    return [
        (p[len(prefix) :] if p != path else p.rsplit("/", 1)[-1], d, s)
        for p, d, s in manifest
        if p == path or p.startswith(prefix)
    ]


def manifest_digest(manifest: Sequence[tuple[str, str, int]]) -> str | None:
    """sha256 over the sorted ``path NUL digest LF`` lines of a manifest; ``None`` when empty.

    Two versions with the same files (same relative paths, same bytes) get
    the same digest, which is what ``bump="auto"`` compares.
    """
    if not manifest:
        return None
    h = hashlib.sha256()
    for path, digest, _size in sorted(manifest):
        h.update(f"{path}\0{digest}\n".encode())
    return h.hexdigest()


def resolve_row(conn: Connection, ref: ModelUri) -> Any:
    """The raw version row a ``models:/`` URI names; ``NotFound`` says what is missing."""
    name = ref.name
    if ref.latest:
        return store.newest_version_row(conn, name)
    if ref.stage is not None:
        return store.newest_version_row(conn, name, ref.stage)
    model_id = store.model_id(conn, name)
    if ref.alias is not None:
        number = store.alias_target(conn, model_id, ref.alias)
        if number is None:
            raise NotFound(f"registered model '{name}' has no alias '{ref.alias}'")
    elif ref.version is not None:
        number = ref.version
    else:
        found = (
            _exact_semver(conn, model_id, ref.semver)
            if ref.semver is not None
            else _best_in_range(conn, model_id, ref.range or "")
        )
        if found is None:
            what = (
                f"with semver {ref.semver}"
                if ref.semver is not None
                else f"whose semver matches '{ref.range}'"
            )
            raise NotFound(f"registered model '{name}' has no version {what}")
        number = found
    return store.version_row(conn, model_id, name, number)


def resolve_version(conn: Connection, uri: str) -> ModelVersion:
    """The version a ``models:/`` URI names, as stored (before visibility rules).

    Raises ``InvalidArgument`` for a malformed URI, ``NotFound`` naming the
    model and what is missing."""
    parsed = parse_model_uri(uri)
    if parsed.alias is not None:
        return store.version_by_alias(conn, parsed.name, parsed.alias)
    if parsed.version is not None:
        return store.get_version(conn, parsed.name, parsed.version)
    return store.version_from_row(resolve_row(conn, parsed))


def _exact_semver(conn: Connection, model_id: int, wanted: str) -> int | None:
    """The version with exactly this semver; else one of the same SemVer precedence (only
    build metadata differs), newest first. Both are index lookups."""
    exact = store.version_with_semver(conn, model_id, wanted)
    if exact is not None:
        return exact
    key = versioning.sort_key(wanted)
    parsed = versioning.parse(wanted)
    triple = (parsed.major, parsed.minor, parsed.patch)
    ceiling = (triple[0], triple[1], triple[2] + 1)
    same = [
        number
        for number, text in store.semvers_from_top(conn, model_id, triple, ceiling)
        if versioning.sort_key(text) == key
    ]
    return max(same) if same else None


def _best_in_range(conn: Connection, model_id: int, range_text: str) -> int | None:
    """The version with the highest semver inside the range: read from the top of the
    range's stretch of the semver index down to the first (major, minor, patch) that
    holds a match (a pre-release and its release share one)."""
    wanted = versioning.parse_range(range_text)
    best: tuple[Any, int] | None = None
    for number, text in store.semvers_from_top(conn, model_id, *wanted.span()):
        version = versioning.parse(text)
        if best is not None and version.to_tuple()[:3] != best[0].to_tuple()[:3]:
            break
        if wanted.matches(version) and (best is None or version > best[0]):
            best = (version, number)
    return None if best is None else best[1]
