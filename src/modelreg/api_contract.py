"""The service API, declared once as typed protocols: what every backend offers.

Each operation of the REST API (``modelreg.api.operations``) is one method here.
The embedded services implement these protocols; the remote client builds
its proxies from them, and the server its request models, so neither needs
the other's code: a remote client never imports a service, a store module or
SQLAlchemy. ``tests/test_api_contract.py`` checks that every service method
has exactly the signature declared here.

The services' docstrings say what each method does and raises.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

from modelreg.access_entities import ApiToken, Grant, ModelProtection, NewToken, User
from modelreg.blobs.refs import BlobRef
from modelreg.cards import ModelCard
from modelreg.comparison import ComparisonTable, VersionDiff
from modelreg.datasets import DatasetInput
from modelreg.entities import (
    AuditEvent,
    Experiment,
    FileInfo,
    Metric,
    ModelVersion,
    PagedList,
    Param,
    RegisteredModel,
    Run,
    RunInfo,
    RunTag,
)
from modelreg.lineage_graph import LineageGraph
from modelreg.logged_models import (
    LoggedModel,
    LoggedModelDataset,
    LoggedModelMetric,
    LoggedModelOrder,
    ModelRunLink,
    RunModelLink,
)
from modelreg.webhooks import Webhook, WebhookDelivery, WebhookTestResult

__all__ = [
    "PROTOCOLS",
    "AccessAPI",
    "ArtifactFilesAPI",
    "ArtifactsAPI",
    "Backend",
    "ImportsAPI",
    "GovernanceAPI",
    "LoggedModelsAPI",
    "ProtectionsAPI",
    "RegistryAPI",
    "TrackingAPI",
]


class TrackingAPI(Protocol):
    """The operations of ``modelreg.services.tracking.TrackingService``."""

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str: ...
    def search_experiments(
        self,
        view_type: str | int | None = "ACTIVE_ONLY",
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]: ...
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...
    def get_experiment(self, experiment_id: str) -> Experiment: ...
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...
    def delete_experiment(self, experiment_id: str) -> None: ...
    def restore_experiment(self, experiment_id: str) -> None: ...
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...
    def create_run(
        self,
        experiment_id: str | None = None,
        start_time: int | None = None,
        tags: dict[str, str] | None = None,
        run_name: str | None = None,
    ) -> Run: ...
    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: str | int | None = "ACTIVE_ONLY",
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]: ...
    def get_run(self, run_id: str) -> Run: ...
    def update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...
    def set_terminated(
        self, run_id: str, status: str = "FINISHED", end_time: int | None = None
    ) -> None: ...
    def renew_run_lease(self, run_id: str, seconds: float) -> bool: ...
    def delete_run(self, run_id: str) -> None: ...
    def restore_run(self, run_id: str) -> None: ...
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None: ...
    def delete_tag(self, run_id: str, key: str) -> None: ...
    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]: ...


class RegistryAPI(Protocol):
    """The operations of ``modelreg.services.registry.RegistryService``."""

    def create_registered_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> RegisteredModel: ...
    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = 100,
        order_by: Sequence[str] | str | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]: ...
    def get_or_create_registered_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> RegisteredModel: ...
    def get_registered_model(self, name: str) -> RegisteredModel: ...
    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...
    def delete_registered_model(self, name: str, force: bool = False) -> None: ...
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...
    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None: ...
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...
    def get_history(
        self,
        name: str,
        version: int | str | None = None,
        actions: Sequence[str] | str | None = None,
        actor: str | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
        newest_first: bool = False,
    ) -> PagedList[AuditEvent]: ...
    def rollback(
        self, name: str, stage: str = "Production", reason: str | None = None
    ) -> ModelVersion: ...
    def get_latest_versions(
        self, name: str, stages: Sequence[str] | str | None = None
    ) -> list[ModelVersion]: ...
    def set_registered_model_alias(
        self,
        name: str,
        alias: str,
        version: int | str,
        force: bool = False,
        reason: str | None = None,
    ) -> None: ...
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        semver: str | None = None,
        bump: str = "auto",
        signature: dict[str, Any] | None = None,
        parent: tuple[str, int] | str | None = None,
    ) -> ModelVersion: ...
    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = 10000,
        order_by: Sequence[str] | str | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]: ...
    def resolve_model_uri(self, uri: str) -> ModelVersion: ...
    def get_model_version(self, name: str, version: int | str) -> ModelVersion: ...
    def update_model_version(
        self, name: str, version: int | str, description: str | None
    ) -> ModelVersion: ...
    def delete_model_version(self, name: str, version: int | str) -> None: ...
    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
        reason: str | None = None,
        force: bool = False,
    ) -> ModelVersion: ...
    def set_model_version_tag(
        self, name: str, version: int | str, key: str, value: Any
    ) -> None: ...
    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None: ...


class GovernanceAPI(Protocol):
    """The operations of ``modelreg.services.governance.GovernanceService``."""

    def get_model_card(self, name: str, version: int | str) -> ModelCard: ...
    def set_model_card(self, name: str, version: int | str, card: dict[str, Any]) -> ModelCard: ...
    def delete_model_card(self, name: str, version: int | str) -> None: ...
    def log_inputs(
        self,
        run_id: str,
        inputs: Sequence[DatasetInput] = (),
        models: Sequence[RunModelLink] = (),
    ) -> None: ...
    def get_run_inputs(self, run_id: str) -> list[DatasetInput]: ...
    def get_lineage(self, name: str, version: int | str) -> LineageGraph: ...
    def set_scoring_weights(
        self, name: str, weights: dict[str, float] | None
    ) -> dict[str, float]: ...
    def get_scoring_weights(self, name: str) -> dict[str, float]: ...
    def compare_versions(
        self,
        name: str,
        versions: Sequence[int | str] | None = None,
        metrics: Sequence[str] | None = None,
        weights: dict[str, float] | None = None,
    ) -> ComparisonTable: ...
    def diff_versions(self, name: str, a: int | str, b: int | str) -> VersionDiff: ...
    def set_promotion_policy(self, name: str, policy: dict[str, Any] | None) -> dict[str, Any]: ...
    def get_promotion_policy(self, name: str) -> dict[str, Any]: ...
    def check_promotion(
        self, name: str, version: int | str, target: str
    ) -> list[dict[str, Any]]: ...
    def cleanup(
        self, name: str, keep_last: int = 5, dry_run: bool = False, reason: str | None = None
    ) -> list[ModelVersion]: ...
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
    ) -> Webhook: ...
    def update_webhook(
        self,
        webhook_id: str,
        url: str | None = None,
        events: Sequence[str] | None = None,
        secret: str | None = None,
        description: str | None = None,
        name: str | None = None,
        status: str | None = None,
    ) -> Webhook: ...
    def test_webhook(self, webhook_id: str, event: str | None = None) -> WebhookTestResult: ...
    def list_webhook_deliveries(
        self, webhook_id: str, max_results: int = 20
    ) -> list[WebhookDelivery]: ...
    def redeliver_webhook(self, webhook_id: str, delivery_id: str) -> WebhookDelivery: ...
    def list_webhooks(self, model_name: str | None = None) -> list[Webhook]: ...
    def get_webhook(self, webhook_id: str) -> Webhook: ...
    def delete_webhook(self, webhook_id: str) -> None: ...


class ProtectionsAPI(Protocol):
    """The operations of ``modelreg.services.protections.ProtectionService``."""

    def get_model_protection(self, name: str) -> ModelProtection: ...
    def set_model_protection(
        self,
        name: str,
        protected_aliases: Sequence[str] | None = None,
        protect_production: bool | None = None,
    ) -> ModelProtection: ...
    def swap_aliases(
        self,
        name: str,
        alias: str,
        other_alias: str,
        reason: str | None = None,
        force: bool = False,
    ) -> dict[str, int]: ...


class AccessAPI(Protocol):
    """The operations of ``modelreg.services.access.AccessService``."""

    def whoami(self) -> User | None: ...
    def create_user(self, username: str, is_admin: bool = False) -> NewToken: ...
    def list_users(self) -> list[User]: ...
    def get_user(self, username: str) -> User: ...
    def update_user(
        self, username: str, is_admin: bool | None = None, disabled: bool | None = None
    ) -> User: ...
    def create_user_token(
        self, username: str, name: str = "default", expires_in_days: int | None = None
    ) -> NewToken: ...
    def list_user_tokens(self, username: str | None = None) -> list[ApiToken]: ...
    def list_user_permissions(self, username: str) -> list[Grant]: ...
    def get_audit_events(
        self,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[AuditEvent]: ...
    def create_token(
        self, name: str = "default", expires_in_days: int | None = None
    ) -> NewToken: ...
    def list_tokens(self) -> list[ApiToken]: ...
    def revoke_token(self, token_id: int) -> None: ...
    def list_model_permissions(self, name: str) -> list[Grant]: ...
    def set_model_permission(self, name: str, username: str, role: str) -> Grant: ...
    def delete_model_permission(self, name: str, username: str) -> None: ...
    def list_experiment_permissions(self, experiment_id: str) -> list[Grant]: ...
    def set_experiment_permission(self, experiment_id: str, username: str, role: str) -> Grant: ...
    def delete_experiment_permission(self, experiment_id: str, username: str) -> None: ...


class ArtifactsAPI(Protocol):
    """The operations of ``modelreg.services.artifacts.ArtifactService``."""

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]: ...
    def record_logged_model_artifacts(
        self, model_id: str, entries: dict[str, dict[str, Any]]
    ) -> None: ...


class LoggedModelsAPI(Protocol):
    """The operations of ``modelreg.services.logged_models.LoggedModelService`` (MLflow 3's
    logged models; MLflow clients reach their files through the MLflow-compatible API)."""

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel: ...
    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel: ...
    def set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None: ...
    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...
    def log_logged_model_params(self, model_id: str, params: dict[str, str]) -> None: ...
    def log_logged_model_metrics(
        self, model_id: str, metrics: Sequence[LoggedModelMetric]
    ) -> None: ...
    def record_run_files(self, model_id: str, path: str, step: int = 0) -> LoggedModel: ...
    def delete_logged_model(self, model_id: str) -> None: ...
    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel: ...
    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[LoggedModelOrder] | None = None,
        page_token: str | None = None,
        datasets: list[LoggedModelDataset] | None = None,
    ) -> PagedList[LoggedModel]: ...
    def models_of_run(self, run_id: str) -> list[LoggedModel]: ...
    def link_run(self, run_id: str, links: Sequence[RunModelLink]) -> None: ...
    def model_run_links(self, model_id: str) -> list[ModelRunLink]: ...
    def run_links(self, run_id: str) -> list[RunModelLink]: ...
    def manifest(self, model_id: str, path: str = "") -> dict[str, BlobRef]: ...


class ImportsAPI(Protocol):
    """The operations of ``modelreg.services.imports.ImportService`` (``import-mlflow``)."""

    def import_experiment(
        self,
        name: str,
        lifecycle_stage: str,
        creation_time: int,
        last_update_time: int,
        tags: dict[str, str] | None = None,
        origin: dict[str, Any] | None = None,
    ) -> str: ...
    def import_run(
        self,
        run_id: str,
        experiment_id: str,
        run_name: str,
        user_id: str,
        start_time: int,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> bool: ...
    def import_metric_history(
        self, run_id: str, key: str, metrics: Sequence[Metric], replace: bool = True
    ) -> None: ...
    def import_run_artifacts(self, run_id: str, entries: dict[str, dict[str, Any]]) -> None: ...
    def finish_run_import(
        self,
        run_id: str,
        status: str,
        end_time: int | None,
        lifecycle_stage: str,
        origin: dict[str, Any] | None = None,
    ) -> None: ...
    def import_logged_model(
        self,
        model_id: str,
        experiment_id: str,
        name: str,
        status: str,
        creation_time: int,
        last_updated_time: int,
        files: dict[str, dict[str, Any]],
        source_run_id: str | None = None,
        model_type: str | None = None,
        user_id: str = "",
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        metrics: list[dict[str, Any]] | None = None,
        origin: dict[str, Any] | None = None,
    ) -> bool: ...
    def import_run_model_links(self, run_id: str, links: Sequence[RunModelLink]) -> None: ...
    def import_registered_model(
        self,
        name: str,
        description: str | None,
        creation_time: int,
        last_updated_time: int,
        tags: dict[str, str] | None = None,
        origin: dict[str, Any] | None = None,
    ) -> None: ...
    def import_model_version(
        self,
        name: str,
        version: int,
        source: str,
        run_id: str | None,
        stage: str,
        creation_time: int,
        last_updated_time: int,
        files: dict[str, dict[str, Any]],
        user_id: str = "",
        status: str = "READY",
        description: str | None = None,
        tags: dict[str, str] | None = None,
        origin: dict[str, Any] | None = None,
    ) -> ModelVersion: ...
    def import_alias(
        self, name: str, alias: str, version: int, origin: dict[str, Any] | None = None
    ) -> None: ...


# The protocol of each service an operation names (``Operation.service``).
PROTOCOLS: dict[str, type] = {
    "tracking": TrackingAPI,
    "registry": RegistryAPI,
    "governance": GovernanceAPI,
    "protections": ProtectionsAPI,
    "access": AccessAPI,
    "artifacts": ArtifactsAPI,
    "logged_models": LoggedModelsAPI,
    "imports": ImportsAPI,
}


class ArtifactFilesAPI(ArtifactsAPI, Protocol):
    """What ``Client`` needs of artifacts on either backend: uploads, listing, downloads."""

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> BlobRef: ...
    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> dict[str, BlobRef]: ...
    def log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> BlobRef: ...
    def log_stream(self, run_id: str, stream: Any, artifact_file: str) -> BlobRef: ...
    def log_model_artifacts(
        self, model_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> dict[str, BlobRef]: ...
    def version_manifest(
        self, model_name: str, version: int, path: str = ""
    ) -> dict[str, BlobRef]: ...
    def download_run_artifacts(
        self, run_id: str, path: str = "", dst_path: str | os.PathLike[str] | None = None
    ) -> str: ...
    def download_version_artifacts(
        self,
        model_name: str,
        version: int,
        path: str = "",
        dst_path: str | os.PathLike[str] | None = None,
    ) -> str: ...


class Backend(Protocol):
    """What ``Client`` needs from a backend: the embedded one (services in this process)
    and the remote one (the same methods over HTTP) both offer it."""

    @property
    def tracking(self) -> TrackingAPI: ...
    @property
    def registry(self) -> RegistryAPI: ...
    @property
    def governance(self) -> GovernanceAPI: ...
    @property
    def access(self) -> AccessAPI: ...
    @property
    def protections(self) -> ProtectionsAPI: ...
    @property
    def artifacts(self) -> ArtifactFilesAPI: ...
    @property
    def logged_models(self) -> LoggedModelsAPI: ...
