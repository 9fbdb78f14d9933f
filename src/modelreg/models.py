"""``log_model`` and ``load_model``: model objects in and out of the store.

>>> import modelreg
>>> with modelreg.start_run():
...     info = modelreg.log_model(clf, "model", input_example=X[:5],
...                               registered_model_name="my_model")
>>> model = modelreg.load_model("models:/my_model/Production")
>>> model.predict(X)

``log_model`` saves the model with its flavor (see :mod:`modelreg.flavors`)
into a temporary folder, uploads the files as run artifacts and, when asked,
registers a version in the same call. ``load_model`` resolves any
``models:/`` or ``runs:/`` URI, downloads the files (every one checked
against its digest) and loads them. Loaded model folders are kept in the
local cache under the digest of their file list, so loading the same model
again reads nothing from the store.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg.entities import ModelVersion
from modelreg.errors import InvalidArgument, NotFound
from modelreg.evaluation import EvaluationResult, evaluate, list_evaluators
from modelreg.evaluation_custom import EvaluationMetric, make_metric
from modelreg.extras import needs_extras
from modelreg.flavors.python_model import set_model
from modelreg.model_folders import (
    download_model,
    fluent_client,
    locate_model,
    model_files,
)
from modelreg.model_updates import set_signature, update_model_requirements
from modelreg.model_validation import MetricThreshold, validate_evaluation_results
from modelreg.signature import ModelSignature, Signature, infer_signature, validate_schema

if TYPE_CHECKING:
    from modelreg.flavors import ModelInfo

# evaluate, get_model_info, infer_signature, make_metric, set_model and set_signature are
# here, where MLflow has them (mlflow.models).
__all__ = [
    "EvaluationMetric",
    "EvaluationResult",
    "LoggedModel",
    "MetricThreshold",
    "ModelSignature",
    "convert_input_example_to_serving_input",
    "download_model",
    "evaluate",
    "get_model_info",
    "infer_pip_requirements",
    "infer_signature",
    "list_evaluators",
    "load_model",
    "log_model",
    "make_metric",
    "predict",
    "save_model",
    "set_model",
    "set_signature",
    "update_model_requirements",
    "validate_evaluation_results",
    "validate_schema",
    "validate_serving_input",
]


@dataclass(frozen=True)
class LoggedModel:
    """What ``log_model`` stored: where, in which flavor, the version it registered, and
    the id of the logged model (MLflow 3's entity) that holds the same files.

    ``model_uri`` is that logged model's ``models:/<model_id>``, as MLflow 3's
    ``ModelInfo.model_uri``; the same files are in the run, at ``runs:/<run_id>/
    <artifact_path>`` (:attr:`run_uri`). ``signature`` is a
    :class:`~modelreg.signature.Signature` (``info.signature.inputs``), ``metadata``
    what was given as such, as on MLflow's ``ModelInfo``."""

    model_uri: str
    run_id: str
    artifact_path: str
    flavor: str
    signature: Signature | None
    weights_digest: str
    registered_model_version: ModelVersion | None = None
    model_id: str | None = None
    metadata: dict[str, Any] | None = None

    @property
    def run_uri(self) -> str:
        """``runs:/<run_id>/<artifact_path>``: the model's files in its run."""
        return f"runs:/{self.run_id}/{self.artifact_path}"

    @property
    def name(self) -> str:
        """The model's name in its run (MLflow 3's ``ModelInfo.name``): its artifact path."""
        return self.artifact_path


def log_model(
    model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Iterable[str] | str | None = None,
    extra_pip_requirements: Iterable[str] | str | None = None,
    code_paths: Iterable[str | os.PathLike[str]] | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    run_id: str | None = None,
    client: Any = None,
    card: Any = None,
    flavor: str | None = None,
    torch_format: str | None = None,
    init_kwargs: dict[str, Any] | None = None,
    artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
    metadata: Mapping[str, Any] | None = None,
    extra_files: Iterable[str | os.PathLike[str]] | None = None,
    conda_env: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    model_config: Mapping[str, Any] | None = None,
    pyfunc_predict_fn: str | None = None,
    await_registration_for: int = 300,
    model_id: str | None = None,
    step: int = 0,
) -> LoggedModel:
    """Saves ``model`` into the run's artifacts (the active run by default) at
    ``artifact_path`` (or ``name``, MLflow 3's word for it; ``"model"`` by default).

    The flavor is picked from the model's type: scikit-learn, PyTorch, ONNX,
    XGBoost, LightGBM, CatBoost, Keras 3, a Transformers pipeline, or any
    importable class with ``predict``; ``flavor`` names one instead
    (``torch_format`` and ``init_kwargs``: see :mod:`modelreg.flavors.pytorch`;
    ``artifacts``, files a ``PythonModel`` reads, and ``model_config``, its settings:
    see :mod:`modelreg.pyfunc`).
    A signature is inferred from ``input_example`` when not given (``signature=False``
    saves none), and the environment (Python and package versions) is recorded without
    running pip: ``pip_requirements`` replaces the requirements it implies,
    ``extra_pip_requirements`` adds to them (``conda_env``, MLflow's conda environment,
    gives its pip list instead). ``metadata`` (a JSON object, read back as
    ``get_model_info(uri).metadata``) and ``extra_files`` (copied to ``extra_files/``)
    are kept with the model; a scikit-learn model's ``predict`` calls
    ``pyfunc_predict_fn`` (``"predict_proba"`` …) instead. The files also make a logged
    model (MLflow 3's entity; ``LoggedModel.model_id``, loadable as
    ``models:/<model_id>``) with ``params``, ``tags`` and ``model_type``. With
    ``registered_model_name`` that logged model is registered too, as MLflow 3 does
    (the model is created if needed; the version's source is ``models:/<model_id>``,
    its ``model_id`` that id), its semantic version bumped automatically; ``card`` (a
    ``ModelCard`` or a dict of its fields) becomes that version's model card, with
    metrics and training data filled in from the run. ``model_id`` puts the files into a
    logged model made before (``initialize_logged_model``, still PENDING) instead of a
    new one. The model is the run's output at ``step`` (0 by default): the run's
    metrics at that step measure it. ``await_registration_for`` is taken for MLflow's
    code and not used: the version is ready when this returns.

    Raises ``InvalidArgument`` for a model no flavor can save, a malformed card or
    a card without ``registered_model_name``, a bad tag or param, and whatever
    logging or registering raises (``NotFound`` for an unknown run …); nothing is
    stored when the model cannot be saved or a tag, param or card is refused.

    >>> with modelreg.start_run():
    ...     info = modelreg.log_model(clf, name="model", params={"C": 1.0})
    >>> modelreg.load_model(f"models:/{info.model_id}").predict(X)
    """
    from modelreg.artifact_files import check_artifact_path
    from modelreg.flavors import save_model

    artifact_path = check_artifact_path(_path_or_name(artifact_path, name), "artifact_path")
    if card is not None:
        from modelreg.cards.checks import check_card

        if registered_model_name is None:
            raise InvalidArgument("card describes a registered version: pass registered_model_name")
        check_card(card)  # refused before anything is stored
    client = fluent_client(client)
    if run_id is None:
        from modelreg import fluent

        run_id = fluent.get_or_start_run_id()
    with tempfile.TemporaryDirectory(prefix="modelreg-model-") as tmp, needs_extras():
        info = save_model(
            model,
            Path(tmp) / "model",
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            code_paths=code_paths,
            flavor=flavor,
            torch_format=torch_format,
            init_kwargs=init_kwargs,
            artifacts=artifacts,
            metadata=metadata,
            extra_files=extra_files,
            conda_env=conda_env,
            model_config=model_config,
            pyfunc_predict_fn=pyfunc_predict_fn,
        )
        if model_id is None:
            model_id = _new_logged_model(client, run_id, artifact_path, params, tags, model_type)
        else:
            _fill_logged_model(client, model_id, params, tags, model_type)
        try:
            client.log_artifacts(run_id, Path(tmp) / "model", artifact_path)
            client.record_logged_model_files(model_id, artifact_path, step)
        except BaseException:
            with contextlib.suppress(Exception):  # the upload's error is the one to see
                client.finalize_logged_model(model_id, "FAILED")
            raise
    _finish_logged_model(client, model_id, run_id, step)
    signature_dict = info.signature.to_dict() if info.signature is not None else None
    model_uri = f"models:/{model_id}"
    version = None
    if registered_model_name is not None:  # from the logged model, as MLflow 3 registers
        client.get_or_create_registered_model(registered_model_name)
        version = client.create_model_version(
            registered_model_name, model_uri, run_id=run_id, signature=signature_dict
        )
        if card is not None:
            client.set_model_card(registered_model_name, version.version, card)
    return LoggedModel(
        model_uri=model_uri,
        run_id=run_id,
        artifact_path=artifact_path,
        flavor=info.flavor,
        signature=info.signature,
        weights_digest=info.weights_digest,
        registered_model_version=version,
        model_id=model_id,
        metadata=info.metadata,
    )


def _path_or_name(artifact_path: str | None, name: str | None) -> str:
    if artifact_path is not None and name is not None and artifact_path != name:
        raise InvalidArgument(
            f"artifact_path {artifact_path!r:.100} and name {name!r:.100} differ: give one "
            "(name is MLflow 3's word for artifact_path)"
        )
    return artifact_path if artifact_path is not None else name if name is not None else "model"


def _fill_logged_model(
    client: Any,
    model_id: str,
    params: Mapping[str, Any] | None,
    tags: Mapping[str, Any] | None,
    model_type: str | None,
) -> None:
    """Readies the PENDING logged model ``model_id`` (``initialize_logged_model``'s) to
    take the files, with ``params`` and ``tags``. Raises ``NotFound`` for an unknown
    model, ``InvalidArgument`` for one that has its files or a ``model_type`` to set."""
    existing = client.get_logged_model(model_id)
    if existing.status != "PENDING":
        raise InvalidArgument(
            f"model_id: logged model {model_id} is {existing.status}; log into a PENDING one "
            "(initialize_logged_model makes one)"
        )
    if model_type is not None:
        raise InvalidArgument("model_type: the logged model exists already; set it when making it")
    if tags:
        client.set_logged_model_tags(model_id, dict(tags))
    if params:
        client.log_model_params(model_id, dict(params))


def _new_logged_model(
    client: Any,
    run_id: str,
    artifact_path: str,
    params: Mapping[str, Any] | None,
    tags: Mapping[str, Any] | None,
    model_type: str | None,
) -> str:
    """A PENDING logged model of the run, named after the last part of ``artifact_path``
    (as MLflow 3's ``log_model`` makes one): its tags and params are checked before any
    file is uploaded."""
    experiment_id = client.get_run(run_id).info.experiment_id
    return str(
        client.create_logged_model(
            experiment_id,
            artifact_path.rsplit("/", 1)[-1],
            source_run_id=run_id,
            tags=None if tags is None else dict(tags),
            params=None if params is None else dict(params),
            model_type=model_type,
        ).model_id
    )


def _finish_logged_model(client: Any, model_id: str, run_id: str, step: int) -> None:
    """Marks the model READY, remembered as the last logged model (the run's output at
    ``step``)."""
    from modelreg.fluent_logged_models import remember_logged_model

    client.finalize_logged_model(model_id, "READY")
    remember_logged_model(model_id, output_of=run_id, step=step)


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = 300,
    *,
    tags: dict[str, str] | None = None,
    description: str | None = None,
    semver: str | None = None,
    client: Any = None,
) -> ModelVersion:
    """Registers the model at ``model_uri`` as the next version of model ``name``, creating
    the model if it does not exist yet (as ``mlflow.register_model``).

    ``model_uri`` is a logged model's ``models:/m-<id>`` (a ``LoggedModel.model_uri``),
    ``runs:/<run_id>/<path>`` or another version's ``models:/…`` URI. A model that
    ``log_model`` saved keeps its signature, so the semantic version is bumped as
    ``create_model_version`` says (major for an incompatible signature);
    ``semver`` sets it instead. ``await_registration_for`` is taken for MLflow's code
    and not used: the version is ready when this returns.

    Raises ``InvalidArgument`` for a malformed URI, name or semver, ``NotFound`` for
    an unknown run or version, ``AlreadyExists`` when ``semver`` is taken.

    >>> logged = modelreg.log_model(model, "model")
    >>> modelreg.register_model(logged.model_uri, "fraud").version
    1
    """
    client = fluent_client(client)
    signature = _saved_signature(client, model_uri)
    client.get_or_create_registered_model(name)
    return client.create_model_version(
        name, model_uri, description=description, tags=tags, semver=semver, signature=signature
    )


