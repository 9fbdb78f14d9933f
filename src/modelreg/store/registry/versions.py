"""SQL for model versions and their tags and aliases: reading them as entities, changing them.

A version's tags and aliases live in their own tables and are read with the
version, as JSON from correlated subqueries (see :mod:`modelreg.store.json_agg`): one
version or a page of thousands is one query, never one query per version.
Every change to a version also moves its model's ``last_updated_time``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from modelreg import versioning
from modelreg.entities import STAGES, ModelVersion
from modelreg.errors import AlreadyExists, NotFound
from modelreg.store.json_agg import json_dict, json_object_agg
from modelreg.store.lookalikes import claim_alias
from modelreg.store.registry.models import model_id, touch_model
from modelreg.store.schema import (
    model_aliases,
    model_version_tags,
    model_versions,
    registered_models,
)
from modelreg.store.upsert import upsert
from modelreg.timeutil import now_ms

rm = registered_models
mv = model_versions
ALL_VERSIONS = mv.c.version_id.is_not(None)

# What a version is read with: the ids the service changes it by, the entity's
# columns, then its tags and aliases (in the order ``version_from_row`` reads them).
VERSION_COLUMNS = (
    mv.c.version_id,
    mv.c.model_id,
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
    mv.c.logged_model_id,
)
_tags = model_version_tags.alias("version_tags")
_aliases = model_aliases.alias("version_aliases")
VERSIONS = select(
    *VERSION_COLUMNS,
    select(json_object_agg(_tags.c.key, _tags.c.value))
    .where(_tags.c.version_id == mv.c.version_id)
    .correlate(mv)
    .scalar_subquery(),
    select(json_object_agg(_aliases.c.alias, _aliases.c.alias))
    .where(_aliases.c.version_id == mv.c.version_id)
    .correlate(mv)
    .scalar_subquery(),
).select_from(mv.join(rm, rm.c.model_id == mv.c.model_id))
_WIDTH = len(VERSIONS.selected_columns)


def version_from_row(row: Any) -> ModelVersion:
    """The entity of a row of ``VERSIONS`` (``version_row`` and friends return those;
    columns after those of ``VERSIONS`` are ignored)."""
    (_id, _model, name, version, semver, stage, source, run_id, description, user_id,
     status, created, updated, signature, digest, logged, tags, aliases) = row[:_WIDTH]  # fmt: skip
    return ModelVersion(
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
        json_dict(tags),
        tuple(sorted(json.loads(aliases))) if aliases and aliases != "{}" else (),
        None if signature is None else json.loads(signature),
        digest,
        logged,
    )


# -- reading versions --------------------------------------------------------------

_GET_VERSION = VERSIONS.where(rm.c.name == bindparam("name"), mv.c.version == bindparam("version"))
_VERSION_ROW = VERSIONS.where(
    mv.c.model_id == bindparam("model_id"), mv.c.version == bindparam("version")
)
_VERSIONS_IN_STAGE = VERSIONS.where(
    mv.c.model_id == bindparam("model_id"), mv.c.current_stage == bindparam("stage")
).order_by(mv.c.version)
# Joined on the model too, so the alias is found by its key (model_id, alias),
# not by walking the model's versions.
_VERSION_BY_ALIAS = VERSIONS.join(
    model_aliases,
    (model_aliases.c.model_id == rm.c.model_id) & (model_aliases.c.version_id == mv.c.version_id),
).where(rm.c.name == bindparam("name"), model_aliases.c.alias == bindparam("alias"))


def get_version(conn: Connection, name: str, version: int) -> ModelVersion:
    """One version by model name and number; ``NotFound`` names what is missing."""
    row = conn.execute(_GET_VERSION, {"name": name, "version": version}).first()
    if row is None:
        model_id(conn, name)
        raise NotFound(f"registered model '{name}' has no version {version}")
    return version_from_row(row)


def version_row(conn: Connection, model_id_: int, name: str, version: int) -> Any:
    """The row of one version (for changes); ``NotFound`` when it does not exist."""
    row = conn.execute(_VERSION_ROW, {"model_id": model_id_, "version": version}).first()
    if row is None:
        raise NotFound(f"registered model '{name}' has no version {version}")
    return row


def versions_in_stage(conn: Connection, model_id_: int, stage: str) -> list[Any]:
    """Rows of the model's versions in ``stage``, lowest version first."""
    return list(conn.execute(_VERSIONS_IN_STAGE, {"model_id": model_id_, "stage": stage}))


