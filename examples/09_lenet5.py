"""LeNet-5 (LeCun et al., 1998) on the bundled MNIST sample: two conv-pool stages, then three Linear layers.

What it teaches: a deeper convolutional network, with the shapes a learner
should be able to predict before running it:

    Conv2d(1, 6, 5, padding=2)   (N, 1, 28, 28) → (N, 6, 28, 28)   padding 2 gives the paper's 32×32 geometry
    ReLU, MaxPool2d(2)           → (N, 6, 14, 14)
    Conv2d(6, 16, 5)             → (N, 16, 10, 10)                  each filter sees all 6 maps (the paper: a sparse table)
    ReLU, MaxPool2d(2)           → (N, 16, 5, 5)
    Flatten, Linear(400, 120), ReLU, Linear(120, 84), ReLU, Linear(84, 10)

The paper's tanh and trainable subsampling are replaced by ReLU and max-pooling,
as in today's textbook versions. It prints the model's summary, then the
mean batch loss and test accuracy after every epoch (SGD lr 0.05, momentum 0.9,
batch 64), the final test accuracy (≈ 98.3 % on ``mnist-sample`` after 10
epochs) and a trace of one forward and backward pass of a batch of 2: every
layer's input and output shapes in both directions. With ``--out DIR`` (and
matplotlib) it draws the first layer's six filters and the 16 feature maps
of a test digit after the second conv stage.

Run: ``python examples/09_lenet5.py [--epochs N] [--out DIR] [--quick]``.
"""

from __future__ import annotations

import io

import numpy as np

import nnumpy
from _common import has_matplotlib, out_dir, parse_args, print_table
from nnumpy import datasets, nn, optim
from nnumpy.train import evaluate, fit

LR = 0.05
MOMENTUM = 0.9
BATCH = 64


def lenet5(rng) -> nn.Sequential:
    """LeNet-5 for 1×28×28 inputs, ReLU and max-pooling, PyTorch's default init drawn from ``rng``."""
    g = np.random.default_rng(rng)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=g), nn.ReLU(), nn.MaxPool2d(2),  # (N, 6, 14, 14)
        nn.Conv2d(6, 16, 5, rng=g), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 5, 5)
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120, rng=g), nn.ReLU(),  # (N, 120)
        nn.Linear(120, 84, rng=g), nn.ReLU(), nn.Linear(84, 10, rng=g),  # (N, 10)
    )


def main(argv=None) -> dict:
    args = parse_args(__doc__, argv, epochs=(10, 2))
    folder = out_dir(args.out)
    (X, y), (Xt, yt) = datasets.load("mnist-sample", split="train"), datasets.load("mnist-sample", split="test")
    if args.quick:
        X, y, Xt, yt = X[:1000], y[:1000], Xt[:500], yt[:500]
    print(f"data: mnist-sample{' (quick: first 1000 / 500)' if args.quick else ''}; train {X.shape}, test {Xt.shape}")

    model = lenet5(args.seed)
    print(model.summary((BATCH, 1, 28, 28)))
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    history = fit(model, loss_fn, opt, (X, y), epochs=args.epochs, batch_size=BATCH, val=(Xt, yt), rng=args.seed,
                  progress=False, verbose=False)
    print()
    print_table(("epoch", "mean batch loss", "test acc"),
                [(r["epoch"], r["loss"], r["val_accuracy"]) for r in history],
                title=f"LeNet-5, SGD lr {LR} momentum {MOMENTUM}, batch {BATCH}, seed {args.seed}:")
    final = evaluate(model, (Xt, yt), loss_fn)
    print(f"\ntest accuracy {final['accuracy']:.2%} on {final['n']} images (loss {final['loss']:.4f})")

    text = io.StringIO()
    with nnumpy.trace(model, file=text):  # one forward and backward of 2 images, shapes only
        out = model(Xt[:2])
        model.backward(np.ones_like(out))
    print("\n" + text.getvalue().rstrip())
    model.zero_grad()  # the traced backward is not a training step

    result = {"dataset": "mnist-sample", "accuracy": final["accuracy"], "test_accuracy": history["val_accuracy"],
              "loss": history["loss"]}
    if folder is not None and has_matplotlib():
        from nnumpy import plot

        files = [folder / "09_filters.png", folder / "09_feature_maps.png"]
        plot.plot_filters(model[0], path=files[0])
        plot.plot_feature_maps(model, Xt[0], layer=5, path=files[1])  # after the second pool: (1, 16, 5, 5)
        print("wrote " + ", ".join(str(f) for f in files))
        result["files"] = [str(f) for f in files]
    return result


if __name__ == "__main__":
    main()
