"""Tracking through the MLflow client: experiments, runs, params, metrics, tags, artifacts."""

from __future__ import annotations

import math
import os
import re
import tempfile

import mlflow
from compat_support import http, outcome, run_view, scenario
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType


@scenario
def experiments(uri: str) -> dict:
    client = MlflowClient(uri)
    exp_id = client.create_experiment("exp-a", tags={"team": "vision"})
    client.create_experiment("exp-b")
    out = {
        "duplicate": outcome(lambda: client.create_experiment("exp-a")),
        "by_name": client.get_experiment_by_name("exp-a").tags,
        "missing_by_name": client.get_experiment_by_name("no-such-exp"),
        "missing": outcome(lambda: client.get_experiment("987654")),
    }
    client.set_experiment_tag(exp_id, "stage", "dev")
    client.delete_experiment_tag(exp_id, "team")
    out["tags_after"] = client.get_experiment(exp_id).tags
    client.rename_experiment(exp_id, "exp-a2")
    out["renamed"] = client.get_experiment(exp_id).name
    found = client.search_experiments(filter_string="name LIKE 'exp-%'", order_by=["name DESC"])
    out["search"] = [e.name for e in found]
    client.delete_experiment(exp_id)
    out["deleted_stage"] = client.get_experiment(exp_id).lifecycle_stage
    out["active_after_delete"] = [
        e.name for e in client.search_experiments(filter_string="name LIKE 'exp-%'")
    ]
    client.restore_experiment(exp_id)
    out["restored_stage"] = client.get_experiment(exp_id).lifecycle_stage
    # Without auth anyone may choose where an experiment's artifacts go, as on MLflow.
    placed = client.create_experiment("exp-placed", artifact_location="s3://bucket/placed")
    out["chosen_location"] = client.get_experiment(placed).artifact_location
    out["runs_location"] = outcome(
        lambda: client.create_experiment("exp-runs", artifact_location="runs:/abc/x")
    )
    return out


@scenario
def experiment_names_with_slashes(uri: str) -> dict:
    client = MlflowClient(uri)
    exp_id = client.create_experiment("/Users/ana@example.com/churn")
    client.create_experiment("team//x/../y")
    mlflow.set_tracking_uri(uri)
    fluent = mlflow.set_experiment("/Users/ana@example.com/fluent")
    client.rename_experiment(exp_id, "/Shared/churn")
    return {
        "by_name": client.get_experiment_by_name("/Shared/churn").experiment_id == exp_id,
        "old_name": client.get_experiment_by_name("/Users/ana@example.com/churn"),
        "odd": client.get_experiment_by_name("team//x/../y").name,
        "fluent": client.get_experiment(fluent.experiment_id).name,
        "search": [e.name for e in client.search_experiments(filter_string="name LIKE '/%'")],
        "model": outcome(lambda: client.create_registered_model("team/model")),
    }