def version_by_alias(conn: Connection, name: str, alias: str) -> ModelVersion:
    """The version an alias points to; ``NotFound`` names the model or the alias."""
    row = conn.execute(_VERSION_BY_ALIAS, {"name": name, "alias": alias}).first()
    if row is None:
        model_id(conn, name)
        raise NotFound(f"registered model '{name}' has no alias '{alias}'")
    return version_from_row(row)


def existing_versions(conn: Connection, model_id_: int, versions: Iterable[int]) -> set[int]:
    """Which of these version numbers the model still has."""
    wanted = list(set(versions))
    if not wanted:
        return set()
    return set(
        conn.execute(
            select(mv.c.version).where(mv.c.model_id == model_id_, mv.c.version.in_(wanted))
        ).scalars()
    )


def _highest_in_stage(inner: Any, stage: Any) -> Any:
    """The model's highest version number in ``stage``, read from the end of the stage's
    range in the (model_id, current_stage, version) index.

    Ordered by stage, then version, as that index is: PostgreSQL, which cannot
    know how many versions a stage holds before it runs the query, would
    otherwise walk the (model_id, version) index from the top filtering by stage,
    which reads every version of the model when the stage holds few or none."""
    # A one-value range, not "=": with "=" PostgreSQL treats the stage as fixed, drops
    # it from the ordering and may pick the (model_id, version) index anyway.
    return (
        select(inner.c.version)
        .where(
            inner.c.model_id == rm.c.model_id,
            inner.c.current_stage >= stage,
            inner.c.current_stage <= stage,
        )
        .order_by(inner.c.current_stage.desc(), inner.c.version.desc())
        .limit(1)
        .scalar_subquery()
    )


def _latest_per_stage() -> Any:
    """Versions that are the highest of their model in their stage (one per model and stage).

    Driven from the (model, stage) pairs: each pair's highest version is the
    end of its range in the (model_id, current_stage, version) index, so the
    cost does not grow with the number of versions.
    """
    stages = union_all(*(select(literal(s, String).label("stage")) for s in STAGES)).subquery(
        "stages"
    )
    inner = mv.alias("inner_versions")
    highest = _highest_in_stage(inner, stages.c.stage)
    newest = (
        select(rm.c.model_id, highest.label("version"))
        .select_from(rm.join(stages, true()))
        .where(rm.c.model_id.in_(bindparam("model_ids", expanding=True)))
        .subquery("newest")
    )
    return VERSIONS.join(
        newest, (newest.c.model_id == mv.c.model_id) & (newest.c.version == mv.c.version)
    ).order_by(mv.c.version.desc())


_LATEST = _latest_per_stage()


def latest_versions_of(conn: Connection, model_ids: Sequence[int]) -> list[ModelVersion]:
    """The highest version in each stage that has one, of each of the models, highest first."""
    rows = conn.execute(_LATEST, {"model_ids": list(model_ids)}).all()
    return [version_from_row(row) for row in rows]


def latest_versions(conn: Connection, model_id_: int) -> list[ModelVersion]:
    """The highest version in each stage that has one, highest first."""
    return latest_versions_of(conn, [model_id_])


def _newest(in_stage: bool) -> Any:
    inner = mv.alias("inner_versions")
    if in_stage:
        newest = _highest_in_stage(inner, bindparam("stage"))
    else:
        newest = (
            select(func.max(inner.c.version))
            .where(inner.c.model_id == rm.c.model_id)
            .scalar_subquery()
        )
    return VERSIONS.where(rm.c.name == bindparam("name"), mv.c.version == newest)


_NEWEST = _newest(in_stage=False)
_NEWEST_IN_STAGE = _newest(in_stage=True)


def newest_version_row(conn: Connection, name: str, stage: str | None = None) -> Any:
    """The row of the model's highest version (in ``stage`` when given).

    Raises ``NotFound`` naming the model, and the stage when one is given.
    """
    if stage is None:
        row = conn.execute(_NEWEST, {"name": name}).first()
    else:
        row = conn.execute(_NEWEST_IN_STAGE, {"name": name, "stage": stage}).first()
    if row is None:
        model_id(conn, name)
        if stage is None:
            raise NotFound(f"registered model '{name}' has no versions")
        raise NotFound(f"registered model '{name}' has no version in stage '{stage}'")
    return row


# -- changing versions ---------------------------------------------------------------


