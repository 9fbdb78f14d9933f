"""The documents commands read (a model card, a promotion policy): a file or stdin, UTF-8."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def read_document(file: str, param_hint: str = "FILE") -> str:
    """The text of ``file`` ('-': standard input), decoded as UTF-8.

    Raises ``click.BadParameter`` (exit code 2) naming the file and the first byte that
    is not UTF-8; a file that cannot be read raises its ``OSError``, which the CLI says
    in one line.
    """
    data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        name = "standard input" if file == "-" else file
        raise click.BadParameter(
            f"{name} is not UTF-8 text: byte {exc.start} is {data[exc.start]:#04x}",
            param_hint=param_hint,
        ) from None
