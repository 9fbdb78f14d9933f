"""SQL for registered models, model versions, tags, aliases and the audit trail.

Every function takes an open connection; the registry service decides the
transaction and holds the rules. Statements on hot paths are built once at
import time and run through the driver helpers of
:mod:`modelreg.store.database`, so a call only binds parameters. Tags and
aliases come with their model or version row (JSON from correlated
subqueries), so one version or a page of thousands is one query, never one
query per row.
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Text,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from modelreg import versioning
from modelreg.entities import AuditEvent, ModelVersion, RegisteredModel, make_model_version
from modelreg.errors import AlreadyExists, NotFound
from modelreg.store.database import (
    StatementCache,
    execute,
    executemany,
    fetch_all,
    fetch_one,
    plain_insert,
    plain_text,
)
from modelreg.store.lookalikes import claim_alias, claim_name
from modelreg.store.schema import (
    audit_events,
    model_aliases,
    model_version_artifacts,
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
    runs,
)
from modelreg.store.tracking import upsert

rm = registered_models
mv = model_versions
STAGE_ACTIONS = ("transition_stage", "rollback")
ALL_MODELS = rm.c.model_id.is_not(None)
ALL_VERSIONS = mv.c.version_id.is_not(None)


# Tags and aliases ride along with their model or version row as JSON built by
# a correlated subquery, so fetching one version or a page of 10,000 is one
# query either way. Empty groups give '{}' on SQLite and NULL on PostgreSQL.
class json_object_agg(FunctionElement):  # noqa: N801 (a SQL function name)
    """``{key: value, …}`` as JSON text over a group of rows."""

    type = Text()
    inherit_cache = True


@compiles(json_object_agg, "sqlite")
def _json_object_agg_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"json_group_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object_agg, "postgresql")
def _json_object_agg_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(json_object_agg({compiler.process(element.clauses, **kw)}) AS TEXT)"


def _json_dict(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text and text != "{}" else {}


# -- registered models ---------------------------------------------------------

# Plain text: nearly every change to a model starts here (see plain_text).
_MODEL_ID = plain_text("SELECT model_id FROM registered_models WHERE name = :name")
_MODEL_ID_LOCKED = plain_text(
    "SELECT model_id FROM registered_models WHERE name = :name FOR UPDATE"
)


def model_id(conn: Connection, name: str, *, lock: bool = False) -> int:
    """The id of the model named ``name``; ``lock`` holds its row until the transaction ends.

    Raises ``NotFound`` naming the model.
    """
    # SQLite has no FOR UPDATE: its write transaction holds the whole database.
    locking = lock and conn.dialect.name != "sqlite"
    found = fetch_one(conn, _MODEL_ID_LOCKED if locking else _MODEL_ID, {"name": name})
    if found is None:
        raise NotFound(f"registered model '{name}' does not exist")
    return found[0]


def insert_model(
    conn: Connection, name: str, description: str | None, tags: dict[str, str], now: int
) -> int:
    """Inserts a model and its tags; raises ``AlreadyExists`` when the name is taken.

    No savepoint: a taken name ends the caller's transaction anyway.
    """
    values = {
        "name": name,
        "name_key": claim_name(conn, "registered model", name),
        "description": description,
        "creation_time": now,
        "last_updated_time": now,
        "last_version": 0,
    }
    try:
        new_id = fetch_one(conn, _INSERT_MODEL, values)[0]
    except SAIntegrityError as exc:
        raise AlreadyExists(f"a registered model named '{name}' already exists") from exc
    upsert_model_tags(conn, new_id, tags)
    return new_id


# Plain text: creating a model is a one-off call (see plain_text).
_INSERT_MODEL = plain_insert(
    rm,
    ("name", "name_key", "description", "creation_time", "last_updated_time", "last_version"),
    returning="model_id",
)


def model_description(conn: Connection, model_id_: int) -> str | None:
    return conn.execute(select(rm.c.description).where(rm.c.model_id == model_id_)).scalar()


def update_model(conn: Connection, model_id_: int, now: int, **values: Any) -> None:
    """Sets columns of a model (and its update time); a taken name, or one that looks
    like another model's, raises ``AlreadyExists``."""
    if "name" in values:
        values["name_key"] = claim_name(conn, "registered model", values["name"], model_id_)
    try:
        with conn.begin_nested():
            conn.execute(
                update(rm).where(rm.c.model_id == model_id_).values(last_updated_time=now, **values)
            )
    except SAIntegrityError as exc:
        raise AlreadyExists(
            f"a registered model named '{values.get('name')}' already exists"
        ) from exc


