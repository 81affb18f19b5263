"""The README's Python examples run, and its quick start matches .ci/run."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


# The README's dask example runs a LocalCluster in this process; distributed
# can leave comms and event-loop callbacks whose finalisers fire at a later
# garbage collection, which pytest reports as unraisable exceptions.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_readme_python_examples_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert blocks, "README has no Python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert "classify__C" in capsys.readouterr().out


def test_quickstart_is_two_commands_read_by_ci():
    section = re.search(
        r"<!-- quickstart -->\n```bash\n(.*?)```\n<!-- /quickstart -->",
        README,
        flags=re.DOTALL,
    )
    assert section is not None
    commands = section.group(1).strip().splitlines()
    assert len(commands) == 2
    assert commands[0].endswith("python -m skmm demo")
    assert commands[1].endswith("pytest")
    assert "<!-- quickstart -->" in (ROOT / ".ci" / "run").read_text()
