"""Run by tests/mlflow_source_fixtures.py with MLflow's own Python: what an MLflow server holds.

Usage: python mlflow_dump_history.py TRACKING_URL

Prints one JSON document read with the real MLflow client (not modelreg's
reader), so the import tests compare against MLflow's own view: experiments,
runs with full metric histories and artifact digests, logged models with
their files' digests, registered models, versions and aliases.
"""

import hashlib
import json
import os
import sys
import tempfile

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.entities import ViewType

mlflow.set_tracking_uri(sys.argv[1])
client = MlflowClient()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def artifacts(run_id, path=None):
    out = {}
    for item in client.list_artifacts(run_id, path):
        if item.is_dir:
            out.update(artifacts(run_id, item.path))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                local = client.download_artifacts(run_id, item.path, tmp)
                out[item.path] = {"size": os.path.getsize(local), "sha256": sha256(local)}
    return out


def logged_model_paths(model_id, path=None):
    for item in client.list_logged_model_artifacts(model_id, path):
        if item.is_dir:
            yield from logged_model_paths(model_id, item.path)
        else:
            yield item.path


def logged_model_files(model_id):
    """The model's files as its artifact listing names them (a download of ``models:/…``
    adds a file of its own), with their digests."""
    out = {}
    paths = list(logged_model_paths(model_id))
    if not paths:
        return out
    with tempfile.TemporaryDirectory() as tmp:
        root = mlflow.artifacts.download_artifacts(f"models:/{model_id}", dst_path=tmp)
        for path in paths:
            local = os.path.join(root, path)
            out[path] = {"size": os.path.getsize(local), "sha256": sha256(local)}
    return out


dump = {"experiments": [], "runs": [], "logged_models": [], "models": []}
for e in client.search_experiments(view_type=ViewType.ALL):
    dump["experiments"].append(
        {
            "id": e.experiment_id,
            "name": e.name,
            "lifecycle_stage": e.lifecycle_stage,
            "tags": e.tags,
            "creation_time": e.creation_time,
        }
    )
    for r in client.search_runs([e.experiment_id], run_view_type=ViewType.ALL):
        histories = {
            key: [
                (m.step, m.timestamp, repr(m.value))
                for m in client.get_metric_history(r.info.run_id, key)
            ]
            for key in r.data.metrics
        }
        dump["runs"].append(
            {
                "run_id": r.info.run_id,
                "experiment_id": r.info.experiment_id,
                "run_name": r.info.run_name,
                "status": r.info.status,
                "start_time": r.info.start_time,
                "end_time": r.info.end_time,
                "user_id": r.info.user_id,
                "lifecycle_stage": r.info.lifecycle_stage,
                "params": r.data.params,
                "tags": r.data.tags,
                "metrics": histories,
                "datasets": [
                    {"name": d.dataset.name, "digest": d.dataset.digest}
                    for d in (r.inputs.dataset_inputs if r.inputs else [])
                ],
                "artifacts": artifacts(r.info.run_id) if r.info.experiment_id else {},
            }
        )
    for lm in client.search_logged_models([e.experiment_id]):
        dump["logged_models"].append(
            {
                "model_id": lm.model_id,
                "experiment_id": lm.experiment_id,
                "name": lm.name,
                "source_run_id": lm.source_run_id,
                "model_type": lm.model_type,
                "status": str(lm.status),
                "creation_timestamp": lm.creation_timestamp,
                "last_updated_timestamp": lm.last_updated_timestamp,
                "tags": lm.tags,
                "params": lm.params,
                "metrics": sorted((m.key, m.value, m.step, m.timestamp) for m in lm.metrics or []),
                "files": logged_model_files(lm.model_id),
            }
        )


def version_entry(v):
    return {
        "version": int(v.version),
        "stage": v.current_stage,
        "source": v.source,
        "run_id": v.run_id,
        "status": v.status,
        "tags": v.tags,
        "creation_timestamp": v.creation_timestamp,
    }


for m in client.search_registered_models():
    versions = client.search_model_versions(f"name='{m.name}'")
    dump["models"].append(
        {
            "name": m.name,
            "description": m.description,
            "tags": m.tags,
            "creation_timestamp": m.creation_timestamp,
            "aliases": m.aliases,
            "versions": [version_entry(v) for v in sorted(versions, key=lambda v: int(v.version))],
        }
    )
# The client hides prompts from its model calls: they are read through the REST API.
for name in (p.name for p in mlflow.genai.search_prompts()):
    api = f"{sys.argv[1]}/api/2.0/mlflow"
    m = requests.get(f"{api}/registered-models/get", params={"name": name}, timeout=30).json()
    m = m["registered_model"]
    prompt_versions = f"name='{name}' AND tags.`mlflow.prompt.is_prompt` = 'true'"
    found = requests.get(
        f"{api}/model-versions/search", params={"filter": prompt_versions}, timeout=30
    ).json()
    dump["models"].append(
        {
            "name": name,
            "description": m.get("description"),
            "tags": {t["key"]: t["value"] for t in m.get("tags", [])},
            "creation_timestamp": int(m["creation_timestamp"]),
            "aliases": {a["alias"]: a["version"] for a in m.get("aliases", [])},
            "versions": [
                {
                    "version": int(v["version"]),
                    "stage": v["current_stage"],
                    "source": v["source"],
                    "run_id": v.get("run_id") or None,
                    "status": v["status"],
                    "tags": {t["key"]: t["value"] for t in v.get("tags", [])},
                    "creation_timestamp": int(v["creation_timestamp"]),
                }
                for v in sorted(found["model_versions"], key=lambda v: int(v["version"]))
            ],
        }
    )
print(json.dumps(dump))
