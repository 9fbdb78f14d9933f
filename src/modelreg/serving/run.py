"""Starting ``modelreg serve``: checks in this process, then uvicorn with one or more workers.

With one worker the model is loaded here, before the port opens, so a URI
that names nothing or a model that fails to load stops the command with
the error. With several, this process resolves the URI and downloads the
files once (into the local cache) before starting them; each worker then
loads its own copy from the cache and follows the registry on its own
(a webhook reaching any worker wakes them all, through a shared file).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelreg.errors import InvalidArgument

# How the parent hands the configuration to worker processes (internal).
CONFIG_ENV = "MODELREG_SERVE_CONFIG"


@dataclass(frozen=True)
class ServeConfig:
    uri: str
    tracking_uri: str | None = None
    pin: bool = False
    poll_interval: float = 10.0
    webhook_secret: str | None = None
    wake_file: str | None = None
    # What loading a version may run (see modelreg.load_model): off unless the operator asks.
    trust_pickle: bool = False
    trust_code: bool | list[str] = False


def build_app(config: ServeConfig) -> Any:
    """The app for ``config``, its first version loaded and warmed; raises if it cannot be."""
    from modelreg.client import Client
    from modelreg.serving.app import create_app
    from modelreg.serving.follow import Follower

    follower = Follower(
        config.uri,
        Client(config.tracking_uri),
        pin=config.pin,
        poll_interval=config.poll_interval,
        wake_file=config.wake_file,
        trust={"trust_pickle": config.trust_pickle, "trust_code": config.trust_code},
    )
    follower.load_initial()
    return create_app(follower, webhook_secret=config.webhook_secret)


def create_app_from_env() -> Any:
    """Factory uvicorn's worker processes call: the configuration comes from the environment."""
    _configure_logging()
    app = build_app(ServeConfig(**json.loads(os.environ[CONFIG_ENV])))
    # Imported modules and the loaded model live as long as the worker: out of the
    # collector's reach, they make each full collection scan only what requests allocate.
    gc.freeze()
    return app


def _configure_logging() -> None:
    logger = logging.getLogger("modelreg.serving")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def serve(
    uri: str,
    *,
    tracking_uri: str | None = None,
    host: str = "127.0.0.1",
    port: int = 5001,
    workers: int = 1,
    pin: bool = False,
    poll_interval: float = 10.0,
    webhook_secret: str | None = None,
    log_level: str = "warning",
    trust_pickle: bool = False,
    trust_code: bool | list[str] = False,
) -> None:
    """Serves the model ``uri`` names until interrupted (see :mod:`modelreg.serving.app`).

    ``trust_pickle`` and ``trust_code`` are :func:`modelreg.load_model`'s, for every
    version served: without them a pickled model, one whose class's module is not
    imported yet, or a model from code is refused (the old version keeps serving).

    Raises InvalidArgument for a malformed URI or poll interval, NotFound
    when the URI names nothing, and whatever loading or warming the model
    raises, all before the port opens.
    """
    import uvicorn

    from modelreg.uris import parse_model_uri

    parse_model_uri(uri)
    if not poll_interval > 0:
        raise InvalidArgument(
            f"poll interval must be a positive number of seconds, got {poll_interval}"
        )
    config = ServeConfig(
        uri,
        tracking_uri,
        pin,
        poll_interval,
        webhook_secret,
        trust_pickle=trust_pickle,
        trust_code=trust_code,
    )
    _configure_logging()
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": False,
        "server_header": False,
    }
    if workers == 1:
        app = build_app(config)
        print(start_line(host, port, config, workers), flush=True)
        uvicorn.run(app, **options)
        return
    _fetch_once(config)
    print(start_line(host, port, config, workers), flush=True)
    wake = Path(tempfile.mkdtemp(prefix="modelreg-serve-")) / "wake"
    wake.touch()
    config = dataclasses.replace(config, wake_file=str(wake))
    os.environ[CONFIG_ENV] = json.dumps(dataclasses.asdict(config))
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="modelreg-serve-metrics-")
    from modelreg.server.run import NoDelayProtocol

    uvicorn.run(
        "modelreg.serving.run:create_app_from_env",
        factory=True,
        workers=workers,
        http=NoDelayProtocol,
        **options,
    )


def start_line(host: str, port: int, config: ServeConfig, workers: int) -> str:
    """What ``modelreg serve`` prints once its model is ready, before the port opens."""
    shown_host = f"[{host}]" if ":" in host else host
    follows = "pinned" if config.pin else f"following every {config.poll_interval:g} s"
    plural = "s" if workers > 1 else ""
    return (
        f"modelreg serve on http://{shown_host}:{port} · {config.uri} · {follows} "
        f"({workers} worker{plural})"
    )


def _fetch_once(config: ServeConfig) -> None:
    """Resolves the URI and downloads its files into the cache, so workers only load them."""
    from modelreg.client import Client
    from modelreg.flavors import read_model_info
    from modelreg.models import download_model
    from modelreg.uris import parse_model_uri

    client = Client(config.tracking_uri)
    version = client.resolve_model_uri(config.uri)
    path = parse_model_uri(config.uri).path
    exact = f"models:/{version.name}/{version.version}" + (f"/{path}" if path else "")
    read_model_info(download_model(exact, client=client))
