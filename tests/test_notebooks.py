"""The notebooks of examples/notebooks/ and their Korean twins in examples/notebooks/ko/.

Each notebook runs from top to bottom in a fresh Jupyter kernel (nbclient), in a temporary
folder of its own, and fails the test on any error or any warning printed to stderr. The
kernel is this interpreter (``sys.executable``), named by a kernelspec written into a
temporary folder, so a fresh CI virtualenv runs the notebooks against the nnumpy it
installed, whatever other ``python3`` kernels the machine knows. The run also checks
what a learner should see: a progress-bar widget where ``fit`` trains, figures inline,
HTML tables.

The committed files must be exactly what ``examples/notebooks/_build.py`` writes (so
they carry no outputs and no execution counts), and a notebook and its twin share their
code cells. nbclient and ipykernel are in the ``test`` extra; without them only the
execution tests are skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat: pip install -e '.[test]'")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "examples" / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("ko/*.ipynb"))
IDS = [str(p.relative_to(NOTEBOOKS)) for p in PATHS]
CELL_TIMEOUT = 120  # seconds per cell; the slowest cell takes a few seconds

# Mime types of what the learner sees: tqdm's notebook bar is an ipywidgets view.
WIDGET = "application/vnd.jupyter.widget-view+json"


def _load_builder():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _cells(nb, kind: str) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == kind]


# ------------------------------------------------------------------------------ the files


def test_notebooks_four_topics_in_both_languages():
    en = {p.name for p in NOTEBOOKS.glob("*.ipynb")}
    ko = {p.name for p in NOTEBOOKS.glob("ko/*.ipynb")}
    assert len(en) >= 4, f"expected at least four notebooks in {NOTEBOOKS}, got {sorted(en)}"
    assert en == ko, f"notebooks without a Korean twin (or the reverse): {sorted(en ^ ko)}"


def test_notebooks_equal_what_the_generator_writes():
    files = _load_builder().build()
    assert set(files) == set(PATHS), (
        f"the generator writes {sorted(str(p) for p in files)}, the folder holds {sorted(map(str, PATHS))}"
    )
    stale = [str(p.relative_to(NOTEBOOKS)) for p, text in files.items() if p.read_text(encoding="utf-8") != text]
    assert not stale, f"{stale} differ from what examples/notebooks/_build.py writes: run it and commit the result"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_is_committed_without_outputs(path):
    nb = _read(path)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name} cell {i} carries outputs or an execution count: clear them (or rebuild with _build.py)"
            )


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_twin_has_the_same_code_and_headings(path):
    en, ko = _read(path), _read(NOTEBOOKS / "ko" / path.name)
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in ko.cells]
    # The one permitted difference: the language the checker explains bugs in.
    ko_code = [src.replace('lang="ko"', 'lang="en"') for src in _cells(ko, "code")]
    assert _cells(en, "code") == ko_code

    def levels(nb):
        return [len(m) for src in _cells(nb, "markdown") for m in re.findall(r"^(#+) ", src, re.M)]

    assert levels(en) == levels(ko)
    hangul = [src for src in _cells(ko, "markdown") if not re.search("[가-힣]", src)]
    assert not hangul, f"ko/{path.name} has markdown cells without Korean: {hangul}"


# ------------------------------------------------------------------------------ running them


@pytest.fixture(scope="session")
def kernel_dir(tmp_path_factory) -> Path:
    """A kernelspec folder whose ``python3`` kernel is this interpreter (skips without nbclient or ipykernel)."""
    for name in ("nbclient", "ipykernel"):
        pytest.importorskip(name, reason=f"running the notebooks needs {name}: pip install -e '.[test]'")
    root = tmp_path_factory.mktemp("kernels")
    (root / "python3").mkdir()
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (this interpreter)",
        "language": "python",
    }
    (root / "python3" / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return root


def _execute(nb, kernel_dir: Path, cwd: Path):
    """Run ``nb`` in place in a fresh kernel working in ``cwd``; return it."""
    import nbclient
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name="python3", connection_file=str(cwd / "kernel-connection.json"),
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]))
    client = nbclient.NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(cwd)}})
    # One BLAS thread: the suite runs on two cores, possibly two notebooks at once (pytest -n 2).
    # A fresh IPython profile: the user's startup files and settings stay out of the run.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "IPYTHONDIR": str(cwd / ".ipython")}
    # cleanup_kc: shut the kernel down and close its sockets afterwards, which nbclient does by
    # default only for a kernel manager it made itself. Raises CellExecutionError on any error.
    client.execute(env=env, cleanup_kc=True)
    return nb


def _outputs(nb):
    return [(i, out) for i, cell in enumerate(nb.cells) if cell.cell_type == "code" for out in cell.outputs]


def _warnings(nb) -> list[str]:
    """The warnings a run printed (Python shows them on stderr: "...: UserWarning: ...")."""
    return [f"cell {i}: {out.text.strip()}" for i, out in _outputs(nb)
            if out.output_type == "stream" and out.name == "stderr" and "Warning" in out.text]


def test_notebook_run_uses_this_interpreter_fails_on_an_error_and_sees_warnings(kernel_dir, tmp_path):
    from nbclient.exceptions import CellExecutionError

    cells = ["import os, sys\nprint(sys.executable)\nprint(os.getcwd())", 'import warnings\nwarnings.warn("stale API")',
             "1 / 0", "print('never runs')"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        _execute(nb, kernel_dir, tmp_path)
    executable, cwd = nb.cells[0].outputs[0].text.splitlines()
    assert executable == sys.executable and Path(cwd).resolve() == tmp_path.resolve()
    assert len(_warnings(nb)) == 1 and "UserWarning: stale API" in _warnings(nb)[0]
    assert nb.cells[3].outputs == []


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_runs_without_errors_or_warnings(path, kernel_dir, tmp_path):
    nb = _execute(_read(path), kernel_dir, tmp_path)
    outputs = _outputs(nb)
    warned = _warnings(nb)
    assert not warned, f"{path.name} printed warnings:\n" + "\n".join(warned)

    shown = {mime for _, out in outputs if out.output_type in ("display_data", "execute_result") for mime in out.data}
    sources = "\n".join(_cells(nb, "code"))
    if "plot." in sources:
        assert "image/png" in shown, f"{path.name}: no figure was shown inline"
    if "fit(" in sources:
        assert WIDGET in shown, f"{path.name}: fit showed no progress-bar widget"
    assert "text/html" in shown, f"{path.name}: no HTML table (model, History, evaluate, report) was shown"