def insert_version(conn: Connection, model_id_: int, version: ModelVersion) -> int:
    """Inserts a version row and returns its ``version_id`` (tags and aliases are separate).

    The caller holds the model's lock and has checked the semver is free, so
    no savepoint is spent here; a unique violation still surfaces as
    ``AlreadyExists`` (and the caller's transaction is rolled back).
    """
    parsed = versioning.parse(version.semver)
    values = {
        "model_id": model_id_,
        "version": version.version,
        "semver": version.semver,
        "semver_major": parsed.major,
        "semver_minor": parsed.minor,
        "semver_patch": parsed.patch,
        "semver_release": not parsed.prerelease,
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
        "logged_model_id": version.model_id,
    }
    try:
        version_id: int = conn.execute(_INSERT_VERSION, values).scalar_one()
    except SAIntegrityError as exc:
        raise AlreadyExists(
            f"registered model '{version.name}' already has version {version.version} "
            f"or semver {version.semver}"
        ) from exc
    return version_id


_INSERT_VERSION = insert(mv).returning(mv.c.version_id)


def _touch_model_of(conn: Connection, version_id: int, now: int | None = None) -> None:
    """Moves the ``last_updated_time`` of the version's model to ``now`` (or the current time)."""
    conn.execute(
        _TOUCH_MODEL_OF, {"version_id": version_id, "now": now_ms() if now is None else now}
    )


_TOUCH_MODEL_OF = (
    update(rm)
    .where(
        rm.c.model_id
        == select(mv.c.model_id).where(mv.c.version_id == bindparam("version_id")).scalar_subquery()
    )
    .values(last_updated_time=bindparam("now"))
)


def update_version(conn: Connection, version_id: int, now: int, **values: Any) -> None:
    """Sets columns of a version; the version and its model are updated at ``now``."""
    conn.execute(
        _update_version_statement(tuple(values)), {**values, "version_id_": version_id, "now": now}
    )
    _touch_model_of(conn, version_id, now)


@cache
def _update_version_statement(columns: tuple[str, ...]) -> Any:
    # One statement per set of columns (a handful exist), built once.
    return (
        update(mv)
        .where(mv.c.version_id == bindparam("version_id_"))
        .values({**{c: bindparam(c) for c in columns}, "last_updated_time": bindparam("now")})
    )


def delete_version(conn: Connection, version_id: int) -> None:
    """Deletes a version; its tags, aliases and manifest rows go by cascade."""
    _touch_model_of(conn, version_id)
    conn.execute(delete(mv).where(mv.c.version_id == version_id))


def insert_version_tags(conn: Connection, version_id: int, tags: dict[str, str]) -> None:
    """Sets (or overwrites) tags of a version."""
    if tags:
        upsert(
            conn,
            model_version_tags,
            [{"version_id": version_id, "key": k, "value": v} for k, v in tags.items()],
            ("version_id", "key"),
            ("value",),
        )
        _touch_model_of(conn, version_id)


def version_tag(conn: Connection, version_id: int, key: str) -> str | None:
    t = model_version_tags
    return conn.execute(
        select(t.c.value).where(t.c.version_id == version_id, t.c.key == key)
    ).scalar()


def delete_version_tag(conn: Connection, version_id: int, key: str) -> None:
    t = model_version_tags
    conn.execute(delete(t).where(t.c.version_id == version_id, t.c.key == key))
    _touch_model_of(conn, version_id)


# -- aliases ------------------------------------------------------------------------


def alias_target(conn: Connection, model_id_: int, alias: str) -> int | None:
    """The version number the alias points to, or ``None``."""
    return conn.execute(_ALIAS_TARGET, {"model_id": model_id_, "alias": alias}).scalar()


_ALIAS_TARGET = (
    select(mv.c.version)
    .join_from(model_aliases, mv, mv.c.version_id == model_aliases.c.version_id)
    .where(
        model_aliases.c.model_id == bindparam("model_id"),
        model_aliases.c.alias == bindparam("alias"),
    )
)


def set_alias(conn: Connection, model_id_: int, alias: str, version_id: int) -> None:
    """Points the alias at a version (moving it if it points elsewhere); raises
    ``AlreadyExists`` for one that looks like another alias of the model."""
    key = claim_alias(conn, model_id_, alias)
    row = {"model_id": model_id_, "alias": alias, "alias_key": key, "version_id": version_id}
    try:
        upsert(conn, model_aliases, [row], ("model_id", "alias"), ("version_id",))
    except SAIntegrityError as exc:  # a look-alike set at the same moment
        raise AlreadyExists(f"alias '{alias}' looks like another alias of this model") from exc
    _touch_model_of(conn, version_id)


def delete_alias(conn: Connection, model_id_: int, alias: str) -> None:
    conn.execute(
        delete(model_aliases).where(
            model_aliases.c.model_id == model_id_, model_aliases.c.alias == alias
        )
    )
    touch_model(conn, model_id_)


# -- integer and semantic version numbers ------------------------------------------

