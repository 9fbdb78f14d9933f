"""modelreg's own names for what older schemas stored under MLflow's names.

Run artifact locations were ``mlflow-artifacts:/…`` and the code version,
parent run and description of a run were ``mlflow.*`` tags; they are
``modelreg-artifacts:/…`` and ``modelreg.*`` now (the MLflow-compatible API
translates both ways). Migration 0009 renames a database's rows; an import
of an archive written before it renames the imported rows with
:func:`rename_to_modelreg_names`.
"""

from __future__ import annotations

from sqlalchemy import Connection, String, func, literal, update

from modelreg.store.schema import experiments, model_versions, run_tags, runs

OLD_SCHEME = "mlflow-artifacts:"
NEW_SCHEME = "modelreg-artifacts:"
TAG_RENAMES = {
    "mlflow.source.git.commit": "modelreg.source.git.commit",
    "mlflow.source.git.branch": "modelreg.source.git.branch",
    "mlflow.source.git.repoURL": "modelreg.source.git.repoURL",
    "mlflow.parentRunId": "modelreg.parentRunId",
    "mlflow.note.content": "modelreg.note.content",
}


def rename_to_modelreg_names(conn: Connection) -> None:
    """Renames MLflow-named run tags and artifact locations (rows already renamed stay)."""
    for old, new in TAG_RENAMES.items():
        conn.execute(update(run_tags).where(run_tags.c.key == old).values(key=new))
    for column in (experiments.c.artifact_location, runs.c.artifact_uri, model_versions.c.source):
        renamed = literal(NEW_SCHEME, String).concat(func.substr(column, len(OLD_SCHEME) + 1))
        conn.execute(
            update(column.table).where(column.like(OLD_SCHEME + "%")).values({column.name: renamed})
        )
