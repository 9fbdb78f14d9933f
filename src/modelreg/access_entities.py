"""Plain data of access control: users, API tokens, role grants and model protections.

Like :mod:`modelreg.entities`, each is immutable and travels through the
REST API as the dict ``to_dict`` makes. A token's secret appears only in the
:class:`NewToken` returned when it is created; the registry keeps its SHA-256.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["ApiToken", "Grant", "ModelProtection", "NewToken", "User"]


class _Plain:
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Any:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class User(_Plain):
    """A person or service account; admins pass every permission check."""

    username: str
    is_admin: bool
    disabled: bool
    creation_time: int


@dataclass(frozen=True)
class ApiToken(_Plain):
    """An API token's public facts; ``prefix`` (its first characters) tells tokens apart."""

    token_id: int
    username: str
    name: str
    prefix: str
    creation_time: int
    expiry_time: int | None
    revoked_time: int | None
    last_used_time: int | None


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``token`` is the secret, shown this once and never stored."""

    token: str
    info: ApiToken

    def to_dict(self) -> dict[str, Any]:
        return {"token": self.token, "info": self.info.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NewToken:
        return cls(d["token"], ApiToken.from_dict(d["info"]))


@dataclass(frozen=True)
class Grant(_Plain):
    """``username`` holds ``role`` on a registered model (by name) or an experiment (by id)."""

    resource_type: str
    resource: str
    username: str
    role: str


@dataclass(frozen=True)
class ModelProtection:
    """Aliases and the Production stage of a model that only its managers may move."""

    name: str
    protected_aliases: tuple[str, ...] = ()
    protect_production: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "protected_aliases": list(self.protected_aliases),
            "protect_production": self.protect_production,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelProtection:
        return cls(d["name"], tuple(d["protected_aliases"]), bool(d["protect_production"]))