_ALLOCATE_VERSION = (
    update(rm)
    .where(rm.c.name == bindparam("model_name"))
    .values(last_version=rm.c.last_version + 1, last_updated_time=bindparam("now"))
    .returning(rm.c.model_id, rm.c.last_version, rm.c.top_version, rm.c.top_semver)
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
    row = conn.execute(_ALLOCATE_VERSION, {"model_name": name, "now": now}).first()
    if row is None:
        raise NotFound(f"registered model '{name}' does not exist")
    return row[0], row[1], row[2], row[3]


def set_top_semver(conn: Connection, model_id_: int, version: int | None, semver: Any) -> None:
    """Records which version of the model has the highest semver (``None``: none left)."""
    conn.execute(_SET_TOP_SEMVER, {"model_id_": model_id_, "version": version, "semver": semver})


_SET_TOP_SEMVER = (
    update(rm)
    .where(rm.c.model_id == bindparam("model_id_"))
    .values(top_version=bindparam("version"), top_semver=bindparam("semver"))
)


def forget_top_semver(conn: Connection, model_id_: int, deleted_version: int) -> None:
    """After ``deleted_version`` was deleted: finds the highest semver again if it had it."""
    top = conn.execute(select(rm.c.top_version).where(rm.c.model_id == model_id_)).scalar()
    if top == deleted_version:
        refresh_top_semver(conn, model_id_)


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
    ).all():
        by_model.setdefault(model_id_, []).append((version, semver))
    for model_id_ in conn.execute(select(rm.c.model_id)).scalars().all():
        top = _top_of(by_model.get(model_id_, ()))
        set_top_semver(conn, model_id_, *(top or (None, None)))


def _top_of(versions: Iterable[tuple[int, str]]) -> tuple[int, str] | None:
    # The earliest of versions with equal precedence, as registration sets it.
    return max(versions, key=lambda v: (versioning.sort_key(v[1]), -v[0]), default=None)


def version_with_semver(conn: Connection, model_id_: int, semver: str) -> int | None:
    """The version number that has exactly this semver string, or ``None``."""
    return conn.execute(
        select(mv.c.version).where(mv.c.model_id == model_id_, mv.c.semver == semver)
    ).scalar()


_SEMVER_PARTS = (mv.c.semver_major, mv.c.semver_minor, mv.c.semver_patch)
_SEMVER_PAGE = 64


def semvers_from_top(
    conn: Connection,
    model_id_: int,
    floor: tuple[int, int, int] | None = None,
    ceiling: tuple[int, int, int] | None = None,
) -> Iterator[tuple[int, str]]:
    """``(version, semver)`` of the model's versions whose (major, minor, patch) is at
    least ``floor`` and below ``ceiling``, highest (major, minor, patch) first.

    Read a page at a time from the (model_id, major, minor, patch) index, so a
    caller that stops at the first match reads only the top of the range.
    """
    parts = tuple_(*_SEMVER_PARTS)
    query = select(mv.c.version, mv.c.semver, *_SEMVER_PARTS).where(mv.c.model_id == model_id_)
    if floor is not None:
        query = query.where(parts >= tuple_(*floor))
    order = [c.desc() for c in _SEMVER_PARTS]
    last: Any = ceiling
    while True:
        page = query if last is None else query.where(parts < tuple_(*last))
        rows = conn.execute(page.order_by(*order).limit(_SEMVER_PAGE)).all()
        if len(rows) < _SEMVER_PAGE:
            yield from ((r[0], r[1]) for r in rows)
            return
        # The versions of the page's last (major, minor, patch) may go on past the
        # page: those are read whole, and the next page starts below them.
        last = tuple(rows[-1][2:])
        yield from ((r[0], r[1]) for r in rows if tuple(r[2:]) != last)
        same = select(mv.c.version, mv.c.semver).where(
            mv.c.model_id == model_id_, parts == tuple_(*last)
        )
        yield from ((r[0], r[1]) for r in conn.execute(same).all())


def model_semvers(conn: Connection, model_id_: int) -> list[Any]:
    """``(version, semver, content_digest)`` of every version of the model."""
    return list(
        conn.execute(
            select(mv.c.version, mv.c.semver, mv.c.content_digest).where(mv.c.model_id == model_id_)
        ).all()
    )


def version_digest_and_signature(conn: Connection, model_id_: int, version: int) -> Any:
    """``(content_digest, signature dict or None)`` of one version (``None``s if it is gone)."""
    row = conn.execute(
        select(mv.c.content_digest, mv.c.signature).where(
            mv.c.model_id == model_id_, mv.c.version == version
        )
    ).first()
    if row is None:
        return None, None
    digest, signature = row
    return digest, None if signature is None else json.loads(signature)
