"""Model directories: save a model object into one, load one back, digest its weights.

Layout of a model directory::

    modelreg.json       the manifest (below)
    requirements.txt    pinned requirements, one per line
    model.skops | model.pt2 | model.safetensors | model.onnx | state.json | model.pkl
    code/…              files from code_paths, if any

The manifest (``modelreg.json``)::

    {"format": 1,
     "flavor": {"name": "sklearn", "file": "model.skops", …},  # all that loading needs
     "model_files": ["model.skops"],  "code_files": [],
     "weights_digest": "<sha256>",
     "signature": {"inputs": …, "outputs": …} | null,
     "environment": {"python": "3.11.7", "packages": {"scikit-learn": "1.9.1", …}, …},
     "requirements": ["numpy==2.4.6", …],
     "input_example": {"dataframe_split": …} | {"inputs": …} | null}

``input_example`` holds the first rows of the example given at save time as
a scoring-request body (see :mod:`modelreg.flavors.input_example`).

The weights digest covers the ``flavor`` section and the model and code
files, nothing else: saving the same model twice (even from another Python
or with other requirements) gives the same digest, so ``bump="auto"`` can
call it a patch. Saving is byte-deterministic for every flavor but pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from modelreg.environment import capture_environment, requirements_for
from modelreg.errors import InvalidArgument, ModelregWarning
from modelreg.flavors._common import (
    SaveRequest,
    TrustCode,
    canonical_json,
    check_relpath,
    trusting_code,
    untrusted,
)
from modelreg.flavors.detect import FLAVOR_NAMES, detect_flavor, flavor_module
from modelreg.flavors.input_example import example_payload
from modelreg.flavors.loaded import LoadedModel
from modelreg.flavors.model_extras import (
    EXTRA_DIR,
    conda_pip_requirements,
    copy_extra_files,
    json_object,
)
from modelreg.flavors.python_model import unreadable_artifacts
from modelreg.signature import ParamSpec, Schema, Signature, coerce_signature, infer_schema

MANIFEST_NAME = "modelreg.json"
REQUIREMENTS_NAME = "requirements.txt"
CODE_DIR = "code"
FORMAT = 1

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelInfo:
    """What ``save_model`` wrote, or what a manifest says; a loaded model's ``metadata``.

    ``files`` lists every file of the directory (relative, '/'-separated,
    sorted), manifest included: exactly what to upload. ``manifest`` is the
    parsed ``modelreg.json``. A model loaded or described from a store knows where
    from: ``model_uri``, the ``run_id`` that logged it and its logged model's
    ``model_id`` (``None`` where the store does not say, e.g. for a local folder).
    It reads as MLflow's ``Model``: ``get_input_schema()``, ``flavors``, ``metadata``.
    """

    path: Path | None
    flavor: str
    signature: Signature | None
    weights_digest: str
    files: tuple[str, ...]
    environment: dict[str, Any]
    requirements: tuple[str, ...]
    manifest: dict[str, Any]
    run_id: str | None = None
    model_id: str | None = None
    model_uri: str | None = None

    @property
    def flavors(self) -> dict[str, dict[str, Any]]:
        """The model's flavor and how it is stored, as MLflow's ``flavors``:
        ``{"sklearn": {"file": "model.skops"}}``."""
        described = dict(self.manifest.get("flavor") or {})
        return {described.pop("name", self.flavor): described}

    def get_input_schema(self) -> Schema | None:
        """What the model takes: its signature's inputs, or None without a signature."""
        return None if self.signature is None else self.signature.inputs

    def get_output_schema(self) -> Schema | None:
        """What the model returns, or None when its signature does not say."""
        return None if self.signature is None else self.signature.outputs

    def get_params_schema(self) -> tuple[ParamSpec, ...] | None:
        """The inference parameters the model takes, or None when its signature has none."""
        return None if self.signature is None else self.signature.params

    @property
    def metadata(self) -> dict[str, Any] | None:
        """The ``metadata`` given when the model was saved (MLflow's ``ModelInfo.metadata``)."""
        return self.manifest.get("metadata")

    @classmethod
    def from_manifest(
        cls, manifest: bytes | str | Mapping[str, Any], path: Path | None = None
    ) -> ModelInfo:
        """A ModelInfo from ``modelreg.json`` (bytes, text or parsed), e.g. read from a blob.

        Raises InvalidArgument when the manifest is malformed.
        """
        data = _parse_manifest(manifest)
        files = [
            MANIFEST_NAME,
            REQUIREMENTS_NAME,
            *data["model_files"],
            *data["code_files"],
            *data.get("extra_files", ()),
        ]
        return cls(
            path=path,
            flavor=data["flavor"]["name"],
            signature=coerce_signature(data.get("signature")),
            weights_digest=data["weights_digest"],
            files=tuple(sorted(files)),
            environment=data.get("environment") or {},
            requirements=tuple(data.get("requirements") or ()),
            manifest=data,
        )


