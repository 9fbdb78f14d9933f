"""Governance on top of the registry: model cards, lineage, comparison and scores,
promotion policies, retention and webhooks.

This class is the service the REST API and the remote client call (its
methods' signatures define the routes); the rules live in the modules it
delegates to. Every change is one transaction that also writes its audit
event; registry-wide changes (webhooks for every model) are recorded with
model id 0 and an empty model name. Cards, lineage and comparisons show of
other models and of runs only what the caller may read
(:mod:`modelreg.services.visibility`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from modelreg import validation as v
from modelreg.actor import current_actor
from modelreg.cards import ModelCard
from modelreg.cards.checks import check_card
from modelreg.comparison import ComparisonTable, VersionDiff
from modelreg.datasets import DatasetInput
from modelreg.entities import ModelVersion
from modelreg.errors import InvalidArgument, NotFound
from modelreg.ids import time_ordered_id
from modelreg.lineage_graph import LineageGraph
from modelreg.logged_models import RunModelLink
from modelreg.services import cards, compare, lineage, policies, retention
from modelreg.services import webhooks as hooks
from modelreg.services.audit import record
from modelreg.services.run_model_links import check_links, link_models
from modelreg.services.visibility import Visibility
from modelreg.store import governance as gstore
from modelreg.store import registry as store
from modelreg.store import tracking as tracking_store
from modelreg.store import webhook_deliveries as log_store
from modelreg.store.database import Database
from modelreg.timeutil import now_ms
from modelreg.webhooks import (
    ACTIVE,
    MODELREG_FORMAT,
    Webhook,
    WebhookDelivery,
    WebhookTestResult,
)
from modelreg.webhooks.dispatch import LOG_KEEP, deliver_test_event

__all__ = ["GovernanceService"]

REGISTRY_WIDE = (0, "")


def _version(version: Any) -> int:
    return v.check_int(version, "version", minimum=1)


class GovernanceService:
    """Cards, lineage, scores, policies, retention and webhooks on one database."""

    def __init__(self, db: Database, dispatcher: Any = None) -> None:
        self.db = db
        self.dispatcher = dispatcher

    def _publish(self, conn: Connection, events: list[dict[str, Any]]) -> None:
        if self.dispatcher is not None and events:
            self.dispatcher.publish(conn, events)

    # -- model cards ----------------------------------------------------------------

    def set_model_card(self, name: str, version: int | str, card: dict[str, Any]) -> ModelCard:
        """Replaces a version's model card and returns it as read back (auto-filled).

        Raises NotFound for the version, InvalidArgument for a malformed card."""
        name = v.check_name(name, "model name")
        number = _version(version)
        stored = check_card(card)
        now = now_ms()
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            row = store.version_row(conn, model_id, name, number)
            old = gstore.card(conn, row.version_id)
            gstore.upsert_card(conn, row.version_id, stored, now)
            before = None if old is None else old[0]
            record(
                conn, model_id, name, "set_model_card", version=number, before=before, after=stored
            )
            return cards.load_card(conn, row, Visibility.of_caller(conn))

    def get_model_card(self, name: str, version: int | str) -> ModelCard:
        """The version's card, filled in from its run and datasets (empty fields stay empty).

        Raises NotFound for the version."""
        name = v.check_name(name, "model name")
        number = _version(version)
        with self.db.read() as conn:
            model_id = store.model_id(conn, name)
            row = store.version_row(conn, model_id, name, number)
            return cards.load_card(conn, row, Visibility.of_caller(conn))

    def delete_model_card(self, name: str, version: int | str) -> None:
        """Removes what was written on a version's card. Raises NotFound (version or card)."""
        name = v.check_name(name, "model name")
        number = _version(version)
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            row = store.version_row(conn, model_id, name, number)
            old = gstore.card(conn, row.version_id)
            if old is None:
                raise NotFound(f"version {number} of registered model '{name}' has no model card")
            gstore.delete_card(conn, row.version_id)
            record(conn, model_id, name, "delete_model_card", version=number, before=old[0])

    # -- lineage ---------------------------------------------------------------------------

    def log_inputs(
        self,
        run_id: str,
        inputs: Sequence[DatasetInput] = (),
        models: Sequence[RunModelLink] = (),
    ) -> None:
        """Records datasets, each in its context and with its tags, as inputs of a run (one
        it already has in that context changes nothing, as on MLflow) and the logged
        models it used: everything is checked, then written in one transaction, so a
        refused one records nothing.
        Raises NotFound (the run, a model), InvalidArgument."""
        if not isinstance(run_id, str) or not run_id:
            raise InvalidArgument(f"run_id must be a non-empty string, got {run_id!r:.40}")
        checked = lineage.check_inputs(inputs)
        if not checked and not models:
            raise InvalidArgument(
                "datasets and models are empty: give at least one dataset or model"
            )
        check_links(models)
        now = now_ms()
        with self.db.write() as conn:
            tracking_store.require_active_run(conn, run_id)
            if models:
                link_models(conn, run_id, models)
            gstore.log_run_inputs(conn, run_id, checked, now)

    def get_run_inputs(self, run_id: str) -> list[DatasetInput]:
        """The datasets a run used, with their context. Raises NotFound for the run."""
        with self.db.read() as conn:
            tracking_store.get_run_info(conn, str(run_id))
            return gstore.inputs_of(conn, [run_id])[run_id]

    def get_lineage(self, name: str, version: int | str) -> LineageGraph:
        """The lineage graph of a version, other models' versions and runs the caller may
        not read hidden. Raises NotFound."""
        name = v.check_name(name, "model name")
        number = _version(version)
        with self.db.read() as conn:
            model_id = store.model_id(conn, name)
            return lineage.graph(conn, model_id, name, number, Visibility.of_caller(conn))

    # -- scores and comparison ----------------------------------------------------------------

    def set_scoring_weights(self, name: str, weights: dict[str, float] | None) -> dict[str, float]:
        """Stores the model's scoring weights ({} or None clears them) and returns them."""
        checked = compare.check_weights(weights)
        return self._set_setting(name, "scoring_weights", checked, "weights")

    def get_scoring_weights(self, name: str) -> dict[str, float]:
        """The model's scoring weights ({} when none are set). Raises NotFound."""
        return self._setting(name, "scoring_weights")

    def compare_versions(
        self,
        name: str,
        versions: Sequence[int | str] | None = None,
        metrics: Sequence[str] | None = None,
        weights: dict[str, float] | None = None,
    ) -> ComparisonTable:
        """Versions side by side with scores and ranks; see ``Client.compare_versions``."""
        name = v.check_name(name, "model name")
        with self.db.read() as conn:
            model_id = store.model_id(conn, name)
            visible = Visibility.of_caller(conn)
            return compare.compare(conn, model_id, name, versions, metrics, weights, visible)

    def diff_versions(self, name: str, a: int | str, b: int | str) -> VersionDiff:
        """What differs between two versions. Raises NotFound."""
        name = v.check_name(name, "model name")
        first, second = v.check_int(a, "a", minimum=1), v.check_int(b, "b", minimum=1)
        with self.db.read() as conn:
            model_id = store.model_id(conn, name)
            return compare.diff(conn, model_id, name, first, second, Visibility.of_caller(conn))

    # -- promotion policies ------------------------------------------------------------------------

    def set_promotion_policy(self, name: str, policy: dict[str, Any] | None) -> dict[str, Any]:
        """Stores the model's promotion policy ({} or None removes it); returns it normalised."""
        checked = policies.check_policy(policy)
        return self._set_setting(name, "promotion_policy", checked, "policy")

    def get_promotion_policy(self, name: str) -> dict[str, Any]:
        """The model's promotion policy, normalised ({} when none). Raises NotFound."""
        return self._setting(name, "promotion_policy")

    def _set_setting(self, name: str, column: str, value: Any, field: str) -> Any:
        """Stores a checked model setting (empty removes it), audited as ``set_<column>``
        with the old and new values under ``field``; returns ``value``."""
        name = v.check_name(name, "model name")
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            old = gstore.setting(conn, model_id, column)
            gstore.set_setting(conn, model_id, column, value or None)
            before = None if old is None else {field: old}
            after = {field: value} if value else None
            record(conn, model_id, name, f"set_{column}", before=before, after=after)
        return value

    def _setting(self, name: str, column: str) -> Any:
        name = v.check_name(name, "model name")
        with self.db.read() as conn:
            return gstore.setting(conn, store.model_id(conn, name), column) or {}

    def check_promotion(self, name: str, version: int | str, target: str) -> list[dict[str, Any]]:
        """The policy rules the version would break moving to ``target`` ([] when none)."""
        name = v.check_name(name, "model name")
        number = _version(version)
        target = policies.check_target(target)
        with self.db.read() as conn:
            model_id = store.model_id(conn, name)
            row = store.version_row(conn, model_id, name, number)
            return policies.failed_rules(conn, model_id, row, target)

    # -- retention ---------------------------------------------------------------------------------

    def cleanup(
        self, name: str, keep_last: int = 5, dry_run: bool = False, reason: str | None = None
    ) -> list[ModelVersion]:
        """Archives old unaliased versions in None or Staging; see ``Client.cleanup``."""
        name = v.check_name(name, "model name")
        keep = retention.check_keep_last(keep_last)
        reason = v.check_description(reason, "reason")
        now = now_ms()
        with self.db.write() as conn:
            model_id = store.model_id(conn, name, lock=True)
            archived, events = retention.cleanup(conn, model_id, name, keep, dry_run, reason, now)
            archived = Visibility.of_caller(conn).versions(archived)
            self._publish(conn, events)
        return archived

    # -- webhooks ----------------------------------------------------------------------------------

    def create_webhook(
        self,
        url: str,
        events: Sequence[str],
        secret: str | None,
        model_name: str | None = None,
        description: str | None = None,
        name: str | None = None,
        status: str = ACTIVE,
        payload_format: str = MODELREG_FORMAT,
    ) -> Webhook:
        """Subscribes ``url`` to registry events (of one model, or all). Raises InvalidArgument,
        NotFound for an unknown model."""
        payload_format = hooks.check_payload_format(payload_format)
        now = now_ms()
        row = {
            "webhook_id": time_ordered_id(),
            "url": hooks.check_url(url),
            "events": hooks.check_events(events, payload_format),
            "secret": hooks.check_secret(secret, payload_format),
            "description": v.check_description(description),
            "user_id": current_actor(),
            "creation_time": now,
            "name": hooks.check_name(name),
            "status": hooks.check_status(status),
            "payload_format": payload_format,
            "last_updated_time": now,
        }
        name = None if model_name is None else v.check_name(model_name, "model name")
        with self.db.write() as conn:
            model_id, audit_name = REGISTRY_WIDE
            if name is not None:
                model_id, audit_name = store.model_id(conn, name, lock=True), name
            gstore.insert_webhook(conn, {**row, "model_id": model_id or None})
            after = hooks.audit_record(row)
            record(conn, model_id, audit_name, "create_webhook", after=after)
        self._webhooks_changed()
        return hooks.entity({**row, "model_name": name})

    def update_webhook(
        self,
        webhook_id: str,
        url: str | None = None,
        events: Sequence[str] | None = None,
        secret: str | None = None,
        description: str | None = None,
        name: str | None = None,
        status: str | None = None,
    ) -> Webhook:
        """Changes what is given (``None`` keeps a field; ``description=""`` clears it).
        Raises NotFound, InvalidArgument."""
        webhook_id = hooks.check_webhook_id(webhook_id)
        with self.db.write() as conn:
            row = self._webhook_row(conn, webhook_id)
            form = row["payload_format"]
            checks = {
                "url": hooks.check_url,
                "events": lambda e: hooks.check_events(e, form),
                "secret": lambda s: hooks.check_secret(s, form),
                "description": lambda d: v.check_description(d) or None,
                "name": hooks.check_name,
                "status": hooks.check_status,
            }
            given: dict[str, Any] = {
                "url": url,
                "events": events,
                "secret": secret,
                "description": description,
                "name": name,
                "status": status,
            }
            changes: dict[str, Any] = {k: checks[k](x) for k, x in given.items() if x is not None}
            changes["last_updated_time"] = now_ms()
            gstore.update_webhook(conn, webhook_id, changes)
            new = {**row, **changes}
            model_id = row["model_id"] or REGISTRY_WIDE[0]
            audit_name = row["model_name"] or REGISTRY_WIDE[1]
            before, after = hooks.audit_record(row), hooks.audit_record(new)
            record(conn, model_id, audit_name, "update_webhook", before=before, after=after)
        self._webhooks_changed()
        return hooks.entity(new)

    def test_webhook(self, webhook_id: str, event: str | None = None) -> WebhookTestResult:
        """POSTs a made-up event (``event``, or the webhook's first) to the webhook once, now,
        and reports the answer; a disabled webhook is tested too. Raises NotFound, and
        InvalidArgument for an event of another format."""
        webhook_id = hooks.check_webhook_id(webhook_id)
        with self.db.read() as conn:
            row = self._webhook_row(conn, webhook_id)
        if event is not None:
            event = hooks.check_events([event], row["payload_format"])[0]
        return deliver_test_event(row, event)

    def list_webhook_deliveries(
        self, webhook_id: str, max_results: int = 20
    ) -> list[WebhookDelivery]:
        """A webhook's latest deliveries, newest first (the last 100 are kept). Raises
        NotFound, InvalidArgument for ``max_results`` outside 1..100."""
        webhook_id = hooks.check_webhook_id(webhook_id)
        limit = v.check_int(max_results, "max_results", 1, LOG_KEEP)
        with self.db.read() as conn:
            self._webhook_row(conn, webhook_id)
            rows = log_store.delivery_rows(conn, webhook_id, limit)
        return [hooks.delivery(r) for r in rows]

    def redeliver_webhook(self, webhook_id: str, delivery_id: str) -> WebhookDelivery:
        """Sends a logged delivery again, as it was (same body, headers and delivery id, so
        a receiver can tell it has seen it); returns it, pending. Raises NotFound."""
        webhook_id = hooks.check_webhook_id(webhook_id)
        delivery_id = hooks.check_webhook_id(delivery_id, "delivery_id")
        with self.db.read() as conn:
            self._webhook_row(conn, webhook_id)
            rows = log_store.delivery_rows(conn, webhook_id, 1, delivery_id)
        if not rows:
            raise NotFound(f"webhook '{webhook_id}' has no delivery '{delivery_id}'")
        if self.dispatcher is None:
            raise InvalidArgument("this registry does not send webhooks")
        self.dispatcher.redeliver(rows[0])
        return hooks.delivery({**rows[0], "status": "pending"})

    def _webhook_row(self, conn: Any, webhook_id: str) -> dict[str, Any]:
        rows = gstore.webhook_rows(conn, webhook_id=webhook_id)
        if not rows:
            raise NotFound(f"webhook '{webhook_id}' does not exist")
        return rows[0]

    def list_webhooks(self, model_name: str | None = None) -> list[Webhook]:
        """Webhooks, oldest first; of one model when ``model_name`` is given."""
        with self.db.read() as conn:
            model_id = None
            if model_name is not None:
                model_id = store.model_id(conn, v.check_name(model_name, "model name"))
            return [hooks.entity(r) for r in gstore.webhook_rows(conn, model_id=model_id)]

    def get_webhook(self, webhook_id: str) -> Webhook:
        """One webhook. Raises NotFound."""
        webhook_id = hooks.check_webhook_id(webhook_id)
        with self.db.read() as conn:
            return hooks.entity(self._webhook_row(conn, webhook_id))

    def delete_webhook(self, webhook_id: str) -> None:
        """Deletes a webhook; deliveries already queued still go out. Raises NotFound."""
        webhook_id = hooks.check_webhook_id(webhook_id)
        with self.db.write() as conn:
            row = self._webhook_row(conn, webhook_id)
            gstore.delete_webhook(conn, webhook_id)
            model_id = row["model_id"] or REGISTRY_WIDE[0]
            audit_name = row["model_name"] or REGISTRY_WIDE[1]
            record(conn, model_id, audit_name, "delete_webhook", before=hooks.audit_record(row))
        self._webhooks_changed()

    def _webhooks_changed(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.invalidate()
