"""A two-layer sigmoid MLP (784-128-10) with Xavier-uniform weights, SGD lr 0.01, batch 32.

What it teaches: why the initial scale of the weights matters for sigmoid
units. Xavier (Glorot & Bengio, 2010) draws W ~ U(−a, a) with
a = √(6 / (fan_in + fan_out)), so Var(W) = 2 / (fan_in + fan_out) and the
pre-activations z = W x + b neither blow up nor vanish from layer to layer.
With W ~ N(0, 1) instead, a 784-input unit sums hundreds of unit-variance terms:
z has a standard deviation near 9 on MNIST, σ(z) sits near 0 or 1 where σ'(z) = σ(1 − σ) ≈ 0, so those
units pass almost no gradient back and their weights barely move; the output
logits are large too, so the network starts confidently wrong (a loss far
above ln 10 ≈ 2.30, the loss of a uniform guess).

The script measures, at initialisation, the spread of the hidden
pre-activations, the fraction of saturated units (σ'(z) < 0.01) and the
initial loss under both inits, then trains the Xavier network (biases zero)
and, for contrast, the N(0, 1) one with the same data order.

Run: ``python examples/05_sigmoid_mlp_xavier.py [--epochs 10] [--quick]``.
"""

from __future__ import annotations

import numpy as np

from _common import mlp, mnist, parse_args, print_table
from nnumpy import nn, optim
from nnumpy.train import fit

HIDDEN = 128
LR = 0.01
BATCH = 32


def sigmoid_mlp(init: str, rng) -> nn.Sequential:
    """784-128-10 sigmoid MLP, zero biases; ``init`` is 'xavier' (uniform) or 'normal' (N(0, 1))."""
    g = np.random.default_rng(rng)
    model = mlp((784, HIDDEN, 10), nn.Sigmoid, rng=g)
    for layer in (model[0], model[2]):
        if init == "xavier":
            nn.init.xavier_uniform_(layer.weight, rng=g)
        else:
            nn.init.normal_(layer.weight, 0.0, 1.0, rng=g)
        nn.init.zeros_(layer.bias)
    return model


def init_statistics(model: nn.Sequential, X: np.ndarray, y: np.ndarray) -> dict:
    """Std of the hidden pre-activations, fraction of saturated hidden units and the loss, before training."""
    z = model[0](X)  # (N, 128) pre-activations
    h = model[1](z)  # (N, 128)
    loss = nn.CrossEntropyLoss()(model[2](h), y)
    return {"z_std": float(z.std()), "saturated": float(np.mean(h * (1 - h) < 0.01)), "loss": loss}


def main(argv=None) -> dict:
    args = parse_args(__doc__, argv, epochs=(10, 2))
    name, train, test = mnist(args.quick, n_quick=(2000, 500))

    models = {init: sigmoid_mlp(init, args.seed) for init in ("xavier", "normal")}
    stats = {init: init_statistics(m, train[0][:256], train[1][:256]) for init, m in models.items()}
    labels = {"xavier": "Xavier uniform", "normal": "N(0, 1)"}
    print_table(
        ("init", "std of z = W1 x", "saturated units", "initial loss"),
        [(labels[init], s["z_std"], f"{s['saturated']:.1%}", s["loss"]) for init, s in stats.items()],
        title="At initialisation (256 training images; σ'(z) < 0.01 counts as saturated):",
    )
    print()

    histories = {}
    for init, model in models.items():
        histories[init] = fit(
            model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=LR), train,
            epochs=args.epochs, batch_size=BATCH, val=test, rng=args.seed, progress=False, verbose=False,
        )
    hx, hn = histories["xavier"], histories["normal"]
    rows = [
        (a["epoch"], a["loss"], a["val_accuracy"], b["loss"], b["val_accuracy"])
        for a, b in zip(hx, hn)
    ]
    print_table(
        ("epoch", "Xavier loss", "Xavier test acc", "N(0,1) loss", "N(0,1) test acc"), rows,
        title=f"784-{HIDDEN}-10 sigmoid, SGD lr {LR}, batch {BATCH}, on {name} (same data order for both):",
    )
    return {
        "dataset": name,
        "init_statistics": stats,
        "test_accuracy": hx["val_accuracy"],
        "accuracy": hx["val_accuracy"][-1],
        "normal_init_accuracy": hn["val_accuracy"][-1],
    }


if __name__ == "__main__":
    main()
