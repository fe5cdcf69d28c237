"""Data-parallel training over MPI: every process holds the whole model and a shard of the data.

One training step on N processes (ranks), each with its own batch of b samples:

1. every rank runs forward and backward on its batch, as on one machine;
2. :func:`allreduce_gradients` adds the N gradients together (and divides by N
   for a mean loss) in one ``MPI.Allreduce`` over one flat buffer;
3. every rank takes the same optimizer step from the same gradient, so the
   weights stay identical without ever being sent again.

Why step 2 is right is backprop's own rule: the gradient of a sum is the sum
of the gradients. A mean loss over the global batch of N·b samples is

    L = 1/(N·b) Σ_i ℓ_i = 1/N Σ_r L_r,   with L_r = 1/b Σ_{i in rank r} ℓ_i,

so ∂L/∂θ = 1/N Σ_r ∂L_r/∂θ: the average of the ranks' gradients is the
gradient one process would compute on the global batch. N processes with
batch b therefore follow the trajectory of one process with batch N·b
(up to the order in which floating-point sums are added).

:func:`broadcast_parameters` copies rank 0's initial weights to the others;
:class:`DistributedSampler` gives each rank a disjoint shard of the same
seeded permutation. ``fit(..., distributed=True)`` does all of it; see
``docs/distributed.md`` for launching, BatchNorm and the cost model.

MPI comes from ``mpi4py`` (``pip install "nnumpy[mpi]"`` installs it with MPICH),
imported only when a function here needs it. Without a launcher (no
``mpiexec``/``srun``), :func:`rank`, :func:`world_size` and :func:`is_main`
answer 0, 1 and True without importing it.

Example:
    >>> from nnumpy import distributed
    >>> distributed.rank(), distributed.world_size(), distributed.is_main()  # not under mpiexec
    (0, 1, True)
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import traceback
from typing import Any, Iterator

import numpy as np

from ._validation import check_bool, check_int

__all__ = [
    "init", "rank", "world_size", "is_main", "launched", "broadcast_parameters", "allreduce_gradients",
    "average_buffers", "DistributedSampler", "abort", "abort_on_error", "share",
]

#: Environment variables a launcher sets to the number of processes: MPICH/Hydra and
#: Slurm's PMI (``PMI_SIZE``), Open MPI (``OMPI_COMM_WORLD_SIZE``), PMIx (``PMIX_SIZE``).
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE")

_MISSING = ("nnumpy.distributed needs mpi4py and an MPI library: pip install \"nnumpy[mpi]\" "
            "(installs mpi4py and MPICH), then launch with mpiexec -n 2 python your_script.py.")


def launched() -> int:
    """The number of processes the launcher started (from its environment), 1 when none did.

    Reads environment variables only, so it never imports mpi4py: ``fit`` uses
    it to decide whether to train data-parallel by default.
    """
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 1


def init():
    """Import mpi4py (initialising MPI) and return ``MPI.COMM_WORLD``; raises ImportError naming the ``mpi`` extra."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"{_MISSING} ({e})") from None
    return MPI.COMM_WORLD


def _comm():
    """COMM_WORLD under a launcher, None otherwise (one process, nothing to talk to)."""
    if launched() <= 1 and "mpi4py.MPI" not in sys.modules:
        return None
    return init()


def rank() -> int:
    """This process's index in ``0 .. world_size() - 1`` (0 without a launcher)."""
    comm = _comm()
    return 0 if comm is None else comm.Get_rank()


def world_size() -> int:
    """The number of processes training together (1 without a launcher)."""
    comm = _comm()
    return 1 if comm is None else comm.Get_size()


def is_main() -> bool:
    """True on rank 0, the process that prints, draws progress and writes files."""
    return rank() == 0


def abort(message: str, comm=None, code: int = 1) -> None:
    """Print ``message`` on stderr and end *every* process of the job (``MPI_Abort``).

    A rank that raised while the others wait inside a collective would leave
    them waiting forever; aborting ends the job with this message instead.
    """
    print(message, file=sys.stderr, flush=True)
    (comm or init()).Abort(code)


@contextlib.contextmanager
def abort_on_error(owner: str, comm=None):
    """Turn an exception on this rank into :func:`abort`: one message, and every process of the job ends.

    Without it, a rank that raises exits while the others wait forever inside
    the next collective (the all-reduce of the next step). A job of one
    process has no one waiting: the exception propagates as usual.
    """
    try:
        yield
    except (KeyboardInterrupt, Exception) as e:  # noqa: BLE001 - reported, then the job ends
        comm = comm or init()
        if comm.Get_size() == 1:
            raise
        tail = "".join(traceback.format_exception_only(type(e), e)).strip()
        abort(f"{owner}: rank {comm.Get_rank()} of {comm.Get_size()} failed, ending the MPI job: {tail}", comm)
        raise  # Abort does not return; kept for a communicator whose Abort does