def save_model(
    model: Any,
    path: str | os.PathLike[str],
    *,
    signature: Signature | Mapping[str, Any] | Literal[False] | None = None,
    input_example: Any = None,
    pip_requirements: Iterable[str] | str | os.PathLike[str] | None = None,
    extra_pip_requirements: Iterable[str] | str | os.PathLike[str] | None = None,
    code_paths: Iterable[str | os.PathLike[str]] | None = None,
    flavor: str | None = None,
    torch_format: str | None = None,
    init_kwargs: dict[str, Any] | None = None,
    artifacts: Mapping[str, str | os.PathLike[str]] | None = None,
    metadata: Mapping[str, Any] | None = None,
    extra_files: Iterable[str | os.PathLike[str]] | None = None,
    conda_env: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    model_config: Mapping[str, Any] | None = None,
    pyfunc_predict_fn: str | None = None,
) -> ModelInfo:
    """Writes ``model`` into a new model directory at ``path`` and returns what it wrote.

    The flavor is detected from the model's type unless ``flavor`` names one
    (``sklearn``, ``pytorch``, ``onnx``, ``python``). Without ``signature``, one
    is inferred from ``input_example`` (inputs from the example, outputs from
    predicting it); ``signature=False`` (MLflow's) saves none. ``pip_requirements``
    (a list or a requirements file) replaces the pinned versions modelreg records;
    ``extra_pip_requirements``
    (the same forms) adds to them. ``code_paths`` files and
    folders are copied to ``code/`` and put on ``sys.path`` at load.
    ``torch_format`` (``export``/``state_dict``) and ``init_kwargs`` apply to
    PyTorch models; see :mod:`modelreg.flavors.pytorch`. ``artifacts`` (name →
    local file or folder) are copied in for a ``PythonModel``, which reads them in
    ``load_context`` (see :mod:`modelreg.flavors.python_model`), with
    ``model_config``. A scikit-learn model's predict calls ``pyfunc_predict_fn``
    (``predict_proba`` …; MLflow's option). ``metadata`` (a JSON object), ``extra_files`` and
    ``conda_env`` (whose pip requirements are kept, as ``pip_requirements``): see
    :mod:`modelreg.flavors.model_extras`.

    ``path`` must not exist or be an empty directory. Raises InvalidArgument
    for unsupported models or bad arguments; on any error nothing is left
    behind.
    """
    replaced = _requirements_arg(pip_requirements, "pip_requirements")
    extra = _requirements_arg(extra_pip_requirements, "extra_pip_requirements")
    if replaced is not None and extra is not None:
        raise InvalidArgument(
            "pip_requirements and extra_pip_requirements: give one (the first replaces the "
            "requirements modelreg records, the second adds to them)"
        )
    if conda_env is not None:
        if replaced is not None or extra is not None:
            raise InvalidArgument("conda_env and pip_requirements: give one")
        replaced = conda_pip_requirements(conda_env)
    checked_metadata = json_object(metadata, "metadata")
    config = json_object(model_config, "model_config")
    directory = Path(path)
    created = _prepare_directory(directory)
    try:
        return _save(
            model,
            directory,
            signature=False if signature is False else coerce_signature(signature),
            input_example=input_example,
            pip_requirements=replaced,
            extra_pip_requirements=extra or [],
            code_paths=[Path(p) for p in code_paths or ()],
            flavor=flavor or detect_flavor(model),
            request=SaveRequest(
                input_example, torch_format, init_kwargs, artifacts, config, pyfunc_predict_fn
            ),
            metadata=checked_metadata,
            extra_files=extra_files,
        )
    except BaseException:
        if created:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            for child in directory.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        raise


