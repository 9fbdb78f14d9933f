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
def copy_model_version(uri: str) -> dict:
    client = MlflowClient(uri)
    run_id = _run_with_model(client, "copy-exp")
    client.create_registered_model("copy-src")
    client.create_model_version(
        "copy-src", f"runs:/{run_id}/model", run_id=run_id, tags={"k": "v"}, description="d"
    )
    client.set_registered_model_alias("copy-src", "champion", "1")
    first = client.copy_model_version("models:/copy-src@champion", "copy-dst")
    second = client.copy_model_version("models:/copy-src/1", "copy-dst")
    return {
        "first": {**version_view(first), "source": first.source, "run": first.run_id == run_id},
        "second": {**version_view(second), "source": second.source},
        "missing": outcome(lambda: client.copy_model_version("models:/copy-src/9", "copy-dst")),
        "dst": model_view(client.get_registered_model("copy-dst")),
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


def _prompt_view(p) -> dict:
    return {
        "name": p.name,
        "version": p.version,
        "template": p.template,
        "tags": dict(sorted(p.tags.items())),
        "commit_message": p.commit_message,
        "aliases": sorted(p.aliases),
        "variables": sorted(p.variables),
        "response_format": p.response_format,
        "model_config": p.model_config,
    }


def _rest_searches(uri: str) -> dict:
    """Searches as other REST clients send them: the server leaves prompts out unless the
    filter asks for the prompt tag."""
    import requests

    api = f"{uri}/api/2.0/mlflow"
    asks = "tags.`mlflow.prompt.is_prompt` = 'true'"

    def models(**params) -> list:
        found = requests.get(f"{api}/registered-models/search", params=params, timeout=30)
        return sorted(m["name"] for m in found.json().get("registered_models", []))

    def versions(text: str) -> list:
        found = requests.get(f"{api}/model-versions/search", params={"filter": text}, timeout=30)
        return sorted(int(v["version"]) for v in found.json().get("model_versions", []))

    return {
        "models": [name for name in models() if name.startswith("pr-")],
        "models_named": models(filter="name LIKE 'pr-%'"),
        "prompts": models(filter=f"name LIKE 'pr-%' AND {asks}"),
        "versions": versions("name = 'pr-chat'"),
        "prompt_versions": versions(f"name = 'pr-chat' AND {asks}"),
    }


def _user_tags(tags: dict) -> list:
    """Tags without the experiment ids MLflow's client keeps on a prompt (ids differ)."""
    return sorted((k, v) for k, v in tags.items() if k != "_mlflow_experiment_ids")


@scenario
def prompts(uri: str) -> dict:
    """MLflow's prompt registry, which lives in the model registry (tags, no files)."""
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, uri)
    genai = mlflow.genai
    mlflow.set_experiment("pr-experiment")
    chat = [
        {"role": "system", "content": "You are {{persona}}"},
        {"role": "user", "content": "{{q}}"},
    ]
    out = {
        "chat": _prompt_view(
            genai.register_prompt(
                name="pr-chat",
                template=chat,
                commit_message="first",
                response_format={"type": "object", "properties": {"a": {"type": "string"}}},
                model_config={"temperature": 0.2, "max_tokens": 100},
            )
        ),
        "text": _prompt_view(
            genai.register_prompt(name="pr-chat", template="Answer {{x}}", tags={"k": "v"})
        ),
        # Longer than a run tag may be: MLflow keeps registry tags up to 100,000 characters.
        "long": len(genai.register_prompt(name="pr-long", template="{{q}}" + "x" * 30000).template),
    }
    out["long_loaded"] = len(genai.load_prompt("prompts:/pr-long/1").template)
    out["loaded"] = _prompt_view(genai.load_prompt("prompts:/pr-chat/1"))
    out["formatted"] = genai.load_prompt("prompts:/pr-chat/1").format(persona="a cat", q="hi")
    out["latest"] = _prompt_view(genai.load_prompt("prompts:/pr-chat@latest"))
    genai.set_prompt_alias("pr-chat", alias="prod", version=1)
    out["by_alias"] = _prompt_view(genai.load_prompt("prompts:/pr-chat@prod"))
    out["search"] = sorted(p.name for p in genai.search_prompts(filter_string="name LIKE 'pr-%'"))
    out["models_leave_prompts_out"] = [
        m.name for m in client.search_registered_models("name LIKE 'pr-%'")
    ]
    out["versions"] = [p.version for p in client.search_prompt_versions("pr-chat")]
    out["rest_searches"] = _rest_searches(uri)
    experiment_id = mlflow.get_experiment_by_name("pr-experiment").experiment_id
    out["search_by_experiment"] = sorted(
        p.name for p in genai.search_prompts(filter_string=f"experiment_id = '{experiment_id}'")
    )
    client.set_prompt_tag("pr-chat", "owner", "me")
    client.set_prompt_version_tag("pr-chat", "1", "quality", "good")
    out["tagged"] = [
        _user_tags(client.get_prompt("pr-chat").tags),
        _prompt_view(client.get_prompt_version("pr-chat", 1))["tags"],
    ]
    client.delete_prompt_tag("pr-chat", "owner")
    client.delete_prompt_version_tag("pr-chat", "1", "quality")
    # Deleting a tag a model or version does not have succeeds on MLflow's server.
    client.delete_prompt_tag("pr-chat", "never-set")
    client.delete_prompt_version_tag("pr-chat", "1", "never-set")
    out["untagged"] = [
        _user_tags(client.get_prompt("pr-chat").tags),
        _prompt_view(client.get_prompt_version("pr-chat", 1))["tags"],
    ]
    genai.delete_prompt_alias("pr-chat", alias="prod")
    with mlflow.start_run() as run:
        out["loaded_in_run"] = genai.load_prompt("prompts:/pr-chat/2").version
    out["run_link"] = client.get_run(run.info.run_id).data.tags.get("mlflow.linkedPrompts")
    client.create_registered_model("pr-model")
    out["model_is_no_prompt"] = outcome(lambda: client.get_prompt_version("pr-model", 1))
    out["prompt_as_model_source"] = outcome(
        lambda: client.create_model_version("pr-model", "models:/pr-chat/1")
    )
    out["placeholder_without_tag"] = outcome(
        lambda: client.create_model_version("pr-model", "dummy-source")
    )
    out["tag_missing_model"] = outcome(lambda: client.delete_registered_model_tag("pr-none", "k"))
    client.delete_prompt_version("pr-chat", "1")
    out["after_version_delete"] = [p.version for p in client.search_prompt_versions("pr-chat")]
    client.delete_prompt("pr-long")
    out["after_delete"] = sorted(
        p.name for p in genai.search_prompts(filter_string="name LIKE 'pr-%'")
    )
    return out