def _float_arrays(model) -> Iterator[np.ndarray]:
    """The model's parameter arrays, then its floating-point buffers (BatchNorm's running statistics)."""
    for p in model.parameters():
        yield p.data
    for b in model.buffers():
        if b is not None and np.issubdtype(b.dtype, np.floating):
            yield b


def broadcast_parameters(model, root: int = 0, *, comm=None) -> None:
    """Copy the parameters and floating-point buffers of rank ``root`` into every rank's ``model``, in place.

    Ranks that built their models from different seeds start training from the
    same weights after this call. One ``Bcast`` per dtype moves all tensors
    (packed into one flat buffer).

    Args:
        model: the ``Module`` (the same architecture on every rank).
        root: the rank whose values win. Default: ``0``.
        comm: an mpi4py communicator. Default: ``MPI.COMM_WORLD``.
    """
    comm = comm or init()
    arrays = list(_float_arrays(model))
    for dtype in sorted({a.dtype.str for a in arrays}):
        group = [a for a in arrays if a.dtype.str == dtype]
        flat = np.concatenate([a.ravel() for a in group])  # (P,)
        comm.Bcast(flat, root=root)
        _unpack(flat, group)


def _unpack(flat: np.ndarray, arrays: list[np.ndarray]) -> None:
    """Write consecutive pieces of ``flat`` back into ``arrays`` (in place, same order as packed)."""
    start = 0
    for a in arrays:
        a[...] = flat[start:start + a.size].reshape(a.shape)
        start += a.size


def allreduce_gradients(model, average: bool = True, *, flags=(), comm=None) -> np.ndarray:
    """Sum (or average) every parameter's gradient over all ranks: g ← Σ_r g_r (/ N), in one flat buffer.

    The backward of "one loss over the samples of all ranks": the gradient of a
    sum is the sum of the gradients, so adding the ranks' gradients gives the
    gradient of the global batch's summed loss (``reduction='sum'``), and
    dividing by N that of its mean (``reduction='mean'``, batches of equal size
    on every rank, as :class:`DistributedSampler` guarantees). All gradients
    travel together, packed into one buffer: one ``Allreduce`` per step, whose
    cost is a latency plus the bytes of the model, rather than one latency per tensor.

    A parameter whose ``grad`` is ``None`` takes part as zeros (so that every
    rank sends a buffer of the same size) and receives the summed gradient.

    Args:
        model: the ``Module`` whose ``p.grad`` arrays are reduced.
        average: divide the sum by the number of ranks (for a mean loss).
            Default: ``True``.
        flags: numbers summed along in the same buffer (``fit`` sends a
            "my loss was not finite" flag, so that every rank takes the same
            decision after the same call). Default: ``()``.
        comm: an mpi4py communicator. Default: ``MPI.COMM_WORLD``.

    Returns:
        The summed ``flags`` as a float64 array (empty without flags).

    Example (under ``mpiexec -n 2``; each rank's gradient is its rank + 1)::

        for p in model.parameters(): p.grad = np.full(p.shape, rank() + 1.0)
        allreduce_gradients(model)        # every grad is now (1 + 2) / 2 = 1.5 on both ranks
    """
    comm = comm or init()
    params = list(model.parameters())
    sizes = [p.size for p in params]
    flat = np.zeros(sum(sizes) + len(flags), dtype=params[0].dtype if params else np.float64)  # (P + flags,)
    start = 0
    for p, size in zip(params, sizes):  # pack this rank's gradient g_r
        if p.grad is not None:
            flat[start:start + size] = p.grad.ravel()
        start += size
    flat[start:] = flags
    comm.Allreduce(_in_place(), flat)  # flat ← Σ_r flat_r: the gradient of the summed loss
    grads = flat[:start]
    if average:
        grads /= flat.dtype.type(comm.Get_size())  # ... of the mean loss
    start = 0
    for p, size in zip(params, sizes):  # unpack: views into the buffer, in each parameter's shape
        p.grad = grads[start:start + size].reshape(p.shape)
        start += size
    return flat[start:].astype(np.float64)


def _in_place():
    """``MPI.IN_PLACE``: the buffer is both what this rank sends and where the sum arrives."""
    from mpi4py import MPI

    return MPI.IN_PLACE


def average_buffers(model, *, comm=None) -> None:
    """Replace each floating-point buffer (BatchNorm's running mean and variance) by its mean over the ranks.

    Under data parallelism each rank's BatchNorm normalises its own batch and
    updates its running statistics from it; averaging them (fit does it at the
    end of every epoch) makes the ranks agree again, and the running mean the
    average of the ranks' estimates.
    """
    comm = comm or init()
    buffers = [b for b in model.buffers() if b is not None and np.issubdtype(b.dtype, np.floating)]
    if not buffers:
        return
    flat = np.concatenate([b.ravel() for b in buffers]).astype(np.float64)
    comm.Allreduce(_in_place(), flat)
    flat /= comm.Get_size()
    _unpack(flat, buffers)