def _save(
    model: Any,
    directory: Path,
    *,
    signature: Signature | Literal[False] | None,
    input_example: Any,
    pip_requirements: list[str] | None,
    extra_pip_requirements: list[str],
    code_paths: list[Path],
    flavor: str,
    request: SaveRequest,
    metadata: dict[str, Any] | None,
    extra_files: Iterable[str | os.PathLike[str]] | None,
) -> ModelInfo:
    module = flavor_module(flavor)
    if (request.artifacts or request.model_config) and flavor != "python":
        raise unreadable_artifacts(model)  # the python flavor says so for its own objects
    if request.predict_fn is not None and flavor != "sklearn":
        raise InvalidArgument(f"pyfunc_predict_fn: only scikit-learn models take it, not {flavor}")
    inputs = infer_schema(input_example, "input_example") if input_example is not None else None
    saved = module.save(model, directory, request)
    if signature is False:
        signature = None
    elif signature is None and inputs is not None:
        declared = saved.signature.outputs if saved.signature is not None else None
        outputs = _example_outputs(module, model, input_example, request.predict_fn)
        signature = Signature(inputs, outputs or declared)
    else:
        signature = signature or saved.signature
    code_files = _copy_code(code_paths, directory)
    extras = copy_extra_files(extra_files, directory)
    packages = [*saved.packages, "modelreg"]
    if signature is not None and signature.inputs.kind == "columns":
        packages.append("pandas")
    environment = capture_environment(packages)
    manifest = {
        "format": FORMAT,
        "flavor": saved.spec,
        "model_files": sorted(saved.files),
        "code_files": code_files,
        "extra_files": extras,
        "weights_digest": _digest(directory, saved.spec, [*saved.files, *code_files]),
        "signature": signature.to_dict() if signature is not None else None,
        "environment": environment,
        "requirements": _with_extra(
            requirements_for(environment) if pip_requirements is None else pip_requirements,
            extra_pip_requirements,
        ),
        "input_example": example_payload(input_example) if input_example is not None else None,
        "metadata": metadata,
    }
    requirements_text = "".join(line + "\n" for line in manifest["requirements"])
    (directory / REQUIREMENTS_NAME).write_text(requirements_text, encoding="utf-8")
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return ModelInfo.from_manifest(manifest, directory)


def _example_outputs(module: Any, model: Any, example: Any, predict_fn: str | None) -> Any:
    run = getattr(module, "example_output", None)
    if predict_fn is not None:  # checked by the flavor: predict calls that method
        run = lambda model, example: getattr(model, predict_fn)(example)  # noqa: E731
    if run is None:
        return None
    try:
        output = run(model, example)
    except Exception as exc:
        import warnings

        warnings.warn(
            f"the model failed to predict its input_example ({type(exc).__name__}: {exc}); "
            "the signature records inputs only",
            ModelregWarning,
            stacklevel=4,
        )
        return None
    if output is None or isinstance(output, tuple):
        return None
    try:
        return infer_schema(output, "output")
    except InvalidArgument:
        return None


def load_model_dir(
    path: str | os.PathLike[str],
    *,
    trust_pickle: bool = False,
    trust_code: TrustCode = False,
    device: str | None = None,
    model_config: Mapping[str, Any] | None = None,
) -> LoadedModel:
    """Loads the model directory at ``path`` (as written by :func:`save_model`).
    ``model_config`` changes values of the config a ``PythonModel`` was saved with.

    ``device`` (``"cuda"``, ``"cuda:1"``, ``"cpu"``) places a PyTorch or
    Transformers model; InvalidArgument says so when CUDA is not available,
    or when another flavor is asked for anything but ``"cpu"``.

    Nothing that can run code from the directory's own files is loaded
    unless ``trust_pickle=True``: not a pickle, not bundled ``code/``, not a
    skops type outside scikit-learn and numpy, not a torch archive with
    pickled parts. Those raise PermissionDenied saying why. A class the
    model names by import path (python and PyTorch state-dict models) is
    imported only from a module already imported, or one ``trust_code``
    allows: ``True`` for any, or a list of packages (``["mypkg"]``);
    ``trust_pickle=True`` implies ``trust_code=True``. Raises NotFound
    (no manifest) or InvalidArgument (malformed manifest) too.
    """
    directory = Path(path)
    info = read_model_info(directory)
    module = flavor_module(info.flavor)
    code_files = info.manifest["code_files"]
    if code_files:
        if not trust_pickle:
            raise untrusted(
                directory, f"bundles Python code ({', '.join(code_files)}) that loading imports"
            )
        code_dir = str((directory / CODE_DIR).resolve())
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
    options: dict[str, Any] = {}
    if device is not None and device != "cpu":
        if not getattr(module, "SUPPORTS_DEVICE", False):
            raise InvalidArgument(
                f"device {device!r:.40}: only PyTorch and Transformers models can be placed on "
                f"a device; this is a {info.flavor} model"
            )
        options["device"] = device
    if model_config is not None:
        if not getattr(module, "SUPPORTS_MODEL_CONFIG", False):
            raise InvalidArgument(
                f"model_config: only a PythonModel reads one; this is a {info.flavor} model"
            )
        options["model_config"] = json_object(model_config, "model_config")
    with trusting_code(True if trust_pickle else trust_code):
        native, predict_fn = module.load(
            directory, info.manifest["flavor"], trust_pickle=trust_pickle, **options
        )
    return LoadedModel(
        path=directory,
        flavor=info.flavor,
        native=native,
        predict_fn=predict_fn,
        metadata=info,
    )


def read_model_info(path: str | os.PathLike[str]) -> ModelInfo:
    """The ModelInfo of the model directory at ``path``, from its manifest alone."""
    from modelreg.errors import NotFound

    directory = Path(path)
    try:
        raw = (directory / MANIFEST_NAME).read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{directory} is not a model directory: it has no {MANIFEST_NAME}") from None
    return ModelInfo.from_manifest(raw, directory)