@scenario
def runs_and_metrics(uri: str) -> dict:
    client = MlflowClient(uri)
    exp_id = client.create_experiment("runs-exp")
    run = client.create_run(exp_id, run_name="first", tags={"team": "a"})
    run_id = run.info.run_id
    client.log_param(run_id, "lr", 0.1)
    client.log_metric(run_id, "loss", 0.5, timestamp=1000, step=1)
    client.log_metric(run_id, "loss", 0.25, timestamp=2000, step=2)
    client.log_batch(
        run_id,
        metrics=[Metric("acc", 0.9, 3000, 5), Metric("nan", math.nan, 3000, 0)],
        params=[Param("batch", "32")],
        tags=[RunTag("kind", "test")],
    )
    client.log_metric(run_id, "inf", math.inf, timestamp=4000, step=0)
    client.log_metric(run_id, "ninf", -math.inf, timestamp=4000, step=0)
    client.set_tag(run_id, "gone", "x")
    client.delete_tag(run_id, "gone")
    client.set_terminated(run_id, "FINISHED")
    fetched = client.get_run(run_id)
    metrics = {
        k: ("nan" if isinstance(v, float) and math.isnan(v) else v)
        for k, v in fetched.data.metrics.items()
    }
    history = client.get_metric_history(run_id, "loss")
    infinite = [m.value for m in client.get_metric_history(run_id, "inf")]
    out = {
        "run": {**run_view(fetched), "metrics": dict(sorted(metrics.items()))},
        "history": [(m.value, m.step, m.timestamp) for m in history],
        "infinite_history": infinite,
        "param_change": outcome(lambda: client.log_param(run_id, "lr", 0.2)),
        "missing_run": outcome(lambda: client.get_run("0" * 32)),
    }
    second = client.create_run(exp_id, run_name="second")
    client.log_metric(second.info.run_id, "acc", 0.5)
    client.set_terminated(second.info.run_id)
    found = client.search_runs([exp_id], "metrics.acc > 0.6")
    out["search_filter"] = [r.info.run_name for r in found]
    ordered = client.search_runs([exp_id], order_by=["metrics.acc ASC"])
    out["search_order"] = [r.info.run_name for r in ordered]
    page = client.search_runs([exp_id], max_results=1)
    out["page"] = [len(page), bool(page.token)]
    rest = client.search_runs([exp_id], max_results=1, page_token=page.token)
    out["page2"] = [len(rest), bool(rest.token)]
    client.delete_run(second.info.run_id)
    out["after_delete"] = [r.info.run_name for r in client.search_runs([exp_id])]
    client.restore_run(second.info.run_id)
    out["after_restore"] = sorted(r.info.run_name for r in client.search_runs([exp_id]))
    return out


@scenario
def run_user(uri: str) -> dict:
    client = MlflowClient(uri)
    exp_id = client.create_experiment("user-exp")
    run = client.create_run(exp_id, tags={"mlflow.user": "alice"})
    return {"user_id": client.get_run(run.info.run_id).info.user_id}


@scenario
def fluent_tracking(uri: str) -> dict:
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("fluent-exp")
    with mlflow.start_run(run_name="fluent") as run:
        mlflow.log_params({"a": 1, "b": "x"})
        mlflow.log_metrics({"m1": 1.0, "m2": 2.0}, step=3)
        mlflow.set_tags({"t": "v"})
        mlflow.log_dict({"k": 1}, "cfg/config.json")
        mlflow.log_text("hello", "notes.txt")
    fetched = mlflow.get_run(run.info.run_id)
    frame = mlflow.search_runs(experiment_names=["fluent-exp"])
    return {
        "run": run_view(fetched),
        "frame_columns": sorted(c for c in frame.columns if c.startswith(("metrics.", "params."))),
        "frame_rows": len(frame),
    }


@scenario
def artifacts(uri: str) -> dict:
    client = MlflowClient(uri)
    exp_id = client.create_experiment("artifacts-exp")
    run_id = client.create_run(exp_id).info.run_id
    folder = tempfile.mkdtemp()
    os.makedirs(os.path.join(folder, "sub"))
    for name, text in (("a.txt", "A"), ("sub/b.txt", "BB")):
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    client.log_artifacts(run_id, folder, "data")
    client.log_artifact(run_id, os.path.join(folder, "a.txt"))
    root = client.list_artifacts(run_id)
    nested = client.list_artifacts(run_id, "data")
    whole = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path=".", tracking_uri=uri, dst_path=tempfile.mkdtemp()
    )
    files = sorted(
        os.path.relpath(os.path.join(d, f), whole) for d, _, fs in os.walk(whole) for f in fs
    )
    one = client.download_artifacts(run_id, "data/sub/b.txt", tempfile.mkdtemp())
    with open(one) as f:
        content = f.read()
    return {
        "root": [(f.path, f.is_dir, f.file_size) for f in root],
        "nested": [(f.path, f.is_dir, f.file_size) for f in nested],
        "downloaded": files,
        "content": content,
        "missing_file": outcome(
            lambda: client.download_artifacts(run_id, "nope.txt", tempfile.mkdtemp()) and "ok"
        ),
        "list_a_file": [f.path for f in client.list_artifacts(run_id, "data/sub/b.txt")],
        "list_missing": [f.path for f in client.list_artifacts(run_id, "nope")],
        "list_nested_deeper": [f.path for f in client.list_artifacts(run_id, "data/sub")],
    }


