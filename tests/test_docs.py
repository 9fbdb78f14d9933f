"""Docs that cannot drift: settings and the README's commands."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from gen_settings_docs import DOC, render

    assert DOC.read_text() == render(), "run: python scripts/gen_settings_docs.py"


def test_readme_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]

    commands = [line for line in block.splitlines() if line.strip()]

    assert len(commands) == 2


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text()
    test_command = re.search(r"^(pip install -e '\.\[test\]'.*?)\s+#", readme, re.M).group(1)

    assert test_command.replace("-e", "-q -e") in (ROOT / ".ci" / "run").read_text()