def weights_digest(path: str | os.PathLike[str]) -> str:
    """sha256 over the model's load spec and weight (and code) files, recomputed from disk.

    Metadata (environment, requirements, signature) is left out, so two
    saves of identical weights have equal digests.
    """
    info = read_model_info(path)
    m = info.manifest
    return _digest(Path(path), m["flavor"], [*m["model_files"], *m["code_files"]])


def _digest(directory: Path, spec: dict[str, Any], files: list[str]) -> str:
    total = hashlib.sha256(b"modelreg-weights/1\n" + canonical_json(spec) + b"\n")
    for rel in sorted(files):
        file_hash = hashlib.sha256()
        with (directory / rel).open("rb") as f:
            while chunk := f.read(_CHUNK):
                file_hash.update(chunk)
        total.update(f"{rel}\0{file_hash.hexdigest()}\n".encode())
    return total.hexdigest()


def _parse_manifest(manifest: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(manifest, bytes | str):
        try:
            manifest = json.loads(manifest)
        except ValueError as exc:
            raise InvalidArgument(f"{MANIFEST_NAME} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, Mapping):
        raise InvalidArgument(f"{MANIFEST_NAME} must hold a JSON object")
    data = dict(manifest)
    if data.get("format") != FORMAT:
        raise InvalidArgument(
            f"{MANIFEST_NAME}: format {data.get('format')!r} is not supported (expected {FORMAT})"
        )
    spec = data.get("flavor")
    if not isinstance(spec, Mapping) or spec.get("name") not in FLAVOR_NAMES:
        raise InvalidArgument(f"{MANIFEST_NAME}: flavor.name must be one of {list(FLAVOR_NAMES)}")
    if "file" in spec:
        check_relpath(spec["file"], f"{MANIFEST_NAME}: flavor.file")
    data.setdefault("extra_files", [])  # absent in manifests written before it
    for key in ("model_files", "code_files", "extra_files"):
        files = data.get(key)
        if not isinstance(files, list):
            raise InvalidArgument(f"{MANIFEST_NAME}: {key} must be a list")
        for rel in files:
            check_relpath(rel, f"{MANIFEST_NAME}: {key} entry")
    if any(not rel.startswith(EXTRA_DIR + "/") for rel in data["extra_files"]):
        raise InvalidArgument(f"{MANIFEST_NAME}: extra_files must lie under {EXTRA_DIR}/")
    if any(not rel.startswith(CODE_DIR + "/") for rel in data["code_files"]):
        raise InvalidArgument(f"{MANIFEST_NAME}: code_files must lie under {CODE_DIR}/")
    digest = data.get("weights_digest")
    if not isinstance(digest, str) or len(digest) != 64:
        raise InvalidArgument(f"{MANIFEST_NAME}: weights_digest must be a sha256 hex string")
    return data


def _prepare_directory(directory: Path) -> bool:
    """Makes ``directory`` ready to fill; True if it was created here."""
    if directory.exists():
        if not directory.is_dir() or any(directory.iterdir()):
            raise InvalidArgument(f"path {directory} exists and is not an empty directory")
        return False
    directory.mkdir(parents=True)
    return True


def _requirements_arg(
    value: Iterable[str] | str | os.PathLike[str] | None, field: str
) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str | os.PathLike):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidArgument(f"{field}: cannot read {value}: {exc}") from exc
        lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
        return [line for line in lines if line]
    requirements = list(value)
    bad = [r for r in requirements if not isinstance(r, str) or not r.strip() or "\n" in r]
    if bad:
        raise InvalidArgument(f"{field} must be non-empty one-line strings, got {bad[0]!r:.60}")
    return [r.strip() for r in requirements]


def _with_extra(requirements: list[str], extra: list[str]) -> list[str]:
    return [*requirements, *(r for r in dict.fromkeys(extra) if r not in requirements)]


def _copy_code(sources: list[Path], directory: Path) -> list[str]:
    copied: list[str] = []
    seen: set[str] = set()
    for source in sources:
        if not source.exists():
            raise InvalidArgument(f"code_paths: {source} does not exist")
        if source.name in seen:
            raise InvalidArgument(f"code_paths: two entries are named {source.name!r}")
        seen.add(source.name)
        if source.is_file():
            files = [(source, source.name)]
        else:
            files = [
                (f, f"{source.name}/{f.relative_to(source).as_posix()}")
                for f in sorted(source.rglob("*"))
                if f.is_file()
                and "__pycache__" not in f.relative_to(source).parts
                and f.suffix != ".pyc"
            ]
        for src, rel in files:
            target = directory / CODE_DIR / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            copied.append(f"{CODE_DIR}/{rel}")
    return sorted(copied)