def delete_model(conn: Connection, model_id_: int) -> None:
    """Deletes a model with its versions, tags, aliases and manifests (not its audit trail).

    The foreign keys cascade from the model row to everything hanging off it.
    """
    conn.execute(delete(rm).where(rm.c.model_id == model_id_))


def upsert_model_tags(conn: Connection, model_id_: int, tags: dict[str, str]) -> None:
    if tags:
        upsert(
            conn,
            registered_model_tags,
            [{"model_id": model_id_, "key": k, "value": v} for k, v in tags.items()],
            ("model_id", "key"),
            ("value",),
        )


def model_tag(conn: Connection, model_id_: int, key: str) -> str | None:
    t = registered_model_tags
    return conn.execute(select(t.c.value).where(t.c.model_id == model_id_, t.c.key == key)).scalar()


def delete_model_tag(conn: Connection, model_id_: int, key: str) -> None:
    t = registered_model_tags
    conn.execute(delete(t).where(t.c.model_id == model_id_, t.c.key == key))


_MODEL_TAGS = (
    select(json_object_agg(registered_model_tags.c.key, registered_model_tags.c.value))
    .where(registered_model_tags.c.model_id == rm.c.model_id)
    .correlate(rm)
    .scalar_subquery()
    .label("tags_json")
)
_MODEL_ALIASES = (
    select(json_object_agg(model_aliases.c.alias, mv.c.version))
    .join_from(model_aliases, mv, mv.c.version_id == model_aliases.c.version_id)
    .where(model_aliases.c.model_id == rm.c.model_id)
    .correlate(rm)
    .scalar_subquery()
    .label("aliases_json")
)


def _latest_per_stage(model_ids: Any) -> Any:
    """Versions that are the highest of their model in their stage (one per model and stage)."""
    newest = (
        select(mv.c.model_id, func.max(mv.c.version).label("version"))
        .where(mv.c.model_id.in_(model_ids))
        .group_by(mv.c.model_id, mv.c.current_stage)
        .subquery("newest")
    )
    return (
        select(*_ENTITY_COLUMNS)
        .select_from(
            _VERSION_FROM.join(
                newest,
                (newest.c.model_id == mv.c.model_id) & (newest.c.version == mv.c.version),
            )
        )
        .order_by(mv.c.version.desc())
    )


