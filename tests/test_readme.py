"""The README's code examples run as written."""
import re
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.slow
def test_readme_python_examples_run(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    blocks = _python_blocks()
    assert blocks
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)


def test_readme_shows_exactly_the_two_setup_commands():
    text = README.read_text()
    bash_lines = [line for block in re.findall(r"```bash\n(.*?)```", text, re.S) for line in block.splitlines()]
    setup = [line for line in bash_lines if line.startswith("python3 -m venv")]
    assert len(setup) == 2
    assert setup[0].endswith("pip install . && hhdyn gallery")
    assert setup[1].endswith('pip install ".[test]" && pytest')
    ci = (README.parent / ".ci" / "run").read_text()
    assert "README.md" in ci and "eval" in ci