@scenario
def image_series(uri: str) -> dict:
    import numpy as np

    client = MlflowClient(uri)
    run_id = client.create_run(client.create_experiment("image-series")).info.run_id
    for step in range(2):
        pixels = np.full((4, 6, 3), step * 100, dtype=np.uint8)
        client.log_image(run_id, pixels, key="val/samples", step=step, timestamp=1000 + step)
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    files = client.list_artifacts(run_id, "images")
    return {
        "files": sorted((uuid.sub("<uuid>", f.path), f.is_dir) for f in files),
        "tag": client.get_run(run_id).data.tags.get("mlflow.loggedImages"),
        "read_back": [
            np.asarray(mlflow.artifacts.load_image(f"runs:/{run_id}/{f.path}")).tolist()
            for f in files
            if f.path.endswith(".png")
        ],
    }


@scenario
def rest_errors(uri: str) -> dict:
    client = MlflowClient(uri)
    exp_id = client.create_experiment("errors-exp")
    run_id = client.create_run(exp_id).info.run_id
    base = uri + "/api/2.0/mlflow"
    return {
        "bad_metrics": http(base, "POST", "/runs/log-batch", {"run_id": run_id, "metrics": "x"}),
        "bad_metric_item": http(
            base, "POST", "/runs/log-batch", {"run_id": run_id, "metrics": [{"key": "k"}]}
        ),
        "runs_too_many": http(
            base, "POST", "/runs/search", {"experiment_ids": [exp_id], "max_results": 50001}
        ),
        "experiments_too_many": http(base, "POST", "/experiments/search", {"max_results": 50001}),
        "models_too_many": http(
            base, "GET", "/registered-models/search", params={"max_results": 1001}
        ),
        "versions_too_many": http(
            base, "GET", "/model-versions/search", params={"max_results": 200001}
        ),
        "missing_run": http(base, "GET", "/runs/get", params={"run_id": "f" * 32}),
        "missing_experiment": outcome(lambda: client.get_experiment("424242"), message=True),
    }


@scenario
def metric_history_paging(uri: str) -> dict:
    client = MlflowClient(uri)
    exp_id = client.create_experiment("history-exp")
    run_id = client.create_run(exp_id).info.run_id
    client.log_batch(run_id, metrics=[Metric("m", float(i), 1000 + i, i) for i in range(7)])
    base = uri + "/api/2.0/mlflow"
    import requests

    first = requests.get(
        base + "/metrics/get-history",
        params={"run_id": run_id, "metric_key": "m", "max_results": 3},
        timeout=30,
    ).json()
    second = requests.get(
        base + "/metrics/get-history",
        params={
            "run_id": run_id,
            "metric_key": "m",
            "max_results": 3,
            "page_token": first.get("next_page_token"),
        },
        timeout=30,
    ).json()
    return {
        "first": [m["step"] for m in first.get("metrics", [])],
        "has_token": bool(first.get("next_page_token")),
        "second": [m["step"] for m in second.get("metrics", [])],
        "all": [m.step for m in client.get_metric_history(run_id, "m")],
    }


@scenario
def dataset_inputs(uri: str) -> dict:
    import pandas as pd

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("datasets-exp")
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    train = mlflow.data.from_pandas(frame, source="s3://bucket/train.csv", name="train")
    with mlflow.start_run() as run:
        mlflow.log_input(train, context="training", tags={"split": "2026-q4"})
        mlflow.log_input(train, context="evaluation")
    client = MlflowClient()
    (found,) = client.search_runs([run.info.experiment_id])
    return {
        kind: sorted(
            (
                i.dataset.name,
                i.dataset.digest,
                i.dataset.source_type,
                i.dataset.source,
                i.dataset.schema,
                i.dataset.profile,
                sorted((t.key, t.value) for t in i.tags),
            )
            for i in inputs
        )
        for kind, inputs in (
            ("inputs", client.get_run(run.info.run_id).inputs.dataset_inputs),
            ("searched", found.inputs.dataset_inputs),
        )
    }


