"""A dataset's source, and fetching its data: ``modelreg.data.get_source(dataset).load()``,
as MLflow's datasets guide reads a run's training data back."""

# ruff: noqa: F811  (the fixtures imported above are parameters below)

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import numpy as np
import pandas as pd
import pytest

import modelreg
from modelreg.data import get_source
from modelreg.datasets import Dataset
from modelreg.errors import InvalidArgument, NotFound
from s3_fixtures import moto_endpoint, s3_uri  # noqa: F401

CONTENT = b"a,b\n1,2\n3,4\n"


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(CONTENT)
    return path


@pytest.fixture(scope="module")
def http_url():
    """A loopback HTTP server answering CONTENT for any path but /missing*."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            status, body = (404, b"") if self.path.startswith("/missing") else (200, CONTENT)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_runs_dataset_is_loaded_back_from_its_local_source(client, csv_file):
    frame = pd.read_csv(csv_file)
    with modelreg.start_run() as run:
        modelreg.log_input(modelreg.data.from_pandas(frame, source=str(csv_file)), "training")

    dataset = modelreg.get_run(run.info.run_id).inputs.dataset_inputs[0].dataset

    assert (dataset.source_type, json.loads(dataset.profile)) == ("local", {"num_rows": 2})
    source = get_source(dataset)
    assert source.to_dict() == {"uri": str(csv_file)}
    assert source.load() == str(csv_file)


def test_a_file_uri_is_its_path(csv_file):
    assert get_source(Dataset("d", "0" * 64, csv_file.as_uri())).load() == str(csv_file)


def test_a_local_source_that_is_gone_is_not_found(tmp_path):
    with pytest.raises(NotFound, match="does not exist"):
        get_source(Dataset("d", "0" * 64, str(tmp_path / "gone.csv"))).load()


def test_an_http_source_is_downloaded_into_the_folder_asked(http_url, tmp_path):
    dataset = Dataset("d", "0" * 64, f"{http_url}/data/train.csv?version=2")

    path = get_source(dataset).load(tmp_path / "into")

    assert path == str(tmp_path / "into" / "train.csv")
    assert open(path, "rb").read() == CONTENT
    assert get_source(dataset).source_type == "http"


def test_a_url_cannot_name_a_file_outside_the_folder(http_url, tmp_path):
    path = get_source(Dataset("d", "0" * 64, f"{http_url}/a/%2e%2e")).load(tmp_path)

    assert path == str(tmp_path / "dataset")


def test_a_missing_url_is_not_found_and_leaves_no_file(http_url, tmp_path):
    with pytest.raises(NotFound, match="404"):
        get_source(Dataset("d", "0" * 64, f"{http_url}/missing.csv")).load(tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_an_s3_source_is_downloaded(s3_uri, moto_endpoint, tmp_path):
    bucket = s3_uri.split("/")[2]
    boto3.client("s3", endpoint_url=moto_endpoint).put_object(
        Bucket=bucket, Key="datasets/train.csv", Body=CONTENT
    )

    path = get_source(Dataset("d", "0" * 64, f"s3://{bucket}/datasets/train.csv")).load(tmp_path)

    assert open(path, "rb").read() == CONTENT
    with pytest.raises(NotFound):
        get_source(Dataset("d", "0" * 64, f"s3://{bucket}/datasets/gone.csv")).load(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["train.csv"]


def test_data_made_by_code_has_no_source_to_load():
    dataset = modelreg.data.from_numpy(np.ones((3, 2)))

    assert (dataset.source_type, get_source(dataset).to_dict()) == ("code", {})
    with pytest.raises(InvalidArgument, match="no source"):
        get_source(dataset).load()


def test_a_source_of_another_kind_is_named_as_not_loadable():
    with pytest.raises(InvalidArgument, match="'gs'.*loadable: local, http, s3"):
        get_source(Dataset("d", "0" * 64, "gs://bucket/train.csv")).load()


def test_mlflows_datasets_and_sources_are_read_too(csv_file):
    """A dataset an MLflow client logged keeps MLflow's description (its source a JSON
    of its own); MLflow's dataset objects have such a source."""
    described = {
        "name": "train",
        "source_type": "local",
        "source": json.dumps({"uri": str(csv_file)}),
        "profile": '{"num_rows": 2, "num_elements": 4}',
    }
    logged_by_mlflow = Dataset("train", "0" * 64, json.dumps({"mlflow_dataset": described}))

    class MlflowDataset:  # what mlflow.data's datasets hold
        source = json.dumps({"uri": str(csv_file)})

    assert logged_by_mlflow.profile == described["profile"]
    assert get_source(logged_by_mlflow).load() == str(csv_file)
    assert get_source(MlflowDataset()).load() == str(csv_file)
