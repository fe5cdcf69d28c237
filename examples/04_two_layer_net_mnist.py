"""The textbook TwoLayerNet on MNIST: 784-100-10, ReLU, weights N(0, 0.01²), SGD lr 0.1, batch 100.

What it teaches: the smallest network that learns MNIST well, with the
textbook's settings (Saito, *Deep Learning from Scratch*, ch. 5: Affine → ReLU
→ Affine → Softmax-with-loss, ``weight_init_std=0.01``, zero biases, mini-batches
of 100, lr 0.1, about 10,000 steps). It prints train and test accuracy after
every epoch, both measured on the whole set in eval mode: when the two curves
stay together the net is not overfitting.

With full MNIST (60,000 images) an epoch is 600 steps and the textbook's
10,000 steps are ≈ 17 epochs, the default here. Without it the bundled
``mnist-sample`` is used (8,000 / 2,000 images, 80 steps an epoch); the script
says which.

Run: ``python examples/04_two_layer_net_mnist.py [--epochs 17] [--quick]``.
"""

from __future__ import annotations

import numpy as np

from _common import mlp, mnist, parse_args, print_table
from nnumpy import nn, optim
from nnumpy.train import Callback, evaluate, fit

HIDDEN = 100
WEIGHT_STD = 0.01
LR = 0.1
BATCH = 100


def two_layer_net(rng) -> nn.Sequential:
    """784-100-10 with W ~ N(0, 0.01²) and b = 0, as the textbook's TwoLayerNet."""
    g = np.random.default_rng(rng)
    model = mlp((784, HIDDEN, 10), nn.ReLU, rng=g)
    for layer in (model[0], model[2]):
        nn.init.normal_(layer.weight, 0.0, WEIGHT_STD, rng=g)
        nn.init.zeros_(layer.bias)
    return model


class TrainAccuracy(Callback):
    """After each epoch, the accuracy on the whole training set with the epoch's final weights."""

    def __init__(self, data):
        self.data = data
        self.values: list[float] = []

    def on_epoch_end(self, state):
        self.values.append(evaluate(state.model, self.data)["accuracy"])


def main(argv=None) -> dict:
    args = parse_args(__doc__, argv, epochs=(17, 4))  # 17 epochs ≈ the textbook's 10,000 steps on MNIST
    name, train, test = mnist(args.quick, n_quick=(2000, 500))

    model = two_layer_net(args.seed)
    train_acc = TrainAccuracy(train)
    history = fit(
        model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=LR), train,
        epochs=args.epochs, batch_size=BATCH, val=test, callbacks=[train_acc], rng=args.seed,
        progress=False, verbose=False,
    )
    rows = [(row["epoch"], row["loss"], acc, row["val_accuracy"]) for row, acc in zip(history, train_acc.values)]
    print_table(
        ("epoch", "mean batch loss", "train acc", "test acc"), rows,
        title=f"TwoLayerNet 784-{HIDDEN}-10 ReLU, SGD lr {LR}, batch {BATCH}, on {name}:",
    )
    return {
        "dataset": name,
        "train_accuracy": train_acc.values,
        "test_accuracy": history["val_accuracy"],
        "accuracy": history["val_accuracy"][-1],
    }


if __name__ == "__main__":
    main()
