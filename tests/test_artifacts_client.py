"""Logging, listing and downloading run artifacts through ``Client``.

Every test runs on SQLite and PostgreSQL, each with a local folder and with S3,
and against a ``modelreg server``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from modelreg.entities import FileInfo
from modelreg.errors import Conflict, InvalidArgument, NotFound


@pytest.fixture
def client(any_uri: str):
    import modelreg

    return modelreg.Client(any_uri)


@pytest.fixture
def run_id(client) -> str:
    return client.create_run("0").info.run_id


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_a_logged_file_downloads_with_the_same_bytes(client, run_id, tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(os.urandom(100_000))
    client.log_artifact(run_id, tmp_path / "weights.bin")
    local = client.download_artifacts(run_id, "weights.bin", tmp_path / "out")
    assert local == str(tmp_path / "out" / "weights.bin")
    assert Path(local).read_bytes() == (tmp_path / "weights.bin").read_bytes()


def test_artifact_path_puts_the_file_in_that_folder(client, run_id, tmp_path: Path) -> None:
    (tmp_path / "loss.png").write_bytes(b"png")
    client.log_artifact(run_id, tmp_path / "loss.png", artifact_path="plots/train")
    assert client.list_artifacts(run_id, "plots/train") == [
        FileInfo("plots/train/loss.png", False, 3)
    ]


def test_log_artifacts_keeps_the_folder_layout(client, run_id, tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", {"MLmodel": b"m", "data/a.csv": b"1,2", "data/b/c": b"c"})
    client.log_artifacts(run_id, src, artifact_path="model")
    assert client.list_artifacts(run_id) == [FileInfo("model", True, None)]
    assert client.list_artifacts(run_id, "model/data") == [
        FileInfo("model/data/a.csv", False, 3),
        FileInfo("model/data/b", True, None),
    ]


def test_unicode_and_spaces_in_paths_are_kept(client, run_id, tmp_path: Path) -> None:
    client.log_text(run_id, "é", "données/rapport final.txt")
    assert client.list_artifacts(run_id, "données/") == [
        FileInfo("données/rapport final.txt", False, 2)
    ]
    local = client.download_artifacts(run_id, "données", tmp_path)
    assert Path(local, "rapport final.txt").read_text(encoding="utf-8") == "é"


def test_listing_a_file_or_a_missing_path_is_empty(client, run_id) -> None:
    client.log_text(run_id, "x", "notes.txt")
    assert client.list_artifacts(run_id, "notes.txt") == []
    assert client.list_artifacts(run_id, "nothing/here") == []


def test_a_folder_downloads_with_its_layout(client, run_id, tmp_path: Path) -> None:
    files = {"MLmodel": b"flavor", "data/x.npy": b"\x93NUMPY", "data/deep/y": b"y"}
    client.log_artifacts(run_id, make_tree(tmp_path / "src", files), "model")
    local = client.download_artifacts(artifact_uri=f"runs:/{run_id}/model", dst_path=tmp_path / "o")
    assert local == str(tmp_path / "o" / "model")
    assert {
        p.relative_to(local).as_posix(): p.read_bytes()
        for p in Path(local).rglob("*")
        if p.is_file()
    } == files


def test_download_without_destination_uses_a_new_temporary_folder(client, run_id) -> None:
    client.log_text(run_id, "hi", "a.txt")
    first = client.download_artifacts(run_id)
    second = client.download_artifacts(run_id)
    assert first != second and Path(first, "a.txt").read_text() == "hi"


def test_log_text_stores_utf8(client, run_id, tmp_path: Path) -> None:
    client.log_text(run_id, "accuracy: 0.93 ✓", "reports/summary.txt")
    path = client.download_artifacts(run_id, "reports/summary.txt", tmp_path)
    assert Path(path).read_text(encoding="utf-8") == "accuracy: 0.93 ✓"


@pytest.mark.parametrize("size", [0, 1, 3 * 1024 * 1024 + 7], ids=["empty", "one-byte", "3mb"])
def test_log_stream_stores_what_the_stream_reads(client, run_id, tmp_path: Path, size) -> None:
    data = os.urandom(size)

    client.log_stream(run_id, io.BytesIO(data), "weights/model.bin")

    path = client.download_artifacts(run_id, "weights/model.bin", tmp_path)
    assert Path(path).read_bytes() == data


def test_log_stream_reads_an_open_file_from_where_it_is(client, run_id, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"header|body")

    with open(source, "rb") as f:
        f.seek(len(b"header|"))
        client.log_stream(run_id, f, "body.bin")

    assert Path(client.download_artifacts(run_id, "body.bin", tmp_path / "out")).read_bytes() == (
        b"body"
    )


@pytest.mark.parametrize(
    "stream", [io.StringIO("text"), b"bytes", None], ids=["text-stream", "bytes", "none"]
)
def test_log_stream_refuses_what_is_not_a_binary_stream(client, run_id, stream) -> None:
    with pytest.raises(InvalidArgument, match="stream must be a binary file-like object"):
        client.log_stream(run_id, stream, "x.bin")

    assert client.list_artifacts(run_id) == []


@pytest.mark.parametrize("path", ["../x.bin", "", "/abs.bin"])
def test_log_stream_refuses_a_bad_path_and_stores_nothing(client, run_id, path) -> None:
    with pytest.raises(InvalidArgument, match="artifact_file"):
        client.log_stream(run_id, io.BytesIO(b"x"), path)

    assert client.list_artifacts(run_id) == []


def test_log_dict_writes_json(client, run_id, tmp_path: Path) -> None:
    client.log_dict(run_id, {"lr": 0.1, "layers": [64, 32]}, "config.json")
    path = client.download_artifacts(run_id, "config.json", tmp_path)
    assert json.loads(Path(path).read_text()) == {"lr": 0.1, "layers": [64, 32]}


def test_log_dict_writes_yaml_for_yaml_files(client, run_id, tmp_path: Path) -> None:
    import yaml

    client.log_dict(run_id, {"lr": 0.1, "name": "m"}, "config.yaml")
    path = client.download_artifacts(run_id, "config.yaml", tmp_path)
    assert yaml.safe_load(Path(path).read_text()) == {"lr": 0.1, "name": "m"}


def test_log_dict_refuses_what_json_cannot_hold(client, run_id) -> None:
    with pytest.raises(InvalidArgument, match="config.json"):
        client.log_dict(run_id, {"f": object()}, "config.json")


def test_logging_the_same_path_again_replaces_its_content(client, run_id, tmp_path: Path) -> None:
    client.log_text(run_id, "old", "a.txt")
    client.log_text(run_id, "new", "a.txt")
    assert Path(client.download_artifacts(run_id, "a.txt", tmp_path)).read_text() == "new"


def test_a_path_cannot_be_both_a_file_and_a_folder(client, run_id) -> None:
    client.log_text(run_id, "x", "model")
    with pytest.raises(Conflict, match="'model' is a file"):
        client.log_text(run_id, "y", "model/MLmodel")
    client.log_text(run_id, "z", "data/part-0")
    with pytest.raises(Conflict, match="'data' is already a folder"):
        client.log_text(run_id, "w", "data")


def test_a_file_as_the_destination_is_refused_and_left_as_it_was(
    client, run_id, tmp_path: Path
) -> None:
    client.log_text(run_id, "hello", "notes.txt")
    (tmp_path / "taken").write_text("mine")

    with pytest.raises(InvalidArgument, match="is a file; files are downloaded into a folder"):
        client.download_artifacts(run_id, "notes.txt", tmp_path / "taken")

    assert (tmp_path / "taken").read_text() == "mine"


def test_downloading_a_missing_path_raises_not_found(client, run_id, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no artifact 'missing.txt'"):
        client.download_artifacts(run_id, "missing.txt", tmp_path)


def test_an_unknown_run_raises_not_found(client, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="run 'f00' does not exist"):
        client.log_text("f00", "x", "a.txt")
    with pytest.raises(NotFound):
        client.list_artifacts("f00")
    with pytest.raises(NotFound):
        client.download_artifacts(artifact_uri="runs:/f00/a.txt", dst_path=tmp_path)


def test_logging_to_a_deleted_run_is_refused(client, run_id) -> None:
    client.delete_run(run_id)
    with pytest.raises(InvalidArgument, match="deleted"):
        client.log_text(run_id, "x", "a.txt")


def test_logging_a_missing_file_or_a_folder_with_log_artifact_is_refused(
    client, run_id, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgument, match="does not exist"):
        client.log_artifact(run_id, tmp_path / "nope.bin")
    with pytest.raises(InvalidArgument, match="use log_artifacts"):
        client.log_artifact(run_id, tmp_path)


def test_a_model_version_downloads_by_models_uri(client, run_id, tmp_path: Path) -> None:
    client.log_artifacts(
        run_id, make_tree(tmp_path / "m", {"MLmodel": b"x", "w.bin": b"w"}), "model"
    )
    client.create_registered_model("churn")
    client.create_model_version("churn", f"runs:/{run_id}/model")
    local = client.download_artifacts(artifact_uri="models:/churn/1", dst_path=tmp_path / "v1")
    assert sorted(os.listdir(local)) == ["MLmodel", "w.bin"]
    only = client.download_artifacts(artifact_uri="models:/churn/latest/w.bin", dst_path=tmp_path)
    assert Path(only).read_bytes() == b"w"


def test_an_unknown_model_version_raises_not_found(client, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="version 3 of registered model 'ghost'"):
        client.download_model_version_artifacts("ghost", 3, dst_path=tmp_path)
    with pytest.raises(NotFound, match="version 3 of registered model 'ghost'"):
        client.list_model_version_artifacts("ghost", 3)


def test_a_model_versions_files_list_one_folder_at_a_time(client, run_id, tmp_path) -> None:
    files = {"MLmodel": b"x", "w.bin": b"www", "tokenizer/vocab.txt": b"v", "tokenizer/a/b": b""}
    client.log_artifacts(run_id, make_tree(tmp_path / "m", files), "model")
    client.log_text(run_id, "not in the version", "notes.txt")
    client.create_registered_model("churn")
    client.create_model_version("churn", f"runs:/{run_id}/model")

    assert client.list_model_version_artifacts("churn", 1) == [
        FileInfo("MLmodel", False, 1),
        FileInfo("tokenizer", True, None),
        FileInfo("w.bin", False, 3),
    ]
    assert client.list_model_version_artifacts("churn", "1", "tokenizer/") == [
        FileInfo("tokenizer/a", True, None),
        FileInfo("tokenizer/vocab.txt", False, 1),
    ]
    assert client.list_model_version_artifacts("churn", 1, "w.bin") == []
    assert client.list_model_version_artifacts("churn", 1, "nothing") == []


@pytest.mark.parametrize("path", ["../x", "/etc", "a/../../b"])
def test_listing_a_model_version_refuses_a_path_that_could_escape(client, path) -> None:
    with pytest.raises(InvalidArgument, match="path"):
        client.list_model_version_artifacts("churn", 1, path)


# -- paths that could escape ------------------------------------------------------

BAD_PATHS = [
    pytest.param("../x", id="parent"),
    pytest.param("/etc/passwd", id="absolute"),
    pytest.param("a\\b", id="backslash"),
    pytest.param("a/../../b", id="inner-parent"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("a//b", id="empty-segment"),
    pytest.param("./a", id="dot"),
    pytest.param("C:/Windows", id="drive"),
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_artifact_file_is_refused_and_nothing_stored(client, run_id, path: str) -> None:
    with pytest.raises(InvalidArgument, match="artifact_file"):
        client.log_text(run_id, "x", path)
    assert client.list_artifacts(run_id) == []


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_artifact_path_is_refused(client, run_id, tmp_path: Path, path: str) -> None:
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(InvalidArgument, match="artifact_path"):
        client.log_artifact(run_id, tmp_path / "f.txt", artifact_path=path)
    with pytest.raises(InvalidArgument, match="path"):
        client.list_artifacts(run_id, path)
    with pytest.raises(InvalidArgument, match="path"):
        client.download_artifacts(run_id, path, tmp_path / "out")
    assert not (tmp_path / "x").exists()


def test_bad_path_in_a_runs_uri_is_refused(client, run_id, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="'..'"):
        client.download_artifacts(artifact_uri=f"runs:/{run_id}/../../etc", dst_path=tmp_path)


def test_a_folder_with_one_bad_file_name_is_refused_whole(client, run_id, tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", {"good.txt": b"ok", "bad\\name.txt": b"no"})
    with pytest.raises(InvalidArgument, match=r"bad\\\\name.txt"):
        client.log_artifacts(run_id, src)
    assert client.list_artifacts(run_id) == []


def test_download_refuses_to_follow_a_symlink_out_of_the_destination(
    client, run_id, tmp_path: Path
) -> None:
    client.log_text(run_id, "payload", "conf/settings.txt")
    (tmp_path / "dst").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "dst" / "conf").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InvalidArgument, match="outside"):
        client.download_artifacts(run_id, "", tmp_path / "dst")
    assert list((tmp_path / "elsewhere").iterdir()) == []
