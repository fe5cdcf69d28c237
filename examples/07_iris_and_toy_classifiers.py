"""Iris with softmax regression and with a small MLP; blobs, moons and spiral classifiers.

What it teaches: what a hidden layer buys. Softmax regression (one ``Linear``
into ``CrossEntropyLoss``) draws straight class boundaries: enough for iris
(after standardising the features) and for well-separated blobs, hopeless
for the two moons and the spiral, whose classes no line separates. The same
data with one or two hidden ReLU layers bends the boundary around the
classes. Each data set is trained both ways with ``nnumpy.train.fit`` and
the train/test accuracies are printed side by side; with ``--out DIR`` and
matplotlib the 2-D decision boundaries are drawn too.

Run: ``python examples/07_iris_and_toy_classifiers.py [--out DIR] [--quick]``.
"""

from __future__ import annotations

import numpy as np

from _common import has_matplotlib, mlp, out_dir, parse_args, print_table
from nnumpy import datasets, nn, optim
from nnumpy.train import evaluate, fit

# name -> (load kwargs, hidden sizes of the MLP, epochs, quick epochs)
PROBLEMS = {
    "iris": ({}, (16,), 100, 30),
    "blobs": ({"n_samples": 300, "noise": 1.0}, (16,), 60, 20),
    "moons": ({"n_samples": 300, "noise": 0.1}, (32, 32), 200, 60),
    "spiral": ({"n_samples": 300, "noise": 0.2}, (64, 64), 300, 100),
}
LR = 0.1
MOMENTUM = 0.9
BATCH = 16


def standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zero mean, unit variance per feature, with the *training* statistics for both splits."""
    mean, std = train.mean(axis=0), train.std(axis=0)
    return (train - mean) / std, (test - mean) / std


def load(name: str, kwargs: dict, seed: int):
    """Train and test ``(X, y)`` of one problem, features standardised."""
    if name == "iris":
        (Xtr, ytr), (Xte, yte) = datasets.load("iris", split="train"), datasets.load("iris", split="test")
    else:
        Xtr, ytr = datasets.load(name, split="train", rng=seed, **kwargs)
        Xte, yte = datasets.load(name, split="test", rng=seed, **kwargs)
    Xtr, Xte = standardise(Xtr, Xte)
    return (Xtr, ytr), (Xte, yte)


def train(model, train_data, test_data, epochs: int, seed: int) -> tuple[float, float]:
    """Fit with SGD + momentum on cross-entropy; returns (train accuracy, test accuracy)."""
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    fit(model, nn.CrossEntropyLoss(), opt, train_data, epochs=epochs, batch_size=BATCH, rng=seed,
        progress=False, verbose=False)
    return evaluate(model, train_data)["accuracy"], evaluate(model, test_data)["accuracy"]


def draw_boundaries(models: dict, data: dict, folder) -> list:
    """Two PNGs per 2-D problem, the linear and the MLP decision boundary, with the test points."""
    from nnumpy import plot

    written = []
    for name, (linear, net) in models.items():
        X, y = data[name]
        if X.shape[1] != 2:
            continue
        for kind, model in (("linear", linear), ("mlp", net)):
            path = folder / f"07_{name}_{kind}.png"
            plot.plot_decision_boundary(model, X, y, path=path)
            written.append(path)
    return written


def main(argv=None) -> dict:
    args = parse_args(__doc__, argv)
    folder = out_dir(args.out)
    rows, results, models, test_sets = [], {}, {}, {}
    for name, (kwargs, hidden, epochs, quick_epochs) in PROBLEMS.items():
        epochs = quick_epochs if args.quick else epochs
        train_data, test_data = load(name, kwargs, args.seed)
        n_in, n_out = train_data[0].shape[1], int(train_data[1].max()) + 1
        linear = mlp((n_in, n_out), rng=args.seed)  # softmax regression: one Linear into CrossEntropyLoss
        net = mlp((n_in, *hidden, n_out), nn.ReLU, rng=args.seed)
        lin_tr, lin_te = train(linear, train_data, test_data, epochs, args.seed)
        mlp_tr, mlp_te = train(net, train_data, test_data, epochs, args.seed)
        arch = "-".join(str(s) for s in (n_in, *hidden, n_out))
        rows.append((name, len(train_data[1]), epochs, lin_tr, lin_te, arch, mlp_tr, mlp_te))
        results[name] = {"linear": {"train": lin_tr, "test": lin_te}, "mlp": {"train": mlp_tr, "test": mlp_te}}
        models[name] = (linear, net)
        test_sets[name] = test_data
    results["accuracy"] = min(r["mlp"]["test"] for r in results.values())  # the worst MLP test accuracy
    print_table(
        ("data", "n train", "epochs", "softmax-reg train", "softmax-reg test", "MLP", "MLP train", "MLP test"),
        rows, title=f"Accuracy; SGD lr {LR}, momentum {MOMENTUM}, batch {BATCH}, standardised features:",
    )
    if folder is not None and has_matplotlib():
        written = draw_boundaries(models, test_sets, folder)
        print(f"\nwrote {len(written)} decision-boundary plots (test points) to {folder}")
        results["files"] = [str(p) for p in written]
    return results


if __name__ == "__main__":
    main()
