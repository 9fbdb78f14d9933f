"""The error hierarchy of modelreg.

Every error raised on purpose by modelreg is a :class:`ModelregError`. Each
class carries a stable ``error_code`` (the string a REST response puts in its
``error_code`` field) and the HTTP ``status`` the server answers with, so the
remote client can turn a response back into the very same class::

    try:
        client.get_registered_model("missing")
    except modelreg.errors.NotFound as exc:
        print(exc.error_code, exc.status)  # RESOURCE_DOES_NOT_EXIST 404
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AlreadyExists",
    "Conflict",
    "IntegrityError",
    "InvalidArgument",
    "MissingDependency",
    "ModelValidationFailed",
    "ModelregError",
    "ModelregWarning",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "PolicyViolation",
    "ServiceUnavailable",
    "Unauthenticated",
    "error_class_for_code",
]


class ModelregWarning(UserWarning):
    """A warning emitted by modelreg itself."""


class ModelregError(Exception):
    """Base class of every modelreg error.

    ``message`` is a sentence for people; ``details`` holds structured data
    (for instance the list of failed policy rules) that survives the trip
    through the REST API.
    """

    error_code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The JSON body the server sends for this error."""
        body: dict[str, Any] = {"error_code": self.error_code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidArgument(ModelregError):
    """An argument is malformed or out of range; the message names the field."""

    error_code = "INVALID_PARAMETER_VALUE"
    status = 400


class NotFound(ModelregError):
    """The named experiment, run, model, version or alias does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"
    status = 404


class AlreadyExists(ModelregError):
    """Something with that name (or version) exists already."""

    error_code = "RESOURCE_ALREADY_EXISTS"
    status = 409


class Conflict(ModelregError):
    """The request is valid but the current state does not allow it."""

    error_code = "CONFLICT"
    status = 409


class PolicyViolation(ModelregError):
    """A promotion policy refused the change; ``details["failed_rules"]`` lists why."""

    error_code = "POLICY_VIOLATION"
    status = 409


class ModelValidationFailed(ModelregError):
    """A candidate model's metrics fall short of the thresholds it was validated against
    (:func:`modelreg.validate_evaluation_results`); ``details["failures"]`` lists, per
    metric, why."""

    error_code = "MODEL_VALIDATION_FAILED"
    status = 422


class Unauthenticated(ModelregError):
    """No valid credentials were presented."""

    error_code = "UNAUTHENTICATED"
    status = 401


class PermissionDenied(ModelregError):
    """The caller is known but lacks the role the operation needs."""

    error_code = "PERMISSION_DENIED"
    status = 403


class PayloadTooLarge(ModelregError):
    """A request body, name or value is larger than the server accepts."""

    error_code = "REQUEST_LIMIT_EXCEEDED"
    status = 413


class IntegrityError(ModelregError):
    """Stored bytes do not match their recorded digest."""

    error_code = "DATA_INTEGRITY_ERROR"
    status = 500


class ServiceUnavailable(ModelregError):
    """The server or its database cannot answer right now; retrying may help."""

    error_code = "TEMPORARILY_UNAVAILABLE"
    status = 503


class MissingDependency(ModelregError, ImportError):
    """An optional package is not installed; the message names the extra that brings it."""

    error_code = "MISSING_DEPENDENCY"
    status = 500


_BY_CODE: dict[str, type[ModelregError]] = {
    cls.error_code: cls
    for cls in (
        ModelregError,
        InvalidArgument,
        NotFound,
        AlreadyExists,
        Conflict,
        PolicyViolation,
        ModelValidationFailed,
        Unauthenticated,
        PermissionDenied,
        PayloadTooLarge,
        IntegrityError,
        ServiceUnavailable,
        MissingDependency,
    )
}


def error_class_for_code(error_code: str) -> type[ModelregError]:
    """The exception class for an ``error_code`` string; unknown codes map to the base class."""
    return _BY_CODE.get(error_code, ModelregError)