@scenario
def dataset_search(uri: str) -> dict:
    import numpy as np

    mlflow.set_tracking_uri(uri)
    experiment_id = mlflow.set_experiment("dataset-search-exp").experiment_id
    used = {
        "r0": [("train_a", "training", 6), ("extra", "testing", 3)],
        "r1": [("train_b", "eval", 7)],
        "r2": [("Train_A", "training", 8)],
        "r3": [],
    }
    digests = {}
    for name, inputs in used.items():
        with mlflow.start_run(run_name=name):
            for dataset_name, context, rows in inputs:
                data = np.arange(rows).reshape(-1, 1)
                dataset = mlflow.data.from_numpy(data, source="s3://b/d", name=dataset_name)
                mlflow.log_input(dataset, context=context)
                digests[dataset_name] = dataset.digest
    client = MlflowClient(uri)

    def found(filter_string: str) -> object:
        return outcome(
            lambda: sorted(
                r.info.run_name for r in client.search_runs([experiment_id], filter_string)
            )
        )

    filters = [
        "datasets.name = 'train_a'",
        "dataset.name = 'train_a'",
        "datasets.`name` = 'train_a'",
        "datasets.name != 'train_a'",
        "datasets.name LIKE 'train%'",
        "datasets.name ILIKE 'train_a'",
        "datasets.name IN ('train_a', 'extra')",
        "datasets.name NOT IN ('train_a')",
        "datasets.context = 'training'",
        "datasets.name = 'train_a' AND datasets.context = 'testing'",
        f"datasets.digest = '{digests['train_b']}'",
        f"datasets.digest IN ('{digests['extra']}', '{digests['Train_A']}')",
        "datasets.digest LIKE '%'",
        "datasets.name = 'train_a' AND params.x = '1'",
        "datasets.name > 'a'",
        "datasets.source = 'x'",
        "datasets.name IS NULL",
    ]
    out = {f: found(f) for f in filters}
    out["order_by"] = outcome(
        lambda: client.search_runs([experiment_id], order_by=["datasets.name"])
    )
    return out


@scenario
def system_tag_search(uri: str) -> dict:
    """Runs found by the ``mlflow.*`` tags the client sets (modelreg stores some of them
    under its own names): child runs by their parent, notes, run names."""
    mlflow.set_tracking_uri(uri)
    experiment_id = mlflow.set_experiment("system-tags-exp").experiment_id
    with mlflow.start_run(run_name="parent", description="the parent") as parent:
        with mlflow.start_run(run_name="child", nested=True):
            pass
    with mlflow.start_run(run_name="other"):
        mlflow.set_tag("mlflow.note.content", "note!")
    client = MlflowClient(uri)
    parent_id = parent.info.run_id

    def found(filter_string: str = "", order_by: str | None = None) -> object:
        return outcome(
            lambda: [
                r.info.run_name
                for r in client.search_runs(
                    [experiment_id], filter_string, order_by=[order_by] if order_by else None
                )
            ]
        )

    return {
        "children": found(f"tags.mlflow.parentRunId = '{parent_id}'"),
        "children, quoted": found(f"tags.`mlflow.parentRunId` = '{parent_id}'"),
        "top level": sorted(found("tags.mlflow.parentRunId IS NULL")),
        "has a parent": found("tags.mlflow.parentRunId IS NOT NULL"),
        "parent like": found(f"tag.mlflow.parentRunId LIKE '{parent_id[:8]}%'"),
        "note": found("tags.`mlflow.note.content` = 'the parent'"),
        "note like": found("tags.mlflow.note.content LIKE 'note%'"),
        "run name": found("tags.mlflow.runName = 'child'"),
        "by parent": found("", "tags.mlflow.parentRunId DESC")[:1],
        "by note": found("", "tags.mlflow.note.content ASC"),
    }


