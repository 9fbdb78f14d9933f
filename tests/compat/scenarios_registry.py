"""The model registry through the MLflow client: models, versions, stages, aliases, search."""

from __future__ import annotations

import os
import tempfile
import time

import mlflow
from compat_support import model_view, outcome, scenario, version_view
from mlflow import MlflowClient


def _run_with_model(client: MlflowClient, experiment: str) -> str:
    exp_id = client.create_experiment(experiment)
    run_id = client.create_run(exp_id).info.run_id
    client.log_text(run_id, "weights", "model/weights.txt")
    return run_id


@scenario
def registered_models(uri: str) -> dict:
    client = MlflowClient(uri)
    client.create_registered_model("rm-a", tags={"team": "x"}, description="first")
    client.create_registered_model("rm-b")
    client.create_registered_model("rm-c")
    out = {
        "duplicate": outcome(lambda: client.create_registered_model("rm-a")),
        "missing": outcome(lambda: client.get_registered_model("rm-none"), message=True),
    }
    client.update_registered_model("rm-a", description="changed")
    client.set_registered_model_tag("rm-a", "k", "v")
    client.delete_registered_model_tag("rm-a", "team")
    out["a"] = model_view(client.get_registered_model("rm-a"))
    client.rename_registered_model("rm-c", "rm-d")
    out["renamed_old"] = outcome(lambda: client.get_registered_model("rm-c"), message=True)
    out["search_all"] = [m.name for m in client.search_registered_models("name LIKE 'rm-%'")]
    out["search_like"] = [
        m.name for m in client.search_registered_models("name LIKE 'rm-%'", order_by=["name DESC"])
    ]
    out["search_tag"] = [m.name for m in client.search_registered_models("tags.k = 'v'")]
    page = client.search_registered_models("name LIKE 'rm-%'", max_results=2)
    rest = client.search_registered_models("name LIKE 'rm-%'", max_results=2, page_token=page.token)
    out["pages"] = [[m.name for m in page], bool(page.token), [m.name for m in rest]]
    client.delete_registered_model("rm-b")
    out["after_delete"] = [m.name for m in client.search_registered_models("name LIKE 'rm-%'")]
    return out


@scenario
def model_versions(uri: str) -> dict:
    client = MlflowClient(uri)
    run_id = _run_with_model(client, "versions-exp")
    client.create_registered_model("mv")
    for _ in range(3):
        client.create_model_version("mv", f"runs:/{run_id}/model", run_id=run_id)
        time.sleep(0.01)
    client.update_model_version("mv", "2", description="second")
    client.set_model_version_tag("mv", "1", "checked", "yes")
    client.transition_model_version_stage("mv", "1", "Staging")
    client.transition_model_version_stage("mv", "2", "Production")
    client.transition_model_version_stage("mv", "3", "Production", archive_existing_versions=True)
    client.set_registered_model_alias("mv", "champion", "3")
    client.set_registered_model_alias("mv", "old", "1")
    client.delete_registered_model_alias("mv", "old")
    client.delete_model_version_tag("mv", "1", "checked")
    out = {
        "versions": [version_view(client.get_model_version("mv", str(n))) for n in (1, 2, 3)],
        "by_alias": version_view(client.get_model_version_by_alias("mv", "champion")),
        "latest": sorted(v.version for v in client.get_latest_versions("mv")),
        "latest_prod": [v.version for v in client.get_latest_versions("mv", stages=["Production"])],
        "missing_version": outcome(lambda: client.get_model_version("mv", "9"), message=True),
        "missing_alias": outcome(lambda: client.get_model_version_by_alias("mv", "nope")),
        "delete_missing_alias": outcome(lambda: client.delete_registered_model_alias("mv", "no")),
        "delete_alias_of_no_model": outcome(
            lambda: client.delete_registered_model_alias("no-such-model", "no")
        ),
        "bad_stage": outcome(lambda: client.transition_model_version_stage("mv", "1", "Bogus")),
        "model": {k: v for k, v in model_view(client.get_registered_model("mv")).items()},
        # Where it points differs on purpose (modelreg: the version's own snapshot); what
        # the client downloads from it does not.
        "download_uri_files": sorted(
            os.listdir(
                mlflow.artifacts.download_artifacts(
                    client.get_model_version_download_uri("mv", "1"),
                    dst_path=tempfile.mkdtemp(),
                    tracking_uri=uri,
                )
            )
        ),
    }
    client.update_model_version("mv", "1", description="touched")
    found = client.search_model_versions("name = 'mv'")
    out["search_default_order"] = [v.version for v in found]
    ordered = client.search_model_versions("name = 'mv'", order_by=["version_number ASC"])
    out["search_ordered"] = [v.version for v in ordered]
    page = client.search_model_versions("name = 'mv'", max_results=2, order_by=["version_number"])
    rest = client.search_model_versions(
        "name = 'mv'", max_results=2, order_by=["version_number"], page_token=page.token
    )
    out["pages"] = [[v.version for v in page], bool(page.token), [v.version for v in rest]]
    out["search_run"] = len(client.search_model_versions(f"run_id = '{run_id}'"))
    out["search_tag"] = [v.version for v in client.search_model_versions("tag.checked = 'yes'")]
    client.delete_model_version("mv", "1")
    out["after_delete"] = sorted(v.version for v in client.search_model_versions("name = 'mv'"))
    return out


@scenario
def delete_model_with_production_version(uri: str) -> dict:
    client = MlflowClient(uri)
    run_id = _run_with_model(client, "prod-delete-exp")
    client.create_registered_model("prod-del")
    client.create_model_version("prod-del", f"runs:/{run_id}/model", run_id=run_id)
    client.transition_model_version_stage("prod-del", "1", "Production")
    return {
        "delete": outcome(lambda: client.delete_registered_model("prod-del")),
        "after": outcome(lambda: client.get_registered_model("prod-del").name),
    }


@scenario
def version_sources(uri: str) -> dict:
    client = MlflowClient(uri)
    run_id = _run_with_model(client, "sources-exp")
    client.create_registered_model("src")
    ghost = "a" * 32

    def create(source: str, run: str | None) -> object:
        return outcome(lambda: client.create_model_version("src", source, run_id=run).version)

    return {
        "real": create(f"runs:/{run_id}/model", run_id),
        "ghost_run_source": create(f"runs:/{ghost}/model", None),
        "ghost_run_both": create(f"runs:/{ghost}/model", ghost),
        "mismatch": create(f"runs:/{ghost}/model", run_id),
        "real_source_other_run": create(f"runs:/{run_id}/model", ghost),
    }


@scenario
def prompt_filter(uri: str) -> dict:
    client = MlflowClient(uri)
    client.create_registered_model("pf-plain")
    client.create_registered_model("pf-x", tags={"team": "x"})
    client.create_registered_model("pf-y", tags={"team": "y"})
    return {
        # The client adds ``tags.`mlflow.prompt.is_prompt` != 'true'`` to these searches.
        "search": sorted(m.name for m in client.search_registered_models() if m.name[:3] == "pf-"),
        "search_filtered": [m.name for m in client.search_registered_models("name LIKE 'pf-%'")],
        "explicit": sorted(
            m.name
            for m in client.search_registered_models("tags.`mlflow.prompt.is_prompt` != 'true'")
            if m.name[:3] == "pf-"
        ),
        # Any other tag compared with != must be there (MLflow's rule).
        "other_tag": [
            m.name for m in client.search_registered_models("name LIKE 'pf-%' and tags.team != 'x'")
        ],
    }
