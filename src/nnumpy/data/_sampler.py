"""DistributedSampler: one rank's disjoint shard of each epoch's permutation (data-parallel training)."""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from .._validation import check_bool, check_int

__all__ = ["DistributedSampler"]


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
        if num_replicas is None or rank is None:
            from .. import distributed

            num_replicas = distributed.world_size() if num_replicas is None else num_replicas
            rank = distributed.rank() if rank is None else rank
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
