"""The README's two set-up commands are the ones CI and users run: .ci/run must be the test command."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


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


def test_the_python_example_runs():
    text = (ROOT / "README.md").read_text()
    (block,) = re.findall(r"## Python API\n\n```python\n(.+?)\n```", text, re.S)
    namespace: dict = {}
    exec(compile(block, "README.md (Python API)", "exec"), namespace)
    report = namespace["report"]
    # the figures the example's comments quote, written out: VGG-16's parameters and its first conv
    widths = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    convs = sum(9 * cin * cout + cout for cin, cout in zip([3] + widths[:-1], widths))
    assert report.totals["params"] == convs + 512 * 7 * 7 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert f"# {report.totals['params']}" in block
    assert report.layer("features.0").derivation in block
