"""Hugging Face Transformers flavor: a ``transformers.Pipeline``, saved with ``save_pretrained``.

Saving writes the pipeline's model (weights in ``model.safetensors``), its
config and its tokenizer (or other pre-processor) under ``pipeline/``, and
records the pipeline's task (``text-classification``, ``fill-mask`` …) in
the manifest. Loading builds ``transformers.pipeline(task, model=<that
folder>)`` with ``use_safetensors=True`` and ``trust_remote_code=False``:
weights come from safetensors only, and no code shipped with the model (a
config's ``auto_map``) runs. A folder holding pickled weights (``.bin``,
``.pt`` …) is refused unless ``trust_pickle=True``. Nothing is downloaded:
the folder is complete.

``predict`` passes a list of strings (an array, a Series or a one-column
DataFrame of them is turned into one) to the pipeline and returns what the
pipeline returns (for text classification, one ``{"label", "score"}`` per
input). ``device="cuda"`` puts the pipeline on a GPU (see
``modelreg.load_model``). A bare model (``PreTrainedModel``) has no task:
wrap it, e.g. ``pipeline("text-classification", model=m, tokenizer=t)``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.flavors._common import (
    SavedFlavor,
    SaveRequest,
    check_relpath,
    torch_device,
    untrusted,
)

NAME = "transformers"
DIRECTORY = "pipeline"
PACKAGES = ["transformers", "tokenizers", "torch", "safetensors", "numpy"]
SUPPORTS_DEVICE = True
# Weight formats torch or numpy unpickle when loading.
_PICKLED_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt", ".h5", ".msgpack")


# The pipeline's components MLflow's transformers_model dict may name.
COMPONENTS = ("model", "tokenizer", "feature_extractor", "image_processor", "processor")


def pipeline_of(model: Any, task: str | None) -> Any:
    """``model`` as a pipeline: MLflow's dict of components (``{"model": m, "tokenizer":
    t}``) built into ``transformers.pipeline(task, …)``, a pipeline as it is (``task``,
    when given, must be its own). Raises ``InvalidArgument`` naming what is missing or
    does not fit."""
    if isinstance(model, Mapping):
        unknown = sorted(set(model) - set(COMPONENTS))
        if unknown or "model" not in model:
            raise InvalidArgument(
                f"transformers_model: a dict of components takes {', '.join(COMPONENTS)} "
                f"and needs model; got {', '.join(map(str, model))}"
            )
        if not task:
            raise InvalidArgument(
                "task is required with a dict of components (text-classification …)"
            )
        import transformers

        return transformers.pipeline(task, **dict(model))
    if task is not None and getattr(model, "task", task) != task:
        raise InvalidArgument(f"task {task!r:.60} is not the pipeline's own ({model.task!r})")
    return model


def save(model: Any, directory: Path, request: SaveRequest) -> SavedFlavor:
    import transformers

    if not isinstance(model, transformers.Pipeline):
        raise InvalidArgument(
            f"model: {type(model).__qualname__} is not a transformers.Pipeline; wrap it with "
            "transformers.pipeline(task, model=..., tokenizer=...) so the task is recorded"
        )
    if not model.task:
        raise InvalidArgument("model: the pipeline has no task; build it with pipeline(task, …)")
    target = directory / DIRECTORY
    model.save_pretrained(target)
    files = sorted(f"{DIRECTORY}/{p.relative_to(target).as_posix()}" for p in _files(target))
    pickled = [f for f in files if f.endswith(_PICKLED_SUFFIXES)]
    if pickled:
        raise InvalidArgument(
            f"model: save_pretrained wrote pickled weights ({pickled[0]}); modelreg stores "
            "Transformers weights as safetensors only"
        )
    spec = {"name": NAME, "dir": DIRECTORY, "task": model.task}
    return SavedFlavor(spec, files, PACKAGES)


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def load(
    directory: Path, spec: dict[str, Any], *, trust_pickle: bool, device: Any = None
) -> tuple[Any, Any]:
    import transformers

    task = spec.get("task")
    if not isinstance(task, str) or not task:
        raise InvalidArgument(f"model at {directory}: the manifest records no pipeline task")
    folder = directory / check_relpath(spec.get("dir"), "transformers dir")
    pickled = [p.name for p in _files(folder) if p.name.endswith(_PICKLED_SUFFIXES)]
    if pickled and not trust_pickle:
        raise untrusted(directory, f"holds pickled Transformers weights ({pickled[0]})")
    try:
        pipe = transformers.pipeline(
            task,
            model=str(folder),
            device=None if device is None else torch_device(device),
            trust_remote_code=False,
            model_kwargs={"use_safetensors": not pickled},
        )
    except KeyError as exc:  # transformers names an unknown task this way
        raise InvalidArgument(f"model at {directory}: pipeline task {task!r}: {exc}") from exc
    return pipe, lambda data, params=None: pipe(as_texts(data), **(params or {}))


def as_texts(data: Any) -> Any:
    """What a pipeline takes from an array, Series or one-column DataFrame: a list."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame):
        if len(data.columns) != 1:
            raise InvalidArgument(
                f"input: a pipeline takes one column of inputs, got columns {list(data.columns)}"
            )
        data = data.iloc[:, 0]
    tolist = getattr(data, "tolist", None)
    return tolist() if callable(tolist) else data


def example_output(model: Any, example: Any) -> Any:
    return model(as_texts(example))
