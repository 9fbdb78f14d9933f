"""The SQL schema, as SQLAlchemy Core tables (one definition for SQLite and PostgreSQL).

Alembic migrations in ``store/migrations`` create and evolve these tables;
this module is what the queries are written against. Times are integers in
milliseconds since the epoch, as in MLflow.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    literal_column,
    text,
    true,
)

# Text values are indexed by their first VALUE_PREFIX characters: a PostgreSQL
# b-tree entry holds at most ~2,700 bytes, and a param or tag value may be longer.
VALUE_PREFIX = 100


def value_prefix(column: ColumnElement[str]) -> ColumnElement[str]:
    """``substr(column, 1, VALUE_PREFIX)``, spelled as the indexes spell it (literals inline,
    so SQLite matches a query's expression to the index's)."""
    return func.substr(column, literal_column("1"), literal_column(str(VALUE_PREFIX)))


def _by_value(table: Table, owner: str) -> Index:
    """The index that finds a table's rows by (key, value), for searches (migration 0011)."""
    return Index(
        f"ix_{table.name}_key_value", table.c.key, value_prefix(table.c.value), table.c[owner]
    )


# Tables keyed by a composite primary key are clustered on it in SQLite
# (WITHOUT ROWID): one b-tree instead of a table plus an index, so a write
# touches half the pages. PostgreSQL ignores the option.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(16), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    # What the name looks like (modelreg.lookalike, migration 0010): unique, so no
    # two experiments look alike. NULL for the younger of two that did before 0010.
    Column("name_key", String(64)),
    Index(None, "name_key", unique=True),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("run_name", String(250), nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger),
    Column("lifecycle_stage", String(16), nullable=False),
    Column("artifact_uri", Text, nullable=False),
    Index(None, "experiment_id", "start_time"),
    # A runs table ordered by name (migration 0016), by end time or status (0019).
    Index(None, "experiment_id", "run_name"),
    Index(None, "experiment_id", "end_time", "start_time"),
    Index(None, "experiment_id", "status", "start_time"),
)

# The whole store's runs newest first, in the order of a page of runs (ties by id), for
# searches over many experiments (migration 0020).
Index("ix_runs_start_time_run_id", runs.c.start_time.desc(), runs.c.run_id)

