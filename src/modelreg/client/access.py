"""Access-control methods of ``Client``: protected aliases, alias swaps, users, tokens, roles.

Over a server started with ``--auth``, the client authenticates with
``MODELREG_TRACKING_TOKEN``; user and token management then needs an admin,
role management the ``manage`` role on the model or experiment. Embedded,
nothing is checked (whoever can open the database owns it).
"""

from __future__ import annotations

from collections.abc import Sequence

from modelreg.access_entities import ApiToken, Grant, ModelProtection, NewToken, User
from modelreg.api_contract import Backend
from modelreg.entities import AuditEvent, PagedList


class AccessMethods:
    _backend: Backend

    # -- protected aliases and stages -------------------------------------------------

    def set_model_protection(
        self,
        name: str,
        protected_aliases: Sequence[str] | None = None,
        protect_production: bool | None = None,
    ) -> ModelProtection:
        """Makes aliases, and the Production stage, movable only by the model's managers.

        ``None`` leaves a setting as it is; ``[]`` unprotects every alias.
        Needs the manage role. Raises ``NotFound``, ``InvalidArgument``,
        ``PermissionDenied``.
        """
        return self._backend.protections.set_model_protection(
            name, protected_aliases, protect_production
        )

    def get_model_protection(self, name: str) -> ModelProtection:
        """What only the model's managers may move. Raises ``NotFound``."""
        return self._backend.protections.get_model_protection(name)

    def swap_aliases(
        self,
        name: str,
        alias: str,
        other_alias: str,
        reason: str | None = None,
        force: bool = False,
    ) -> dict[str, int]:
        """Exchanges the versions two aliases point to, in one transaction, with audit events.

        ``swap_aliases("fraud", "champion", "challenger")`` promotes the
        challenger and keeps the old champion at hand. Returns alias → version.
        Each move passes the promotion policy for its alias (``force`` with a
        ``reason`` overrides it). Raises ``NotFound`` (model or alias),
        ``InvalidArgument``, ``PolicyViolation``, ``PermissionDenied`` for a
        protected alias without the manage role.
        """
        return self._backend.protections.swap_aliases(name, alias, other_alias, reason, force)

    # -- users and tokens ---------------------------------------------------------------

    def whoami(self) -> User | None:
        """The user the client authenticates as; ``None`` embedded or without auth."""
        return self._backend.access.whoami()

    def create_user(self, username: str, is_admin: bool = False) -> NewToken:
        """Creates a user and returns their first API token (shown this once). Admins only."""
        return self._backend.access.create_user(username, is_admin)

    def list_users(self) -> list[User]:
        """Every user. Admins only."""
        return self._backend.access.list_users()

    def update_user(
        self, username: str, is_admin: bool | None = None, disabled: bool | None = None
    ) -> User:
        """Grants or takes admin rights; disables or re-enables a user. Admins only."""
        return self._backend.access.update_user(username, is_admin, disabled)

    def create_token(self, name: str = "default", expires_in_days: int | None = None) -> NewToken:
        """A new API token of the authenticated caller (shown this once)."""
        return self._backend.access.create_token(name, expires_in_days)

    def create_user_token(
        self, username: str, name: str = "default", expires_in_days: int | None = None
    ) -> NewToken:
        """A new API token of ``username`` (shown this once). Admins only."""
        return self._backend.access.create_user_token(username, name, expires_in_days)

    def list_tokens(self) -> list[ApiToken]:
        """The caller's tokens, without their secrets."""
        return self._backend.access.list_tokens()

    def revoke_token(self, token_id: int) -> None:
        """Revokes one of the caller's tokens (an admin: anyone's), effective at once."""
        self._backend.access.revoke_token(token_id)

    # -- roles ------------------------------------------------------------------------------

    def set_model_permission(self, name: str, username: str, role: str) -> Grant:
        """Gives ``username`` the role read, edit or manage on a model. Needs manage."""
        return self._backend.access.set_model_permission(name, username, role)

    def delete_model_permission(self, name: str, username: str) -> None:
        """Takes ``username``'s role on a model away. Needs manage."""
        self._backend.access.delete_model_permission(name, username)

    def list_model_permissions(self, name: str) -> list[Grant]:
        """Who holds which role on a model. Needs manage."""
        return self._backend.access.list_model_permissions(name)

    def set_experiment_permission(self, experiment_id: str, username: str, role: str) -> Grant:
        """Gives ``username`` a role on an experiment and its runs. Needs manage."""
        return self._backend.access.set_experiment_permission(experiment_id, username, role)

    def delete_experiment_permission(self, experiment_id: str, username: str) -> None:
        """Takes ``username``'s role on an experiment away. Needs manage."""
        self._backend.access.delete_experiment_permission(experiment_id, username)

    def list_experiment_permissions(self, experiment_id: str) -> list[Grant]:
        """Who holds which role on an experiment. Needs manage."""
        return self._backend.access.list_experiment_permissions(experiment_id)

    # -- the audit trail -------------------------------------------------------------------

    def get_audit_events(
        self,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[AuditEvent]:
        """The audit trail of models, users, tokens and experiments, oldest first. Admins only.

        ``entity_type`` (``model``, ``user``, ``token``, ``experiment``) and
        ``entity_id`` (the model's name, the username, the token id, the
        experiment id) narrow it to one kind or one entity; ``actor`` to what
        one user did. ``get_audit_events("user", "alice")`` shows when alice
        was created, made admin or disabled, and by whom. Events are never
        changed or deleted, and never hold a token or its hash. Pages hold
        ``max_results`` events (default 1,000); pass ``page_token`` from the
        previous page's ``token``. Raises ``InvalidArgument``,
        ``PermissionDenied`` for a non-admin, ``NotFound`` for an unknown model.
        """
        return self._backend.access.get_audit_events(
            entity_type, entity_id, actor, max_results, page_token
        )