@scenario
def run_search_grammar(uri: str) -> dict:
    """The filter and order_by forms MLflow's server answers, on runs with a NaN metric, a
    missing param, a name with a space and every status."""
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("grammar-exp")
    ids = []
    for i, (acc, lr, status) in enumerate(
        [
            (0.9, "0.1", "FINISHED"),
            (0.5, "0.01", "FAILED"),
            (math.nan, "1e-3", None),
            (0.7, None, "KILLED"),
        ]
    ):
        run = client.create_run(experiment_id, run_name=f"run {i}", start_time=1000 + i)
        run_id = run.info.run_id
        ids.append(run_id)
        client.log_batch(
            run_id,
            metrics=[Metric("acc", acc, 1, 0), Metric("loss-x", 0.1 * i, 1, 0)],
            params=[Param("lr", lr)] if lr else [],
            tags=[RunTag("t", f"v{i}"), RunTag("sp ace", "x y")],
        )
        if status:
            client.set_terminated(run_id, status, end_time=2000 + i)

    def found(filter_string: str = "", order_by: list[str] | None = None) -> object:
        return outcome(
            lambda: [
                r.info.run_name
                for r in client.search_runs([experiment_id], filter_string, order_by=order_by)
            ]
        )

    filters = [
        "metrics.acc > 0.6",
        "metrics.acc >= 0.9",
        "metrics.acc != 0.9",
        "metrics.acc = 0.5",
        "metrics.`loss-x` < 0.15",
        'metrics."loss-x" < 0.15',
        "metric.acc > 0.6",
        "params.lr = '0.1'",
        "params.lr != '0.1'",
        "params.lr LIKE '%1%'",
        "params.lr ILIKE '1E%'",
        "params.lr IS NULL",
        "params.lr IS NOT NULL",
        "param.lr = '0.1'",
        "tags.t = 'v1'",
        "tags.`sp ace` = 'x y'",
        "tags.t != 'v1'",
        'tags.t = "v0"',
        "tag.t = 'v0'",
        "attributes.status = 'FAILED'",
        "attributes.status != 'RUNNING'",
        "status = 'FAILED'",
        "attributes.start_time > 1001",
        "attributes.start_time >= 1001 AND attributes.start_time < 1003",
        "attributes.end_time > 2001",
        "attributes.run_name = 'run 1'",
        "attributes.run_name LIKE 'run%'",
        "attributes.run_name ILIKE 'RUN 1'",
        "run_name = 'run 1'",
        "attributes.`Run Name` = 'run 1'",
        "attributes.`run name` = 'run 1'",
        "attributes.Created > 1001",
        "attributes.created > 1001",
        "attributes.artifact_uri LIKE '%artifacts%'",
        "metrics.acc > 0.6 and params.lr = '0.1'",
        "metrics.acc > 0.6 AND tags.t = 'v0' and attributes.status = 'FINISHED'",
        "metrics.acc < 1e10",
        "metrics.acc > -1",
        "metrics.nope > 0",
        "params.nope = 'x'",
        "",
        "metrics.acc = 'x'",
        "params.lr = 0.1",
        "attributes.nope = 'x'",
        "attributes.start_time > '1001'",
        "attributes.`start time` > 1001",
        "attributes.experiment_id = '1'",
    ]
    out: dict[str, object] = {f: found(f) for f in filters}
    out["by id"] = found(f"attributes.run_id = '{ids[1]}'")
    out["by ids"] = found(f"attributes.run_id IN ('{ids[1]}', '{ids[2]}')")
    out["not by id"] = found(f"attribute.run_id NOT IN ('{ids[1]}')")
    orders = [
        ["metrics.acc DESC"],
        ["metrics.acc"],
        ["params.lr DESC"],
        ["tags.t DESC"],
        ["attributes.start_time ASC"],
        ["attributes.end_time DESC"],
        ["attributes.status"],
        ["run_name"],
        ["attributes.run_name DESC"],
        ["attributes.created DESC"],
        ["attributes.Created DESC"],
        ["metrics.`loss-x` ASC"],
        ["metrics.acc DESC", "attributes.start_time ASC"],
        ["nope"],
        ["metrics.acc DSC"],
    ]
    for order_by in orders:
        out["order " + ", ".join(order_by)] = found("", order_by)
    return out


