"""MLflow's names for what modelreg names its own way, translated at the MLflow-compatible API.

modelreg keeps run artifacts under ``modelreg-artifacts:/`` locations and
records code versions, parent runs and descriptions in ``modelreg.*`` tags.
An MLflow client expects ``mlflow-artifacts:/`` and ``mlflow.*`` names, so
the MLflow-compatible routes give it those, and take its tags back, here
(the registry takes ``mlflow-artifacts:/`` sources as they are).
"""

from __future__ import annotations

from typing import Any

from modelreg.code_version import GIT_BRANCH_TAG, GIT_COMMIT_TAG, GIT_REPO_URL_TAG
from modelreg.run_tags import DESCRIPTION_TAG, PARENT_RUN_TAG

MODELREG_SCHEME = "modelreg-artifacts:"
MLFLOW_SCHEME = "mlflow-artifacts:"

TAGS_TO_MLFLOW = {
    GIT_COMMIT_TAG: "mlflow.source.git.commit",
    GIT_BRANCH_TAG: "mlflow.source.git.branch",
    GIT_REPO_URL_TAG: "mlflow.source.git.repoURL",
    PARENT_RUN_TAG: "mlflow.parentRunId",
    DESCRIPTION_TAG: "mlflow.note.content",
}
_TAGS_FROM_MLFLOW = {mlflow: ours for ours, mlflow in TAGS_TO_MLFLOW.items()}


def uri_to_mlflow(uri: str) -> str:
    """An artifact location or URI as an MLflow client knows it."""
    if uri.startswith(MODELREG_SCHEME):
        return MLFLOW_SCHEME + uri[len(MODELREG_SCHEME) :]
    return uri


def tag_to_mlflow(key: str) -> str:
    return TAGS_TO_MLFLOW.get(key, key)


def tag_from_mlflow(key: Any) -> Any:
    return _TAGS_FROM_MLFLOW.get(key, key) if isinstance(key, str) else key
