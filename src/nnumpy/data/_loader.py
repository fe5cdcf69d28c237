"""DataLoader: mini-batches over a Dataset, reshuffled every epoch, resumable mid-epoch.

A ``DataLoader`` epoch visits every sample exactly once: with ``shuffle=True``
in the order of a fresh permutation drawn from the loader's own generator
(sampling without replacement), otherwise in index order. For a
``TensorDataset`` without shuffling each batch is a *view* (a slice of the
original arrays); with shuffling it is a fresh contiguous array gathered from
the batch's indices (``np.take(X, perm[s:e], axis=0)``). Gathering per batch
holds one batch, where a shuffled copy per epoch would hold a second copy of
the whole data set (188 MB for Fashion-MNIST), and costs no more: the batch is
still in cache when the model reads it (benchmarks/NOTES.md).

Exact resume: ``state_dict()`` records the epoch counter, the position inside
the epoch and the generator's state at the start of the epoch (the permutation
is regenerated from it rather than stored) plus its current state;
``load_state_dict()`` restores them so the next iteration continues with the
same remaining batches, bit for bit.

Data parallelism: with ``distributed=True`` every rank draws the same
permutation (give every rank the same ``rng`` seed) and iterates over its own
shard of it (:class:`DistributedSampler`); ``len(loader)`` counts the shard's
batches, and ``batch_size`` is per rank.
"""

from __future__ import annotations

import copy
import math
from typing import Iterator

import numpy as np

from .._random import as_generator
from .._validation import check_bool, check_int
from ..errors import DataError
from ._dataset import TensorDataset
from ..distributed import DistributedSampler

__all__ = ["DataLoader"]

_STATE_VERSION = 1


def _collate(samples: list, batch: int):
    """Stack a list of samples (arrays, numbers or tuples of them) into a batch."""
    first = samples[0]
    try:
        if isinstance(first, (tuple, list)):
            if any(not isinstance(s, (tuple, list)) or len(s) != len(first) for s in samples):
                raise ValueError("samples have different numbers of fields")
            return tuple(np.stack([np.asarray(s[j]) for s in samples]) for j in range(len(first)))
        return np.stack([np.asarray(s) for s in samples])
    except ValueError as e:
        raise DataError(f"DataLoader could not stack the samples of batch {batch} into arrays: {e}") from None