@scenario
def experiment_search_grammar(uri: str) -> dict:
    """The filter and order_by forms of ``search_experiments`` MLflow's server answers."""
    client = MlflowClient(uri)
    tags = [{"team": "a", "k w": "v"}, {"team": "b"}, {}]
    ids = [
        client.create_experiment(f"eg-{name}", tags=tag)
        for name, tag in zip(("alpha", "Beta", "gamma_x"), tags, strict=True)
    ]
    client.delete_experiment(ids[2])

    def found(filter_string, order_by=None, view_type=ViewType.ACTIVE_ONLY):
        return outcome(
            lambda: [
                e.name
                for e in client.search_experiments(
                    view_type=view_type, filter_string=filter_string, order_by=order_by
                )
            ]
        )

    filters = [
        "name = 'eg-alpha'",
        "name LIKE 'eg-%'",
        "name ILIKE 'eg-beta'",
        "name != 'eg-alpha' AND name LIKE 'eg%'",
        "tags.team = 'a'",
        "tags.`k w` = 'v'",
        "tags.team != 'a'",
        "tags.team LIKE 'a%'",
        "tags.team ILIKE 'A'",
        "name LIKE 'eg%' AND tags.team = 'b'",
        "attribute.name = 'eg-alpha'",
        "name LIKE 'eg%' AND creation_time > 0",
        "name LIKE 'eg%' AND last_update_time > 0",
        "name LIKE 'eg%' AND experiment_id = 'abc'",
        "name LIKE 'eg%' AND experiment_id > '1'",
        "nope = 'x'",
    ]
    out: dict[str, object] = {f: found(f) for f in filters}
    out["by id"] = found(f"experiment_id = '{ids[1]}'")
    out["by ids"] = found(f"experiment_id IN ('{ids[0]}', '{ids[1]}')")
    out["not by id"] = found(f"name LIKE 'eg%' AND experiment_id != '{ids[0]}'")
    for order_by in (
        ["name DESC"], ["creation_time DESC"], ["experiment_id DESC"], ["attribute.name DESC"],
        ["nope"], ["name ASC", "creation_time DESC"],
    ):  # fmt: skip
        out["order " + ", ".join(order_by)] = found("name LIKE 'eg%'", order_by)
    for view in ("ACTIVE_ONLY", "DELETED_ONLY", "ALL"):
        out["view " + view] = found("name LIKE 'eg%'", ["name"], getattr(ViewType, view))
    return out


