"""DistributedSampler, DataLoader(distributed=...) and nnumpy.distributed without MPI (no launcher needed)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from nnumpy import distributed, nn, optim
from nnumpy.data import DataLoader, DistributedSampler, TensorDataset
from nnumpy.train import fit


@pytest.mark.parametrize("n, replicas", [(10, 1), (10, 3), (12, 4), (2, 3), (97, 8)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_shards_are_equal_and_cover_the_order(n, replicas, drop_last):
    if drop_last and n < replicas:
        with pytest.raises(ValueError, match="drop_last=True gives no samples"):
            DistributedSampler(n, num_replicas=replicas, rank=0, drop_last=drop_last)
        return
    shards = [list(DistributedSampler(n, num_replicas=replicas, rank=r, seed=3, drop_last=drop_last))
              for r in range(replicas)]
    assert len({len(s) for s in shards}) == 1  # every rank takes the same number of steps
    order = np.random.default_rng([3, 0]).permutation(n)
    flat = [i for row in zip(*shards) for i in row]  # position k·N + r of the (padded / cut) order
    if drop_last:
        assert flat == order[: n // replicas * replicas].tolist()
    else:
        assert flat == np.resize(order, len(flat)).tolist() and set(flat) == set(range(n))


def test_distributed_sampler_set_epoch_draws_another_permutation():
    s = DistributedSampler(20, num_replicas=2, rank=0, seed=0)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first and len(list(s)) == 10


def test_distributed_sampler_rejects_a_rank_outside_the_world():
    with pytest.raises(ValueError, match="rank"):
        DistributedSampler(10, num_replicas=2, rank=2)


def _loaders(n=24, bs=3, replicas=2, rng=0):
    ds = TensorDataset(np.arange(n, dtype=float)[:, None], np.arange(n))
    return [DataLoader(ds, batch_size=bs, shuffle=True, rng=rng,
                       distributed=DistributedSampler(n, num_replicas=replicas, rank=r)) for r in range(replicas)]


def test_dataloader_distributed_batches_together_are_the_one_process_batches():
    ranks = _loaders()
    single = DataLoader(TensorDataset(np.arange(24, dtype=float)[:, None], np.arange(24)), batch_size=6,
                        shuffle=True, rng=0)
    for _ in range(2):  # two epochs: each draws the same new permutation on every rank
        together = [np.sort(np.concatenate([a[1], b[1]])) for a, b in zip(*ranks)]
        assert [t.tolist() for t in together] == [np.sort(yb).tolist() for _, yb in single]
    assert len(ranks[0]) == 4


def test_dataloader_distributed_resumes_mid_epoch_on_another_number_of_ranks():
    two = _loaders(bs=3, replicas=2)[0]
    it = iter(two)
    next(it), next(it)  # 2 batches of 3 on each of 2 ranks: 12 samples of the epoch done
    state = two.state_dict()
    assert state["num_replicas"] == 2
    one = DataLoader(TensorDataset(np.arange(24, dtype=float)[:, None], np.arange(24)), batch_size=6,
                     shuffle=True, rng=0)
    one.load_state_dict(state)
    rest = [yb.tolist() for _, yb in one]
    full = [yb.tolist() for _, yb in DataLoader(one.dataset, batch_size=6, shuffle=True, rng=0)]
    assert rest == full[2:]
    odd = _loaders(bs=5, replicas=2)[0]
    next(iter(odd))
    with pytest.raises(ValueError, match="not a whole number of batches"):
        DataLoader(one.dataset, batch_size=4, shuffle=True, rng=0).load_state_dict(odd.state_dict())


def test_distributed_without_a_launcher_is_one_process(monkeypatch):
    for name in distributed._SIZE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if "mpi4py.MPI" in sys.modules:
        pytest.skip("mpi4py.MPI is already imported in this process")
    got = (distributed.launched(), distributed.rank(), distributed.world_size(), distributed.is_main())
    assert got == (1, 0, 1, True)
    assert "mpi4py.MPI" not in sys.modules


def test_distributed_init_without_mpi4py_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"nnumpy\[mpi\]"):
        distributed.init()


def test_fit_distributed_must_be_a_bool():
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    with pytest.raises(TypeError, match="distributed"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (np.zeros((4, 2), np.float32),
            np.zeros(4, np.int64)), epochs=1, distributed="yes", verbose=False, progress=False)
