"""``modelreg predict``: files scored in chunks, written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_fixtures import invoke, lib, store_uri  # noqa: F401
from serve_fixtures import log_constant

# ruff: noqa: F811  (fixtures imported above are parameters below)


@pytest.fixture
def rows(tmp_path: Path) -> pd.DataFrame:
    frame = pd.DataFrame({"a": np.arange(25, dtype=float), "b": np.arange(25, dtype=float)})
    frame.to_csv(tmp_path / "rows.csv", index=False)
    return frame


@pytest.fixture
def model(lib):
    lib.create_registered_model("m")
    log_constant(lib, "m", 3.0)
    return "models:/m/1"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_every_row_is_scored_into_each_output_format(invoke, model, rows, tmp_path, suffix):
    output = tmp_path / f"scores{suffix}"

    result = invoke(
        "predict", model, "--input", str(tmp_path / "rows.csv"), "--output", str(output)
    )

    assert result.exit_code == 0, result.output
    read = {".csv": pd.read_csv, ".parquet": pd.read_parquet}.get(
        suffix, lambda p: pd.read_json(p, lines=True)
    )
    assert read(output)["prediction"].tolist() == [3.0] * 25


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_each_input_format_is_read(invoke, model, rows, tmp_path, suffix):
    source = tmp_path / f"rows{suffix}"
    if suffix == ".parquet":
        rows.to_parquet(source)
    else:
        rows.to_json(source, orient="records", lines=True)

    result = invoke("predict", model, "--input", str(source), "--output", str(tmp_path / "o.csv"))

    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "o.csv")) == 25


def test_small_chunks_give_the_same_output_as_one(invoke, model, rows, tmp_path):
    source = str(tmp_path / "rows.csv")

    invoke("predict", model, "--input", source, "--output", str(tmp_path / "one.csv"))
    invoke(
        "predict",
        model,
        "--input",
        source,
        "--output",
        str(tmp_path / "many.csv"),
        "--chunk-size",
        "7",
    )

    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "many.csv").read_bytes()


def test_a_bad_value_fails_naming_the_column_and_writes_nothing(invoke, model, tmp_path):
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n3,oops\n")
    output = tmp_path / "scores.csv"

    result = invoke(
        "predict", model, "--input", str(tmp_path / "rows.csv"), "--output", str(output)
    )

    assert result.exit_code == 1
    assert "input column 'b': expected float64, got 'oops' in row 1" in result.stderr
    assert list(tmp_path.glob("*scores*")) == []


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("rows.parquet", b"a,b\n1,2\n", "Parquet magic bytes not found"),
        ("rows.jsonl", b'{"a": 1, "b": 2}\n{"a": \n', ""),
        ("rows.csv", b"a,b\n\xff\xfe,1\n", "can't decode byte 0xff"),
    ],
)
def test_an_input_that_is_not_what_its_name_says_exits_1_and_writes_nothing(
    invoke, model, tmp_path, name, content, says
):
    (tmp_path / name).write_bytes(content)
    output = tmp_path / "scores.csv"

    result = invoke("predict", model, "--input", str(tmp_path / name), "--output", str(output))

    assert result.exit_code == 1
    assert f"Error: input {name} cannot be read: " in result.stderr
    assert says in result.stderr
    assert list(tmp_path.glob("*scores*")) == []


def test_an_unknown_extension_is_a_usage_error(invoke, model, rows, tmp_path):
    result = invoke("predict", model, "--input", str(tmp_path / "rows.csv"), "--output", "o.xlsx")

    assert result.exit_code == 2
    assert "must end in one of .csv, .jsonl, .ndjson, .parquet" in result.stderr


def test_json_output_reports_the_rows(invoke, model, rows, tmp_path):
    source, output = str(tmp_path / "rows.csv"), str(tmp_path / "o.csv")

    result = invoke("predict", model, "--input", source, "--output", output, "--json")

    assert '"rows": 25' in result.stdout


def test_an_unknown_model_is_refused(invoke, rows, tmp_path):
    result = invoke(
        "predict", "models:/nope/1", "--input", str(tmp_path / "rows.csv"), "--output", "o.csv"
    )

    assert result.exit_code == 1 and "nope" in result.stderr