params = Table(
    "params",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

# SQLite turns NaN into NULL, so NaN is kept as a flag next to a NULL value.
metrics = Table(
    "metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Float(53)),
    Column("is_nan", Boolean, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    # Each point once (migration 0014); also the history's (run, key, step) order.
    Index(None, "run_id", "key", "step", "timestamp", "value", unique=True),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Float(53)),
    Column("is_nan", Boolean, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

run_artifacts = Table(
    "run_artifacts",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Index(None, "digest"),
)

registered_models = Table(
    "registered_models",
    metadata,
    Column("model_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    # Incremented under the row's write lock; never reused, so a version
    # number names one set of bytes forever, even after deletion.
    Column("last_version", Integer, nullable=False, server_default="0"),
    # The version with the highest semver (SemVer precedence; the earliest
    # of equals) and that semver, NULL while there is none: registering a
    # version bumps it, and reads it here from the row it updates anyway.
    Column("top_version", Integer),
    Column("top_semver", String(128)),
    # What the name looks like, as for experiments (migration 0010).
    Column("name_key", String(64)),
    Index(None, "name_key", unique=True),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("version_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("version", Integer, nullable=False),
    Column("semver", String(128), nullable=False),
    # The semver's numeric parts (migration 0002; since 0006 the model row
    # names its highest version). Ranges (^1.2, ~1.2.3) are resolved from the
    # top of their stretch of the index below (migration 0011).
    Column("semver_major", BigInteger, nullable=False, server_default="0"),
    Column("semver_minor", BigInteger, nullable=False, server_default="0"),
    Column("semver_patch", BigInteger, nullable=False, server_default="0"),
    Column("semver_release", Boolean, nullable=False, server_default=true()),
    Column("current_stage", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("run_id", String(32)),
    Column("description", Text),
    Column("user_id", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("signature", Text),
    Column("content_digest", String(64)),
    Column("logged_model_id", String(64)),  # the MLflow 3 logged model it was made from
    UniqueConstraint("model_id", "version"),
    UniqueConstraint("model_id", "semver"),
    Index(None, "run_id"),
    # The newest version in a stage is the last entry of its (model, stage) range.
    Index(None, "model_id", "current_stage", "version"),
    Index(
        "ix_model_versions_semver_parts", "model_id", "semver_major", "semver_minor", "semver_patch"
    ),
    # Most recently updated first, MLflow's order for version searches (migration 0015).
    Index(None, "last_updated_time"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("model_versions.version_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)

model_version_artifacts = Table(
    "model_version_artifacts",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("model_versions.version_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("path", Text, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Index(None, "digest"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("alias", String(256), primary_key=True),
    Column(
        "version_id",
        Integer,
        ForeignKey("model_versions.version_id", ondelete="CASCADE"),
        nullable=False,
    ),
    # What the alias looks like (migration 0010): no two aliases of a model look alike.
    Column("alias_key", String(64)),
    Index(None, "model_id", "alias_key", unique=True),
    # A version is read with its aliases, looked up by version (migration 0008).
    Index(None, "version_id"),
    sqlite_with_rowid=False,
)

# Append-only: no API updates or deletes a row. An event is about one entity:
# a registered model (model_id and model_name set, entity_id NULL) or, since
# migration 0005, a user, an API token or an experiment (entity_id holds the
# username, token id or experiment id; the model columns are NULL). Nothing is
# a foreign key, so the trail outlives what it describes.
audit_events = Table(
    "audit_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("action", String(64), nullable=False),
    Column("model_id", Integer),
    Column("model_name", String(256)),
    Column("version", Integer),
    Column("before", Text),
    Column("after", Text),
    Column("reason", Text),
    Column("entity_type", String(16), nullable=False, server_default="model"),
    Column("entity_id", String(256)),
    Index(None, "model_id", "event_id"),
    Index(None, "model_id", "version", "event_id"),
    # Only events about users, tokens and experiments: model events (nearly all
    # of them) have their own index above and skip this one's write.
    Index(
        None,
        "entity_type",
        "entity_id",
        "event_id",
        sqlite_where=text("entity_type <> 'model'"),
        postgresql_where=text("entity_type <> 'model'"),
    ),
)

# -- governance (migration 0003) ------------------------------------------------

# The model card a person wrote for a version, as JSON; auto-filled fields
# (metrics, training data) are computed on read and never stored.
model_cards = Table(
    "model_cards",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("model_versions.version_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("card", Text, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
)

# Per-model settings the governance rules read: JSON scoring weights and promotion policy.
model_governance = Table(
    "model_governance",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("scoring_weights", Text),
    Column("promotion_policy", Text),
)

# A dataset is identified by its name and the sha256 of its content. Since
# migration 0010 its description (source, schema, rows) is kept per run, in
# run_inputs, where the run's visibility covers it; these three columns are
# NULL, and kept only so that archives of older schemas import.
datasets = Table(
    "datasets",
    metadata,
    Column("dataset_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("source", Text),
    Column("data_schema", Text),
    Column("num_rows", BigInteger),
    Column("creation_time", BigInteger, nullable=False),
    UniqueConstraint("name", "digest"),
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column(
        "dataset_id",
        Integer,
        ForeignKey("datasets.dataset_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("context", String(64), primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    # The dataset as this run logged it (migration 0010).
    Column("source", Text),
    Column("data_schema", Text),
    Column("num_rows", BigInteger),
    # The input's tags besides its context, as JSON (migration 0022).
    Column("tags", Text),
    Index(None, "dataset_id"),
    sqlite_with_rowid=False,
)

# Fine-tuning: the version a version was derived from. The parent's name and
# number are kept as written, so the edge stays readable after the parent is
# deleted (its id then becomes NULL).
model_version_parents = Table(
    "model_version_parents",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("model_versions.version_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "parent_version_id",
        Integer,
        ForeignKey("model_versions.version_id", ondelete="SET NULL"),
    ),
    Column("parent_model_name", String(256), nullable=False),
    Column("parent_version", Integer, nullable=False),
    Index(None, "parent_version_id"),
)

# model_id NULL: the webhook hears about every model.
webhooks = Table(
    "webhooks",
    metadata,
    Column("webhook_id", String(32), primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
    ),
    Column("description", Text),
    Column("user_id", String(256), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    # Migration 0017: MLflow's webhooks API names them, turns them off, posts its payloads.
    Column("name", String(256)),
    Column("status", String(16), nullable=False, server_default="ACTIVE"),
    Column("payload_format", String(16), nullable=False, server_default="modelreg"),
    Column("last_updated_time", BigInteger),
)

# Migration 0018: what each webhook was sent, for "recent deliveries" and redelivery.
# status: pending (queued or between retries), delivered, failed. A pending row whose
# claimed_until has passed was left by a process that stopped; another one sends it.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("delivery_id", String(32), primary_key=True),
    Column(
        "webhook_id",
        String(32),
        ForeignKey("webhooks.webhook_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("headers", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("response_status", Integer),
    Column("error", Text),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_attempt_time", BigInteger),
    Column("claimed_until", BigInteger, nullable=False),
    Index(None, "webhook_id", "creation_time"),
    Index(None, "status", "claimed_until"),
)


# -- access control and leases (migration 0004) ----------------------------------

users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("is_admin", Boolean, nullable=False, server_default=false()),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("creation_time", BigInteger, nullable=False),
)

# Only a SHA-256 of each token is kept; the token itself is shown once.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("expiry_time", BigInteger),
    Column("revoked_time", BigInteger),
    Column("last_used_time", BigInteger),
    Index(None, "user_id"),
)

# A role (read, edit, manage) of one user on one registered model or
# experiment, by id so a rename keeps the grant.
permissions = Table(
    "permissions",
    metadata,
    Column("resource_type", String(16), primary_key=True),
    Column("resource_id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),
    Index(None, "user_id"),
    sqlite_with_rowid=False,
)

# Aliases (and the Production stage) that only a manager of the model may move.
model_protections = Table(
    "model_protections",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("protected_aliases", Text, nullable=False, server_default="[]"),
    Column("protect_production", Boolean, nullable=False, server_default=false()),
)

# A RUNNING run whose lease lapses (its client stopped heartbeating) is
# marked KILLED, instead of staying RUNNING forever.
run_leases = Table(
    "run_leases",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("expiry_time", BigInteger, nullable=False),
    Index(None, "expiry_time"),
)


# -- blob uploads (migration 0005) ------------------------------------------------

# Who uploaded which blob. With --auth a user may read a blob by its digest,
# or name it in a manifest, only if they uploaded its bytes or a run or model
# version they may read holds it: knowing a digest is no key to the content.
blob_uploads = Table(
    "blob_uploads",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    Column("creation_time", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)


# -- idempotency keys (migration 0009) ---------------------------------------------

# The answer a server gave to a request that carried an Idempotency-Key, so a
# client that lost it can repeat the request and get the same answer instead of
# a second change. ``status`` is NULL while the first request is still running.
# Rows are swept a day after ``creation_time`` (see services.idempotency).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(64), primary_key=True),
    Column("idempotency_key", String(255), primary_key=True),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("status", Integer, nullable=True),
    Column("content_type", String(255), nullable=True),
    Column("body", LargeBinary, nullable=True),
    Index(None, "creation_time"),
    sqlite_with_rowid=False,
)


# -- search indexes (migration 0011) -------------------------------------------------

# A filter or an ordering on metrics.x, params.x or tags.x walks one of these
# from the key's range instead of reading every run (or version, or model).
# Latest metric values are numbers, indexed whole.
Index(
    "ix_latest_metrics_key_value",
    latest_metrics.c.key,
    latest_metrics.c.value,
    latest_metrics.c.run_id,
)
_by_value(params, "run_id")
_by_value(run_tags, "run_id")
_by_value(model_version_tags, "version_id")
_by_value(registered_model_tags, "model_id")
