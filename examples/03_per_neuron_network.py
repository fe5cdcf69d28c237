"""A 2-2-2 sigmoid network written neuron by neuron, and the same network as Linear + Sigmoid layers.

What it teaches: the classic "backprop from scratch" tutorial keeps each neuron
as a dict ``{'weights': [w1, w2, bias], 'output': o, 'delta': δ}`` and loops
over neurons. Its three steps are exactly what the layers do on arrays:

    per neuron                                       layers
    a = bias + Σ_i w_i x_i;  o = σ(a)                 Linear (x Wᵀ + b, one row of W per neuron), Sigmoid
    output δ = dE/do · o(1 − o) = 2(o − t)·o(1 − o)   MSELoss(reduction='sum').backward() → Sigmoid.backward
    hidden δ_j = (Σ_k w_kj δ_k) · o_j(1 − o_j)        Linear.backward (G W) → Sigmoid.backward
    w_i ← w_i − lr·δ·x_i;  bias ← bias − lr·δ         Linear.backward (Gᵀ x, Σ G) → SGD(lr).step()

The loss is E = Σ_outputs (o − t)² for a one-hot target t, so dE/do = 2(o − t).
Training: online SGD (one sample per step, no shuffling) at lr 0.4 for 20 epochs
on the classic 10-point 2-D data set, float64, with the tutorial's initial
weights (Python ``random.seed(1)``, then ``random()`` for each hidden neuron's
[w1, w2, bias], then for each output neuron's). Both formulations print the
summed squared error of each epoch and must agree to 1e-12.

The original tutorial updates with δ = (o − t)·o(1 − o), leaving out the 2 of
d(o − t)²/do; the script checks that its run at lr 0.4 equals this one at lr 0.2.

Run: ``python examples/03_per_neuron_network.py`` (``--quick`` is the same run: it takes milliseconds).
"""

from __future__ import annotations

import math
import random

import numpy as np

from _common import parse_args, print_table
from nnumpy import nn, optim

# The classic data set: (x1, x2, class), in this order.
DATASET = [
    (2.7810836, 2.550537003, 0),
    (1.465489372, 2.362125076, 0),
    (3.396561688, 4.400293529, 0),
    (1.38807019, 1.850220317, 0),
    (3.06407232, 3.005305973, 0),
    (7.627531214, 2.759262235, 1),
    (5.332441248, 2.088626775, 1),
    (6.922596716, 1.77106367, 1),
    (8.675418651, -0.242068655, 1),
    (7.673756466, 3.508563011, 1),
]
N_INPUTS, N_HIDDEN, N_OUTPUTS = 2, 2, 2
LR = 0.4
EPOCHS = 20
TOLERANCE = 1e-12


# ---------------------------------------------------------------------- the per-neuron formulation
def initial_network(seed: int = 1) -> list[list[dict]]:
    """The tutorial's initial weights: [w1, w2, bias] per hidden neuron, then per output neuron.

    ``random.Random(1).random()`` yields the same numbers as ``random.seed(1); random.random()``
    without touching the global ``random`` state.
    """
    r = random.Random(seed)
    hidden = [{"weights": [r.random() for _ in range(N_INPUTS + 1)]} for _ in range(N_HIDDEN)]
    output = [{"weights": [r.random() for _ in range(N_HIDDEN + 1)]} for _ in range(N_OUTPUTS)]
    return [hidden, output]


def forward_per_neuron(network, row) -> list[float]:
    inputs = list(row[:N_INPUTS])
    for layer in network:
        outputs = []
        for neuron in layer:
            w = neuron["weights"]
            activation = w[-1] + sum(wi * xi for wi, xi in zip(w[:-1], inputs))  # bias + Σ w_i x_i
            neuron["output"] = 1.0 / (1.0 + math.exp(-activation))
            outputs.append(neuron["output"])
        inputs = outputs
    return inputs


def backward_per_neuron(network, target: list[float], factor: float) -> None:
    """δ of every neuron; ``factor`` is dE/do ÷ (o − t): 2 for E = Σ (o − t)², 1 in the original tutorial."""
    hidden, output = network
    for neuron, t in zip(output, target):
        o = neuron["output"]
        neuron["delta"] = factor * (o - t) * o * (1.0 - o)
    for j, neuron in enumerate(hidden):
        error = sum(k["weights"][j] * k["delta"] for k in output)
        o = neuron["output"]
        neuron["delta"] = error * o * (1.0 - o)


def update_per_neuron(network, row, lr: float) -> None:
    inputs = list(row[:N_INPUTS])
    for layer in network:
        for neuron in layer:
            for i, x in enumerate(inputs):
                neuron["weights"][i] -= lr * neuron["delta"] * x
            neuron["weights"][-1] -= lr * neuron["delta"]
        inputs = [neuron["output"] for neuron in layer]


