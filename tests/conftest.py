"""Shared test configuration: a fixed hypothesis profile for CI (deterministic, bounded), the
``torch`` fixture of the parity tests and the ``docs_site`` fixture (one build of the docs site)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def torch():
    """PyTorch for the parity tests (tests/_parity.py): missing, it fails them, never skips them."""
    from _parity import require_torch

    return require_torch()


# The packages of the `docs` extra, by the module each installs.
DOCS_MODULES = ["mkdocs", "material", "mkdocstrings_handlers.python", "mkdocs_jupyter", "mkdocs_static_i18n"]


def missing_docs_modules() -> list:
    missing = []
    for name in DOCS_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # the parent package of a dotted name is absent
            found = False
        if not found:
            missing.append(name)
    return missing


def _build_site(out: Path) -> dict:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about its successor
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(root / "mkdocs.yml"),
         "--site-dir", str(out / "site")],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    return {"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr, "site": str(out / "site")}


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory):
    """``mkdocs build --strict`` of mkdocs.yml, once per run: a dict of returncode, stdout,
    stderr and site (the folder built). Skips without the `docs` extra.

    Under pytest-xdist the workers share the build: the first to take the lock builds,
    the others read its result.
    """
    missing = missing_docs_modules()
    if missing:
        pytest.skip(f"the docs site needs the 'docs' extra (pip install -e \".[docs]\"); missing {missing}")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return _build_site(tmp_path_factory.mktemp("docs_site"))
    shared = tmp_path_factory.getbasetemp().parent / "docs_site"  # the same folder for every worker
    shared.mkdir(exist_ok=True)
    result = shared / "result.json"
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): each worker builds its own
        return _build_site(tmp_path_factory.mktemp("docs_site"))
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not result.exists():
                result.write_text(json.dumps(_build_site(shared)), encoding="utf-8")
            return json.loads(result.read_text(encoding="utf-8"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