def _saved_signature(client: Any, model_uri: str) -> dict[str, Any] | None:
    """The signature in the manifest of the model folder a ``runs:/`` or ``models:/m-<id>``
    URI names, if it is one ``log_model`` saved (other URIs: ``None``; a version
    inherits its source's).

    Raises ``NotFound`` for an unknown run or logged model: before its model is created."""
    from modelreg.artifact_files import download_entries
    from modelreg.flavors.model_dir import MANIFEST_NAME, ModelInfo
    from modelreg.logged_models import logged_model_of

    if not model_uri.startswith("runs:/") and logged_model_of(model_uri) is None:
        return None
    try:
        entries, sub_path, owner, _ = model_files(client, model_uri)
    except InvalidArgument:
        return None  # registering says what is wrong with the URI
    manifest = f"{sub_path}/{MANIFEST_NAME}" if sub_path else MANIFEST_NAME
    if manifest not in entries:
        return None  # not a folder log_model saved
    with tempfile.TemporaryDirectory(prefix="modelreg-register-") as tmp:
        blobs = client._backend.artifacts.blobs
        local = download_entries(blobs, {manifest: entries[manifest]}, sub_path, tmp, owner)
        info = ModelInfo.from_manifest((Path(local) / MANIFEST_NAME).read_bytes())
    return None if info.signature is None else info.signature.to_dict()


