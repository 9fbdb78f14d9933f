"""SQL for the model registry: registered models, versions and aliases, manifests, audit trail.

Every function takes an open connection; the registry service decides the
transaction and holds the rules. The modules, one concept each:

- :mod:`.models`: registered models, their tags and descriptions;
- :mod:`.versions`: model versions, their tags and aliases, version numbers;
- :mod:`.pages`: pages of models and versions for searches and listings;
- :mod:`.manifests`: the artifact manifest a version snapshots from its run;
- :mod:`.audit`: the append-only audit trail.

Their public functions are re-exported here.
"""

from modelreg.store.registry.audit import (
    MODEL_ENTITY,
    STAGE_ACTIONS,
    append_events,
    audit_trail,
    events,
    model_ids_named_in_events,
    stage_events,
)
from modelreg.store.registry.manifests import (
    insert_version_manifest,
    run_artifact_uri,
    run_manifest,
    runs_with_artifact_uri_prefix,
    version_manifest,
)
from modelreg.store.registry.models import (
    ALL_MODELS,
    count_versions,
    delete_model,
    delete_model_tag,
    insert_model,
    model_description,
    model_id,
    model_tag,
    production_versions,
    rm,
    touch_model,
    update_model,
    upsert_model_tags,
)
from modelreg.store.registry.pages import fetch_models, fetch_versions, page_models, page_versions
from modelreg.store.registry.versions import (
    ALL_VERSIONS,
    alias_target,
    allocate_version,
    delete_alias,
    delete_version,
    delete_version_tag,
    existing_versions,
    forget_top_semver,
    get_version,
    insert_version,
    insert_version_tags,
    latest_versions,
    model_semvers,
    mv,
    newest_version_row,
    refresh_all_top_semvers,
    refresh_top_semver,
    set_alias,
    set_top_semver,
    update_version,
    version_by_alias,
    version_digest_and_signature,
    version_from_row,
    version_row,
    version_tag,
    version_with_semver,
    versions_in_stage,
)

__all__ = [
    "ALL_MODELS",
    "ALL_VERSIONS",
    "MODEL_ENTITY",
    "STAGE_ACTIONS",
    "alias_target",
    "allocate_version",
    "append_events",
    "audit_trail",
    "count_versions",
    "delete_alias",
    "delete_model",
    "delete_model_tag",
    "delete_version",
    "delete_version_tag",
    "events",
    "existing_versions",
    "fetch_models",
    "fetch_versions",
    "page_models",
    "page_versions",
    "forget_top_semver",
    "get_version",
    "insert_model",
    "insert_version",
    "insert_version_manifest",
    "insert_version_tags",
    "latest_versions",
    "model_description",
    "model_id",
    "model_ids_named_in_events",
    "model_semvers",
    "model_tag",
    "mv",
    "newest_version_row",
    "production_versions",
    "refresh_all_top_semvers",
    "refresh_top_semver",
    "rm",
    "run_artifact_uri",
    "run_manifest",
    "runs_with_artifact_uri_prefix",
    "set_alias",
    "set_top_semver",
    "stage_events",
    "touch_model",
    "update_model",
    "update_version",
    "upsert_model_tags",
    "version_by_alias",
    "version_digest_and_signature",
    "version_from_row",
    "version_manifest",
    "version_row",
    "version_tag",
    "version_with_semver",
    "versions_in_stage",
]
