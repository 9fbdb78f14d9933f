"""Table artifacts: log_table and load_table as MLflow's, on every backend."""

import json
import math

import pytest

import modelreg
from modelreg.errors import InvalidArgument, NotFound

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")


@pytest.fixture
def run_id(client):
    return client.create_run(client.create_experiment("tables")).info.run_id


def _stored(client, run_id, path):
    with open(client.download_artifacts(run_id, path)) as file:
        return json.load(file)


def test_a_table_is_stored_as_mlflow_stores_it_and_listed_in_the_runs_tag(client, run_id):
    client.log_table(run_id, {"question": ["2+2?", "3+3?"], "score": [1.0, 0.5]}, "eval/qa.json")

    assert _stored(client, run_id, "eval/qa.json") == {
        "columns": ["question", "score"],
        "data": [["2+2?", 1.0], ["3+3?", 0.5]],
    }
    tag = client.get_run(run_id).data.tags["mlflow.loggedArtifacts"]
    assert json.loads(tag) == [{"path": "eval/qa.json", "type": "table"}]


def test_a_table_loads_back_as_the_dataframe_logged(client, run_id):
    frame = pd.DataFrame({"name": ["a", "ü😀"], "n": [1, 2], "ok": [True, False]})

    client.log_table(run_id, frame, "t.json")

    pd.testing.assert_frame_equal(client.load_table(run_id, "t.json"), frame)


def test_logging_to_the_same_table_adds_rows_and_columns(client, run_id):
    client.log_table(run_id, {"q": ["a", "b"], "score": [0.5, 1.0]}, "t.json")
    client.log_table(run_id, {"q": ["c"], "latency": [12]}, "t.json")
    client.log_table(run_id, {"q": ["d"], "score": [0.1]}, "other.json")

    assert _stored(client, run_id, "t.json") == {
        "columns": ["q", "score", "latency"],
        "data": [["a", 0.5, None], ["b", 1.0, None], ["c", None, 12]],
    }
    tag = json.loads(client.get_run(run_id).data.tags["mlflow.loggedArtifacts"])
    assert tag == [{"path": "t.json", "type": "table"}, {"path": "other.json", "type": "table"}]


def test_numpy_values_are_stored_as_numbers_and_nan_as_null(client, run_id):
    client.log_table(
        run_id,
        {"x": np.array([1.5, np.nan]), "n": [np.int64(3), np.int32(4)], "inf": [math.inf, 0.0]},
        "t.json",
    )

    assert _stored(client, run_id, "t.json")["data"] == [[1.5, 3, None], [None, 4, 0.0]]


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        ({"a": [1, 2], "b": [1]}, "t.json", "same length"),
        ({}, "t.json", "at least one column"),
        ([[1, 2]], "t.json", "dict of columns"),
        ({"a": "abc"}, "t.json", "'a' must be a list"),
        ({1: [1]}, "t.json", "non-empty strings"),
        ({"": [1]}, "t.json", "non-empty strings"),
        ({"a": [object()]}, "t.json", "'a' holds a object"),
        ({"a": [{"k": {1, 2}}]}, "t.json", "'a' holds a value JSON cannot store"),
        ({"a": [1]}, "t.csv", "must end in .json or .parquet"),
        ({"a": [1, "one"]}, "t.parquet", "cannot be stored as Parquet"),
        ({"a": [1]}, "../t.json", "artifact_file"),
        ({"a": [1]}, "", "artifact_file"),
    ],
)
def test_what_is_not_a_table_is_refused_naming_the_problem_and_nothing_is_stored(
    client, run_id, data, path, problem
):
    with pytest.raises(InvalidArgument, match=problem):
        client.log_table(run_id, data, path)

    assert client.list_artifacts(run_id) == []
    assert "mlflow.loggedArtifacts" not in client.get_run(run_id).data.tags


