"""The notebooks in notebooks/ run end to end, from a temporary copy, with this interpreter.

The committed notebooks keep their outputs (plots included) so they read without running;
this test runs each copy in a temporary folder, fails on the first cell that raises, and
checks that the committed file was left as it was. `make notebooks` refreshes the outputs.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
KERNEL = "hallway-test-python"


def _kernel_here(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel spec for this very interpreter, found before any other on the machine."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Hallway tests", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(folder))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(folder / "runtime"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")


def test_there_is_a_notebook() -> None:
    assert PATHS, f"no notebook in {NOTEBOOKS}"


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_runs_without_errors(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = path.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    copy = work / path.name
    shutil.copyfile(path, copy)
    _kernel_here(tmp_path / "jupyter", monkeypatch)
    notebook = nbformat.read(copy, as_version=4)
    # A cell that raises stops the run with CellExecutionError, naming the cell.
    NotebookClient(
        notebook, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(work)}}
    ).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert path.read_bytes() == committed, "the run must leave the committed notebook alone"
    assert sorted(p.name for p in work.iterdir()) == [path.name], "the notebook wrote files"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_committed_notebook_keeps_its_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "run it: make notebooks"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    if path.name == "matching_quality.ipynb":
        plots = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
        assert len(plots) >= 4, "the quality story's four plots"