def load_model(
    model_uri: str | os.PathLike[str],
    *,
    trust_pickle: bool = False,
    trust_code: bool | Iterable[str] = False,
    dst_path: str | os.PathLike[str] | None = None,
    client: Any = None,
    device: str | None = None,
    model_config: Mapping[str, Any] | None = None,
    suppress_warnings: bool = False,
) -> Any:
    """Loads a logged model and returns it with ``predict(input)`` and ``.native``.

    ``model_uri`` is any ``models:/`` form (``models:/name/3``,
    ``/Production``, ``@alias``, ``/latest``, ``/v1.2.0``, ``/^1.2``),
    ``models:/m-<id>`` (a logged model, as MLflow 3 names one),
    ``runs:/<run_id>/<path>``, or a local folder (a path or ``file:`` URI) that
    :func:`save_model` or ``download_model`` wrote, loaded where it is (no store is
    opened; ``dst_path`` is not used). Input to ``predict`` is checked against the
    model's signature. Pickle-based models load only with
    ``trust_pickle=True``; otherwise ``PermissionDenied`` says why. A model
    whose class is named by import path (python class, PyTorch state dict)
    imports that class's module only if it is imported already or
    ``trust_code`` allows it (``True``, or packages: ``trust_code=["mypkg"]``):
    importing a module runs its code.
    ``device="cuda"`` (or ``"cuda:N"``) loads a PyTorch or Transformers
    model onto a GPU; ``InvalidArgument`` says so where CUDA is not available.
    ``model_config`` changes values of the config a ``PythonModel`` was logged with
    (its context's ``model_config``; a key it does not have is ``InvalidArgument``).
    ``suppress_warnings=True`` silences the warnings loading gives (the framework's,
    such as a version mismatch, and the model's own ``load_context``'s).

    Raises ``NotFound`` when the URI names nothing, ``IntegrityError`` when
    stored bytes do not match their digest.
    """
    from modelreg.flavors import load_model_dir

    local, source = locate_model(model_uri, dst_path=dst_path, client=client)
    with needs_extras(), warnings.catch_warnings():  # needs_extras: the model's framework
        if suppress_warnings:
            warnings.simplefilter("ignore")
        loaded = load_model_dir(
            local,
            trust_pickle=trust_pickle,
            trust_code=trust_code,
            device=device,
            model_config=model_config,
        )
    if source is not None:
        loaded.metadata = source.describe(loaded.metadata)
    return loaded


