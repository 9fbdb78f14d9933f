"""Governance methods of ``Client``: model cards, lineage, comparison and scores,
promotion policies, retention and webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelreg.api_contract import Backend
from modelreg.cards import ModelCard
from modelreg.comparison import ComparisonTable, VersionDiff
from modelreg.datasets import Dataset, DatasetInput, as_input, dataset, tagged_input
from modelreg.entities import ModelVersion
from modelreg.lineage_graph import LineageGraph
from modelreg.logged_models import run_model_links
from modelreg.webhooks import Webhook, WebhookDelivery, WebhookTestResult


class GovernanceMethods:
    _backend: Backend

    # -- model cards ----------------------------------------------------------------

    def set_model_card(
        self, name: str, version: int | str, card: ModelCard | dict[str, Any]
    ) -> ModelCard:
        """Writes the model card of a version (replacing any earlier one) and returns it.

        ``card`` is a :class:`~modelreg.cards.ModelCard` or a dict of its
        fields: ``summary``, ``intended_use``, ``training_data``,
        ``evaluation_data``, ``architecture``, ``metrics`` (name → number),
        ``limitations``, ``ethical_considerations``, ``caveats``, ``sections``
        (title → Markdown), ``license`` and ``tags``. The card comes back with
        ``metrics`` and ``training_data`` filled in from the source run when
        left empty. Raises ``NotFound`` for the version, ``InvalidArgument``
        for an unknown field or a bad value.
        """
        if isinstance(card, ModelCard):
            card = card.to_dict()
        return self._backend.governance.set_model_card(name, version, card)

    def get_model_card(self, name: str, version: int | str) -> ModelCard:
        """The version's model card, with metrics and training data filled in from its run.

        A version nobody wrote a card for still has one (mostly empty);
        ``card.completeness().missing`` lists what is missing. Raises ``NotFound``.
        """
        return self._backend.governance.get_model_card(name, version)

    def delete_model_card(self, name: str, version: int | str) -> None:
        """Removes what was written on the version's card. Raises ``NotFound``."""
        self._backend.governance.delete_model_card(name, version)

    def export_model_card(self, name: str, version: int | str, format: str = "md") -> str:
        """The card as text: ``md`` (Hugging Face layout, YAML front matter), ``html`` or ``json``.

        Raises ``NotFound`` for the version, ``InvalidArgument`` for another format.
        """
        from modelreg.cards.export import export_card

        return export_card(self.get_model_card(name, version), format)

    # -- lineage ---------------------------------------------------------------------------

    def log_input(
        self,
        run_id: str,
        data: Any,
        context: str | None = None,
        name: str | None = None,
        source: str | None = None,
        *,
        tags: Mapping[str, str] | None = None,
    ) -> Dataset:
        """Records a dataset as an input of the run and returns its description.

        ``data`` is a :class:`~modelreg.datasets.Dataset` or anything
        :func:`modelreg.datasets.dataset` describes (a DataFrame, an array, a
        file or folder path …); its sha256 digest is computed here, so the
        data itself is never uploaded. ``context`` says how the run used it
        (``training`` unless given or named by the tags' ``mlflow.data.context``);
        ``tags`` are the input's own. Raises
        ``NotFound`` for the run, ``InvalidArgument`` for data it cannot describe or
        bad tags.
        """
        described = dataset(data, name, source)
        self._backend.governance.log_inputs(run_id, [tagged_input(described, context, tags)])
        return described

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[Dataset | DatasetInput] | None = None,
        context: str = "training",
        models: Sequence[Any] | None = None,
    ) -> None:
        """Records several datasets as inputs of the run (a ``Dataset`` in ``context``, a
        ``DatasetInput`` in its own) and the logged models it used (``models``:
        ``LoggedModelInput`` objects, MLflow's too, or model ids; MLflow's
        ``run.inputs.model_inputs``), all in one transaction: a refused dataset or model
        records nothing.

        Raises ``NotFound`` for an unknown run, or a model that does not exist or the
        caller may not read; ``InvalidArgument`` for a deleted run, a bad dataset or
        context, anything else in ``models``, or neither datasets nor models.

        Example::

            client.log_inputs(run_id, [train], models=[base_model_id])
        """
        inputs = [as_input(item, context) for item in datasets or []]
        links = [] if models is None else run_model_links(models, "input")
        self._backend.governance.log_inputs(run_id, inputs, links)

    def get_run_inputs(self, run_id: str) -> list[DatasetInput]:
        """The datasets the run used, each with its context. Raises ``NotFound``."""
        return self._backend.governance.get_run_inputs(run_id)

    def lineage(self, name: str, version: int | str) -> LineageGraph:
        """The lineage graph of a version: datasets → run (and its code version) → version
        → child versions, plus the versions it was fine-tuned from. Raises ``NotFound``."""
        return self._backend.governance.get_lineage(name, version)

    # -- scores and comparison ----------------------------------------------------------------

    def set_scoring_weights(self, name: str, weights: dict[str, float] | None) -> dict[str, float]:
        """Sets the model's score: Σ weight·metric, e.g. ``{"accuracy": 0.7, "latency_ms":
        -0.01}`` (negative for lower-is-better). ``{}`` or ``None`` removes it.

        Used by :meth:`compare_versions` and the ``beats_current`` policy rule.
        Raises ``NotFound``, ``InvalidArgument`` for a non-finite weight.
        """
        return self._backend.governance.set_scoring_weights(name, weights)

    def get_scoring_weights(self, name: str) -> dict[str, float]:
        """The model's scoring weights (``{}`` when none). Raises ``NotFound``."""
        return self._backend.governance.get_scoring_weights(name)

    def compare_versions(
        self,
        name: str,
        versions: Sequence[int | str] | None = None,
        metrics: Sequence[str] | None = None,
        weights: dict[str, float] | None = None,
    ) -> ComparisonTable:
        """Versions side by side: semver, stage, aliases, metrics, score and rank.

        ``versions`` defaults to all, ``metrics`` to every metric the versions
        have, ``weights`` to the model's scoring weights. A version missing a
        weighted metric shows it as missing and gets no score and no rank. The
        result prints as a table and has ``to_dicts()`` and ``to_pandas()``.
        Raises ``NotFound`` for the model or a listed version.
        """
        return self._backend.governance.compare_versions(
            name, None if versions is None else list(versions), metrics, weights
        )

    def diff_versions(self, name: str, a: int | str, b: int | str) -> VersionDiff:
        """What differs between versions ``a`` and ``b``: attributes, params, metrics, tags,
        signature, card fields and files (each as an ``(a, b)`` pair). Raises ``NotFound``."""
        return self._backend.governance.diff_versions(name, a, b)

    # -- promotion policies ------------------------------------------------------------------------

    def set_promotion_policy(self, name: str, policy: dict[str, Any] | None) -> dict[str, Any]:
        """Sets the rules versions must meet to enter a stage or take an alias.

        ``{"Production": {"thresholds": ["accuracy >= 0.9"], "beats_current":
        {"margin": 0.01}, "required_tags": {"validation_status": "passed"},
        "required_card_fields": ["intended_use"], "only_from_staging": True},
        "@champion": {...}}``; see :mod:`modelreg.services.policies`. ``{}``
        or ``None`` removes the policy. Returns it normalised. Raises
        ``NotFound``, ``InvalidArgument`` naming a malformed rule.
        """
        return self._backend.governance.set_promotion_policy(name, policy)

    def get_promotion_policy(self, name: str) -> dict[str, Any]:
        """The model's promotion policy, normalised (``{}`` when none). Raises ``NotFound``."""
        return self._backend.governance.get_promotion_policy(name)

    def check_promotion(self, name: str, version: int | str, target: str) -> list[dict[str, Any]]:
        """The policy rules the version would break moving to ``target`` (a stage or
        ``@alias``), without moving it; ``[]`` means it may go. Raises ``NotFound``."""
        return self._backend.governance.check_promotion(name, version, target)

    # -- retention ---------------------------------------------------------------------------------

    def cleanup(
        self, name: str, keep_last: int = 5, dry_run: bool = False, reason: str | None = None
    ) -> list[ModelVersion]:
        """Archives (never deletes) old versions nobody relies on and returns them.

        The newest ``keep_last`` versions are kept whatever their stage; older
        ones in ``None`` or ``Staging`` without an alias are archived, each
        with an audit event. Production, archived and aliased versions are
        never touched. ``dry_run`` lists them without archiving.
        """
        return self._backend.governance.cleanup(name, keep_last, dry_run, reason)

    # -- webhooks ----------------------------------------------------------------------------------

    def create_webhook(
        self,
        url: str,
        events: Sequence[str],
        secret: str | None,
        model_name: str | None = None,
        description: str | None = None,
        name: str | None = None,
        status: str = "ACTIVE",
        payload_format: str = "modelreg",
    ) -> Webhook:
        """POST registry events to ``url`` as JSON, signed with HMAC-SHA256 of ``secret``.

        ``events`` lists types from :data:`modelreg.webhooks.EVENT_TYPES`
        (``"*"`` for all); ``model_name`` limits them to one model. Events go
        out after the change commits, retried with back-off; a failing
        receiver never blocks or undoes a change. ``status="DISABLED"`` keeps
        the webhook silent until :meth:`update_webhook` turns it on.
        ``payload_format="mlflow"`` posts MLflow's events and bodies instead
        (``events`` then from :data:`modelreg.webhooks.mlflow_format.EVENTS`,
        such as ``"model_version.created"`` or ``"model_version_alias.created"``;
        the secret is optional), for receivers written for MLflow's server.
        Raises ``InvalidArgument`` for a non-http(s) URL, an unknown event
        type or an empty secret.

        Example::

            hook = client.create_webhook(
                "https://ci.example.com/hooks/registry",
                ["model_version.stage_transitioned"],
                secret=os.environ["HOOK_SECRET"],
                model_name="fraud",
            )
        """
        return self._backend.governance.create_webhook(
            url,
            list(events) if not isinstance(events, str) else [events],
            secret,
            model_name,
            description,
            name,
            status,
            payload_format,
        )

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
        """Changes a webhook's given fields and keeps the others (``description=""``
        clears it; ``status`` is ``"ACTIVE"`` or ``"DISABLED"``). Raises ``NotFound``,
        ``InvalidArgument`` as :meth:`create_webhook`."""
        if isinstance(events, str):
            events = [events]
        return self._backend.governance.update_webhook(
            webhook_id,
            url,
            None if events is None else list(events),
            secret,
            description,
            name,
            status,
        )

    def test_webhook(self, webhook_id: str, event: str | None = None) -> WebhookTestResult:
        """Sends the webhook a made-up ``event`` (default: its first) once, now, signed as a
        real one, and returns what the receiver answered; nothing is retried. Raises
        ``NotFound``, and ``InvalidArgument`` for an event type of another format.

        Example::

            result = client.test_webhook(hook.webhook_id)
            assert result.success, result.error_message or result.response_status
        """
        return self._backend.governance.test_webhook(webhook_id, event)

    def list_webhook_deliveries(
        self, webhook_id: str, max_results: int = 20
    ) -> list[WebhookDelivery]:
        """What the webhook was sent lately, newest first (the last 100 are kept): each
        delivery's event, body, status (``pending``, ``delivered``, ``failed``), attempts
        and the receiver's last answer. Raises ``NotFound``.

        Example::

            for d in client.list_webhook_deliveries(hook.webhook_id):
                print(d.event, d.status, d.response_status, d.error)
        """
        return self._backend.governance.list_webhook_deliveries(webhook_id, max_results)

    def redeliver_webhook(self, webhook_id: str, delivery_id: str) -> WebhookDelivery:
        """Sends one of the webhook's deliveries again, as it was (same body, signature
        and delivery id, so a receiver that keeps ids sees a repeat); it goes out in the
        background, retried like any delivery. Raises ``NotFound``."""
        return self._backend.governance.redeliver_webhook(webhook_id, delivery_id)

    def list_webhooks(self, model_name: str | None = None) -> list[Webhook]:
        """Webhooks (all, or those of one model), oldest first. Secrets are never returned."""
        return self._backend.governance.list_webhooks(model_name)

    def get_webhook(self, webhook_id: str) -> Webhook:
        """One webhook. Raises ``NotFound``."""
        return self._backend.governance.get_webhook(webhook_id)

    def delete_webhook(self, webhook_id: str) -> None:
        """Deletes a webhook. Raises ``NotFound``."""
        self._backend.governance.delete_webhook(webhook_id)
