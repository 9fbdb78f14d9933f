"""``modelreg.models.update_model_requirements``: a logged model's pip requirements
changed after logging (MLflow's), in its manifest and its ``requirements.txt``, the
weights left as they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

import modelreg
from modelreg.errors import InvalidArgument
from modelreg.models import get_model_info, update_model_requirements
from modelreg.pip_requirements import added, removed

PINNED = ["numpy==2.0.0", "scikit-learn==1.5.0", "scipy==1.14.0"]


@pytest.fixture
def logged(client):
    with modelreg.start_run():
        return modelreg.log_model(
            LinearRegression().fit(np.array([[1.0], [2.0]]), [1.0, 2.0]),
            "model",
            pip_requirements=PINNED,
        )


def requirements_file(uri: str) -> list[str]:
    return Path(modelreg.pyfunc.get_model_dependencies(uri)).read_text().splitlines()


def test_adding_replaces_a_package_where_it_stands_and_appends_the_others(logged):
    update_model_requirements(logged.model_uri, "add", ["Scikit_Learn>=1.6", "pandas>=2"])

    expected = ["numpy==2.0.0", "Scikit_Learn>=1.6", "scipy==1.14.0", "pandas>=2"]
    assert list(get_model_info(logged.model_uri).requirements) == expected
    assert requirements_file(logged.model_uri) == expected


def test_removing_ignores_version_specifiers_and_packages_not_required(logged):
    update_model_requirements(logged.model_uri, "remove", ["scipy>=9", "torch"])

    assert list(get_model_info(logged.model_uri).requirements) == PINNED[:2]
    assert requirements_file(logged.model_uri) == PINNED[:2]


def test_the_run_folder_of_the_model_is_changed_by_its_runs_uri(logged):
    update_model_requirements(logged.run_uri, "add", ["pandas"])

    assert requirements_file(logged.run_uri) == [*PINNED, "pandas"]
    assert requirements_file(logged.model_uri) == PINNED


def test_the_weights_and_their_digest_stay(logged, tmp_path):
    before = get_model_info(logged.model_uri).weights_digest

    update_model_requirements(logged.model_uri, "add", ["pandas"])
    loaded = modelreg.load_model(logged.model_uri)

    assert get_model_info(logged.model_uri).weights_digest == before
    assert loaded.predict(np.array([[3.0]]))[0] == pytest.approx(3.0)


def test_a_version_registered_afterwards_has_the_new_requirements(logged):
    update_model_requirements(logged.model_uri, "remove", ["scipy"])

    modelreg.register_model(logged.model_uri, "requirements-changed")

    assert requirements_file("models:/requirements-changed/1") == PINNED[:2]


@pytest.mark.parametrize(
    ("operation", "requirement_list", "message"),
    [
        ("replace", ["pandas"], "operation must be 'add' or 'remove', got 'replace'"),
        ("add", "pandas", "requirement_list must be a list of requirements, got str"),
        ("add", ["pandas", "not a requirement!"], "'not a requirement!' is not a requirement"),
        ("add", [3], "requirement_list: 3 is not a string"),
    ],
)
def test_a_bad_change_is_refused_naming_it_and_nothing_changes(
    logged, operation, requirement_list, message
):
    with pytest.raises(InvalidArgument, match=message):
        update_model_requirements(logged.model_uri, operation, requirement_list)

    assert requirements_file(logged.model_uri) == PINNED


def test_a_registered_version_keeps_the_requirements_it_was_registered_with(logged):
    modelreg.register_model(logged.model_uri, "frozen")

    with pytest.raises(InvalidArgument, match="a registered version keeps the files"):
        update_model_requirements("models:/frozen/1", "add", ["pandas"])

    assert requirements_file("models:/frozen/1") == PINNED


def test_a_line_that_names_no_package_is_kept():
    lines = ["-e ./local_package", "numpy==2.0.0"]

    assert added(lines, ["numpy>=2.1"]) == ["-e ./local_package", "numpy>=2.1"]
    assert removed(lines, ["numpy"]) == ["-e ./local_package"]


def test_a_package_listed_twice_is_replaced_once():
    assert added(["numpy<3", "numpy>=2", "scipy"], ["numpy==2.1"]) == ["numpy==2.1", "scipy"]


def test_a_version_registered_before_the_change_keeps_its_requirements(logged):
    modelreg.register_model(logged.model_uri, "registered-before")

    update_model_requirements(logged.model_uri, "add", ["pandas"])

    assert requirements_file("models:/registered-before/1") == PINNED
    assert requirements_file(logged.model_uri) == [*PINNED, "pandas"]
