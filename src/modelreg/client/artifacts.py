"""Artifact methods of ``Client``: log files, folders, text and dicts; list; download.

Artifacts are addressed by relative POSIX paths (``plots/loss.png``); paths
that are absolute or contain ``..``, backslashes or NUL are refused with
``InvalidArgument``. Downloads check every file against its SHA-256 and raise
``IntegrityError`` naming the artifact when stored bytes are damaged.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg.api_contract import Backend
from modelreg.entities import RunTag
from modelreg.errors import InvalidArgument
from modelreg.timeutil import now_ms

if TYPE_CHECKING:
    from modelreg.entities import FileInfo

PathLike = str | os.PathLike[str]


class ArtifactMethods:
    _backend: Backend

    def log_artifact(
        self, run_id: str, local_path: PathLike, artifact_path: str | None = None
    ) -> None:
        """Uploads the file ``local_path`` as ``<artifact_path>/<file name>`` of the run.

        Identical content is stored once. Raises ``NotFound`` for an unknown
        run; ``InvalidArgument`` for a deleted run, a missing file, a folder
        (use :meth:`log_artifacts`) or a bad ``artifact_path``; ``Conflict``
        when the path is already a folder of the run's artifacts.
        """
        self._backend.artifacts.log_artifact(run_id, local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: PathLike, artifact_path: str | None = None
    ) -> None:
        """Uploads every file below ``local_dir`` under ``artifact_path``, keeping the layout.

        All files are recorded together or none is. Raises as :meth:`log_artifact`.
        """
        self._backend.artifacts.log_artifacts(run_id, local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Stores ``text`` (UTF-8) as the artifact file ``artifact_file`` of the run.

        Raises ``InvalidArgument`` when ``text`` is not a string or the path is
        bad, and as :meth:`log_artifact` for the run.
        """
        if not isinstance(text, str):
            raise InvalidArgument(f"text must be a string, got {type(text).__name__}")
        self._backend.artifacts.log_bytes(run_id, text.encode("utf-8"), artifact_file)

    def log_stream(self, run_id: str, stream: Any, artifact_file: str) -> None:
        """Stores what the binary ``stream`` reads, to its end, as the artifact file
        ``artifact_file`` of the run, without holding it in memory (through a server it is
        spooled to a temporary file first: its digest names the upload).

        Raises ``InvalidArgument`` for a text stream or a bad path, and as
        :meth:`log_artifact` for the run.

        >>> with open("weights.bin", "rb") as f:
        ...     client.log_stream(run_id, f, "model/weights.bin")
        """
        self._backend.artifacts.log_stream(run_id, stream, artifact_file)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Stores ``dictionary`` as JSON, or as YAML when ``artifact_file`` ends in
        ``.yaml``/``.yml`` and PyYAML is installed.

        Raises ``InvalidArgument`` when the value cannot be serialized or the
        path is bad, and as :meth:`log_artifact` for the run.
        """
        self._backend.artifacts.log_bytes(
            run_id, _serialize(dictionary, artifact_file), artifact_file
        )

    def log_figure(
        self,
        run_id: str,
        figure: Any,
        artifact_file: str,
        *,
        save_kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Stores a matplotlib or plotly figure as the artifact file ``artifact_file``,
        in the format its extension names (``.png``, ``.svg``, ``.pdf``; ``.html`` for
        plotly); ``save_kwargs`` go to the library's save call (``{"dpi": 200}``).

        Raises ``InvalidArgument`` for another object or a format the figure's
        library cannot write, and as :meth:`log_artifact` for the run.

        >>> client.log_figure(run_id, fig, "plots/roc.png")
        """
        from modelreg.media import figure_bytes

        data = figure_bytes(figure, artifact_file, save_kwargs)
        self._backend.artifacts.log_bytes(run_id, data, artifact_file)

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        *,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Stores a PIL image or a numpy array (H×W, H×W×3 or H×W×4; integers 0–255 or
        floats 0–1) in the run: as the artifact file ``artifact_file``, in the format
        its extension names (``.png``, ``.jpg`` …), or as the image of the series
        ``key`` at ``step`` (default 0), as MLflow's ``log_image(key=, step=)``.

        A series image is a PNG and a thumbnail of at most 256 pixels a side in
        ``images/`` (named as MLflow names them; see :mod:`modelreg.image_series`), both
        stored or neither; the run's page shows each series with a step slider.
        ``timestamp`` (ms since the epoch) defaults to now. The image is written before
        the call returns, whatever ``synchronous`` says.

        Raises ``InvalidArgument`` naming what is wrong with the image, the format, the
        key (letters, digits, ``_ - . /`` and spaces), the step or the timestamp, or
        when both or neither of ``artifact_file`` and ``key`` are given;
        ``MissingDependency`` without Pillow (``modelreg[images]``); and as
        :meth:`log_artifact` for the run.

        >>> for epoch in range(3):
        ...     client.log_image(run_id, sample(epoch), key="reconstruction", step=epoch)
        """
        from modelreg import image_series, media

        if artifact_file is not None:
            if (key, step, timestamp) != (None, None, None):
                raise InvalidArgument(
                    "give artifact_file for one image or key (with step and timestamp) for "
                    "an image series, not both"
                )
            data = media.image_bytes(image, artifact_file)
            self._backend.artifacts.log_bytes(run_id, data, artifact_file)
            return
        if key is None:
            raise InvalidArgument("give artifact_file for one image or key for an image series")
        key = image_series.check_key(key)
        step = image_series.check_position("step", 0 if step is None else step)
        when = image_series.check_position(
            "timestamp", now_ms() if timestamp is None else timestamp
        )
        picture = media.pil_image(image)
        full, small = image_series.file_names(key, step, when)
        with tempfile.TemporaryDirectory(prefix="modelreg-image-") as folder:
            Path(folder, full).write_bytes(media.encoded(picture, "png", full))
            thumbnail = image_series.thumbnail(picture)
            Path(folder, small).write_bytes(media.encoded(thumbnail, "webp", small))
            self._backend.artifacts.log_artifacts(run_id, folder, image_series.FOLDER)
        tag = RunTag(image_series.LOGGED_IMAGES_TAG, "True")
        self._backend.tracking.log_batch(run_id, tags=[tag])

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Stores ``data`` (a dict of equal-length columns or a pandas DataFrame) as the
        table ``artifact_file`` (``.json``, or ``.parquet`` with the ``parquet`` extra) of
        the run, as MLflow's ``log_table`` does; a table the run already has at that path
        gets the rows added.

        Raises ``InvalidArgument`` naming the column and the problem for data that is
        not a table (uneven columns, values JSON cannot hold) or a bad path, and as
        :meth:`log_artifact` for the run.

        >>> client.log_table(run_id, {"question": ["2+2?"], "score": [1.0]}, "eval.json")
        """
        from modelreg import tables

        path = tables.check_table_path(artifact_file)
        table = tables.table_of(data)
        earlier = self._stored_table(run_id, path)
        if earlier is not None:
            table = tables.appended(earlier, table)
        self._backend.artifacts.log_bytes(run_id, tables.encode(table, path), path)
        listed = self._backend.tracking.get_run(run_id).data.tags.get(tables.LOGGED_ARTIFACTS_TAG)
        tag = RunTag(tables.LOGGED_ARTIFACTS_TAG, tables.with_table(listed, path))
        self._backend.tracking.log_batch(run_id, tags=[tag])

    def load_table(self, run_id: str, artifact_file: str) -> Any:
        """The table ``artifact_file`` of the run as a pandas DataFrame.

        Raises ``NotFound`` when the run has no such file, ``InvalidArgument`` when
        the file is not a table, ``MissingDependency`` without pandas.
        """
        from modelreg import tables
        from modelreg.errors import NotFound
        from modelreg.extras import needs_extras

        with needs_extras():
            import pandas
        path = tables.check_table_path(artifact_file)
        table = self._stored_table(run_id, path)
        if table is None:
            raise NotFound(f"run '{run_id}' has no table '{path}'")
        return pandas.DataFrame(table[1], columns=table[0])

    def _stored_table(self, run_id: str, path: str) -> tuple[list[str], list[list[Any]]] | None:
        """The table the run holds at ``path``, or ``None`` when it has no such file."""
        import tempfile

        from modelreg import tables
        from modelreg.errors import NotFound

        with tempfile.TemporaryDirectory(prefix="modelreg-table-") as folder:
            try:
                local = self._backend.artifacts.download_run_artifacts(run_id, path, folder)
            except NotFound:
                self._backend.tracking.get_run(run_id)  # an unknown run is not "no table"
                return None
            where = f"artifact '{path}' of run '{run_id}'"
            if os.path.isdir(local):
                raise InvalidArgument(f"{where} is a folder, not a table")
            with open(local, "rb") as file:
                return tables.decode(file.read(), where, path)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and folders directly inside ``path`` (default: the root), sorted by path.

        ``FileInfo.path`` is relative to the run's artifact root. A file or an
        empty ``path`` gives ``[]``. Raises ``NotFound`` for an unknown run and
        ``InvalidArgument`` for a bad path.
        """
        return self._backend.artifacts.list_artifacts(run_id, path)

    def list_model_version_artifacts(
        self, name: str, version: int | str, path: str | None = None
    ) -> list[FileInfo]:
        """The files and folders directly inside ``path`` (default: the root) of a model
        version's snapshot of its files, sorted by path.

        ``FileInfo.path`` is relative to the version's root (where ``MLmodel``
        is). A file or an empty ``path`` gives ``[]``. Raises ``NotFound`` for
        an unknown model or version, ``InvalidArgument`` for a bad path.

        >>> [f.path for f in client.list_model_version_artifacts("fraud", 3)]
        ['MLmodel', 'model.skops', 'requirements.txt']
        """
        from modelreg.artifact_files import check_artifact_path, one_level
        from modelreg.validation import check_int

        number = check_int(version, "version", minimum=1)
        prefix = check_artifact_path(path or "", "path", allow_root=True)
        return one_level(self._backend.artifacts.version_manifest(name, number, prefix), prefix)

    def download_artifacts(
        self,
        run_id: str | None = None,
        path: str = "",
        dst_path: PathLike | None = None,
        artifact_uri: str | None = None,
    ) -> str:
        """Downloads a run's (or a model version's) artifact file or folder; returns its local path.

        Give either ``run_id`` and ``path``, or ``artifact_uri``:
        ``runs:/<run_id>/<path>`` or any ``models:/`` URI
        (``models:/name/Production/sub/path``). The result is
        ``<dst_path>/<path>``; ``dst_path`` defaults to a new temporary folder.

        Raises ``InvalidArgument`` for a bad or ambiguous request, ``NotFound``
        for an unknown run, version or path, and ``IntegrityError`` naming the
        artifact when stored bytes do not match their digest.
        """
        if artifact_uri is not None:
            if run_id is not None or path:
                raise InvalidArgument("give either artifact_uri or run_id and path, not both")
            if artifact_uri.startswith("models:/"):
                from modelreg.uris import parse_model_uri

                sub_path = parse_model_uri(artifact_uri).path
                version = self.resolve_model_uri(artifact_uri)  # type: ignore[attr-defined]
                return self.download_model_version_artifacts(
                    version.name, version.version, sub_path, dst_path
                )
            from modelreg.uris import parse_runs_uri

            if not artifact_uri.startswith("runs:/"):
                raise InvalidArgument(
                    f"artifact_uri '{artifact_uri:.200}' must be a runs:/ or models:/ URI"
                )
            run_id, path = parse_runs_uri(artifact_uri)
        if run_id is None:
            raise InvalidArgument("give run_id (and path) or artifact_uri")
        return self._backend.artifacts.download_run_artifacts(run_id, path, dst_path)

    def download_model_version_artifacts(
        self, name: str, version: int | str, path: str = "", dst_path: PathLike | None = None
    ) -> str:
        """Downloads ``path`` (default: all) of version ``version`` of model ``name``.

        Returns ``<dst_path>/<path>``; raises as :meth:`download_artifacts`.
        """
        from modelreg.validation import check_int

        version = check_int(version, "version", minimum=1)
        return self._backend.artifacts.download_version_artifacts(name, version, path, dst_path)


def _serialize(dictionary: Any, artifact_file: str) -> bytes:
    if isinstance(artifact_file, str) and artifact_file.lower().endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            pass
        else:
            try:
                return yaml.safe_dump(dictionary, sort_keys=False, allow_unicode=True).encode()
            except yaml.YAMLError as exc:
                raise InvalidArgument(f"cannot write {artifact_file} as YAML: {exc}") from None
    try:
        return json.dumps(dictionary, indent=2, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"cannot write {artifact_file} as JSON: {exc}") from None
