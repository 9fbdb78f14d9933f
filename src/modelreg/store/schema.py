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
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
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
)

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
    Index(None, "run_id", "key", "step"),
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
    # The semver's numeric parts, so the highest version is found by an index
    # scan instead of parsing every version of the model.
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
    UniqueConstraint("model_id", "version"),
    UniqueConstraint("model_id", "semver"),
    Index(None, "run_id"),
    Index(None, "model_id", "current_stage"),
    Index(None, "model_id", "semver_major", "semver_minor", "semver_patch"),
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
    sqlite_with_rowid=False,
)

# Append-only: no API updates or deletes a row. model_id is deliberately not a
# foreign key so the trail outlives the model it describes.
audit_events = Table(
    "audit_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("action", String(64), nullable=False),
    Column("model_id", Integer, nullable=False),
    Column("model_name", String(256), nullable=False),
    Column("version", Integer),
    Column("before", Text),
    Column("after", Text),
    Column("reason", Text),
    Index(None, "model_id", "event_id"),
)
