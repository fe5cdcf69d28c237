"""DataParallel: what fit does differently when it trains on several MPI processes (``nnumpy.distributed``).

fit calls this object at five places and nowhere else: before training (same
weights, same seed, sharded training data), after each backward (one
all-reduce of the gradients and a "loss not finite" flag), at the end of each
epoch (the epoch's sums added over the ranks, BatchNorm buffers averaged),
when writing a checkpoint (the sums of all ranks; rank 0 writes) and when
resuming (rank 0 takes the saved sums, the others start theirs at zero). An
exception on one rank ends the whole job (``MPI_Abort``) with a message
instead of leaving the others waiting in a collective.
"""

from __future__ import annotations

import copy
import hashlib
import math

import numpy as np

from .. import distributed as dist
from .._validation import param_error
from ..data import DataLoader

__all__ = ["DataParallel", "data_parallel"]

#: The epoch sums added over the ranks (the others, ``batch`` and ``elapsed``, are the same or rank 0's).
_ADDED = ("loss_sum", "seen", "correct", "counted")


def data_parallel(owner: str, distributed) -> "DataParallel | None":
    """The DataParallel helper fit uses, or None for one process.

    ``distributed=None`` (fit's default) means: data-parallel when a launcher
    (``mpiexec``, ``srun``) started more than one process, else not.
    """
    if distributed is None:
        distributed = dist.launched() > 1
    if not isinstance(distributed, (bool, np.bool_)):
        raise param_error(owner, "distributed", "a bool or None", distributed, TypeError)
    return DataParallel(dist.init()) if distributed else None


class DataParallel:
    """fit's data-parallel steps over the communicator ``comm`` (see the module docstring)."""

    def __init__(self, comm) -> None:
        self.comm = comm
        self.model = None  # set by start()
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.is_main = self.rank == 0

    # ------------------------------------------------------------------ before training
    def shared_rng(self, owner: str, rng):
        """A seed every rank shares: rank 0's fresh entropy for ``None``; an int or Generator is checked to agree."""
        if rng is None:
            return self.comm.bcast(int(np.random.SeedSequence().entropy) if self.is_main else None, root=0)
        state = rng.bit_generator.state if isinstance(rng, np.random.Generator) else rng
        self.check_same(owner, "rng", repr(state))
        return rng

    def check_same(self, owner: str, what: str, text: str) -> None:
        """Raise the same error on every rank when ``text`` differs between ranks."""
        digests = self.comm.allgather(hashlib.sha256(text.encode()).hexdigest())
        if len(set(digests)) > 1:
            raise ValueError(f"{owner}: {what} differs between the {self.size} ranks; data-parallel training needs "
                             f"the same {what} on every rank (an int seed, or None to share rank 0's).")

    def shard(self, owner: str, loader: DataLoader, given: bool) -> DataLoader:
        """``loader`` over this rank's shard: fit's own loaders are rebuilt sharded, a user's must already be."""
        if loader.sampler is None:
            if given:
                raise TypeError(f"{owner}: with distributed training a DataLoader must shard the data: build it "
                                "with DataLoader(..., rng=<the same seed on every rank>, distributed=True).")
            loader = DataLoader(loader.dataset, loader.batch_size, loader.shuffle, loader.drop_last,
                                rng=loader.rng, distributed=True)
        self.check_same(owner, "DataLoader rng state", repr(loader.rng.bit_generator.state))
        return loader

    def start(self, model) -> None:
        """Every rank starts from rank 0's weights (and BatchNorm buffers)."""
        self.model = model
        dist.broadcast_parameters(model, comm=self.comm)

    # ------------------------------------------------------------------ each step
    def backward(self, loss: float, loss_fn, backward) -> bool:
        """Backward, then one all-reduce of the gradients and a not-finite flag; True when every rank's loss is finite.

        A rank whose loss is not finite skips its backward and sends zeros:
        every rank sends a buffer of the same size, and all of them stop
        (before the optimizer step) when one of them saw NaN or inf.
        """
        finite = math.isfinite(loss)
        if finite:
            backward(loss_fn.backward())
        average = getattr(loss_fn, "reduction", "mean") != "sum"  # mean: 1/N Σ_r g_r; sum: Σ_r g_r
        (bad,) = dist.allreduce_gradients(self.model, average, flags=(0.0 if finite else 1.0,), comm=self.comm)
        return bad == 0

    # ------------------------------------------------------------------ epochs and checkpoints
    def summed(self, state):
        """A copy of ``state`` whose epoch sums (loss, samples, correct, confusion, top-k) are added over the ranks."""
        sums = state.epoch_sums()
        parts = [np.array([sums[k] for k in _ADDED], dtype=np.float64), np.asarray(sums.get("topk", ()), float)]
        if "confusion" in sums:
            parts.append(np.asarray(sums["confusion"], dtype=np.float64).ravel())
        flat = dist.sum_values(np.concatenate(parts), comm=self.comm)
        sums.update({k: v for k, v in zip(_ADDED, flat)})
        k = len(parts[1])
        if k:
            sums["topk"] = [int(v) for v in flat[len(_ADDED):len(_ADDED) + k]]
        if "confusion" in sums:
            sums["confusion"] = np.rint(flat[len(_ADDED) + k:]).astype(np.int64).reshape(sums["confusion"].shape)
        total = copy.copy(state)
        total.load_epoch_sums(sums)
        return total

    def end_epoch(self, model) -> None:
        """Average BatchNorm's running statistics over the ranks (each rank updated them from its own batches)."""
        dist.average_buffers(model, comm=self.comm)

    def resumed(self, state) -> None:
        """After resume: the checkpoint holds the sums of all ranks, which rank 0 keeps and the others clear."""
        if not self.is_main:
            batch, elapsed = state.batch, state.elapsed
            state.clear_epoch_sums()
            state.batch, state.elapsed = batch, elapsed

    def guard(self, owner: str):
        """An exception on this rank ends every rank's process (MPI_Abort) with a message, instead of a hang."""
        return dist.abort_on_error(owner, self.comm)
