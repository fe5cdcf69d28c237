"""Tests for nnumpy.data: Dataset, TensorDataset, DataLoader (order, views, resume, bad input)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnumpy.data import DataLoader, Dataset, TensorDataset
from nnumpy.errors import DataError


def _data(n=23, d=3):
    X = np.arange(n * d, dtype=np.float32).reshape(n, d)  # row i holds 3i, 3i+1, 3i+2
    y = np.arange(n, dtype=np.int64)  # y is the sample index: batches reveal the order
    return X, y


def _loader(n=23, batch_size=4, shuffle=True, drop_last=False, rng=0):
    X, y = _data(n)
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, rng=rng)


def _epoch_order(loader) -> np.ndarray:
    return np.concatenate([yb for _, yb in loader])


def _batches(it):
    # Copy: batches are views of a buffer the next epoch replaces.
    return [tuple(np.array(a) for a in b) for b in it]


@pytest.mark.parametrize("batch_size", [1, 3, 4, 22, 23, 50])
def test_dataloader_epoch_is_permutation(batch_size):
    loader = _loader(batch_size=batch_size)
    for _ in range(3):
        order = _epoch_order(loader)
        assert np.array_equal(np.sort(order), np.arange(23))  # every index exactly once


def test_dataloader_batches_pair_rows_with_labels():
    loader = _loader(batch_size=5)
    for xb, yb in loader:
        assert np.array_equal(xb[:, 0], 3 * yb.astype(np.float32))


def test_dataloader_shuffle_differs_across_epochs():
    loader = _loader(n=50)
    orders = [_epoch_order(loader) for _ in range(3)]
    assert not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[1], orders[2])


def test_dataloader_same_seed_reproducible():
    a, b = _loader(rng=7), _loader(rng=7)
    for _ in range(3):
        assert np.array_equal(_epoch_order(a), _epoch_order(b))
    assert not np.array_equal(_epoch_order(_loader(rng=7)), _epoch_order(_loader(rng=8)))


def test_dataloader_accepts_generator_rng():
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    assert np.array_equal(_epoch_order(_loader(rng=g1)), _epoch_order(_loader(rng=g2)))


def test_dataloader_no_shuffle_yields_views_in_order():
    X, y = _data()
    loader = DataLoader(TensorDataset(X, y), batch_size=5)
    order = []
    for xb, yb in loader:
        assert np.shares_memory(xb, X) and np.shares_memory(yb, y)
        order.append(yb)
    assert np.array_equal(np.concatenate(order), np.arange(23))


def test_dataloader_shuffled_batches_are_fresh_gathers_of_the_permutation():
    X, y = _data(n=40)
    loader = DataLoader(TensorDataset(X, y), batch_size=6, shuffle=True, rng=0)
    perm = np.random.default_rng(0).permutation(40)  # the loader's first epoch draws the same
    for i, (xb, yb) in enumerate(loader):
        idx = perm[6 * i : 6 * i + 6]
        assert np.array_equal(xb, X[idx]) and np.array_equal(yb, y[idx])
        assert xb.flags.c_contiguous and not np.shares_memory(xb, X) and not np.shares_memory(yb, y)


def test_dataloader_shuffled_epoch_holds_one_batch_not_a_copy_of_the_data():
    import tracemalloc

    X = np.zeros((4096, 256), np.float32)  # 4 MiB
    loader = DataLoader(TensorDataset(X, np.zeros(4096, np.int64)), batch_size=32, shuffle=True, rng=0)
    tracemalloc.start()
    try:
        for _ in loader:
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 8  # a batch is 32 KiB; a shuffled copy of X would be 4 MiB


@pytest.mark.parametrize(
    "n, batch_size, drop_last, n_batches, last",
    [
        (23, 4, False, 6, 3),
        (23, 4, True, 5, 4),
        (24, 4, False, 6, 4),
        (24, 4, True, 6, 4),
        (5, 1, False, 5, 1),
        (5, 5, True, 1, 5),
        (5, 9, False, 1, 5),
    ],
)
def test_dataloader_len_and_drop_last(n, batch_size, drop_last, n_batches, last):
    loader = _loader(n=n, batch_size=batch_size, drop_last=drop_last)
    sizes = [yb.shape[0] for _, yb in loader]
    assert len(loader) == n_batches == len(sizes)
    assert sizes[-1] == last and all(s == batch_size for s in sizes[:-1])
    if drop_last:
        assert sum(sizes) == n - n % batch_size


def test_dataloader_batch_size_one_is_online():
    loader = _loader(n=7, batch_size=1)
    batches = list(loader)
    assert len(batches) == 7
    assert all(xb.shape == (1, 3) and yb.shape == (1,) for xb, yb in batches)


def test_dataloader_epoch_counter():
    loader = _loader(n=10, batch_size=3)
    assert loader.epoch == 0
    it = iter(loader)
    next(it)
    assert loader.epoch == 0 and loader.batch_index == 1
    list(it)
    assert loader.epoch == 1 and loader.batch_index == 0
    it = iter(loader)
    next(it)
    iter(loader)  # leaving an epoch early and iterating again starts the next one
    assert loader.epoch == 2


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("stop", [0, 1, 3, 5, 6])
def test_dataloader_state_dict_resume_mid_epoch_bit_identical(shuffle, stop):
    reference = _loader(n=23, batch_size=4, shuffle=shuffle, rng=11)
    list(reference)  # finish epoch 0 so the resume happens in epoch 1
    it = iter(reference)
    for _ in range(stop):
        next(it)
    state = json.loads(json.dumps(reference.state_dict()))  # must survive JSON
    rest = _batches(it)
    following = _batches(reference)  # the epoch after, to check the RNG stream continues
    resumed = _loader(n=23, batch_size=4, shuffle=shuffle, rng=12345)  # a different seed is overwritten
    resumed.load_state_dict(state)
    # Saved after the last batch (stop == 6) the epoch counts as finished: nothing is left of it.
    got_rest = _batches(resumed) if stop < 6 else []
    got_following = _batches(resumed)
    assert len(got_rest) == len(rest) == 6 - stop
    for a, b in zip(got_rest + got_following, rest + following):
        assert all(np.array_equal(u, v) and u.dtype == v.dtype for u, v in zip(a, b))
    assert resumed.epoch == reference.epoch == 3


def test_dataloader_state_dict_after_last_batch_counts_epoch_finished():
    loader = _loader(n=8, batch_size=4, rng=2)
    it = iter(loader)
    next(it), next(it)  # every batch handed out, StopIteration not yet reached
    state = loader.state_dict()
    assert state["epoch"] == 1 and state["batch_index"] == 0 and state["epoch_rng_state"] is None
    expected = _batches(loader)  # epoch 1 of the original
    other = _loader(n=8, batch_size=4, rng=99)
    other.load_state_dict(state)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(_batches(other), expected))


def test_dataloader_state_dict_between_epochs_resumes_next_epoch():
    a = _loader(rng=5)
    list(a)
    state = a.state_dict()
    b = _loader(rng=6)
    b.load_state_dict(state)
    assert b.epoch == 1
    assert np.array_equal(_epoch_order(a), _epoch_order(b))


def test_dataloader_state_dict_json_with_mt19937():
    X, y = _data()
    gen = np.random.Generator(np.random.MT19937(4))
    a = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=True, rng=gen)
    it = iter(a)
    next(it)
    state = json.loads(json.dumps(a.state_dict()))
    rest = _batches(it)
    b = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=True, rng=np.random.Generator(np.random.MT19937(0)))
    b.load_state_dict(state)
    assert all(np.array_equal(u[1], v[1]) for u, v in zip(_batches(b), rest))


@pytest.mark.parametrize("start", [0, 2, 5, 6])
def test_dataloader_iter_from_skips_batches(start):
    full = _batches(_loader(rng=3))
    got = _batches(_loader(rng=3).iter_from(start))
    assert len(got) == len(full) - start
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(got, full[start:]))


def test_dataloader_iter_from_after_load_state_dict_overrides_position():
    a = _loader(rng=3)
    it = iter(a)
    next(it)
    state = a.state_dict()
    full = _batches(_loader(rng=3))
    b = _loader(rng=0)
    b.load_state_dict(state)
    got = _batches(b.iter_from(4))
    assert all(np.array_equal(u[1], v[1]) for u, v in zip(got, full[4:])) and len(got) == 2


def test_dataloader_stale_iterator_does_not_move_position():
    loader = _loader(rng=1)
    old = iter(loader)
    new = iter(loader)
    next(new)
    list(old)  # an abandoned iterator still yields its own epoch, but owns no state
    assert loader.batch_index == 1 and loader.epoch == 1


def test_dataloader_global_rng_untouched():
    np.random.seed(1234)
    before = np.random.get_state()[1].copy()
    loader = _loader(rng=None)
    for _ in range(2):
        list(loader)
    loader.load_state_dict(loader.state_dict())
    assert np.array_equal(np.random.get_state()[1], before)


class _PairDataset(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((2, 2), i, dtype=np.float32), i


class _ArrayDataset(_PairDataset):
    def __getitem__(self, i):
        return np.float64(i)


def test_dataloader_generic_dataset_collates_by_stacking():
    loader = DataLoader(_PairDataset(7), batch_size=3, shuffle=True, rng=0)
    seen = []
    for xb, yb in loader:
        assert xb.shape[1:] == (2, 2) and xb.dtype == np.float32 and yb.dtype.kind == "i"
        assert np.array_equal(xb[:, 0, 0], yb)
        seen.append(yb)
    assert np.array_equal(np.sort(np.concatenate(seen)), np.arange(7))
    xb = next(iter(DataLoader(_ArrayDataset(4), batch_size=4)))
    assert np.array_equal(xb, np.arange(4.0))


def test_dataloader_generic_dataset_resume_bit_identical():
    a = DataLoader(_PairDataset(9), batch_size=2, shuffle=True, rng=4)
    it = iter(a)
    next(it), next(it)
    state = a.state_dict()
    rest = _batches(it)
    b = DataLoader(_PairDataset(9), batch_size=2, shuffle=True, rng=0)
    b.load_state_dict(state)
    assert all(np.array_equal(u[1], v[1]) for u, v in zip(_batches(b), rest))


class _RaggedDataset(_PairDataset):
    def __getitem__(self, i):
        return np.zeros(i + 1), i


def test_dataloader_generic_dataset_ragged_samples_raise_dataerror():
    with pytest.raises(DataError, match="could not stack the samples of batch 0"):
        next(iter(DataLoader(_RaggedDataset(4), batch_size=2)))


@pytest.mark.parametrize(
    "arrays",
    [(np.zeros((4, 2), bool), np.arange(4)), (np.zeros((4, 2), np.complex64),), (np.zeros(4, np.uint8), [1, 2, 3, 4])],
)
def test_tensordataset_accepts_numeric_arrays(arrays):
    ds = TensorDataset(*arrays)
    assert len(ds) == 4 and len(ds[0]) == len(arrays)


def test_tensordataset_keeps_arrays_without_copy():
    X, y = _data()
    ds = TensorDataset(X, y)
    assert ds.arrays[0] is X and ds.arrays[1] is y
    assert "TensorDataset" in repr(ds) and "DataLoader" in repr(DataLoader(ds))


@settings(derandomize=True, max_examples=60, deadline=None, database=None)
@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 45),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_dataloader_covers_each_index_once_property(n, batch_size, shuffle, drop_last, seed):
    if drop_last and n < batch_size:
        with pytest.raises(ValueError, match="no batches"):
            _loader(n=n, batch_size=batch_size, shuffle=shuffle, drop_last=True, rng=seed)
        return
    loader = _loader(n=n, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, rng=seed)
    batches = [yb for _, yb in loader]
    expected_len = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(batches) == len(loader) == expected_len
    order = np.concatenate(batches)
    assert len(np.unique(order)) == order.size == (expected_len * batch_size if drop_last else n)
    if not shuffle:
        assert np.array_equal(order, np.arange(order.size))


def _state(**changes):
    loader = _loader()
    state = loader.state_dict()
    state.update(changes)
    return state


BAD_INPUT = [
    ("batch_size 0", lambda: _loader(batch_size=0), ValueError,
     "The 'batch_size' parameter of DataLoader must be an int >= 1. Got 0 instead."),
    ("batch_size float", lambda: _loader(batch_size=2.0), TypeError, "'batch_size' parameter of DataLoader"),
    ("batch_size bool", lambda: _loader(batch_size=True), TypeError, "must be an int >= 1"),
    ("shuffle str", lambda: _loader(shuffle="yes"), TypeError, "'shuffle' parameter of DataLoader must be a bool"),
    ("drop_last int", lambda: _loader(drop_last=1), TypeError, "'drop_last' parameter of DataLoader"),
    ("rng negative", lambda: _loader(rng=-1), ValueError, "'rng' parameter of DataLoader"),
    ("rng str", lambda: _loader(rng="seed"), TypeError, "'rng' parameter of DataLoader"),
    ("not a dataset", lambda: DataLoader(5), TypeError, "Wrap arrays with TensorDataset"),
    ("empty dataset", lambda: DataLoader(TensorDataset(np.zeros((0, 2)), np.zeros(0))), DataError, "empty dataset"),
    ("X/y lengths", lambda: TensorDataset(np.zeros((5, 2)), np.zeros(4)), DataError, "same first dimension"),
    ("object X", lambda: TensorDataset(np.array([{}, {}], dtype=object), np.zeros(2)), TypeError, "numeric array"),
    ("str y", lambda: TensorDataset(np.zeros((2, 2)), np.array(["a", "b"])), TypeError, "dtype <U1"),
    ("no arrays", lambda: TensorDataset(), ValueError, "at least one array"),
    ("0-d array", lambda: TensorDataset(np.float32(1.0)), ValueError, "0-d array"),
    ("ragged list", lambda: TensorDataset([[1, 2], [3]]), ValueError, "could not turn X into an array"),
    ("drop_last too few", lambda: _loader(n=3, batch_size=4, drop_last=True), ValueError, "would yield no batches"),
    ("iter_from negative", lambda: _loader().iter_from(-1), ValueError, "'batch_index' parameter"),
    ("iter_from past end", lambda: _loader().iter_from(7), ValueError, "must be an int in [0, 6]"),
    ("state not dict", lambda: _loader().load_state_dict([]), TypeError, "expected a dict"),
    ("state missing keys", lambda: _loader().load_state_dict({"epoch": 0}), ValueError, "missing key(s)"),
    ("state other batch_size", lambda: _loader(batch_size=5).load_state_dict(_state()), ValueError,
     "saved with batch_size=4 but this loader has batch_size=5"),
    ("state other dataset", lambda: _loader(n=24).load_state_dict(_state()), ValueError, "num_samples=23"),
    ("state bad rng", lambda: _loader().load_state_dict(_state(rng_state={"bit_generator": "MT19937"})), ValueError,
     "RNG state"),
    ("state version", lambda: _loader().load_state_dict(_state(version=2)), ValueError, "version 2"),
    ("state negative epoch", lambda: _loader().load_state_dict(_state(epoch=-1)), ValueError, "'epoch' parameter"),
]  # fmt: skip


@pytest.mark.parametrize("case, call, exc, fragment", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_dataloader_bad_input_raises_documented_error(case, call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_dataloader_failed_load_state_dict_leaves_loader_unchanged():
    loader = _loader(rng=8)
    before = loader.state_dict()
    with pytest.raises(ValueError):
        loader.load_state_dict(_state(rng_state={"bit_generator": "MT19937"}))
    assert loader.state_dict() == before
