"""Smoke tests of examples/: every script's ``main(["--quick", "--out", tmp])`` runs and gets its numbers right.

The scripts' names start with digits, so they are imported by path. Each
imports the shared ``_common`` helper by name (as ``python examples/x.py``
does, from the script's folder), hence the ``sys.path`` entry.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _module(stem: str):
    spec = importlib.util.spec_from_file_location(f"nnumpy_example_{stem}", EXAMPLES / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def example(tmp_path, monkeypatch):
    """``example(stem)`` → the imported script; ``example.run(stem)`` → its quick run's result dict."""
    monkeypatch.syspath_prepend(str(EXAMPLES))

    class Runner:
        out = tmp_path

        def __call__(self, stem):
            return _module(stem)

        def run(self, stem, module=None):
            module = module or _module(stem)
            return module.main(["--quick", "--out", str(tmp_path)])

    return Runner()


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def test_examples_all_present_and_listed_in_readme():
    scripts = sorted(p.stem for p in EXAMPLES.glob("[0-9][0-9]_*.py"))
    assert scripts == [
        "01_xor", "02_softmax_single_sample", "03_per_neuron_network", "04_two_layer_net_mnist",
        "05_sigmoid_mlp_xavier", "06_mlp_vs_pytorch", "07_iris_and_toy_classifiers",
    ]
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for stem in scripts:
        assert f"{stem}.py" in readme


def test_example_xor_reaches_full_accuracy(example):
    result = example.run("01_xor")
    assert result["accuracy"] == 1.0
    assert result["solved_at"] is not None and result["loss"] < 0.05
    if _has("matplotlib"):
        for path in result["files"]:
            assert Path(path).stat().st_size > 0


def test_example_softmax_single_sample_matches_issue_and_torch(example):
    result = example.run("02_softmax_single_sample")
    before = result["before"]
    # The issue's numbers, as it prints them. Its loss is −log of its rounded p_2, and
    # d(−log p)/dp = −1/p ≈ −5.8 magnifies the rounding: 1.4e-7 absolute is 7.8e-8 relative.
    np.testing.assert_allclose(before["pred"], [0.42185561, 0.4060726, 0.17207179], rtol=0, atol=1e-7)
    assert before["loss"] == pytest.approx(1.7598435, rel=1e-7)
    after = result["after"]
    assert after["loss"] < before["loss"] and after["pred"][2] > before["pred"][2]
    if not _has("torch"):
        assert result["torch"] is None
        return
    np.testing.assert_allclose(after["pred"], result["torch"]["after"]["pred"], rtol=0, atol=1e-12)
    assert after["loss"] == pytest.approx(result["torch"]["after"]["loss"], abs=1e-12)


def test_example_softmax_single_sample_without_torch_says_so(example, capsys):
    module = example("02_softmax_single_sample")
    module.optional = lambda name, extra: None  # as if torch were not installed
    result = example.run("02_softmax_single_sample", module)
    assert result["torch"] is None
    assert "torch not installed" in capsys.readouterr().out


def test_example_per_neuron_network_formulations_agree(example):
    result = example.run("03_per_neuron_network")
    assert len(result["errors_per_neuron"]) == len(result["errors_layers"]) == 20
    assert result["max_abs_diff"] <= 1e-12 and result["max_weight_diff"] <= 1e-12
    assert result["tutorial_vs_half_lr_diff"] <= 1e-12
    errors = result["errors_per_neuron"]
    assert all(b < a for a, b in zip(errors, errors[1:]))  # the error falls every epoch
    assert result["accuracy"] == 1.0


@pytest.mark.parametrize(
    "stem, floor",
    [("04_two_layer_net_mnist", 0.5), ("05_sigmoid_mlp_xavier", 0.2)],
)
def test_example_mnist_trains_above_floor(example, stem, floor):
    result = example.run(stem)
    assert result["dataset"] in ("mnist", "mnist-sample")
    assert result["accuracy"] > floor
    assert all(np.isfinite(result["test_accuracy"]))


def test_example_mnist_xavier_init_keeps_sigmoid_unsaturated(example):
    stats = example.run("05_sigmoid_mlp_xavier")["init_statistics"]
    assert stats["xavier"]["saturated"] < 0.01 < 0.3 < stats["normal"]["saturated"]
    assert stats["xavier"]["loss"] < stats["normal"]["loss"]


def test_example_mlp_vs_pytorch_agree(example):
    # The quick run (64 steps) is still on the sigmoid network's initial plateau, so it
    # checks agreement with PyTorch rather than an accuracy; the full run reaches ~94%.
    result = example.run("06_mlp_vs_pytorch")
    assert len(result["test_accuracy"]) == 2 and 0.0 <= result["accuracy"] <= 1.0
    if not _has("torch"):
        assert result["torch_test_accuracy"] is None
        return
    np.testing.assert_allclose(result["loss"], result["torch_loss"], rtol=1e-4)
    np.testing.assert_allclose(result["test_accuracy"], result["torch_test_accuracy"], atol=0.02)
    assert result["max_weight_diff"] < 1e-4


def test_example_iris_and_toy_classifiers(example):
    result = example.run("07_iris_and_toy_classifiers")
    for name in ("iris", "blobs", "moons", "spiral"):
        assert result[name]["mlp"]["test"] >= 0.9, name
    assert result["iris"]["linear"]["test"] >= 0.85
    # The lesson: a linear boundary cannot separate the spiral, a hidden layer can.
    assert result["spiral"]["linear"]["test"] < 0.7 < result["spiral"]["mlp"]["test"]
    if _has("matplotlib"):
        assert len(result["files"]) == 6 and all(Path(p).stat().st_size > 0 for p in result["files"])
