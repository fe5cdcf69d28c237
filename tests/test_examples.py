"""Smoke tests of examples/: every script's ``main(["--quick", "--out", tmp])`` runs and gets its numbers right.

The scripts' names start with digits, so they are imported by path. Each
imports the shared ``_common`` helper by name (as ``python examples/x.py``
does, from the script's folder), hence the ``sys.path`` entry.
"""

from __future__ import annotations

import importlib.util
import re
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
        "05_sigmoid_mlp_xavier", "06_mlp_vs_pytorch", "07_iris_and_toy_classifiers", "08_simple_convnet",
        "09_lenet5",
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
    # The classic tutorial's own code (initialize_network / forward_propagate /
    # backward_propagate_error / update_weights / train_network, dicts and lists, Python
    # floats), run with random.seed(1), lr 0.4, 20 epochs and the issue's dE/do = 2(o − t),
    # prints Σ (o − t)² = 6.1281832673 after epoch 1, 3.3762054864 after 6 and 0.6866120470
    # after 20; both formulations of the example must reproduce it.
    for formulation in ("errors_per_neuron", "errors_layers"):
        got = result[formulation]
        assert [round(got[i], 10) for i in (0, 5, 19)] == [6.1281832673, 3.3762054864, 0.6866120470], formulation


def test_example_per_neuron_network_initial_weights_are_the_tutorials(example):
    import random

    state = random.getstate()
    try:
        random.seed(1)  # exactly as the tutorial does; the global state is restored after
        expected = [[random.random() for _ in range(3)] for _ in range(4)]  # 2 hidden, then 2 output neurons
    finally:
        random.setstate(state)
    network = example("03_per_neuron_network").initial_network()
    assert [n["weights"] for layer in network for n in layer] == expected


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


@pytest.mark.parametrize("stem, floor", [("08_simple_convnet", 0.4), ("09_lenet5", 0.2)])
def test_example_convnets_train_above_floor(example, stem, floor):
    # --quick: 1,000 mnist-sample images for 2 epochs (20 / 32 steps), far from the full
    # runs' ≈ 98 %, but a broken conv backward stays at chance (10 %).
    result = example.run(stem)
    assert result["dataset"] == "mnist-sample" and result["accuracy"] > floor
    assert result["loss"][-1] < result["loss"][0]
    if _has("matplotlib"):
        assert len(result["files"]) == 2 and all(Path(p).stat().st_size > 0 for p in result["files"])


def test_example_simple_convnet_on_fashion_mnist(example):
    from nnumpy import datasets

    if not {row.name: row.present for row in datasets.available()}.get("fashion-mnist"):
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    result = example("08_simple_convnet").main(["--quick", "--data", "fashion-mnist"])
    assert result["dataset"] == "fashion-mnist" and len(result["test_accuracy"]) == 1 and result["accuracy"] > 0.3


# ---------------------------------------------------------------------------- README figures
_README_RUN = re.compile(r"^### (\d\d_\w+)\.py[^\n]*\n\n```\n(.*?)\n```", re.S | re.M)


def _readme_chunks(stem: str) -> list[list[str]]:
    """The README's quoted output of a full run of ``stem``, cut into the runs of lines between ``...`` marks."""
    blocks = dict(_README_RUN.findall((EXAMPLES / "README.md").read_text(encoding="utf-8")))
    assert stem in blocks, f"examples/README.md quotes no output of {stem}.py"
    chunks: list[list[str]] = [[]]
    for line in blocks[stem].splitlines():
        if line.strip() == "...":
            chunks.append([])
        else:
            chunks[-1].append(line.rstrip())
    return [c for c in chunks if c]


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def _same_line(quoted: str, printed: str) -> bool:
    """Equal, except that two numbers both below 1e-12 (float64 rounding noise, which depends
    on the CPU's exp/BLAS kernels) count as the same."""
    if _NUMBER.sub("#", quoted) != _NUMBER.sub("#", printed):
        return False
    return all(a == b or (abs(float(a)) < 1e-12 and abs(float(b)) < 1e-12)
               for a, b in zip(_NUMBER.findall(quoted), _NUMBER.findall(printed)))


def _appears_in_order(chunks: list[list[str]], lines: list[str]) -> bool:
    start = 0
    for chunk in chunks:
        for i in range(start, len(lines) - len(chunk) + 1):
            if all(_same_line(q, p) for q, p in zip(chunk, lines[i : i + len(chunk)])):
                start = i + len(chunk)
                break
        else:
            return False
    return True


def test_readme_chunk_matching_can_fail():
    lines = ["a", "b", "c", "d"]
    assert _appears_in_order([["a", "b"], ["d"]], lines)
    assert not _appears_in_order([["a", "c"]], lines)
    assert not _appears_in_order([["c"], ["a"]], lines)
    assert _same_line("19  0.7443791128  0.0e+00", "19  0.7443791128  2.2e-16")
    assert not _same_line("19  0.7443791128  0.0e+00", "19  0.7443791129  0.0e+00")
    assert not _same_line("accuracy 100%", "accuracy 90%")


# The float64 examples (02, 03) print the same digits on any machine; 01 is float32 on
# 2x2 matrices, printed to 4 decimals. 04-07 depend on BLAS kernels, so their README
# tables are checked by hand (their quick runs are tested above).
@pytest.mark.parametrize("stem", ["01_xor", "02_softmax_single_sample", "03_per_neuron_network"])
def test_examples_readme_quotes_a_full_run(stem, monkeypatch, capsys):
    if stem.startswith("02") and not _has("torch"):
        pytest.skip("the README's table has the PyTorch rows")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    _module(stem).main([])  # the full run, no files written
    lines = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    chunks = _readme_chunks(stem)
    assert _appears_in_order(chunks, lines), (
        f"examples/README.md's output of {stem}.py is not what a full run prints now:\n" + "\n".join(lines)
    )


@pytest.mark.parametrize("mnist_present, quick, expected", [(True, False, "mnist"), (True, True, "mnist-sample"),
                                                            (False, False, "mnist-sample")])
def test_examples_mnist_prefers_full_mnist_when_present(monkeypatch, capsys, mnist_present, quick, expected):
    # 04-06 use full MNIST when its files are on the machine (never downloading), else mnist-sample.
    from types import SimpleNamespace

    from nnumpy import datasets

    monkeypatch.syspath_prepend(str(EXAMPLES))
    import _common

    calls = []

    def fake_load(name, split="train", **kwargs):
        calls.append((name, kwargs))
        return np.zeros((3, 1, 28, 28), np.float32), np.zeros(3, np.int64)

    rows = [SimpleNamespace(name="mnist-sample", present=True), SimpleNamespace(name="mnist", present=mnist_present)]
    monkeypatch.setattr(datasets, "available", lambda: rows)
    monkeypatch.setattr(datasets, "load", fake_load)
    name, (X, _), _ = _common.mnist(quick)
    assert name == expected and X.shape == (3, 784)
    assert all(n == expected for n, _ in calls)
    if expected == "mnist":
        assert all(kw == {"download": False} for _, kw in calls)
    out = capsys.readouterr().out
    assert out.startswith(f"data: {expected}")
    assert ("full MNIST not found locally" in out) == (not mnist_present and not quick)
