"""Every notebook in notebooks/ runs from top to bottom and is stored clean.

Each ``notebooks/*.ipynb`` is executed with nbclient in a fresh kernel of the
interpreter running the tests, from ``notebooks/`` (so ``../../shared/data``
is the real data), with matplotlib's non-interactive backend. What a notebook
needs is read from its code, so a new notebook is picked up without touching
this file:

- a notebook that mentions ``shared/data`` is marked ``data`` and skipped
  when that folder is absent;
- a notebook whose code names the ``"cuda"`` device (as a string literal) is
  marked ``gpu`` and skipped without CuPy and a CUDA device.

Notebooks are stored without outputs: what a reader sees comes from running
them, never from cells edited by hand.
"""

import os
import sys
from pathlib import Path

import pytest

from skmm.utils._device import cuda_is_available

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DATA_DIR = ROOT.parent / "shared" / "data"
CELL_TIMEOUT = 300  # seconds per cell; each notebook runs in under a minute


def _code(path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def _reads_data(path):
    return "shared/data" in _code(path)


def _needs_gpu(path):
    code = _code(path)
    return '"cuda"' in code or "'cuda'" in code


def _params():
    params = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        marks = []
        if _reads_data(path):
            marks.append(pytest.mark.data)
        if _needs_gpu(path):
            marks.append(pytest.mark.gpu)
        params.append(pytest.param(path, marks=marks, id=path.stem))
    return params


PARAMS = _params()

# Run first in the kernel (on a copy, never saved): the kernel must be this
# interpreter's, importing this checkout of skmm, whatever kernel specs the
# machine has installed.
KERNEL_CHECK = f"""\
import sys
from pathlib import Path

import skmm

assert sys.prefix == {sys.prefix!r}, sys.prefix
assert Path(skmm.__file__).resolve().is_relative_to({str(ROOT)!r}), skmm.__file__
"""


def test_notebooks_exist_and_are_listed_in_their_readme():
    assert PARAMS, "no notebook in notebooks/"
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    for param in PARAMS:
        assert param.values[0].name in readme, param.values[0].name


@pytest.mark.parametrize("path", PARAMS)
def test_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {index} has outputs"
            assert cell.execution_count is None, f"{path.name}: cell {index}"


# No warning filter: with warnings as errors (pyproject), nbclient 0.11,
# jupyter_client 8.10 and pyzmq 27 warn nothing in this process, also after a
# failing cell and under ``python -X dev`` (nbclient closes its channels and
# shuts the kernel down). Warnings inside the kernel are the notebook's own
# output and never reach pytest.
@pytest.mark.parametrize("path", PARAMS)
def test_notebook_runs(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if _reads_data(path) and not DATA_DIR.is_dir():
        pytest.skip(f"real data not found at {DATA_DIR} (see shared/data/README.md)")
    if _needs_gpu(path) and not cuda_is_available():
        pytest.skip("needs CuPy and a CUDA device")

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(KERNEL_CHECK))
    # No MPLBACKEND: ipykernel's inline backend is headless and, unlike Agg
    # alone, renders every figure to PNG at the end of its cell, so a figure
    # that fails to draw fails the test.
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    # CI installs skmm in editable mode; without an install (PYTHONPATH=.) the
    # kernel still imports this checkout.
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute(env=env)