def train_per_neuron(network, lr: float, epochs: int, factor: float = 2.0) -> list[float]:
    """Online SGD in dataset order; returns Σ_samples Σ_outputs (o − t)² of each epoch."""
    errors = []
    for _ in range(epochs):
        total = 0.0
        for row in DATASET:
            target = [1.0 if k == row[-1] else 0.0 for k in range(N_OUTPUTS)]
            outputs = forward_per_neuron(network, row)
            total += sum((o - t) ** 2 for o, t in zip(outputs, target))
            backward_per_neuron(network, target, factor)
            update_per_neuron(network, row, lr)
        errors.append(total)
    return errors


# ---------------------------------------------------------------------- the layer formulation
def as_layers(network) -> nn.Sequential:
    """Linear + Sigmoid twice, float64; neuron j's [w1, w2, bias] becomes row j of W and b[j]."""
    model = nn.Sequential(
        nn.Linear(N_INPUTS, N_HIDDEN, dtype=np.float64), nn.Sigmoid(),
        nn.Linear(N_HIDDEN, N_OUTPUTS, dtype=np.float64), nn.Sigmoid(),
    )
    for linear, layer in zip((model[0], model[2]), network):
        linear.weight.data[...] = [n["weights"][:-1] for n in layer]  # (out, in)
        linear.bias.data[...] = [n["weights"][-1] for n in layer]  # (out,)
    return model


def train_layers(model: nn.Sequential, lr: float, epochs: int) -> list[float]:
    """The same online SGD with MSELoss(reduction='sum') (backward 2(o − t)) and SGD, batch size 1."""
    X = np.array([row[:N_INPUTS] for row in DATASET], dtype=np.float64)  # (10, 2)
    T = np.eye(N_OUTPUTS)[[row[-1] for row in DATASET]]  # (10, 2) one-hot targets
    loss_fn = nn.MSELoss(reduction="sum")
    opt = optim.SGD(model.parameters(), lr=lr)
    errors = []
    for _ in range(epochs):
        total = 0.0
        for i in range(len(X)):
            opt.zero_grad()
            out = model(X[i : i + 1])  # (1, 2)
            total += loss_fn(out, T[i : i + 1])
            model.backward(loss_fn.backward())
            opt.step()
        errors.append(total)
    return errors


def accuracy(model: nn.Sequential) -> float:
    X = np.array([row[:N_INPUTS] for row in DATASET])
    y = np.array([row[-1] for row in DATASET])
    return float(np.mean(model(X).argmax(axis=1) == y))


def main(argv=None) -> dict:
    parse_args(__doc__, argv, seed=None)  # --quick is accepted; the full run is already instant

    print("Initial weights (random.seed(1), [w1, w2, bias] per neuron):")
    for name, layer in zip(("hidden", "output"), initial_network()):
        for j, neuron in enumerate(layer):
            print(f"  {name} {j}: {[round(w, 6) for w in neuron['weights']]}")
    print()

    network = initial_network()
    model = as_layers(initial_network())
    e_neuron = train_per_neuron(network, LR, EPOCHS)
    e_layers = train_layers(model, LR, EPOCHS)
    diffs = [abs(a - b) for a, b in zip(e_neuron, e_layers)]
    rows = [(i + 1, f"{a:.10f}", f"{b:.10f}", f"{d:.1e}") for i, (a, b, d) in enumerate(zip(e_neuron, e_layers, diffs))]
    print_table(
        ("epoch", "per-neuron error", "Linear+Sigmoid error", "|Δ|"), rows,
        title=f"Σ (o − t)² per epoch, online SGD lr {LR}, float64:",
    )
    max_diff = max(diffs)
    if max_diff > TOLERANCE:
        raise RuntimeError(f"the two formulations disagree: max |Δ error| = {max_diff:.2e} > {TOLERANCE}")
    w_diff = max(
        float(np.abs(lin.weight.data - [n["weights"][:-1] for n in layer]).max())
        for lin, layer in zip((model[0], model[2]), network)
    )
    acc = accuracy(model)
    print(f"\nBoth agree to {max_diff:.1e} in the error and {w_diff:.1e} in the final weights; accuracy {acc:.0%}.")

    # The original tutorial's update leaves out the 2: at lr 0.4 it is this network at lr 0.2.
    tutorial = train_per_neuron(initial_network(), LR, EPOCHS, factor=1.0)
    halved = train_layers(as_layers(initial_network()), LR / 2, EPOCHS)
    tut_diff = max(abs(a - b) for a, b in zip(tutorial, halved))
    print(
        f"The original tutorial's δ = (o − t)·o(1 − o) omits the factor 2: its run at lr {LR} "
        f"equals MSELoss(sum) + SGD at lr {LR / 2}\n(max |Δ error| over {EPOCHS} epochs: {tut_diff:.1e}; "
        f"its final error {tutorial[-1]:.4f})."
    )
    return {
        "errors_per_neuron": e_neuron,
        "errors_layers": e_layers,
        "max_abs_diff": max_diff,
        "max_weight_diff": w_diff,
        "accuracy": acc,
        "tutorial_vs_half_lr_diff": tut_diff,
    }


if __name__ == "__main__":
    main()