def test_a_parquet_table_loads_back_as_the_dataframe_logged(client, run_id):
    frame = pd.DataFrame(
        {"name": ["a", "ü😀"], "n": [1, 2], "ok": [True, False], "tokens": [[1, 2], [3]]}
    )

    client.log_table(run_id, frame, "eval/t.parquet")

    pd.testing.assert_frame_equal(client.load_table(run_id, "eval/t.parquet"), frame)
    local = client.download_artifacts(run_id, "eval/t.parquet")
    assert list(pd.read_parquet(local).columns) == ["name", "n", "ok", "tokens"]
    tag = json.loads(client.get_run(run_id).data.tags["mlflow.loggedArtifacts"])
    assert tag == [{"path": "eval/t.parquet", "type": "table"}]


def test_logging_to_the_same_parquet_table_adds_rows_and_columns(client, run_id):
    client.log_table(run_id, {"q": ["a", "b"], "score": [0.5, 1.0]}, "t.parquet")
    client.log_table(run_id, {"q": ["c"], "latency": [12]}, "t.parquet")

    table = client.load_table(run_id, "t.parquet")

    assert list(table.columns) == ["q", "score", "latency"]
    assert table["q"].tolist() == ["a", "b", "c"]
    assert table["score"].tolist()[:2] == [0.5, 1.0] and math.isnan(table["score"].tolist()[2])
    assert pd.isna(table["latency"]).tolist() == [True, True, False]


def test_a_file_that_is_not_parquet_is_not_a_table(client, run_id):
    client.log_text(run_id, "not parquet", "notes.parquet")

    with pytest.raises(InvalidArgument, match="notes.parquet' of run .* is not a table"):
        client.load_table(run_id, "notes.parquet")


def test_a_dataframe_with_two_columns_of_one_name_is_refused(client, run_id):
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])

    with pytest.raises(InvalidArgument, match="distinct names"):
        client.log_table(run_id, frame, "t.json")


def test_loading_a_table_the_run_lacks_or_a_file_that_is_not_one_is_refused(client, run_id):
    client.log_text(run_id, "not json", "notes.json")

    with pytest.raises(NotFound, match="no table 'missing.json'"):
        client.load_table(run_id, "missing.json")
    with pytest.raises(InvalidArgument, match="notes.json' of run .* is not a table"):
        client.load_table(run_id, "notes.json")
    with pytest.raises(NotFound):
        client.load_table("0" * 32, "t.json")


def test_load_table_reads_every_run_of_the_experiment_that_logged_it_newest_first(client):
    experiment = modelreg.set_experiment("evaluations").experiment_id
    for start, name, score in ((1000, "first", 0.5), (2000, "second", 0.9)):
        run = client.create_run(experiment, run_name=name, start_time=start).info.run_id
        client.log_table(run, {"q": [f"{name} q"], "score": [score]}, "eval.json")
    other = client.create_run(experiment, run_name="no table", start_time=3000).info.run_id
    client.log_table(other, {"q": ["x"]}, "other.json")

    frame = modelreg.load_table("eval.json", extra_columns=["run_name"])

    assert frame.to_dict(orient="records") == [
        {"q": "second q", "score": 0.9, "run_name": "second"},
        {"q": "first q", "score": 0.5, "run_name": "first"},
    ]


def test_load_table_reads_the_runs_given(client):
    modelreg.set_experiment("evaluations")
    ids = []
    for score in (0.5, 0.9):
        with modelreg.start_run() as run:
            modelreg.log_table({"score": [score]}, "eval.json")
            ids.append(run.info.run_id)

    frame = modelreg.load_table("eval.json", run_ids=[ids[0]], extra_columns=["run_id"])

    assert frame.to_dict(orient="records") == [{"score": 0.5, "run_id": ids[0]}]


def test_load_table_without_a_run_that_logged_it_or_with_an_unknown_column_is_refused(client):
    modelreg.set_experiment("evaluations")
    with modelreg.start_run():
        modelreg.log_table({"score": [1.0]}, "eval.json")

    with pytest.raises(NotFound, match="no run logged the table 'other.json'"):
        modelreg.load_table("other.json")
    with pytest.raises(InvalidArgument, match="not run fields"):
        modelreg.load_table("eval.json", extra_columns=["colour"])
