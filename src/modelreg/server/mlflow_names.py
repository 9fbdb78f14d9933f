"""MLflow's names for what modelreg names its own way, translated at the MLflow-compatible API.

modelreg keeps run artifacts under ``modelreg-artifacts:/`` locations and
records code versions, parent runs and descriptions in ``modelreg.*`` tags.
An MLflow client expects ``mlflow-artifacts:/`` and ``mlflow.*`` names, so
the MLflow-compatible routes give it those, and take its tags back, here
(the registry takes ``mlflow-artifacts:/`` sources as they are). Error
messages are translated too, into the words MLflow's server uses.
"""

from __future__ import annotations

from typing import Any

from modelreg.code_version import GIT_BRANCH_TAG, GIT_COMMIT_TAG, GIT_REPO_URL_TAG
from modelreg.errors import InvalidArgument, ModelregError, NotFound
from modelreg.run_tags import DESCRIPTION_TAG, PARENT_RUN_TAG, RUN_NAME_TAG

MODELREG_SCHEME = "modelreg-artifacts:"
MLFLOW_SCHEME = "mlflow-artifacts:"

TAGS_TO_MLFLOW = {
    GIT_COMMIT_TAG: "mlflow.source.git.commit",
    GIT_BRANCH_TAG: "mlflow.source.git.branch",
    GIT_REPO_URL_TAG: "mlflow.source.git.repoURL",
    PARENT_RUN_TAG: "mlflow.parentRunId",
    DESCRIPTION_TAG: "mlflow.note.content",
}
TAGS_FROM_MLFLOW = {mlflow: ours for ours, mlflow in TAGS_TO_MLFLOW.items()}
# Where a search reads each of those tags, and the run name MLflow also keeps as a tag.
TAG_FIELDS_FROM_MLFLOW = {
    **{mlflow: ("tags", ours) for mlflow, ours in TAGS_FROM_MLFLOW.items()},
    RUN_NAME_TAG: ("attributes", "run_name"),
}


def uri_to_mlflow(uri: str) -> str:
    """An artifact location or URI as an MLflow client knows it."""
    if uri.startswith(MODELREG_SCHEME):
        return MLFLOW_SCHEME + uri[len(MODELREG_SCHEME) :]
    return uri


def tag_to_mlflow(key: str) -> str:
    return TAGS_TO_MLFLOW.get(key, key)


def tag_from_mlflow(key: Any) -> Any:
    return TAGS_FROM_MLFLOW.get(key, key) if isinstance(key, str) else key


# modelreg's messages for missing things, and MLflow's for the same (clients and tests
# match on MLflow's wording, and a missing alias is a bad parameter to MLflow). Each
# ``{}`` of a template is a value the message names; MLflow's wording takes them by index.
_MESSAGES: tuple[tuple[str, type[ModelregError], str], ...] = (
    ("registered model '{}' does not exist", NotFound, "Registered Model with name={0} not found"),
    (
        "registered model '{}' has no version {}",
        NotFound,
        "Model Version (name={0}, version={1}) not found",
    ),
    (
        "registered model '{}' has no alias '{}'",
        InvalidArgument,
        "Registered model alias {1} not found.",
    ),
    ("experiment '{}' does not exist", NotFound, "No Experiment with id={0} exists"),
    ("run '{}' does not exist", NotFound, "Run with id={0} not found"),
)


def _values(template: str, message: str) -> list[str] | None:
    """The values a message fills into ``template``'s ``{}``s, or ``None`` when it is
    another message (read by position, in one pass: no pattern to backtrack)."""
    head, *middles, tail = template.split("{}")
    if not (message.startswith(head) and message.endswith(tail)):
        return None
    if len(message) < len(head) + len(tail):
        return None
    rest = message[len(head) : len(message) - len(tail)]
    values = []
    for middle in middles:
        at = rest.rfind(middle)
        if at < 0:
            return None
        values.append(rest[:at])
        rest = rest[at + len(middle) :]
    return [*values, rest]


def error_to_mlflow(exc: ModelregError) -> ModelregError:
    """The error as MLflow's server words it (``exc`` itself when MLflow has no other words)."""
    if isinstance(exc, NotFound):
        for template, kind, message in _MESSAGES:
            values = _values(template, exc.message)
            if values is not None:
                return kind(message.format(*values))
    return exc
