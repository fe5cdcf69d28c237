"""The MPI side of tests/distributed/test_mpi.py: ``mpiexec -n N python _mpi_worker.py CASE OUT [ARGS]``.

Each case trains with ``fit(..., distributed=True)`` and writes what the test
compares into the folder OUT: ``rank<r>.npz`` (that rank's final parameters and
buffers) and ``rank<r>.json`` (its History losses). The builders are imported
by the test too, so the one-process reference is built the same way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from nnumpy import distributed, nn, optim
from nnumpy.train import fit

N_SAMPLES = 96  # a multiple of 2 ranks × 4 and of the one-process batch 8: no padding
PER_RANK_BATCH = 4


def data(dtype=np.float64):
    """A 3-class problem, 96 samples of 5 features (fixed seed)."""
    gen = np.random.default_rng(42)
    X = gen.standard_normal((N_SAMPLES, 5)).astype(dtype)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1).astype(np.int64)
    return X, y


def mlp(dtype=np.float64, batchnorm: bool = False):
    """5-16-3 tanh MLP (with BatchNorm1d after the first Linear when asked), fixed seeds."""
    layers = [nn.Linear(5, 16, rng=1, dtype=dtype)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(16, momentum=1.0, dtype=dtype))  # running stats = the last batch's
    layers += [nn.Tanh(), nn.Linear(16, 3, rng=2, dtype=dtype)]
    return nn.Sequential(*layers)


def train(model, batch_size: int, epochs: int, lr: float = 0.1, **kwargs):
    """SGD with momentum and weight decay (state that must stay equal on every rank), seed 0."""
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-3)
    X, y = data(model[0].weight.dtype)
    return fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=epochs, batch_size=batch_size, rng=0,
               progress=False, verbose=False, **kwargs)


def arrays(model) -> dict[str, np.ndarray]:
    return {**dict(model.named_parameters()), **dict(model.named_buffers())}


def _write(out: Path, model, history) -> None:
    r = distributed.rank()
    np.savez(out / f"rank{r}.npz", **{k: np.asarray(v) for k, v in arrays(model).items() if v is not None})
    rows = {"loss": history["loss"], "accuracy": history["accuracy"], "world_size": distributed.world_size()}
    (out / f"rank{r}.json").write_text(json.dumps(rows))


class FailOnRank(nn.Module):
    """Identity, except that rank ``rank`` raises on its third forward."""

    def __init__(self, rank: int) -> None:
        super().__init__()
        self.rank, self.calls = rank, 0

    def forward(self, x):
        self.calls += 1
        if distributed.rank() == self.rank and self.calls == 3:
            raise RuntimeError("deliberate failure in FailOnRank")
        return x

    def backward(self, grad_output, input_grad: bool = True):
        return grad_output


def main(case: str, out: Path, *args: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if case in ("float64", "float32"):
        model = mlp(np.dtype(case))
        _write(out, model, train(model, PER_RANK_BATCH, epochs=3, distributed=True))
    elif case == "batchnorm":  # args: lr
        model = mlp(batchnorm=True)
        _write(out, model, train(model, PER_RANK_BATCH, epochs=1, lr=float(args[0]), distributed=True))
    elif case == "fail":
        model = nn.Sequential(FailOnRank(1), mlp())
        opt = optim.SGD(model.parameters(), lr=0.1)
        fit(model, nn.CrossEntropyLoss(), opt, data(), epochs=2, batch_size=4, rng=0, progress=False,
            verbose=False, distributed=True)
    elif case == "files":  # rng=None (rank 0's seed shared) and callbacks that write files
        from nnumpy.train import CSVLogger, ModelCheckpoint

        model = mlp()
        saver = ModelCheckpoint(str(out / "epoch{epoch}.safetensors"))
        opt = optim.SGD(model.parameters(), lr=0.1)
        history = fit(model, nn.CrossEntropyLoss(), opt, data(), epochs=2, batch_size=4, progress=False,
                      verbose=False, callbacks=[saver, CSVLogger(out / "log.csv")], distributed=True)
        _write(out, model, history)
        from nnumpy.train._distributed import DataParallel

        seed = DataParallel(distributed.init()).shared_rng("fit", None)  # what fit does for rng=None
        (out / f"saved{distributed.rank()}.json").write_text(json.dumps([len(saver.saved), str(seed)]))
    elif case == "resume":  # args: epochs, checkpoint path, and "from" for resuming it
        epochs, ckpt = int(args[0]), args[1]
        resume = ckpt if len(args) > 2 else None
        model = mlp()
        per_rank = 8 // distributed.world_size()  # the same global batch on any number of ranks
        history = train(model, per_rank, epochs, checkpoint=ckpt, resume=resume,
                        distributed=distributed.world_size() > 1)
        _write(out, model, history)
    else:
        raise SystemExit(f"unknown case {case!r}")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), *sys.argv[3:])