def share(obj: Any, root: int = 0) -> Any:
    """Rank ``root``'s ``obj`` on every rank (a small picklable value: a folder name); ``obj`` on one process."""
    comm = _comm()
    return obj if comm is None else comm.bcast(obj, root=root)


def sum_values(values: Any, comm=None) -> np.ndarray:
    """Sum an array of numbers over the ranks (float64), e.g. an epoch's loss sums and correct counts."""
    comm = comm or init()
    flat = np.array(values, dtype=np.float64).ravel()
    comm.Allreduce(_in_place(), flat)
    return flat


# ---------------------------------------------------------------------------- sharding the data
def _this_rank() -> int:
    """:func:`rank`, under a name that ``DistributedSampler``'s ``rank`` argument does not hide."""
    return rank()


class DistributedSampler:
    """Split each epoch's order of ``num_samples`` indices into ``num_replicas`` disjoint, equal shards.

    Every rank draws the *same* permutation (the same seed) and keeps every
    ``num_replicas``-th index starting at its ``rank``: rank r gets
    ``order[r::N]``. Batch k of every rank together is then exactly samples
    ``order[k·N·b : (k+1)·N·b]``, the batch k one process would see with batch
    size N·b, which is why N ranks follow the one-process trajectory.

    When N does not divide the number of samples, the shards are made equal
    (every rank must take the same number of steps) as PyTorch's
    ``DistributedSampler`` does:

    - ``drop_last=False`` (default): pad the order by repeating its first
      ``ceil(n/N)·N − n`` indices, so a few samples count twice per epoch;
    - ``drop_last=True``: drop the last ``n mod N`` indices of the order (a
      different few each epoch when shuffling).

    Used alone, iterating gives this rank's indices for the current epoch,
    drawn from ``np.random.default_rng([seed, epoch])``; call
    :meth:`set_epoch` before each epoch. ``DataLoader(..., distributed=True)``
    uses :meth:`shard` on the permutation its own generator draws.

    Args:
        num_samples (int): size of the data set, >= 1.
        num_replicas (int | None): number of ranks, >= 1. Default: ``nnumpy.distributed.world_size()``.
        rank (int | None): this rank, in ``0 .. num_replicas-1``. Default: ``nnumpy.distributed.rank()``.
        shuffle (bool): a new permutation each epoch, else index order. Default: ``True``.
        seed (int): seed of the permutations, the same on every rank. Default: ``0``.
        drop_last (bool): drop the tail instead of padding (see above). Default: ``False``.

    Example:
        >>> s = DistributedSampler(10, num_replicas=4, rank=1, shuffle=False)
        >>> len(s), list(s)  # order 0..9 padded with 0, 1; rank 1 takes positions 1, 5, 9
        (3, [1, 5, 9])
        >>> list(DistributedSampler(10, num_replicas=4, rank=1, shuffle=False, drop_last=True))
        [1, 5]
    """

    def __init__(self, num_samples: int, *, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        owner = "DistributedSampler"
        num_replicas = world_size() if num_replicas is None else num_replicas
        rank = _this_rank() if rank is None else rank
        self.num_samples = check_int(owner, "num_samples", num_samples, ge=1)
        self.num_replicas = check_int(owner, "num_replicas", num_replicas, ge=1)
        self.rank = check_int(owner, "rank", rank, ge=0, le=self.num_replicas - 1)
        self.shuffle = check_bool(owner, "shuffle", shuffle)
        self.seed = check_int(owner, "seed", seed, ge=0)
        self.drop_last = check_bool(owner, "drop_last", drop_last)
        if self.drop_last and self.num_samples < self.num_replicas:
            raise ValueError(f"{owner} with drop_last=True gives no samples to {self.num_replicas} ranks from "
                             f"{self.num_samples}; use drop_last=False (padding) or more data.")
        self.epoch = 0

    def __len__(self) -> int:
        """Indices per rank per epoch: ``ceil(n/N)``, or ``floor(n/N)`` with ``drop_last``."""
        n, replicas = self.num_samples, self.num_replicas
        return n // replicas if self.drop_last else math.ceil(n / replicas)

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of ``epoch`` on the next iteration (the same call on every rank)."""
        self.epoch = check_int("DistributedSampler.set_epoch", "epoch", epoch, ge=0)

    def shard(self, order: np.ndarray) -> np.ndarray:
        """This rank's part of ``order`` (a permutation of the indices): ``order[rank::N]``, padded or cut."""
        total = len(self) * self.num_replicas
        if total > len(order):  # pad: repeat the order from its start, as often as needed (n < N)
            order = np.resize(order, total)
        return order[self.rank:total:self.num_replicas]  # (len(self),)

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.num_samples)
        else:
            order = np.arange(self.num_samples)
        return iter(self.shard(order).tolist())

    def __repr__(self) -> str:
        return (f"DistributedSampler({self.num_samples} samples, rank {self.rank} of {self.num_replicas}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")
