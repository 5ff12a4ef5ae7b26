"""The README's two set-up commands are the ones CI and users run: .ci/run must be the test command."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def readme_commands() -> dict:
    text = (ROOT / "README.md").read_text()
    found = dict(re.findall(r"<!-- command:(\w+) -->\s*```(?:bash|sh)?\n(.+?)\n```", text, re.S))
    assert set(found) == {"main", "test"}, found
    return found


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert ci_lines == [readme_commands()["test"]]


def test_both_commands_set_up_their_own_environment():
    for command in readme_commands().values():
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install")
