"""``--trust-code``, ``--trust-all-code`` and ``--trust-pickle``: what loading a model may run.

The commands that load models (``serve``, ``predict``, ``evaluate``) refuse, as
``modelreg.load_model`` does, a pickled model, a class whose module is not
imported yet, and a model from code, unless the operator names what to trust.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def trust_options(func: F) -> F:
    """Adds the three options and passes ``trust``: ``load_model``'s keyword arguments."""

    @click.option(
        "--trust-code",
        "trusted_packages",
        multiple=True,
        metavar="PACKAGE",
        help="Let loading import this package's modules (a python model's class); repeat for more.",
    )
    @click.option(
        "--trust-all-code",
        is_flag=True,
        help="Let loading run any code the model names or brings (a model from code).",
    )
    @click.option(
        "--trust-pickle",
        is_flag=True,
        help="Let loading unpickle (pickled models, as MLflow saves scikit-learn's); it can "
        "run any code.",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        trusted_packages: tuple[str, ...],
        trust_all_code: bool,
        trust_pickle: bool,
        **kwargs: Any,
    ) -> Any:
        code: bool | list[str] = True if trust_all_code else list(trusted_packages)
        trust = {"trust_pickle": trust_pickle, "trust_code": code}
        return func(*args, trust=trust, **kwargs)

    return wrapper  # type: ignore[return-value]
