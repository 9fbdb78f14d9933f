"""Following a ``models:/`` URI: the version serving now, and the thread that swaps in the next.

A :class:`Follower` holds the :class:`Served` version (model, name, number,
semver, digests) as one immutable object. A request reads that reference
once and uses it throughout, so it is answered by one version from start
to finish; swapping is one assignment, so no request waits for it and none
sees half a change.

The follow thread asks the registry what the URI resolves to now: every
``poll_interval`` seconds (a conditional request on a server: 304 while
nothing moved), and at once when :meth:`Follower.notify` is called (the
webhook endpoint does). A new version is downloaded (every file checked
against its digest), loaded and warmed with a smoke prediction
(:mod:`modelreg.serving.warmup`) beside the old one, then swapped in. A
version that fails any of that is refused: the old one keeps serving, the
failure is logged and kept in :attr:`Follower.refused` (``/health`` shows
it), and that version is not tried again until the URI moves on. With
several worker processes each follows on its own; ``wake_file`` (touched by
:meth:`notify`) carries a webhook received by one worker to all of them.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelreg.entities import ModelVersion
from modelreg.serving import metrics
from modelreg.serving.fastpath import array_predictor
from modelreg.serving.warmup import warm
from modelreg.uris import parse_model_uri

log = logging.getLogger("modelreg.serving")

# How often the follow thread looks at its wake-up signals (the event, the wake file).
WAKE_CHECK_SECONDS = 0.1


@dataclass(frozen=True)
class Served:
    """A loaded, warmed version: what answers requests."""

    model: Any
    name: str
    version: int
    semver: str
    content_digest: str | None
    weights_digest: str | None
    loaded_at: float
    fast: Any = None  # an ArrayPredictor (modelreg.serving.fastpath) when it applies

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "semver": self.semver,
            "digest": self.content_digest,
            "weights_digest": self.weights_digest,
            "flavor": self.model.flavor,
            "loaded_at": self.loaded_at,
        }


@dataclass(frozen=True)
class Refusal:
    """A version the URI moved to that failed to load or to warm, and why."""

    name: str
    version: int
    semver: str
    content_digest: str | None
    error: str
    at: float

    def describe(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["digest"] = data.pop("content_digest")
        return data


def _same(version: ModelVersion, other: Served | Refusal | None) -> bool:
    return other is not None and (version.name, version.version, version.content_digest) == (
        other.name,
        other.version,
        other.content_digest,
    )


class Follower:
    """The version a ``models:/`` URI names, kept loaded and followed as the URI moves.

    ``client`` is the ``modelreg.Client`` of the registry. ``pin`` turns
    following off (the version found at start serves until the process
    ends); ``trust`` holds ``load_model``'s ``trust_pickle``/``trust_code``. Call
    :meth:`load_initial` before serving and :meth:`start` to follow.
    """

    def __init__(
        self,
        uri: str,
        client: Any,
        *,
        pin: bool = False,
        poll_interval: float = 10.0,
        wake_file: str | os.PathLike[str] | None = None,
        trust: dict[str, Any] | None = None,
    ) -> None:
        self.uri = uri
        self.pin = pin
        self.poll_interval = poll_interval
        self.current: Served | None = None
        self.refused: Refusal | None = None
        self.registry_error: str | None = None
        self.last_check: float | None = None
        parsed = parse_model_uri(uri)
        self.name, self._path = parsed.name, parsed.path
        self._client = client
        self._trust = trust or {}
        self._changed = _resolver(client, uri)
        self._wake_file = Path(wake_file) if wake_file is not None else None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Taken before the first version loads: a wake-up during the load is not missed.
        self._seen = self._wake_mark()

    def load_initial(self) -> Served:
        """Resolves the URI and loads, warms and installs that version; raises on failure."""
        version = self._changed()
        if version is None:  # only a remote resolver can say "unchanged", and not the first time
            raise RuntimeError("the registry answered 'not modified' to the first question")
        self.current = self._prepare(version)
        self.last_check = time.time()
        metrics.VERSION.set(version.version)
        log.info(
            "%s: serving %s v%d (%s, %s)",
            self.uri,
            version.name,
            version.version,
            version.semver,
            self.current.model.flavor,
        )
        return self.current

    def start(self) -> None:
        """Starts following (a daemon thread); does nothing when pinned."""
        if self.pin or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="modelreg-follow", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def notify(self) -> None:
        """Look at the registry now (and make every worker sharing the wake file look too)."""
        self._wake.set()
        if self._wake_file is not None:
            self._wake_file.write_text(str(time.time_ns()))

    def check(self) -> None:
        """One look at the registry: a new version is loaded, warmed and swapped in, or refused."""
        try:
            version = self._changed()
        except Exception as exc:  # the registry is down or the alias is gone: keep serving
            self.registry_error = f"{type(exc).__name__}: {exc}"
            log.warning("cannot resolve %s: %s", self.uri, self.registry_error)
            return
        self.registry_error = None
        self.last_check = time.time()
        if version is None or _same(version, self.current):
            if version is not None:
                self.refused = None  # the URI came back to what serves
            return
        if _same(version, self.refused):
            return
        try:
            served = self._prepare(version)
        except Exception as exc:
            self.refused = Refusal(
                version.name,
                version.version,
                version.semver,
                version.content_digest,
                f"{type(exc).__name__}: {exc}",
                time.time(),
            )
            metrics.SWAPS.labels("refused").inc()
            log.error(
                "%s moved to %s v%d, which is refused (v%s keeps serving): %s",
                self.uri,
                version.name,
                version.version,
                self.current.version if self.current is not None else None,
                self.refused.error,
            )
            return
        old = self.current
        self.current = served
        self.refused = None
        metrics.SWAPS.labels("swapped").inc()
        metrics.VERSION.set(served.version)
        log.info(
            "%s: now serving %s v%d (%s), was v%s",
            self.uri,
            served.name,
            served.version,
            served.semver,
            old.version if old is not None else None,
        )

    def _prepare(self, version: ModelVersion) -> Served:
        from modelreg.models import load_model

        uri = f"models:/{version.name}/{version.version}"
        if self._path:
            uri += f"/{self._path}"
        model = load_model(uri, client=self._client, **self._trust)
        warm(model)
        return Served(
            fast=array_predictor(model),
            model=model,
            name=version.name,
            version=version.version,
            semver=version.semver,
            content_digest=version.content_digest,
            weights_digest=model.metadata.weights_digest,
            loaded_at=time.time(),
        )

    def _run(self) -> None:
        next_poll = time.monotonic() + self.poll_interval
        while not self._stop.is_set():
            self._wake.wait(WAKE_CHECK_SECONDS)
            woken = self._wake.is_set()
            mark = self._wake_mark()
            if mark != self._seen:
                self._seen, woken = mark, True
            if self._stop.is_set():
                return
            if woken or time.monotonic() >= next_poll:
                self._wake.clear()
                try:
                    self.check()
                except Exception:  # a bug here must not end following
                    log.exception("checking %s failed", self.uri)
                next_poll = time.monotonic() + self.poll_interval

    def _wake_mark(self) -> int | None:
        if self._wake_file is None:
            return None
        try:
            return self._wake_file.stat().st_mtime_ns
        except OSError:
            return None

    def health(self) -> dict[str, Any]:
        """What ``/health`` shows: what serves, whether it follows, the last refusal."""
        return {
            "status": "ok" if self.current is not None else "loading",
            "uri": self.uri,
            "following": not self.pin,
            "poll_interval": self.poll_interval,
            "serving": self.current.describe() if self.current is not None else None,
            "last_check": self.last_check,
            "refused": self.refused.describe() if self.refused is not None else None,
            "registry_error": self.registry_error,
        }


def _resolver(client: Any, uri: str) -> Any:
    """A callable returning the version ``uri`` names now (None: unchanged since last call)."""
    http = getattr(client._backend, "http", None)
    if http is not None:
        from modelreg.remote.current_version import CurrentVersion

        return CurrentVersion(http, uri).changed
    return lambda: client.resolve_model_uri(uri)
