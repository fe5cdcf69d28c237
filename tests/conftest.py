"""Shared test configuration: a fixed hypothesis profile for CI (deterministic, bounded) and the
``torch`` fixture of the parity tests."""

import os

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
