"""modelreg.sklearn, modelreg.pytorch … and modelreg.pyfunc: MLflow's per-framework
modules by their names, so code written for ``mlflow.<framework>`` runs unchanged."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from xgboost import XGBClassifier

import modelreg
from modelreg.errors import InvalidArgument, PermissionDenied

FRAMEWORKS = ["catboost", "keras", "lightgbm", "onnx", "pytorch", "sklearn", "transformers"]


class Doubler:
    """A plain Python model (the python flavor)."""

    def predict(self, xs):
        return [2 * x for x in xs]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


@pytest.fixture
def net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 1))


def test_the_seed_workflow_runs_with_the_module_names_of_mlflow(client, net, data):
    with modelreg.start_run() as run:
        modelreg.log_param("learning_rate", 1e-4)
        modelreg.pytorch.log_model(net, "model", input_example=data[0][:2])
    client.create_registered_model("my_model")
    version = client.create_model_version(
        "my_model", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
    )
    client.transition_model_version_stage("my_model", version.version, "Production")

    model = modelreg.pyfunc.load_model("models:/my_model/Production")
    module = modelreg.pytorch.load_model("models:/my_model/Production")

    expected = net(torch.from_numpy(data[0])).detach().numpy()
    np.testing.assert_allclose(model.predict(data[0]), expected, rtol=1e-5)
    assert isinstance(module, torch.nn.Module)
    np.testing.assert_allclose(module(torch.from_numpy(data[0])).detach().numpy(), expected)


def test_load_model_of_a_framework_module_gives_the_frameworks_object(client, data):
    estimator = LogisticRegression().fit(*data)
    with modelreg.start_run():
        logged = modelreg.sklearn.log_model(estimator, name="model")

    loaded = modelreg.sklearn.load_model(logged.model_uri)

    assert type(loaded) is LogisticRegression
    np.testing.assert_array_equal(loaded.predict(data[0]), estimator.predict(data[0]))


def test_an_object_of_another_framework_is_refused_naming_the_module_that_takes_it(client, net):
    with modelreg.start_run() as run:
        with pytest.raises(InvalidArgument, match=r"Sequential is a PyTorch model: use "
                           r"modelreg\.pytorch\.log_model or modelreg\.log_model"):  # fmt: skip
            modelreg.sklearn.log_model(net, "model")

    assert client.list_artifacts(run.info.run_id) == []


def test_loading_a_model_of_another_framework_is_refused_before_loading_it(client, net):
    with modelreg.start_run():
        logged = modelreg.log_model(net, "model")

    with pytest.raises(InvalidArgument, match=r"holds a PyTorch model, not a scikit-learn one"):
        modelreg.sklearn.load_model(logged.model_uri)


def test_the_sklearn_module_takes_the_scikit_learn_api_of_boosting_libraries(tmp_path, data):
    booster = XGBClassifier(n_estimators=3).fit(*data)

    info = modelreg.sklearn.save_model(booster, tmp_path / "model")

    assert info.flavor == "xgboost"
    assert type(modelreg.sklearn.load_model(tmp_path / "model")) is XGBClassifier


def test_a_plain_python_model_loads_through_any_framework_module(tmp_path):
    modelreg.save_model(Doubler(), tmp_path / "model")

    assert modelreg.sklearn.load_model(tmp_path / "model").predict([1, 2]) == [2, 4]


def test_options_and_errors_are_those_of_modelreg_log_model(client, data):
    estimator = LogisticRegression().fit(*data)
    with modelreg.start_run(), pytest.raises(TypeError, match="serialization_format"):
        modelreg.sklearn.log_model(estimator, "model", serialization_format="cloudpickle")


# MLflow 3's quickstart (mlflow.org, "Tracking quickstart"), as written for MLflow.
MLFLOW_QUICKSTART = """
import mlflow
from mlflow.models import infer_signature

from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

X, y = datasets.load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
params = {"solver": "lbfgs", "max_iter": 1000, "random_state": 8888}
lr = LogisticRegression(**params)
lr.fit(X_train, y_train)

mlflow.set_experiment("MLflow Quickstart")
with mlflow.start_run():
    mlflow.log_params(params)
    mlflow.log_metric("accuracy", lr.score(X_test, y_test))
    signature = infer_signature(X_train, lr.predict(X_train))
    model_info = mlflow.sklearn.log_model(
        sk_model=lr,
        name="iris_model",
        signature=signature,
        input_example=X_train,
        registered_model_name="tracking-quickstart",
    )
    mlflow.set_logged_model_tags(model_info.model_id, {"Training Info": "Basic LR model"})