def predict(
    model_uri: str | os.PathLike[str],
    input_data: Any = None,
    input_path: str | os.PathLike[str] | None = None,
    content_type: str = "json",
    output_path: str | os.PathLike[str] | None = None,
    env_manager: str | None = None,
    install_mlflow: bool = False,
    pip_requirements_override: list[str] | None = None,
    extra_envs: dict[str, str] | None = None,
    *,
    trust_pickle: bool = False,
    trust_code: bool | Iterable[str] = False,
) -> None:
    """Answers a scoring request as ``modelreg serve`` would, in this process (MLflow's
    ``mlflow.models.predict``): ``input_data`` is the request body (a dict, or its JSON
    text; CSV text with ``content_type="csv"``) or is read from ``input_path``; the
    answer, ``{"predictions": …}``, goes to ``output_path`` or is printed.

    Runs in this environment: ``env_manager`` may be ``None`` or ``"local"`` (install the
    model's requirements first: ``pip install -r`` :func:`modelreg.pyfunc.get_model_dependencies`),
    and ``install_mlflow``, ``pip_requirements_override`` and ``extra_envs``, which
    need an environment of their own, are refused. Raises ``InvalidArgument`` naming
    what the request gets wrong, as the server answers 400, and as :func:`load_model`.

    >>> modelreg.models.predict("models:/fraud@champion", {"inputs": [[0.1, 2.0]]})
    {"predictions": [1]}
    """
    import sys

    from modelreg.serving.payloads import predictions_json, request_input

    if env_manager not in (None, "local") or install_mlflow or pip_requirements_override:
        raise InvalidArgument(
            "env_manager: modelreg predicts in this environment ('local'); install the "
            "model's requirements first (modelreg.pyfunc.get_model_dependencies)"
        )
    if extra_envs:
        raise InvalidArgument("extra_envs: modelreg predicts in this process; set them there")
    body, media = _request_body(input_data, input_path, content_type)
    model = load_model(model_uri, trust_pickle=trust_pickle, trust_code=trust_code)
    data, params = request_input(body, media, model.signature)
    answer = predictions_json(model.predict(data, params=params))
    if output_path is None:
        sys.stdout.write(answer.decode() + "\n")
    else:
        Path(output_path).write_bytes(answer)


