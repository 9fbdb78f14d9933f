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


def _readme_command_lines() -> list[str]:
    """Every `modelreg …` command in the README's shell blocks, continuation lines joined."""
    readme = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("modelreg "):
                lines.append(line)
    return lines


def test_every_readme_command_names_a_real_command_and_real_options():
    import shlex

    import click

    from modelreg.cli import cli

    wrong = []
    for line in _readme_command_lines():
        command: click.Command = cli
        words = shlex.split(line)[1:]
        while isinstance(command, click.Group) and words:
            if words[0] in command.commands:
                command = command.commands[words.pop(0)]
            elif words[0].startswith("--"):  # an option before the command
                option = words.pop(0)
                param = next((p for p in command.params if option in p.opts), None)
                if param is None:
                    wrong.append(f"{line}: {option}")
                elif not getattr(param, "is_flag", False):
                    words.pop(0)
            else:
                break
        known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        options = [w.split("=", 1)[0] for w in words if w.startswith("--")]
        wrong += [f"{line}: {o}" for o in options if o not in known]
        if isinstance(command, click.Group):
            wrong.append(f"{line}: names no command of '{command.name}'")

    assert _readme_command_lines(), "the README shows no modelreg command"
    assert wrong == []
