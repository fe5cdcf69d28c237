"""The book's SimpleConvNet: conv 30@5×5 → ReLU → max-pool 2×2 → Affine 100 → ReLU → Affine 10, SGD lr 0.1, batch 100.

What it teaches: the first convolutional network of *Deep Learning from
Scratch* (Saito, ch. 7), built from nnumpy's layers with PyTorch's names:

    Conv2d(1, 30, 5)    (N, 1, 28, 28) → (N, 30, 24, 24)   30 filters of 5×5, im2col + one matrix product
    ReLU, MaxPool2d(2)  → (N, 30, 12, 12)                  the largest value of every 2×2 tile
    Flatten, Linear(4320, 100), ReLU, Linear(100, 10)      the classifier on the 4,320 features

Images stay 4-D (N, C, H, W) from the data set to the first Linear. It prints
the model's summary (every layer's output shape), then the mean batch loss and
the test accuracy after every epoch, and the final test accuracy. After
training, the 30 first-layer filters have turned from noise into edge and blob
detectors; with ``--out DIR`` (and matplotlib) it draws them
(``nnumpy.plot.plot_filters``) and one test image's 30 feature maps after the
first ReLU (``nnumpy.plot.plot_feature_maps``), the book's figures 7-24/7-26.

Data (``--data``): the bundled ``mnist-sample`` (8,000 train / 2,000 test
digits, default; 20 epochs, 1,600 steps, reach ≈ 97.8 %), or full Fashion-MNIST
(``--data fashion-mnist``, 60,000 / 10,000 images, never downloaded here; 3
epochs as in the issue reach ≈ 87.9 %, within 0.2 points of PyTorch with the
same network, weights and batches: ``benchmarks/bench_cnn.py`` compares them).

Run: ``python examples/08_simple_convnet.py [--data fashion-mnist] [--epochs N] [--out DIR] [--quick]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from _common import has_matplotlib, out_dir, parse_args, print_table
from nnumpy import datasets, nn, optim
from nnumpy.train import evaluate, fit

LR = 0.1
BATCH = 100
EPOCHS = {"mnist-sample": (20, 2), "fashion-mnist": (3, 1)}  # (full, --quick)


def simple_convnet(rng, image_hw=(28, 28)) -> nn.Sequential:
    """Conv2d(1, 30, 5) → ReLU → MaxPool2d(2) → Flatten → Linear(30·12·12, 100) → ReLU → Linear(100, 10)."""
    g = np.random.default_rng(rng)
    h, w = ((s - 5 + 1) // 2 for s in image_hw)  # 28 → conv 24 → pool 12
    return nn.Sequential(
        nn.Conv2d(1, 30, 5, rng=g), nn.ReLU(), nn.MaxPool2d(2),  # (N, 30, 12, 12)
        nn.Flatten(), nn.Linear(30 * h * w, 100, rng=g), nn.ReLU(), nn.Linear(100, 10, rng=g),
    )


def load(name: str, quick: bool):
    """``((X, y), (X_test, y_test))`` with X of shape (N, 1, 28, 28), float32 in [0, 1]."""
    kw = {"download": False} if name == "fashion-mnist" else {}
    (X, y), (Xt, yt) = datasets.load(name, split="train", **kw), datasets.load(name, split="test", **kw)
    if quick:
        X, y, Xt, yt = X[:1000], y[:1000], Xt[:500], yt[:500]
    print(f"data: {name}{' (quick: first 1000 / 500)' if quick else ''}; train {X.shape}, test {Xt.shape}")
    return (X, y), (Xt, yt)


def write_plots(model: nn.Sequential, image, folder) -> list:
    from nnumpy import plot

    filters, maps = folder / "08_filters.png", folder / "08_feature_maps.png"
    plot.plot_filters(model[0], path=filters)
    plot.plot_feature_maps(model, image, layer=1, path=maps)  # after the first ReLU: (1, 30, 24, 24)
    return [filters, maps]


def main(argv=None) -> dict:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--data", choices=tuple(EPOCHS), default="mnist-sample")
    known, rest = pre.parse_known_args(argv)
    args = parse_args(__doc__, rest, epochs=EPOCHS[known.data])
    folder = out_dir(args.out)
    train, test = load(known.data, args.quick)

    model = simple_convnet(args.seed)
    print(model.summary((BATCH, 1, 28, 28)))
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, loss_fn, optim.SGD(model.parameters(), lr=LR), train, epochs=args.epochs,
                  batch_size=BATCH, val=test, rng=args.seed, progress=False, verbose=False)
    print()
    print_table(("epoch", "mean batch loss", "test acc", "seconds"),
                [(r["epoch"], r["loss"], r["val_accuracy"], f"{r['time']:.1f}") for r in history],
                title=f"SimpleConvNet, SGD lr {LR}, batch {BATCH}, seed {args.seed}, on {known.data}:")
    final = evaluate(model, test, loss_fn)
    print(f"\ntest accuracy {final['accuracy']:.2%} on {final['n']} images (loss {final['loss']:.4f})")
    result = {"dataset": known.data, "accuracy": final["accuracy"], "test_accuracy": history["val_accuracy"],
              "loss": history["loss"]}
    if folder is not None and has_matplotlib():
        files = write_plots(model, test[0][0], folder)
        print("wrote " + ", ".join(str(f) for f in files))
        result["files"] = [str(f) for f in files]
    return result


if __name__ == "__main__":
    main()