def _to_json(obj):
    """Bit-generator states hold ints, strs and (MT19937) uint32 arrays; make them JSON-able."""
    if isinstance(obj, dict):
        return {k: _to_json(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": obj.tolist(), "dtype": obj.dtype.str}
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


_STATE_DTYPES = {np.dtype(t).str for t in (np.uint32, np.uint64, np.int32, np.int64)}


def _from_json(obj):
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            # Read from a file: only the integer dtypes a bit generator holds, never one sized by the
            # file (a dtype of 'S200000000' would allocate 200 MB per element before any other check).
            code = obj.get("dtype")
            if code not in _STATE_DTYPES:
                raise ValueError(f"RNG state array has dtype {str(code)[:20]!r}; expected one of {sorted(_STATE_DTYPES)}")
            return np.asarray(obj["__ndarray__"], dtype=np.dtype(code))
        return {k: _from_json(v) for k, v in obj.items()}
    return obj


class DataLoader:
    """Iterate over a data set in mini-batches, reshuffled every epoch.

    ``len(loader)`` is the number of batches per epoch:
    ``ceil(N / batch_size)``, or ``floor(N / batch_size)`` with ``drop_last``.
    ``batch_size=1`` gives online learning. Batches of a :class:`TensorDataset`
    are tuples of arrays that may be views of the data (always, without
    shuffling; see module docstring): treat them as read-only, or copy before
    modifying. Any other :class:`Dataset` is read sample by sample and stacked.

    Each ``iter(loader)`` starts a new epoch and draws a fresh permutation
    (when shuffling) from the loader's generator; leaving an epoch early and
    iterating again starts the next epoch.

    Args:
        dataset (Dataset): anything with ``__len__`` and ``__getitem__``; non-empty.
        batch_size (int): samples per batch, >= 1. Default 1.
        shuffle (bool): draw a new permutation each epoch. Default False.
        drop_last (bool): drop the final batch when smaller than ``batch_size``. Default False.
        rng: None, an int seed or a ``np.random.Generator`` (used, not copied). Default None.
        distributed (bool | DistributedSampler): iterate over this rank's shard
            of each epoch's order only (see :class:`DistributedSampler` for
            padding and ``drop_last``); ``True`` shards over
            ``nnumpy.distributed.world_size()`` ranks with padding, a
            ``DistributedSampler`` chooses ranks and ``drop_last`` (its
            ``shuffle`` and ``seed`` are not used: the loader's decide).
            Default False.

    Shape:
        A batch of ``TensorDataset(X, y)`` is ``(X[idx], y[idx])`` with
        ``len(idx) = batch_size`` (the last one may be shorter).

    Raises:
        TypeError / ValueError: a bad parameter (standard message). DataError: an
            empty dataset. ValueError: ``drop_last`` with fewer samples than one batch.

    Example:
        >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
        >>> loader = DataLoader(ds, batch_size=2, shuffle=True, rng=0)
        >>> len(loader), [yb.shape[0] for _, yb in loader], loader.epoch
        (3, [2, 2, 1], 1)
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False, *, rng=None,
                 distributed=False):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader expected a Dataset (an object with __len__ and __getitem__), got "
                f"{type(dataset).__name__}. Wrap arrays with TensorDataset(X, y)."
            )
        if isinstance(dataset, tuple) and dataset and all(isinstance(a, np.ndarray) for a in dataset):
            raise TypeError(
                f"DataLoader got a plain tuple of {len(dataset)} arrays, which it would batch as one sequence of "
                f"{len(dataset)} samples: wrap arrays with TensorDataset(X, y), e.g. DataLoader(TensorDataset(X, y))."
            )
        self.dataset = dataset
        self.batch_size = check_int("DataLoader", "batch_size", batch_size, ge=1)
        self.shuffle = check_bool("DataLoader", "shuffle", shuffle)
        self.drop_last = check_bool("DataLoader", "drop_last", drop_last)
        self.rng = as_generator(rng, "DataLoader")
        self.sampler = _sampler(distributed, len(dataset))
        n = self._shard_size(self._num_samples())
        if self.drop_last and n < self.batch_size:
            raise ValueError(
                f"DataLoader with drop_last=True and batch_size={self.batch_size} would yield no batches from "
                f"{n} samples; use a smaller batch_size or drop_last=False."
            )
        self._epoch = 0
        self._in_progress = False  # an epoch has begun and has not run to its end
        self._batch_index = 0  # batches handed out in the current epoch
        self._perm: np.ndarray | None = None
        self._epoch_n = n
        self._epoch_rng_state: dict | None = None
        self._resume = False  # load_state_dict restored a mid-epoch position
        self._token = 0  # identifies the live iterator; older ones stop updating state

    # -- sizes -------------------------------------------------------------
    def _num_samples(self) -> int:
        n = len(self.dataset)
        if n < 1:
            raise DataError(f"DataLoader got an empty dataset ({type(self.dataset).__name__} of length {n}).")
        return n

    def _shard_size(self, n: int) -> int:
        """Samples per epoch for this rank: ``n``, or the shard's length when distributed."""
        return n if self.sampler is None else len(self.sampler)

    def _num_batches(self, n: int) -> int:
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __len__(self) -> int:
        return self._num_batches(self._shard_size(len(self.dataset)))

    @property
    def epoch(self) -> int:
        """Epochs finished so far, i.e. the 0-based index of the epoch now running."""
        return self._epoch

    @property
    def batch_index(self) -> int:
        """Batches handed out so far in the current epoch."""
        return self._batch_index if self._in_progress else 0

    # -- iteration ---------------------------------------------------------
    def _begin_epoch(self) -> None:
        n = self._num_samples()
        self._epoch_rng_state = copy.deepcopy(self.rng.bit_generator.state)
        self._perm = self._sharded(self.rng.permutation(n) if self.shuffle else None, n)
        self._epoch_n = self._shard_size(n)
        self._in_progress = True

    def _sharded(self, perm: np.ndarray | None, n: int) -> np.ndarray | None:
        """This rank's shard of the epoch's order (index order without shuffling); ``perm`` when not distributed."""
        if self.sampler is None:
            return perm
        return self.sampler.shard(np.arange(n) if perm is None else perm)

    def __iter__(self) -> Iterator:
        return self.iter_from(None)

    def iter_from(self, batch_index: int | None = None) -> Iterator:
        """Iterate over an epoch starting at batch ``batch_index``.

        After :meth:`load_state_dict` restored a mid-epoch position, this
        continues that epoch (``None`` = at the saved position); otherwise it
        starts a new epoch, drawing its permutation as ``iter(loader)`` would,
        and skips the first ``batch_index`` batches without reading them.

        Args:
            batch_index (int | None): first batch to yield, 0 <= batch_index <= len(loader).
                Default None: the saved position after ``load_state_dict``, else 0.
        """
        if batch_index is not None:
            batch_index = check_int("DataLoader.iter_from", "batch_index", batch_index, ge=0, le=len(self))
        if self._resume:
            self._resume = False
            start = self._batch_index if batch_index is None else batch_index
        else:
            if self._in_progress:  # previous epoch was left early, or its end not yet reached
                self._epoch += 1
            self._begin_epoch()
            start = batch_index or 0
        self._batch_index = start
        self._token += 1
        return self._batches(self._token, start)

    def _batches(self, token: int, start: int) -> Iterator:
        n, bs, perm, ds = self._epoch_n, self.batch_size, self._perm, self.dataset
        n_batches = self._num_batches(n)
        if isinstance(ds, TensorDataset):
            arrays = ds.arrays
            if perm is None:
                get = lambda s, e: tuple(a[s:e] for a in arrays)  # noqa: E731
            else:
                # Gathered batch by batch: one batch in memory, never a shuffled copy of the data set.
                get = lambda s, e: tuple(np.take(a, perm[s:e], axis=0) for a in arrays)  # noqa: E731
        else:
            order = perm if perm is not None else np.arange(n)
            get = lambda s, e: _collate([ds[int(i)] for i in order[s:e]], s // bs)  # noqa: E731
        for b in range(start, n_batches):
            batch = get(b * bs, min(b * bs + bs, n))
            if token == self._token:
                self._batch_index = b + 1
            yield batch
        if token == self._token:
            self._in_progress = False
            self._batch_index = 0
            self._epoch += 1

    # -- checkpointing -----------------------------------------------------
    def state_dict(self) -> dict:
        """Return the loader's position and RNG state as a JSON-serialisable dict.

        Keys: ``epoch``, ``batch_index`` (batches already consumed in that epoch),
        ``epoch_rng_state`` (generator state at the start of the running epoch,
        or None between epochs), ``rng_state`` (current generator state), and
        ``num_samples``/``batch_size``/``shuffle``/``drop_last`` to check the
        loader it is restored into. An epoch whose last batch was handed out
        counts as finished.
        """
        running = self._in_progress and self._batch_index < self._num_batches(self._epoch_n)
        finished = self._in_progress and not running
        return {
            "version": _STATE_VERSION,
            "epoch": self._epoch + int(finished),
            "batch_index": self._batch_index if running else 0,
            "epoch_rng_state": _to_json(self._epoch_rng_state) if running else None,
            "rng_state": _to_json(self.rng.bit_generator.state),
            "num_samples": len(self.dataset),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
            "num_replicas": 1 if self.sampler is None else self.sampler.num_replicas,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict`; the next iteration resumes exactly where it was saved.

        Raises:
            ValueError: the state is malformed or was saved for a loader with a
                different dataset length, batch_size, shuffle or drop_last.
        """
        if not isinstance(state, dict):
            raise TypeError(f"DataLoader.load_state_dict expected a dict, got {type(state).__name__}.")
        keys = ("version", "epoch", "batch_index", "epoch_rng_state", "rng_state", "num_samples",
                "batch_size", "shuffle", "drop_last")  # fmt: skip
        missing = [k for k in keys if k not in state]
        if missing:
            raise ValueError(f"DataLoader state is missing key(s) {', '.join(missing)}.")
        if state["version"] != _STATE_VERSION:
            raise ValueError(f"DataLoader state version {state['version']!r} is not supported (expected 1).")
        mine = {"num_samples": len(self.dataset), "batch_size": self.batch_size, "shuffle": self.shuffle,
                "drop_last": self.drop_last}  # fmt: skip
        if state.get("num_replicas", 1) != (1 if self.sampler is None else self.sampler.num_replicas):
            del mine["batch_size"]  # another number of ranks: the position converts in samples (_batch_index_for)
        for key, value in mine.items():
            if state[key] != value:
                raise ValueError(
                    f"DataLoader state was saved with {key}={state[key]!r} but this loader has {key}={value!r}."
                )
        epoch = check_int("DataLoader.load_state_dict", "epoch", state["epoch"], ge=0)
        index = self._batch_index_for(state)
        bitgen = self.rng.bit_generator
        resume = state["epoch_rng_state"] is not None
        n = self._num_samples()
        try:
            # Validate both states on a scratch generator of the same kind before touching ours.
            scratch = type(bitgen)()
            current = _from_json(state["rng_state"])
            scratch.state = current
            if resume:
                epoch_state = _from_json(state["epoch_rng_state"])
                scratch.state = epoch_state
                # The interrupted epoch's permutation, regenerated exactly as _begin_epoch drew it.
                perm = self._sharded(np.random.Generator(scratch).permutation(n) if self.shuffle else None, n)
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(
                f"DataLoader state holds an RNG state this loader's {type(bitgen).__name__} cannot take: {e}"
            ) from None
        bitgen.state = current
        if resume:
            self._epoch_rng_state, self._perm, self._epoch_n = epoch_state, perm, self._shard_size(n)
        self._epoch = epoch
        self._resume = self._in_progress = resume
        self._batch_index = index if resume else 0
        self._token += 1  # iterators created before the restore no longer move the position

    def _batch_index_for(self, state: dict) -> int:
        """The saved position in batches of this loader: a state saved on another number of ranks converts.

        The same position in the epoch's order is ``batch_index · batch_size ·
        num_replicas`` samples; it must fall on a batch boundary of this loader.
        """
        owner = "DataLoader.load_state_dict"
        index = check_int(owner, "batch_index", state["batch_index"], ge=0)
        saved = check_int(owner, "num_replicas", state.get("num_replicas", 1), ge=1)
        mine = 1 if self.sampler is None else self.sampler.num_replicas
        if saved != mine and index:
            saved_batch = check_int(owner, "batch_size", state["batch_size"], ge=1)
            done, per_batch = index * saved_batch * saved, self.batch_size * mine
            if done % per_batch:
                raise ValueError(
                    f"DataLoader state was saved {index} batches into an epoch on {saved} rank(s) ({done} samples), "
                    f"which is not a whole number of batches of {per_batch} samples on {mine}: resume from a "
                    "checkpoint written at an epoch's end, or on the same number of ranks.")
            index = done // per_batch
        return check_int(owner, "batch_index", index, ge=0, le=len(self))

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, epoch={self._epoch})"
        )


def _sampler(distributed, n: int) -> DistributedSampler | None:
    """The sampler that ``DataLoader(distributed=...)`` shards with, or None."""
    if isinstance(distributed, DistributedSampler):
        if distributed.num_samples != n:
            raise ValueError(f"DataLoader got a DistributedSampler of {distributed.num_samples} samples for a "
                             f"dataset of {n}; build it with DistributedSampler({n}, ...).")
        return distributed
    if check_bool("DataLoader", "distributed", distributed):
        return DistributedSampler(max(n, 1), shuffle=False)
    return None
