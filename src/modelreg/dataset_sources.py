"""Where a dataset's data is, and fetching it: ``modelreg.data.get_source(dataset)``, as
MLflow's ``mlflow.data.get_source``.

A dataset records its source (a path or URI, or an MLflow source's JSON), never the
data; :meth:`DatasetSource.load` fetches the data when asked, from a local path or
``file://`` URI (given back as it is), ``http(s)://`` (downloaded with httpx) or
``s3://`` (with boto3, ``modelreg[s3]``; ``MODELREG_S3_ENDPOINT_URL`` as for artifact
stores), with a progress bar on a terminal for files over a few MB.

>>> dataset = modelreg.get_run(run_id).inputs.dataset_inputs[0].dataset
>>> modelreg.data.get_source(dataset).load()
'/tmp/modelreg-dataset-…/train.csv'
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from modelreg.blobs.streams import temp_path_next_to
from modelreg.datasets import source_type_of, source_uri
from modelreg.errors import InvalidArgument, NotFound
from modelreg.remote.progress import transfer_progress

LOADABLE = ("local", "http", "s3")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DatasetSource:
    """The place a dataset's data is: ``uri`` (None for data the code made) and its
    ``source_type`` (``local``, ``http``, ``s3`` … or ``code``)."""

    uri: str | None
    source_type: str

    def to_dict(self) -> dict[str, Any]:
        """The source as MLflow's sources describe themselves: ``{"uri": ...}``."""
        return {} if self.uri is None else {"uri": self.uri}

    def load(self, dst_path: str | os.PathLike[str] | None = None) -> str:
        """The local path of the data: a local source's own path, or the file a remote one
        was downloaded to, in ``dst_path`` (a folder; default a new temporary one) under
        the last segment of its path. Raises ``InvalidArgument`` for data the code made
        or a kind of source that cannot be fetched from here, ``NotFound`` for a local
        path that is not there or a URL or object that does not exist, and what the
        transfer raises otherwise; a failed download leaves no file."""
        if self.uri is None:
            raise InvalidArgument(
                "this dataset has no source to load: its data was made by code "
                "(log it with source= to record where it comes from)"
            )
        if self.source_type == "local":
            return _local(self.uri)
        if self.source_type not in LOADABLE:
            raise InvalidArgument(
                f"cannot load a dataset from a {self.source_type!r:.40} source "
                f"({self.uri!r:.200}); loadable: {', '.join(LOADABLE)}"
            )
        folder = (
            Path(dst_path)
            if dst_path is not None
            else Path(tempfile.mkdtemp(prefix="modelreg-dataset-"))
        )
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / _file_name(self.uri)
        partial = temp_path_next_to(target)  # a name of its own: loads may run side by side
        try:
            if self.source_type == "http":
                _download_http(self.uri, partial)
            else:
                _download_s3(self.uri, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return str(target)


def get_source(dataset: Any) -> DatasetSource:
    """The source of ``dataset`` (a :class:`~modelreg.datasets.Dataset`, or anything with
    a ``source``, MLflow's datasets too), as MLflow's ``mlflow.data.get_source``."""
    source = getattr(dataset, "source", None)
    uri = source_uri(source if isinstance(source, str) else None)
    return DatasetSource(uri, source_type_of(uri))


def _local(uri: str) -> str:
    path = unquote(urlsplit(uri).path) if uri.startswith("file://") else uri
    if not os.path.exists(path):
        raise NotFound(f"the dataset's source {path!r:.300} does not exist")
    return path


def _file_name(uri: str) -> str:
    """The last segment of the URI's path, as a file name of the destination folder (never
    a way out of it)."""
    name = unquote(urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1])
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name:
        return "dataset"
    return name[:200]


def _download_http(url: str, path: Path) -> None:
    import httpx

    with httpx.stream("GET", url, follow_redirects=True, timeout=60) as response:
        if response.status_code == 404:
            raise NotFound(f"the dataset's source {url!r:.300} does not exist (HTTP 404)")
        response.raise_for_status()
        total = int(response.headers.get("content-length") or 0)
        with (
            open(path, "wb") as out,
            transfer_progress(f"Downloading {_file_name(url)}", total) as advance,
        ):
            for chunk in response.iter_bytes(_CHUNK):
                out.write(chunk)
                advance(len(chunk))


def _download_s3(uri: str, path: Path) -> None:
    """Downloads the object as artifact stores do: boto3's managed transfer, in parallel
    ranges for a big one."""
    from modelreg.blobs.s3 import S3BlobStore
    from modelreg.extras import needs_extras

    parts = urlsplit(uri)
    bucket, key = parts.netloc, unquote(parts.path.lstrip("/"))
    if not bucket or not key:
        raise InvalidArgument(f"an S3 dataset source names a bucket and a key, got {uri!r:.200}")
    with needs_extras():
        store = S3BlobStore(f"s3://{bucket}")
        client = store.client
        from botocore.exceptions import ClientError

    try:
        size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
        with transfer_progress(f"Downloading {_file_name(uri)}", size) as advance:
            client.download_file(
                bucket, key, str(path), Config=store.transfer_config, Callback=advance
            )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchBucket"):
            raise NotFound(f"the dataset's source {uri!r:.300} does not exist") from exc
        raise
