"""Image series: ``log_image(image, key=, step=)`` keeps one image per step under a key,
named as MLflow 3 names them, with a thumbnail; the series are read back by step."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mlflow_source_fixtures
import modelreg
from modelreg import image_series
from modelreg.errors import InvalidArgument

MLFLOW_SCRIPT = Path(__file__).parent / "compat" / "mlflow_image_series.py"


@pytest.fixture
def run_id(client):
    return client.create_run(client.create_experiment("images")).info.run_id


def gray(level: int, shape=(30, 640)) -> np.ndarray:
    return np.full(shape, level, dtype=np.uint8)


def series(client, run_id) -> dict[str, list[image_series.SeriesImage]]:
    return image_series.series_of(f.path for f in client.list_artifacts(run_id, "images"))


def pixels(client, run_id, path, tmp_path) -> np.ndarray:
    local = client.download_artifacts(run_id=run_id, path=path, dst_path=str(tmp_path))
    with Image.open(local) as image:
        return np.asarray(image)


def test_a_series_is_read_back_in_step_order(client, run_id):
    for step in (2, 0, 1):
        client.log_image(run_id, gray(step * 100), key="reconstruction", step=step)

    found = series(client, run_id)

    assert list(found) == ["reconstruction"]
    assert [image.step for image in found["reconstruction"]] == [0, 1, 2]


def test_each_image_keeps_its_pixels_and_has_a_thumbnail_that_keeps_its_aspect(
    client, run_id, tmp_path
):
    client.log_image(run_id, gray(100), key="sample", step=3)

    [image] = series(client, run_id)["sample"]

    assert (pixels(client, run_id, image.path, tmp_path) == 100).all()
    assert image.path.endswith(".png") and image.thumbnail.endswith("+compressed.webp")
    small = pixels(client, run_id, image.thumbnail, tmp_path / "small")
    assert small.shape[:2] == (12, 256)


def test_a_small_image_is_not_enlarged_for_its_thumbnail(client, run_id, tmp_path):
    client.log_image(run_id, gray(7, (8, 8)), key="tiny")

    [image] = series(client, run_id)["tiny"]

    assert pixels(client, run_id, image.thumbnail, tmp_path).shape[:2] == (8, 8)


def test_a_key_with_slashes_is_read_back_with_them(client, run_id):
    client.log_image(run_id, gray(1), key="val/masks/class 1", step=0)

    assert list(series(client, run_id)) == ["val/masks/class 1"]


def test_the_step_defaults_to_zero_and_the_timestamp_to_now(client, run_id):
    before = modelreg.timeutil.now_ms()
    client.log_image(run_id, gray(1), key="first")

    [image] = series(client, run_id)["first"]

    assert image.step == 0
    assert before <= image.timestamp <= modelreg.timeutil.now_ms()


def test_logging_a_step_again_keeps_both_images_by_time(client, run_id):
    client.log_image(run_id, gray(1), key="k", step=5, timestamp=2000)
    client.log_image(run_id, gray(2), key="k", step=5, timestamp=1000)

    assert [i.timestamp for i in series(client, run_id)["k"]] == [1000, 2000]


def test_the_run_is_tagged_as_having_images_as_mlflow_tags_it(client, run_id):
    client.log_image(run_id, gray(1), key="k")

    assert client.get_run(run_id).data.tags[image_series.LOGGED_IMAGES_TAG] == "True"


def test_the_fluent_call_logs_a_series_in_the_active_run(client):
    with modelreg.start_run() as run:
        for epoch in range(2):
            modelreg.log_image(gray(epoch), key="generated", step=epoch, synchronous=False)
        modelreg.flush_artifact_async_logging()  # MLflow's; nothing is queued here

    assert [i.step for i in series(client, run.info.run_id)["generated"]] == [0, 1]


def test_an_image_file_and_a_series_image_sit_side_by_side(client, run_id):
    client.log_image(run_id, gray(1), "images/cover.png")
    client.log_image(run_id, gray(1), key="cover")

    paths = {f.path for f in client.list_artifacts(run_id, "images")}
    assert "images/cover.png" in paths
    assert list(series(client, run_id)) == ["cover"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"key": ""}, "key must not be empty"),
        ({"key": "   "}, "key must not be empty"),
        ({"key": "a" * 251}, "key is 251 characters long"),
        ({"key": "../../etc/passwd+x"}, "may only hold"),
        ({"key": "naïve"}, "may only hold"),
        ({"key": 3}, "key must be a string"),
        ({"key": "k", "step": 1.5}, "step must be an integer"),
        ({"key": "k", "step": True}, "step must be an integer"),
        ({"key": "k", "step": 2**63}, "step 9223372036854775808 is out of range"),
        ({"key": "k", "timestamp": -1}, "timestamp -1 is out of range"),
        ({"artifact_file": "a.png", "key": "k"}, "not both"),
        ({"artifact_file": "a.png", "step": 1}, "not both"),
        ({}, "give artifact_file for one image or key"),
    ],
)
def test_a_bad_series_argument_is_refused_naming_it_and_nothing_is_stored(
    client, run_id, arguments, message
):
    with pytest.raises(InvalidArgument, match=message):
        client.log_image(run_id, gray(1), **arguments)

    assert client.list_artifacts(run_id) == []
    assert image_series.LOGGED_IMAGES_TAG not in client.get_run(run_id).data.tags


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_an_image_pillow_cannot_write_is_invalid_argument_not_an_os_error(client, run_id):
    floats = Image.new("F", (4, 4))

    with pytest.raises(InvalidArgument, match="cannot write a F image as PNG"):
        client.log_image(run_id, floats, "floats.png")
    with pytest.raises(InvalidArgument, match="cannot write a CMYK image as PNG"):
        client.log_image(run_id, Image.new("CMYK", (4, 4)), key="k")

    assert client.list_artifacts(run_id) == []


@pytest.mark.parametrize("tracking_uri", ["sqlite"], indirect=True)
def test_a_sixteen_bit_image_gets_an_eight_bit_thumbnail(client, run_id, tmp_path):
    client.log_image(run_id, Image.new("I;16", (4, 4), 1000), key="depth")

    [image] = series(client, run_id)["depth"]

    assert pixels(client, run_id, image.path, tmp_path).dtype == np.uint16
    assert pixels(client, run_id, image.thumbnail, tmp_path / "t").dtype == np.uint8


def test_series_written_by_mlflow_are_read_with_their_keys_and_steps():
    written = mlflow_source_fixtures.cached_results("mlflow-image-series", MLFLOW_SCRIPT)

    found = image_series.series_of(written["paths"])

    assert list(found) == ["mask", "val/reconstruction"]
    assert [i.step for i in found["val/reconstruction"]] == [0, 1, 2]
    assert [i.timestamp for i in found["val/reconstruction"]] == [1000, 1001, 1002]
    assert all(i.thumbnail for images in found.values() for i in images)
    assert written["tags"][image_series.LOGGED_IMAGES_TAG] == "True"


def test_names_mlflow_2_wrote_with_percent_signs_are_read_too():
    stem = "images/loss~curve%step%4%timestamp%17%0f1e2d3c-aaaa-bbbb-cccc-000000000000"

    found = image_series.series_of([f"{stem}.png", f"{stem}%compressed.webp"])

    assert found == {
        "loss/curve": [image_series.SeriesImage(4, 17, f"{stem}.png", f"{stem}%compressed.webp")]
    }


@pytest.mark.parametrize(
    "path",
    [
        "images/notes.txt",
        "images/cover.png",
        "images/deeper/k+step+1+timestamp+2+ab.png",
        "other/k+step+1+timestamp+2+ab.png",
        "images/k+step+x+timestamp+2+ab.png",
        "images/k+step+1+timestamp+2+ab.jpg",
    ],
)
def test_other_files_are_not_taken_for_series_images(path):
    assert image_series.series_of([path]) == {}


def test_a_thumbnail_without_its_image_is_not_a_series_image():
    orphan = "images/k+step+1+timestamp+2+ab+compressed.webp"

    assert image_series.series_of([orphan]) == {}


def test_a_long_series_offers_an_even_sample_of_its_steps_on_the_page():
    from modelreg.server.ui.images import SLIDER_STEPS, series_view

    paths = [f"images/k+step+{step}+timestamp+1+{step:x}.png" for step in range(10_000)]

    [view] = series_view(paths)

    steps = [shown["step"] for shown in view["steps"]]
    assert view["count"] == 10_000 and len(steps) == SLIDER_STEPS
    assert steps[0] == 0 and steps[-1] == 9_999 == view["last"]["step"]
    assert steps == sorted(set(steps))
    assert max(b - a for a, b in zip(steps, steps[1:], strict=False)) <= 51