def fetch_models(
    conn: Connection,
    where: Any,
    order_by: Sequence[Any] = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[RegisteredModel]:
    """Models matching ``where`` with their tags, aliases and latest version per stage.

    Two queries whatever the number of models: the models (with tags and
    aliases), then their latest versions.
    """
    query = select(rm, _MODEL_TAGS, _MODEL_ALIASES).where(where).order_by(*order_by)
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    if not rows:
        return []
    latest: dict[str, list[ModelVersion]] = {r.name: [] for r in rows}
    ids = [r.model_id for r in rows]
    for row in fetch_all(conn, _LATEST, {"model_ids": ids}):
        latest[row[0]].append(_version(row))
    return [
        RegisteredModel(
            name=r.name,
            description=r.description,
            creation_timestamp=r.creation_time,
            last_updated_timestamp=r.last_updated_time,
            tags=_json_dict(r.tags_json),
            aliases=_json_dict(r.aliases_json),
            latest_versions=tuple(latest[r.name]),
        )
        for r in rows
    ]


def production_versions(conn: Connection, model_id_: int) -> list[int]:
    return list(
        conn.execute(
            select(mv.c.version)
            .where(mv.c.model_id == model_id_, mv.c.current_stage == "Production")
            .order_by(mv.c.version)
        ).scalars()
    )


def count_versions(conn: Connection, model_id_: int) -> int:
    return conn.execute(
        select(func.count()).select_from(mv).where(mv.c.model_id == model_id_)
    ).scalar_one()


# -- model versions ----------------------------------------------------------------


# What a ModelVersion is built from, in the order ``_version`` reads them.
_ENTITY_COLUMNS = (
    rm.c.name,
    mv.c.version,
    mv.c.semver,
    mv.c.current_stage,
    mv.c.source,
    mv.c.run_id,
    mv.c.description,
    mv.c.user_id,
    mv.c.status,
    mv.c.creation_time,
    mv.c.last_updated_time,
    mv.c.signature,
    mv.c.content_digest,
    # Kept by triggers (see schema.model_versions): no lookup per version.
    mv.c.tags_json,
    mv.c.aliases_json,
)
# Rows the service changes versions by: the ids first.
_VERSION_COLUMNS = (mv.c.version_id, mv.c.model_id, *_ENTITY_COLUMNS)
_VERSION_FROM = mv.join(rm, rm.c.model_id == mv.c.model_id)


def _versions_text(columns: Sequence[Any], rest: str) -> Any:
    """``SELECT columns FROM model_versions JOIN registered_models …rest`` as plain text.

    The reads of one version are plain text (see plain_text): a process (a
    CLI command) often makes one of them, and compiling it would cost more
    than running it. The column list still comes from the table definitions.
    """
    listed = ", ".join(f"{c.table.name}.{c.name}" for c in columns)
    return plain_text(
        f"SELECT {listed} FROM model_versions JOIN registered_models"
        f" ON registered_models.model_id = model_versions.model_id {rest}"
    )


_GET_VERSION = _versions_text(
    _ENTITY_COLUMNS,
    "WHERE registered_models.name = :name AND model_versions.version = :version",
)

# The statements of a version's creation are plain text (see plain_text): a
# process often registers a single version, and compiling them would cost it
# more than running them.
_ALLOCATE_VERSION = plain_text(
    "UPDATE registered_models SET last_version = last_version + 1, last_updated_time = :now"
    " WHERE name = :model_name RETURNING model_id, last_version, top_version, top_semver"
)


def allocate_version(conn: Connection, name: str, now: int) -> tuple[int, int, int | None, Any]:
    """Takes the next integer version of model ``name``.

    Returns ``(model_id, version, top_version, top_semver)``: the last two
    name the version with the highest semver so far (``None`` before the
    first). The UPDATE holds the model's row lock (PostgreSQL) or the
    database write lock (SQLite) until the transaction ends, so concurrent
    creators queue and a rolled-back creation gives its number back:
    versions stay gapless.
    """
    row = fetch_one(conn, _ALLOCATE_VERSION, {"model_name": name, "now": now})
    if row is None:
        raise NotFound(f"registered model '{name}' does not exist")
    return row[0], row[1], row[2], row[3]


def set_top_semver(conn: Connection, model_id_: int, version: int | None, semver: Any) -> None:
    """Records which version of the model has the highest semver (``None``: none left)."""
    params = {"model_id": model_id_, "version": version, "semver": semver}
    execute(conn, _SET_TOP_SEMVER, params)


_SET_TOP_SEMVER = plain_text(
    "UPDATE registered_models SET top_version = :version, top_semver = :semver"
    " WHERE model_id = :model_id"
)


def forget_top_semver(conn: Connection, model_id_: int, deleted_version: int) -> None:
    """After ``deleted_version`` was deleted: finds the highest semver again if it had it."""
    row = fetch_one(conn, _TOP_VERSION, {"model_id": model_id_})
    if row is not None and row[0] == deleted_version:
        refresh_top_semver(conn, model_id_)


_TOP_VERSION = plain_text("SELECT top_version FROM registered_models WHERE model_id = :model_id")


def refresh_top_semver(conn: Connection, model_id_: int) -> None:
    """Finds the model's highest semver from its versions and records it."""
    rows = model_semvers(conn, model_id_)
    top = _top_of((version, semver) for version, semver, _ in rows)
    set_top_semver(conn, model_id_, *(top or (None, None)))


def refresh_all_top_semvers(conn: Connection) -> None:
    """Finds every model's highest semver from its versions (after an import)."""
    by_model: dict[int, list[tuple[int, str]]] = {}
    for model_id_, version, semver in conn.execute(
        select(mv.c.model_id, mv.c.version, mv.c.semver)
    ):
        by_model.setdefault(model_id_, []).append((version, semver))
    for (model_id_,) in conn.execute(select(rm.c.model_id)).all():
        top = _top_of(by_model.get(model_id_, ()))
        set_top_semver(conn, model_id_, *(top or (None, None)))


def _top_of(versions: Iterable[tuple[int, str]]) -> tuple[int, str] | None:
    # The earliest of versions with equal precedence, as registration sets it.
    return max(versions, key=lambda v: (versioning.sort_key(v[1]), -v[0]), default=None)


def version_with_semver(conn: Connection, model_id_: int, semver: str) -> int | None:
    """The version number that has exactly this semver string, or ``None``."""
    row = fetch_one(conn, _VERSION_WITH_SEMVER, {"model_id": model_id_, "semver": semver})
    return None if row is None else row[0]


_VERSION_WITH_SEMVER = select(mv.c.version).where(
    mv.c.model_id == bindparam("model_id"), mv.c.semver == bindparam("semver")
)


def model_semvers(conn: Connection, model_id_: int) -> list[Any]:
    """``(version, semver, content_digest)`` of every version of the model."""
    return fetch_all(conn, _MODEL_SEMVERS, {"model_id": model_id_})


_MODEL_SEMVERS = select(mv.c.version, mv.c.semver, mv.c.content_digest).where(
    mv.c.model_id == bindparam("model_id")
)


def version_digest_and_signature(conn: Connection, model_id_: int, version: int) -> Any:
    """``(content_digest, signature dict or None)`` of one version (``None``s if it is gone)."""
    row = fetch_one(conn, _VERSION_DIGEST_SIGNATURE, {"model_id": model_id_, "version": version})
    return (None, None) if row is None else (row[0], _load_json(row[1]))


_VERSION_DIGEST_SIGNATURE = plain_text(
    "SELECT content_digest, signature FROM model_versions"
    " WHERE model_id = :model_id AND version = :version"
)


def _semver_parts(text: str) -> dict[str, Any]:
    parsed = versioning.parse(text)
    return {
        "semver_major": parsed.major,
        "semver_minor": parsed.minor,
        "semver_patch": parsed.patch,
        "semver_release": not parsed.prerelease,
    }


def insert_version(conn: Connection, model_id_: int, version: ModelVersion) -> int:
    """Inserts a version row and returns its ``version_id`` (tags and aliases are separate).

    The caller holds the model's lock and has checked the semver is free, so
    no savepoint is spent here; a unique violation still surfaces as
    ``AlreadyExists`` (and the caller's transaction is rolled back).
    """
    values = {
        "model_id": model_id_,
        "version": version.version,
        "semver": version.semver,
        **_semver_parts(version.semver),
        "current_stage": version.current_stage,
        "source": version.source,
        "run_id": version.run_id,
        "description": version.description,
        "user_id": version.user_id,
        "status": version.status,
        "creation_time": version.creation_timestamp,
        "last_updated_time": version.last_updated_timestamp,
        "signature": None
        if version.signature is None
        else json.dumps(version.signature, sort_keys=True),
        "content_digest": version.content_digest,
    }
    try:
        return fetch_one(conn, _INSERT_VERSION, values)[0]
    except SAIntegrityError as exc:
        raise AlreadyExists(
            f"registered model '{version.name}' already has version {version.version} "
            f"or semver {version.semver}"
        ) from exc


# Plain text (see plain_text): a process often registers a single version.
_INSERT_VERSION = plain_insert(
    mv,
    (
        "model_id",
        "version",
        "semver",
        "semver_major",
        "semver_minor",
        "semver_patch",
        "semver_release",
        "current_stage",
        "source",
        "run_id",
        "description",
        "user_id",
        "status",
        "creation_time",
        "last_updated_time",
        "signature",
        "content_digest",
    ),
    returning="version_id",
)


def insert_version_tags(conn: Connection, version_id: int, tags: dict[str, str]) -> None:
    if tags:
        upsert(
            conn,
            model_version_tags,
            [{"version_id": version_id, "key": k, "value": v} for k, v in tags.items()],
            ("version_id", "key"),
            ("value",),
        )


def version_tag(conn: Connection, version_id: int, key: str) -> str | None:
    t = model_version_tags
    return conn.execute(
        select(t.c.value).where(t.c.version_id == version_id, t.c.key == key)
    ).scalar()


def delete_version_tag(conn: Connection, version_id: int, key: str) -> None:
    t = model_version_tags
    conn.execute(delete(t).where(t.c.version_id == version_id, t.c.key == key))


def update_version(conn: Connection, version_id: int, now: int, **values: Any) -> None:
    params = {**values, "version_id_": version_id, "last_updated_time": now}
    execute(conn, _update_version_statement(tuple(values)), params)


@cache
def _update_version_statement(columns: tuple[str, ...]) -> Any:
    # One prebuilt statement per set of columns (a handful exist), not one per call.
    return (
        update(mv)
        .where(mv.c.version_id == bindparam("version_id_"))
        .values({c: bindparam(c) for c in (*columns, "last_updated_time")})
    )


def delete_version(conn: Connection, version_id: int) -> None:
    """Deletes a version; its tags, aliases and manifest rows go by cascade."""
    conn.execute(delete(mv).where(mv.c.version_id == version_id))


def _load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _version(row: Any) -> ModelVersion:
    """The entity for a row of ``_ENTITY_COLUMNS`` (the hot path of every version read)."""
    (name, version, semver, stage, source, run_id, description, user_id, status,
     created, updated, signature, digest, tags_json, aliases_json) = row  # fmt: skip
    return make_model_version(
        name,
        version,
        semver,
        stage,
        source,
        run_id,
        description,
        user_id,
        created,
        updated,
        status,
        json.loads(tags_json) if tags_json else {},
        tuple(sorted(json.loads(aliases_json))) if aliases_json else (),
        None if signature is None else json.loads(signature),
        digest,
    )


def fetch_versions(
    conn: Connection,
    where: Any,
    order_by: Sequence[Any] = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[ModelVersion]:
    """Versions matching ``where`` (over ``model_versions`` joined to ``registered_models``).

    A search repeated with the same ``where`` and ``order_by`` objects (the
    cached ones of :mod:`modelreg.store.registry_search`) reuses its statement.
    """
    order_by = tuple(order_by)

    def build() -> Any:
        query = select(*_ENTITY_COLUMNS).select_from(_VERSION_FROM).where(where)
        query = query.order_by(*order_by).offset(_OFFSET)
        return query if limit is None else query.limit(_LIMIT)

    page = {"offset_": offset} if limit is None else {"offset_": offset, "limit_": limit}
    rows = _VERSION_SEARCHES.fetch_all(conn, (where, order_by, limit is None), build, page)
    return [_version(row) for row in rows]


_VERSION_SEARCHES = StatementCache()
_LIMIT = bindparam("limit_", type_=Integer)
_OFFSET = bindparam("offset_", type_=Integer)


def get_version(conn: Connection, name: str, version: int) -> ModelVersion:
    """One version by model name and number; ``NotFound`` names what is missing."""
    row = fetch_one(conn, _GET_VERSION, {"name": name, "version": version})
    if row is None:
        model_id(conn, name)
        raise NotFound(f"registered model '{name}' has no version {version}")
    return _version(row)


_VERSION_ROW = _versions_text(
    _VERSION_COLUMNS,
    "WHERE model_versions.model_id = :model_id AND model_versions.version = :version",
)


# What the row functions return: columns by name (row.version_id), as SQLAlchemy rows do.
VersionRow = namedtuple(  # type: ignore[misc]
    "VersionRow", [c.key for c in select(*_VERSION_COLUMNS).selected_columns]
)


def version_row(conn: Connection, model_id_: int, name: str, version: int) -> Any:
    """The raw row of one version (for changes); ``NotFound`` when it does not exist."""
    row = fetch_one(conn, _VERSION_ROW, {"model_id": model_id_, "version": version})
    if row is None:
        raise NotFound(f"registered model '{name}' has no version {version}")
    return VersionRow._make(row)


def version_from_row(row: Any) -> ModelVersion:
    """The entity for a row of ``version_row`` and friends."""
    return _version(row[2:])


def versions_in_stage(conn: Connection, model_id_: int, stage: str) -> list[Any]:
    """Raw rows of the model's versions in ``stage``, lowest version first."""
    rows = fetch_all(conn, _VERSIONS_IN_STAGE, {"model_id": model_id_, "stage": stage})
    return [VersionRow._make(r) for r in rows]


_VERSIONS_IN_STAGE = _versions_text(
    _VERSION_COLUMNS,
    "WHERE model_versions.model_id = :model_id AND model_versions.current_stage = :stage"
    " ORDER BY model_versions.version",
)


def existing_versions(conn: Connection, model_id_: int, versions: Iterable[int]) -> set[int]:
    wanted = list(set(versions))
    if not wanted:
        return set()
    return set(
        conn.execute(
            select(mv.c.version).where(mv.c.model_id == model_id_, mv.c.version.in_(wanted))
        ).scalars()
    )


_LATEST = _latest_per_stage(bindparam("model_ids", expanding=True))


def latest_versions(conn: Connection, model_id_: int) -> list[ModelVersion]:
    """The highest version in each stage that has one, highest first."""
    return [_version(row) for row in fetch_all(conn, _LATEST, {"model_ids": [model_id_]})]


def _newest(in_stage: bool) -> Any:
    inner = mv.alias("inner_versions")
    newest = select(func.max(inner.c.version)).where(inner.c.model_id == rm.c.model_id)
    if in_stage:
        newest = newest.where(inner.c.current_stage == bindparam("stage"))
    return (
        select(*_VERSION_COLUMNS)
        .select_from(_VERSION_FROM)
        .where(rm.c.name == bindparam("name"), mv.c.version == newest.scalar_subquery())
    )


_NEWEST = _newest(in_stage=False)
_NEWEST_IN_STAGE = _newest(in_stage=True)


def newest_version_row(conn: Connection, name: str, stage: str | None = None) -> Any:
    """The raw row of the model's highest version (in ``stage`` when given).

    Raises ``NotFound`` naming the model, and the stage when one is given.
    """
    if stage is None:
        row = fetch_one(conn, _NEWEST, {"name": name})
    else:
        row = fetch_one(conn, _NEWEST_IN_STAGE, {"name": name, "stage": stage})
    if row is None:
        model_id(conn, name)
        if stage is None:
            raise NotFound(f"registered model '{name}' has no versions")
        raise NotFound(f"registered model '{name}' has no version in stage '{stage}'")
    return VersionRow._make(row)


# -- artifact manifests ---------------------------------------------------------------

_RUN_ARTIFACT_URI = select(runs.c.artifact_uri).where(runs.c.run_id == bindparam("run_id"))


def run_artifact_uri(conn: Connection, run_id: str) -> str | None:
    """The run's ``artifact_uri``, or ``None`` when the run does not exist."""
    row = fetch_one(conn, _RUN_ARTIFACT_URI, {"run_id": run_id})
    return None if row is None else row[0]


def runs_with_artifact_uri_prefix(conn: Connection, source: str) -> list[tuple[str, str]]:
    """``(run_id, artifact_uri)`` of runs whose artifact folder holds ``source``.

    Only for sources that name no run id (custom artifact locations); scans the runs.
    """
    prefix_of_source = (runs.c.artifact_uri == source) | (
        func.substr(literal(source, Text), 1, func.length(runs.c.artifact_uri) + 1)
        == runs.c.artifact_uri.concat("/")
    )
    query = select(runs.c.run_id, runs.c.artifact_uri).where(prefix_of_source)
    return [(r.run_id, r.artifact_uri) for r in conn.execute(query)]


def _run_manifest_query(under_prefix: bool) -> Any:
    # Plain text, like _ALLOCATE_VERSION: both run when a version is created.
    # The outer join gives one row of NULLs for a run without such files.
    on = "run_artifacts.run_id = runs.run_id"
    if under_prefix:
        on += (
            " AND (run_artifacts.path = :prefix OR substr(run_artifacts.path, 1, :length) = :under)"
        )
    return plain_text(
        "SELECT run_artifacts.path, run_artifacts.digest, run_artifacts.size"
        f" FROM runs LEFT OUTER JOIN run_artifacts ON {on} WHERE runs.run_id = :run_id"
    )


_RUN_MANIFEST = _run_manifest_query(under_prefix=False)
_RUN_MANIFEST_UNDER = _run_manifest_query(under_prefix=True)


def run_manifest(conn: Connection, run_id: str, prefix: str) -> list[tuple[str, str, int]] | None:
    """``(path, digest, size)`` of the run's artifacts under ``prefix``, relative to it.

    ``None`` when the run does not exist (one query answers both). A single
    file named exactly ``prefix`` is kept under its file name.
    """
    if not prefix:
        rows = fetch_all(conn, _RUN_MANIFEST, {"run_id": run_id})
    else:
        under = prefix + "/"
        params = {"run_id": run_id, "prefix": prefix, "under": under, "length": len(under)}
        rows = fetch_all(conn, _RUN_MANIFEST_UNDER, params)
    if not rows:
        return None
    out = []
    for path, digest, size in rows:
        if path is None:  # the outer join's row for a run without matching files
            continue
        relative = path.rsplit("/", 1)[-1] if path == prefix else path[len(prefix) + 1 :]
        out.append((relative if prefix else path, digest, size))
    return out


def version_manifest(conn: Connection, version_id: int) -> list[tuple[str, str, int]]:
    a = model_version_artifacts
    return [
        tuple(r)
        for r in conn.execute(
            select(a.c.path, a.c.digest, a.c.size).where(a.c.version_id == version_id)
        )
    ]


def insert_version_manifest(
    conn: Connection, version_id: int, rows: Sequence[tuple[str, str, int]]
) -> None:
    if rows:
        executemany(
            conn,
            _INSERT_VERSION_ARTIFACT,
            [{"version_id": version_id, "path": p, "digest": d, "size": s} for p, d, s in rows],
        )


_INSERT_VERSION_ARTIFACT = insert(model_version_artifacts)


# -- aliases ----------------------------------------------------------------------------


def alias_target(conn: Connection, model_id_: int, alias: str) -> int | None:
    """The version number the alias points to, or ``None``."""
    row = fetch_one(conn, _ALIAS_TARGET, {"model_id": model_id_, "alias": alias})
    return None if row is None else row[0]


# Plain text, like the alias upsert: setting an alias is a one-off call (see plain_text).
_ALIAS_TARGET = plain_text(
    "SELECT model_versions.version FROM model_aliases"
    " JOIN model_versions ON model_versions.version_id = model_aliases.version_id"
    " WHERE model_aliases.model_id = :model_id AND model_aliases.alias = :alias"
)


def set_alias(conn: Connection, model_id_: int, alias: str, version_id: int) -> None:
    """Points (or moves) an alias; raises ``AlreadyExists`` for one that looks like
    another alias of the model."""
    key = claim_alias(conn, model_id_, alias)
    row = {"model_id": model_id_, "alias": alias, "alias_key": key, "version_id": version_id}
    try:
        executemany(conn, _SET_ALIAS, [row])
    except SAIntegrityError as exc:  # a look-alike set at the same moment
        raise AlreadyExists(f"alias '{alias}' looks like another alias of this model") from exc


_SET_ALIAS = plain_insert(
    model_aliases,
    ("model_id", "alias", "alias_key", "version_id"),
    conflict=("model_id", "alias"),
    update=("version_id",),
)


def delete_alias(conn: Connection, model_id_: int, alias: str) -> None:
    conn.execute(
        delete(model_aliases).where(
            model_aliases.c.model_id == model_id_, model_aliases.c.alias == alias
        )
    )


_VERSION_BY_ALIAS = _versions_text(
    _ENTITY_COLUMNS,
    "JOIN model_aliases ON model_aliases.version_id = model_versions.version_id"
    " WHERE registered_models.name = :name AND model_aliases.alias = :alias",
)


def version_by_alias(conn: Connection, name: str, alias: str) -> ModelVersion:
    """The version an alias points to; ``NotFound`` names the model or the alias."""
    row = fetch_one(conn, _VERSION_BY_ALIAS, {"name": name, "alias": alias})
    if row is None:
        model_id(conn, name)
        raise NotFound(f"registered model '{name}' has no alias '{alias}'")
    return _version(row)


# -- audit trail --------------------------------------------------------------------------


_EVENT_COLUMNS = (
    "timestamp",
    "actor",
    "action",
    "model_id",
    "model_name",
    "version",
    "before",
    "after",
    "reason",
    "entity_type",
    "entity_id",
)
# Plain text: every kind of change writes an event, often a process's only write.
_INSERT_EVENT = plain_insert(audit_events, _EVENT_COLUMNS)
MODEL_ENTITY = "model"


def append_events(conn: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Appends audit events (dicts with the columns of ``audit_events`` but ``event_id``).

    An event without ``entity_type`` is about the model its ``model_id`` names."""
    rows = [
        {
            "entity_type": MODEL_ENTITY,
            "entity_id": None,
            **e,
            "before": None if e["before"] is None else json.dumps(e["before"]),
            "after": None if e["after"] is None else json.dumps(e["after"]),
        }
        for e in events
    ]
    if rows:
        executemany(conn, _INSERT_EVENT, rows)


def _event(row: Any) -> AuditEvent:
    is_model = row.entity_type == MODEL_ENTITY
    return AuditEvent(
        event_id=row.event_id,
        timestamp=row.timestamp,
        actor=row.actor,
        action=row.action,
        model_name=row.model_name,
        version=row.version,
        before=_load_json(row.before),
        after=_load_json(row.after),
        reason=row.reason,
        entity_type=row.entity_type,
        entity_id=row.model_name if is_model else row.entity_id,
    )


def events(
    conn: Connection, model_ids: Sequence[int], version: int | None = None
) -> list[AuditEvent]:
    """The audit events of the models (of one version when given), oldest first."""
    query = select(audit_events).where(audit_events.c.model_id.in_(model_ids))
    if version is not None:
        query = query.where(audit_events.c.version == version)
    return [_event(r) for r in conn.execute(query.order_by(audit_events.c.event_id))]


def model_ids_named_in_events(conn: Connection, name: str) -> list[int]:
    """Ids of models, deleted ones included, whose events name ``name``."""
    return list(
        conn.execute(
            select(audit_events.c.model_id).where(audit_events.c.model_name == name).distinct()
        ).scalars()
    )


def audit_trail(
    conn: Connection,
    *,
    entity_type: str | None,
    entity_id: str | None,
    model_ids: Sequence[int] | None,
    actor: str | None,
    offset: int,
    limit: int,
) -> list[AuditEvent]:
    """Events of every entity, oldest first, narrowed by whichever filters are given.

    ``model_ids`` selects model events by model (they keep no ``entity_id``);
    ``entity_id`` selects the events of a user, token or experiment.
    """
    query = select(audit_events)
    if entity_type is not None:
        query = query.where(audit_events.c.entity_type == entity_type)
        if entity_type != MODEL_ENTITY:
            # Spelled as the partial index's condition, so SQLite uses the index.
            query = query.where(text("audit_events.entity_type <> 'model'"))
    if model_ids is not None:
        query = query.where(audit_events.c.model_id.in_(model_ids))
    if entity_id is not None:
        query = query.where(audit_events.c.entity_id == entity_id)
    if actor is not None:
        query = query.where(audit_events.c.actor == actor)
    query = query.order_by(audit_events.c.event_id).offset(offset).limit(limit)
    return [_event(r) for r in conn.execute(query)]


def stage_events(conn: Connection, model_id_: int) -> list[AuditEvent]:
    """The stage transitions and rollbacks of one model, oldest first."""
    query = (
        select(audit_events)
        .where(audit_events.c.model_id == model_id_, audit_events.c.action.in_(STAGE_ACTIONS))
        .order_by(audit_events.c.event_id)
    )
    return [_event(r) for r in conn.execute(query)]