def validate_serving_input(model_uri: str, serving_input: str | dict[str, Any]) -> Any:
    """The predictions the model gives for a scoring request body (a dict or its JSON
    text), as ``modelreg serve`` would answer it (MLflow's
    ``mlflow.models.validate_serving_input``). Raises ``InvalidArgument`` naming what
    the request gets wrong, and as :func:`load_model`."""
    import json

    from modelreg.serving.payloads import predictions_json, request_input

    body, media = _request_body(serving_input, None, "json")
    model = load_model(model_uri)
    data, params = request_input(body, media, model.signature)
    return json.loads(predictions_json(model.predict(data, params=params)))["predictions"]


def convert_input_example_to_serving_input(input_example: Any) -> str | None:
    """The scoring request body (JSON text) for an input example, as ``log_model`` keeps
    it (``None`` for no example, or one it cannot express)."""
    import json

    from modelreg.flavors.input_example import example_payload

    payload = None if input_example is None else example_payload(input_example)
    return None if payload is None else json.dumps(payload)


def infer_pip_requirements(
    model_uri: str | os.PathLike[str],
    flavor: str | None = None,
    fallback: list[str] | None = None,
    timeout: int | None = None,
    extra_env_vars: dict[str, str] | None = None,
    uv_project_dir: str | None = None,
    uv_groups: list[str] | None = None,
    uv_extras: list[str] | None = None,
) -> list[str]:
    """The pip requirements recorded with the model when it was saved (MLflow's
    ``infer_pip_requirements`` finds them by loading the model in a subprocess; modelreg
    recorded them, so nothing runs and ``timeout``, ``extra_env_vars`` and the ``uv_``
    arguments change nothing). ``fallback``, if given, is returned when the model's
    manifest cannot be read; otherwise that raises as :func:`get_model_info`."""
    try:
        return list(get_model_info(model_uri).requirements)
    except (InvalidArgument, NotFound):
        if fallback is None:
            raise
        return list(fallback)


