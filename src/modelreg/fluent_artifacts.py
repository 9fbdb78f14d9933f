"""The fluent API's artifact calls: files, text, dicts, figures, images and streams stored
with the active run, its artifact URI, and downloads (``modelreg.log_artifact(path)``)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelreg.artifact_files import check_artifact_path
from modelreg.errors import InvalidArgument
from modelreg.fluent import current_client, get_or_start_run_id


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The URI of the active run's artifacts (or of ``artifact_path`` among them), as
    ``modelreg-artifacts:/…``; ``runs:/<run_id>/<path>`` names the same files.

    Raises ``InvalidArgument`` for a path that could leave the run's folder.
    """
    run = current_client().get_run(get_or_start_run_id())
    if not artifact_path:
        return run.info.artifact_uri
    path = check_artifact_path(artifact_path, "artifact_path")
    return f"{run.info.artifact_uri.rstrip('/')}/{path}"


def log_artifact(
    local_path: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Uploads a local file into the active run's artifacts (or ``run_id``'s)."""
    current_client().log_artifact(run_id or get_or_start_run_id(), local_path, artifact_path)


def log_artifacts(
    local_dir: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Uploads a local folder's files into the active run's artifacts (or ``run_id``'s)."""
    current_client().log_artifacts(run_id or get_or_start_run_id(), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Stores ``text`` as an artifact file of the active run (or ``run_id``)."""
    current_client().log_text(run_id or get_or_start_run_id(), text, artifact_file)


def log_stream(stream: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Stores what the binary ``stream`` reads as an artifact file of ``run_id`` (by
    default the active run); see ``Client.log_stream``."""
    current_client().log_stream(run_id or get_or_start_run_id(), stream, artifact_file)


def log_dict(dictionary: dict[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Stores a dict as JSON (or YAML for ``.yaml``/``.yml``) in the active run (or
    ``run_id``)."""
    current_client().log_dict(run_id or get_or_start_run_id(), dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None
) -> None:
    """Stores a matplotlib or plotly figure in the active run; see ``Client.log_figure``."""
    current_client().log_figure(
        get_or_start_run_id(), figure, artifact_file, save_kwargs=save_kwargs
    )


def flush_artifact_async_logging() -> None:
    """Returns at once: every artifact is written before its logging call returns, even
    with ``synchronous=False`` (MLflow's waits for its queue of artifact uploads)."""


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
) -> None:
    """Stores a PIL image or a numpy array in the active run, as the file
    ``artifact_file`` or as the image of the series ``key`` at ``step``; see
    ``Client.log_image``.

    >>> modelreg.log_image(generated, key="samples", step=epoch)
    """
    current_client().log_image(
        get_or_start_run_id(),
        image,
        artifact_file,
        key=key,
        step=step,
        timestamp=timestamp,
        synchronous=synchronous,
    )


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str = "",
    dst_path: str | None = None,
) -> str:
    """Downloads a ``runs:/`` or ``models:/`` URI (or a run's path) and returns the local path.

    Every file is checked against its digest; see ``Client.download_artifacts``.
    """
    return current_client().download_artifacts(
        run_id=run_id, path=artifact_path, dst_path=dst_path, artifact_uri=artifact_uri
    )


@contextmanager
def downloaded_file(artifact_uri: str, what: str = "a file") -> Iterator[Path]:
    """The one file ``artifact_uri`` names, downloaded (and checked) into a temporary
    folder that is removed afterwards; ``InvalidArgument`` when it names a folder."""
    with tempfile.TemporaryDirectory(prefix="modelreg-load-") as folder:
        local = Path(
            current_client().download_artifacts(artifact_uri=artifact_uri, dst_path=folder)
        )
        if local.is_dir():
            raise InvalidArgument(f"'{artifact_uri:.200}' names a folder, not {what}")
        yield local


def load_text(artifact_uri: str) -> str:
    """The UTF-8 text of the artifact file ``artifact_uri`` names, checked against its
    digest: ``runs:/<run_id>/notes.txt`` or ``models:/fraud@champion/MLmodel``.

    Raises ``InvalidArgument`` for a URI naming a folder or a file that is not UTF-8
    text, and as :func:`download_artifacts` (``NotFound`` for a missing file …).

    Example::

        notes = modelreg.load_text(f"runs:/{run_id}/notes.txt")
    """
    with downloaded_file(artifact_uri) as local:
        try:
            return local.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidArgument(
                f"'{artifact_uri:.200}' is not UTF-8 text (byte {exc.start}); "
                "download_artifacts() fetches any file"
            ) from None


def load_dict(artifact_uri: str) -> Any:
    """The dict (or other value) stored as JSON, or as YAML for ``.yaml``/``.yml``, in
    the artifact file ``artifact_uri`` names: what :func:`log_dict` wrote.

    Raises ``InvalidArgument`` for a file that does not parse (naming it), and as
    :func:`load_text`.

    Example::

        config = modelreg.load_dict(f"runs:/{run_id}/config.json")
    """
    text = load_text(artifact_uri)
    if artifact_uri.lower().endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:  # log_dict wrote JSON, which is YAML too
            pass
        else:
            try:
                return yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise InvalidArgument(f"'{artifact_uri:.200}' is not YAML: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidArgument(f"'{artifact_uri:.200}' is not JSON: {exc}") from None
