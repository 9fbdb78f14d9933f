"""log_figure and log_image: figures and images stored as artifact files of a run."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import modelreg
from modelreg.errors import InvalidArgument

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def run_id(client):
    return client.create_run(client.create_experiment("plots")).info.run_id


def downloaded(client, run_id, path, tmp_path) -> Path:
    return Path(client.download_artifacts(run_id=run_id, path=path, dst_path=str(tmp_path)))


def stored(client, run_id, path, tmp_path) -> bytes:
    return downloaded(client, run_id, path, tmp_path).read_bytes()


def pixels_of(client, run_id, path, tmp_path) -> np.ndarray:
    with Image.open(downloaded(client, run_id, path, tmp_path)) as image:
        return np.asarray(image)


def a_matplotlib_figure():
    from matplotlib.figure import Figure

    figure = Figure()
    figure.subplots().plot([0, 1, 2], [2, 0, 1])
    return figure


def test_a_matplotlib_figure_is_stored_in_the_format_its_name_says(client, run_id, tmp_path):
    figure = a_matplotlib_figure()

    client.log_figure(run_id, figure, "plots/curve.png")
    client.log_figure(run_id, figure, "plots/curve.svg")

    assert stored(client, run_id, "plots/curve.png", tmp_path).startswith(PNG)
    assert b"<svg" in stored(client, run_id, "plots/curve.svg", tmp_path)


def test_save_kwargs_go_to_the_figures_save_call(client, run_id, tmp_path):
    figure = a_matplotlib_figure()

    client.log_figure(run_id, figure, "small.png", save_kwargs={"dpi": 20})
    with modelreg.start_run(run_id=run_id):
        modelreg.log_figure(figure, "large.png", save_kwargs={"dpi": 200})

    small = pixels_of(client, run_id, "small.png", tmp_path)
    large = pixels_of(client, run_id, "large.png", tmp_path)
    assert large.shape[0] == 10 * small.shape[0]
    with pytest.raises(InvalidArgument, match="save_kwargs: the format is the artifact file"):
        client.log_figure(run_id, figure, "x.png", save_kwargs={"format": "svg"})
    with pytest.raises(InvalidArgument, match="save_kwargs: matplotlib refused them"):
        client.log_figure(run_id, figure, "x.png", save_kwargs={"dpi": "many"})


def test_a_plotly_figure_is_stored_as_html_that_needs_no_network(client, run_id, tmp_path):
    import plotly.graph_objects as go

    client.log_figure(run_id, go.Figure(go.Scatter(x=[0, 1], y=[1, 0])), "roc.html")

    html = stored(client, run_id, "roc.html", tmp_path)
    assert b"Plotly.newPlot" in html and b'src="https://' not in html


def test_a_float_array_is_scaled_to_bytes_and_read_back_as_the_same_picture(
    client, run_id, tmp_path
):
    pixels = np.array([[0.0, 0.5], [1.0, 0.25]])

    client.log_image(run_id, pixels, "images/gray.png")

    assert pixels_of(client, run_id, "images/gray.png", tmp_path).tolist() == [[0, 128], [255, 64]]


def test_an_rgba_array_and_a_pil_image_keep_every_pixel(client, run_id, tmp_path):
    rgba = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)

    client.log_image(run_id, rgba, "rgba.png")
    client.log_image(run_id, Image.fromarray(rgba[:, :, :3]), "rgb.webp")

    assert (pixels_of(client, run_id, "rgba.png", tmp_path) == rgba).all()
    assert stored(client, run_id, "rgb.webp", tmp_path)[8:12] == b"WEBP"


@pytest.mark.parametrize(
    ("image", "artifact_file", "problem"),
    [
        (np.array([[0, 300]]), "x.png", "from 0 to 255"),
        (np.array([[-1, 3]]), "x.png", "from 0 to 255"),
        (np.array([[0.0, 1.5]]), "x.png", "from 0 to 1"),
        (np.array([[0.0, np.nan]]), "x.png", "from 0 to 1"),
        (np.zeros((2, 2, 2)), "x.png", "shape"),
        (np.zeros((0, 3)), "x.png", "empty"),
        (np.array([["a", "b"]]), "x.png", "numbers"),
        ("not an image", "x.png", "PIL image or a numpy array"),
        (np.zeros((2, 2)), "no_extension", "no extension"),
        (np.zeros((2, 2)), "x.notaformat", "cannot write"),
        (np.zeros((2, 2, 4)), "x.jpg", "transparency"),
        (np.zeros((2, 2)), "../outside.png", "artifact"),
    ],
)
def test_a_bad_image_is_refused_naming_the_problem_and_nothing_is_stored(
    client, run_id, image, artifact_file, problem
):
    with pytest.raises(InvalidArgument, match=problem):
        client.log_image(run_id, image, artifact_file)

    assert client.list_artifacts(run_id) == []


@pytest.mark.parametrize(
    ("figure", "artifact_file", "problem"),
    [
        ("not a figure", "x.png", "matplotlib or plotly figure"),
        (None, "x.notaformat", "cannot write that format"),
        (None, "x", "no extension"),
    ],
)
def test_a_bad_figure_is_refused_naming_the_problem(client, run_id, figure, artifact_file, problem):
    with pytest.raises(InvalidArgument, match=problem):
        client.log_figure(run_id, figure or a_matplotlib_figure(), artifact_file)

    assert client.list_artifacts(run_id) == []


def test_the_fluent_calls_store_into_the_active_run(client, tmp_path):
    modelreg.set_experiment("plots")
    with modelreg.start_run() as run:
        modelreg.log_figure(a_matplotlib_figure(), "curve.png")
        modelreg.log_image(np.zeros((4, 4), dtype=np.uint8), "black.png")

    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["black.png", "curve.png"]