def _request_body(
    input_data: Any, input_path: str | os.PathLike[str] | None, content_type: str
) -> tuple[bytes, str]:
    """The request body and its media type, from data or a file."""
    import json

    media = {"json": "application/json", "csv": "text/csv"}.get(content_type)
    if media is None:
        raise InvalidArgument(f"content_type must be 'json' or 'csv', got {content_type!r:.40}")
    if (input_data is None) == (input_path is None):
        raise InvalidArgument("give input_data or input_path")
    if input_path is not None:
        return Path(input_path).read_bytes(), media
    if isinstance(input_data, bytes):
        return input_data, media
    if isinstance(input_data, str):
        return input_data.encode(), media
    if media != "application/json":
        raise InvalidArgument("input_data: CSV input is text")
    try:
        return json.dumps(input_data, allow_nan=False).encode(), media
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"input_data: not a JSON request body: {exc}") from None


def get_model_info(model_uri: str | os.PathLike[str], *, client: Any = None) -> ModelInfo:
    """What a model is without loading it, as MLflow's ``mlflow.models.get_model_info``:
    its flavor, signature, weights digest, files, environment and requirements, read from
    its manifest. ``model_uri`` is any form :func:`load_model` takes; the files are
    downloaded (into the cache) but no framework is imported.

    Raises as :func:`load_model` does for the URI.

    >>> modelreg.models.get_model_info("models:/fraud@champion").signature
    """
    from modelreg.flavors import read_model_info

    local, source = locate_model(model_uri, client=client)
    info = read_model_info(local)
    return info if source is None else source.describe(info)


def save_model(model: Any, path: str | os.PathLike[str], **options: Any) -> ModelInfo:
    """Saves ``model`` into a new folder at ``path`` without any store or run (as
    MLflow's ``mlflow.<flavor>.save_model``); ``load_model(path)`` loads it back and
    ``log_artifacts`` can log it later. Takes ``log_model``'s options (``signature``,
    ``input_example``, ``pip_requirements``, ``extra_pip_requirements``,
    ``code_paths``, ``flavor``, ``torch_format``, ``init_kwargs``, ``artifacts``,
    ``metadata``, ``extra_files``, ``conda_env``, ``model_config``, ``pyfunc_predict_fn``).

    ``path`` must not exist or be an empty folder. Raises ``InvalidArgument`` for a
    model no flavor can save or a bad option; on any error nothing is left behind.

    >>> modelreg.save_model(clf, "build/model", input_example=X[:5])
    >>> modelreg.load_model("build/model").predict(X)
    """
    from modelreg.flavors import save_model as save

    with needs_extras():
        return save(model, path, **options)