@scenario
def run_value_limits(uri: str) -> dict:
    """What MLflow's server keeps of over-long values and oversized batches, and which
    value of a step logged twice at one time is the latest."""
    client = MlflowClient(uri)
    run_id = client.create_run(client.create_experiment("limits-exp")).info.run_id

    def tried(call) -> object:
        return outcome(lambda: call() or "ok")

    out = {
        "param 6001": tried(lambda: client.log_param(run_id, "p6001", "x" * 6001) and None),
        "param 8001": tried(lambda: client.log_param(run_id, "p8001", "x" * 8001) and None),
        "tag 8001": tried(lambda: client.set_tag(run_id, "t8001", "y" * 8001)),
        "batch tag 9000": tried(lambda: client.log_batch(run_id, tags=[RunTag("tb", "z" * 9000)])),
        "key 251": tried(lambda: client.log_param(run_id, "k" * 251, "v") and None),
        "1001 metrics": tried(
            lambda: client.log_batch(run_id, metrics=[Metric("m", 1.0, 1, i) for i in range(1001)])
        ),
        "101 params": tried(
            lambda: client.log_batch(run_id, params=[Param(f"p{i}", "v") for i in range(101)])
        ),
        "param changed": tried(lambda: client.log_param(run_id, "p6001", "other") and None),
    }
    for value in (3.0, 2.0):
        client.log_metric(run_id, "tie", value, timestamp=10, step=5)
    client.log_metric(run_id, "older", 1.0, timestamp=10, step=5)
    client.log_metric(run_id, "older", 2.0, timestamp=90, step=3)
    replayed = [Metric("r", 0.5, 10, 1), Metric("r", 0.6, 11, 2)]
    for _ in range(2):
        client.log_batch(run_id, metrics=replayed)
    out["replayed history"] = [(m.step, m.value) for m in client.get_metric_history(run_id, "r")]
    data = client.get_run(run_id).data
    out["lengths"] = {k: len(v) for k, v in sorted({**data.params, **data.tags}.items())
                      if k in ("p6001", "p8001", "t8001", "tb")}  # fmt: skip
    out["latest"] = {k: data.metrics[k] for k in ("tie", "older")}
    return out


@scenario
def deleted_experiment_runs(uri: str) -> dict:
    """A deleted experiment's runs are deleted with it and come back with it."""
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("deleted-runs-exp")
    kept, dropped = (client.create_run(experiment_id).info.run_id for _ in range(2))
    client.delete_run(dropped)
    client.delete_experiment(experiment_id)
    out = {
        "active": len(client.search_runs([experiment_id])),
        "deleted": len(client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)),
        "stage": client.get_run(kept).info.lifecycle_stage,
        "log": outcome(lambda: client.log_param(kept, "p", "1")),
    }
    client.restore_experiment(experiment_id)
    out["restored"] = len(client.search_runs([experiment_id]))
    out["log after"] = outcome(lambda: client.log_param(kept, "p", "1"))
    return out


@scenario
def run_name_tag(uri: str) -> dict:
    """The tag mlflow.runName and the run's name are one: either changes both."""
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("run-name-tag")
    run_id = client.create_run(experiment_id, run_name="first").info.run_id

    def seen() -> list:
        run = client.get_run(run_id)
        found = client.search_runs([experiment_id], f"attributes.run_name = '{run.info.run_name}'")
        by_tag = client.search_runs(
            [experiment_id], f"tags.`mlflow.runName` = '{run.info.run_name}'"
        )
        return [run.info.run_name, run.data.tags.get("mlflow.runName"), len(found), len(by_tag)]

    out = {"created": seen()}
    client.set_tag(run_id, "mlflow.runName", "by-tag")
    out["tagged"] = seen()
    client.update_run(run_id, name="by-update")
    out["updated"] = seen()
    client.create_run(experiment_id, run_name="another")
    out["ordered_by_tag"] = [
        r.info.run_name
        for r in client.search_runs([experiment_id], order_by=["tags.`mlflow.runName` DESC"])
    ]
    return out


@scenario
def multipart_upload_fallback(uri: str) -> dict:
    """With MLflow's proxied multipart uploads on, a large file still goes up (in one PUT)."""
    client = MlflowClient(uri)
    run_id = client.create_run(client.create_experiment("multipart")).info.run_id
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "weights.bin")
    data = os.urandom(3 * 1024 * 1024)
    with open(path, "wb") as f:
        f.write(data)
    settings = {
        "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true",
        "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": str(1024 * 1024),
        "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE": str(1024 * 1024),
    }
    os.environ.update(settings)
    try:
        uploaded = outcome(lambda: client.log_artifact(run_id, path, "model"))
    finally:
        for name in settings:
            os.environ.pop(name)
    back = client.download_artifacts(run_id, "model/weights.bin", tempfile.mkdtemp())
    with open(back, "rb") as f:
        same = f.read() == data
    return {"uploaded": uploaded, "same_bytes": same}
