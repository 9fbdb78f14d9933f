"""Every code block of the README runs as written, in order, in a new folder.

Consecutive Python blocks run as one script (as a reader pastes them into one
session); each line of a shell block runs as a command, ``modelreg`` as this
interpreter's ``python -m modelreg``. A block that needs what a test cannot
have (a package install, a PostgreSQL host named ``db``) is marked in the
README with ``<!-- readme-test: skip (why) -->`` right above it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme-test: skip \((?P<why>[^)]+)\) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S
)


def readme_blocks() -> list[tuple[str, str, str | None]]:
    """``(language, code, reason to skip or None)`` of each fenced block, in order."""
    return [(m["lang"], m["body"], m["why"]) for m in BLOCK.finditer(README.read_text())]


def scripts() -> list[tuple[str, str]]:
    """What to run, in order: ``("python", script)`` or ``("bash", one command line)``."""
    steps: list[tuple[str, str]] = []
    for lang, body, why in readme_blocks():
        if why is not None or lang not in ("python", "bash"):
            continue
        if lang == "python":
            if steps and steps[-1][0] == "python":
                steps[-1] = ("python", steps[-1][1] + body)
            else:
                steps.append(("python", body))
            continue
        for line in re.sub(r"\\\n\s*", " ", body).splitlines():
            command = line.split("  #", 1)[0].strip()
            if command:
                steps.append(("bash", command))
    return steps


def test_every_readme_block_runs_in_order_in_a_new_folder(tmp_path):
    for lang, code in scripts():
        if lang == "python":
            command = [sys.executable, "-c", code]
        else:
            words = shlex.split(code)
            assert words[0] == "modelreg", f"the README's shell line {code!r} is not modelreg"
            command = [sys.executable, "-m", "modelreg", *words[1:]]

        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)

        assert done.returncode == 0, f"{code}\n{done.stdout}\n{done.stderr}"


def test_the_tour_rolls_back_to_version_1(tmp_path):
    tour = next(code for lang, code in scripts() if lang == "python")
    check = "\nprint(client.get_model_version('my_model', 1).current_stage)\n"

    done = subprocess.run(
        [sys.executable, "-c", tour + check], cwd=tmp_path, capture_output=True, text=True
    )

    assert done.stdout.splitlines()[-1] == "Production", done.stderr


def test_only_blocks_that_cannot_run_here_are_skipped_and_each_says_why():
    skipped = [why for _, _, why in readme_blocks() if why is not None]

    assert skipped == [
        "installs packages; tests/test_readme.py runs the rest",
        "needs a PostgreSQL server named db",
        "needs a PostgreSQL server named db",
        "starts a long-running server; tests/test_serving_follow.py covers it",
        "needs a receiver at the URL; tests/test_cli_webhooks.py covers it",
    ]


def test_every_file_the_readme_links_to_exists():
    targets = re.findall(r"\]\(((?!https?:)[^)#]+)\)", README.read_text())

    assert "docs/uris.md" in targets and "docs/mlflow.md" in targets and "examples/" in targets
    assert [t for t in targets if not (README.parent / t).exists()] == []
