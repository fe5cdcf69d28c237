"""The 784-512-256-10 sigmoid MLP (SGD lr 0.5, batch 32, 10 epochs), in nnumpy and in PyTorch side by side.

What it teaches: that hand-written backprop trains a real network to the same
result as an autograd framework. Both copies start from the same weights
(nnumpy's init, which is PyTorch's default for ``Linear``: U(±1/√fan_in),
copied into ``torch.nn.Linear``), see the same mini-batches in the same order
(two ``DataLoader``s with the same seed) and compute in float32. What
separates them is only the order in which float32 sums are rounded (BLAS
kernels differ), and SGD does not amplify that much here: the epoch losses
agree to about six digits, the weights end within ~1e-5 of each other, and
in the runs we made the test accuracies differ by at most a test image or two: the same
accuracy within noise. The script prints both columns and the final gaps.

Without PyTorch the nnumpy half runs alone and the script says so.

Run: ``python examples/06_mlp_vs_pytorch.py [--epochs 10] [--quick]``.
"""

from __future__ import annotations

import numpy as np

from _common import Timer, mlp, mnist, optional, parse_args, print_table
from nnumpy import nn, optim
from nnumpy.data import DataLoader, TensorDataset
from nnumpy.train import fit

SIZES = (784, 512, 256, 10)
LR = 0.5
BATCH = 32


def torch_twin(torch, model: nn.Sequential):
    """The same Linear/Sigmoid stack in PyTorch, loaded with ``model``'s weights (same parameter names)."""
    layers = []
    for m in model:
        if isinstance(m, nn.Linear):
            layers.append(torch.nn.Linear(m.in_features, m.out_features))
        else:
            layers.append(torch.nn.Sigmoid())
    twin = torch.nn.Sequential(*layers)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return twin


def train_torch(torch, twin, loader: DataLoader, test, epochs: int) -> list[dict]:
    """Plain PyTorch loop over the nnumpy DataLoader's batches; one row per epoch."""
    opt = torch.optim.SGD(twin.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xte, yte = torch.from_numpy(test[0]), torch.from_numpy(test[1])
    rows = []
    for epoch in range(epochs):
        with Timer() as t:
            total, seen = 0.0, 0
            twin.train()
            for xb, yb in loader:
                opt.zero_grad()
                loss = loss_fn(twin(torch.from_numpy(xb)), torch.from_numpy(yb))
                loss.backward()
                opt.step()
                total += loss.item() * len(yb)
                seen += len(yb)
        twin.eval()
        with torch.no_grad():
            acc = (twin(Xte).argmax(1) == yte).double().mean().item()
        rows.append({"epoch": epoch + 1, "loss": total / seen, "val_accuracy": acc, "time": t.seconds})
    return rows


def main(argv=None) -> dict:
    args = parse_args(__doc__, argv, epochs=(10, 2))
    epochs = args.epochs
    name, train, test = mnist(args.quick, n_quick=(1000, 500))

    def loader():
        return DataLoader(TensorDataset(*train), batch_size=BATCH, shuffle=True, rng=args.seed)

    model = mlp(SIZES, nn.Sigmoid, rng=args.seed)
    torch = optional("torch", "test")
    twin = torch_twin(torch, model) if torch is not None else None  # copied before nnumpy trains

    history = fit(
        model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=LR), loader(),
        epochs=epochs, val=test, progress=False, verbose=False,
    )
    ours = list(history)
    theirs = train_torch(torch, twin, loader(), test, epochs) if torch is not None else None

    title = f"784-512-256-10 sigmoid, SGD lr {LR}, batch {BATCH}, on {name}, same init and batch order:"
    seconds = sum(r["time"] for r in ours)
    if theirs is None:
        rows = [(r["epoch"], f"{r['loss']:.6f}", r["val_accuracy"]) for r in ours]
        print_table(("epoch", "nnumpy loss", "nnumpy test acc"), rows, title=title)
        print(f"\nnnumpy: {seconds:.1f} s of training. PyTorch is not installed, so there is nothing to compare with.")
        weight_diff = None
    else:
        rows = [
            (a["epoch"], f"{a['loss']:.6f}", f"{b['loss']:.6f}", a["val_accuracy"], b["val_accuracy"])
            for a, b in zip(ours, theirs)
        ]
        print_table(("epoch", "nnumpy loss", "torch loss", "nnumpy test acc", "torch test acc"), rows, title=title)
        n_test = len(test[1])
        gap = abs(ours[-1]["val_accuracy"] - theirs[-1]["val_accuracy"])
        theirs_state = twin.state_dict()
        weight_diff = max(float(np.abs(v - theirs_state[k].numpy()).max()) for k, v in model.state_dict().items())
        print(
            f"\nFinal test accuracy differs by {gap:.2%} ({round(gap * n_test)} of {n_test} test images); "
            f"max |W_nnumpy − W_torch| = {weight_diff:.1e}.\n"
            f"Training time (wall, CPU): nnumpy {seconds:.1f} s, PyTorch {sum(r['time'] for r in theirs):.1f} s."
        )
    return {
        "dataset": name,
        "test_accuracy": [r["val_accuracy"] for r in ours],
        "loss": [r["loss"] for r in ours],
        "torch_test_accuracy": [r["val_accuracy"] for r in theirs] if theirs else None,
        "torch_loss": [r["loss"] for r in theirs] if theirs else None,
        "max_weight_diff": weight_diff,
        "accuracy": ours[-1]["val_accuracy"],
    }


if __name__ == "__main__":
    main()