loaded_model = mlflow.pyfunc.load_model(model_info.model_uri)
assert (loaded_model.predict(X_test) == lr.predict(X_test)).all()
estimator = mlflow.sklearn.load_model("models:/tracking-quickstart/1")
print(type(estimator).__name__, model_info.model_id)
"""


def test_mlflows_quickstart_runs_with_mlflow_replaced_by_modelreg(tmp_path):
    code = MLFLOW_QUICKSTART.replace("mlflow", "modelreg")

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )

    assert done.returncode == 0, done.stderr[-3000:]
    name, model_id = done.stdout.split()
    assert name == "LogisticRegression"
    client = modelreg.Client(tmp_path / ".modelreg")
    assert client.get_logged_model(model_id).tags["Training Info"] == "Basic LR model"
    assert client.get_model_version("tracking-quickstart", 1).run_id is not None


def test_the_model_may_be_given_by_mlflows_keyword_for_it(tmp_path, data):
    estimator = LogisticRegression().fit(*data)

    modelreg.sklearn.save_model(sk_model=estimator, path=tmp_path / "model")

    assert type(modelreg.sklearn.load_model(tmp_path / "model")) is LogisticRegression


def test_the_model_given_twice_or_not_at_all_is_a_type_error(tmp_path, data):
    estimator = LogisticRegression().fit(*data)

    with pytest.raises(TypeError, match="got the model twice"):
        modelreg.sklearn.save_model(estimator, tmp_path / "a", sk_model=estimator)
    with pytest.raises(TypeError, match=r"missing the model: pass it first or as sk_model="):
        modelreg.sklearn.save_model(path=tmp_path / "b")


@pytest.mark.parametrize("framework", [*FRAMEWORKS, "xgboost", "pyfunc"])
def test_each_module_imports_by_name_and_as_an_attribute_without_its_framework(framework):
    code = (
        f"import sys, modelreg, modelreg.{framework} as m\n"
        f"assert modelreg.{framework} is m and callable(m.load_model)\n"
        "heavy = ('torch', 'sklearn', 'xgboost', 'lightgbm', 'catboost', 'keras', "
        "'transformers', 'onnx', 'sqlalchemy')\n"
        "print([h for h in heavy if h in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_modules_functions_say_what_they_do_in_their_own_name(framework):
    module = getattr(modelreg, framework)

    for function in (module.log_model, module.save_model, module.load_model):
        assert function.__module__ == f"modelreg.{framework}"
        assert f"mlflow.{framework}.{function.__name__}" in function.__doc__


# ---- Transformers: a pipeline, or MLflow's dict of its components with the task


@pytest.fixture(scope="module")
def pipe():
    from transformers_fixtures import tiny_pipeline

    return tiny_pipeline()


def test_a_dict_of_components_is_saved_as_the_pipeline_of_the_task(tmp_path, pipe):
    from transformers_fixtures import TEXTS

    modelreg.transformers.save_model(
        transformers_model={"model": pipe.model, "tokenizer": pipe.tokenizer},
        path=tmp_path / "model",
        task="text-classification",
    )

    loaded = modelreg.transformers.load_model(tmp_path / "model")
    assert loaded.task == "text-classification"
    assert [r["label"] for r in loaded(TEXTS)] == [r["label"] for r in pipe(TEXTS)]


@pytest.mark.parametrize(
    ("components", "task", "message"),
    [
        ({"model": "m"}, None, "task is required with a dict of components"),
        ({"tokenizer": "t"}, "text-classification", "needs model; got tokenizer"),
        ({"model": "m", "weights": "w"}, "fill-mask", "takes model, tokenizer.*got model, weights"),
    ],
)
def test_a_dict_of_components_that_cannot_make_a_pipeline_is_refused(
    tmp_path, components, task, message
):
    with pytest.raises(InvalidArgument, match=message):
        modelreg.transformers.save_model(components, tmp_path / "model", task=task)


def test_a_task_other_than_the_pipelines_own_is_refused(tmp_path, pipe):
    with pytest.raises(InvalidArgument, match="task 'fill-mask' is not the pipeline's own"):
        modelreg.transformers.save_model(pipe, tmp_path / "model", task="fill-mask")


@pytest.mark.parametrize("module", ["sklearn", "pytorch", "onnx", "xgboost", "lightgbm", "pyfunc"])
def test_each_framework_says_its_default_pip_requirements(module):
    found = getattr(modelreg, module).get_default_pip_requirements()

    assert any(r.startswith("modelreg==") for r in found)
    assert found == sorted(found) and all("==" in r for r in found)


def test_the_default_requirements_are_what_log_model_records(tmp_path, data):
    saved = modelreg.sklearn.save_model(LogisticRegression().fit(*data), tmp_path / "m")

    assert list(saved.requirements) == modelreg.sklearn.get_default_pip_requirements()


def test_a_state_dict_is_logged_and_loaded_back_without_unpickling(client, tmp_path):
    import torch

    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with modelreg.start_run() as run:
        modelreg.pytorch.log_state_dict(model.state_dict(), "checkpoint")
        modelreg.pytorch.log_state_dict(optimizer.state_dict(), "optimizer")

    weights = modelreg.pytorch.load_state_dict(f"runs:/{run.info.run_id}/checkpoint")
    sgd = modelreg.pytorch.load_state_dict(f"runs:/{run.info.run_id}/optimizer")

    assert torch.equal(weights["weight"], model.state_dict()["weight"])
    assert sgd["param_groups"][0]["lr"] == 0.1


def test_a_state_dict_holding_other_objects_needs_trust(tmp_path):
    from fractions import Fraction

    modelreg.pytorch.save_state_dict({"scale": Fraction(1, 3)}, tmp_path / "state")

    with pytest.raises(PermissionDenied, match="trust_pickle=True"):
        modelreg.pytorch.load_state_dict(str(tmp_path / "state"))
    trusted = modelreg.pytorch.load_state_dict(str(tmp_path / "state"), trust_pickle=True)
    assert trusted == {"scale": Fraction(1, 3)}
    with pytest.raises(InvalidArgument, match="must be a dict"):
        modelreg.pytorch.save_state_dict([1, 2], tmp_path / "other")
