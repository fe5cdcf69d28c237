"""The worked example from the issue: one sample, 4 features, 3 classes, target class 2.

Weights come from the legacy global seed (used only here, to reproduce the
classic numbers): np.random.seed(220106); W = randn(3, 4); B = randn(3, 1).
Before training: pred [0.42185561, 0.4060726, 0.17207179], loss 1.7598435
(−log 0.17207179). Then 100 SGD steps at lr 0.001, compared with PyTorch.
Linear, CrossEntropyLoss and SGD end to end; each has its own file in tests/nn/ and tests/optim/.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnumpy import nn, optim


def _weights():
    state = np.random.get_state()
    try:
        np.random.seed(220106)
        W = np.random.randn(3, 4)
        B = np.random.randn(3, 1)
    finally:
        np.random.set_state(state)
    return W, B


def test_worked_example_before_and_after_100_sgd_steps_matches_torch(torch):
    W, B = _weights()
    x = np.array([[1.2, 2.4, 3.6, 1.8]])
    y = np.array([2])

    layer = nn.Linear(4, 3, dtype=np.float64)
    layer.weight.data[...] = W
    layer.bias.data[...] = B[:, 0]
    loss_fn = nn.CrossEntropyLoss()
    pred = nn.functional.softmax(layer(x), axis=1)
    np.testing.assert_allclose(pred[0], [0.42185561, 0.4060726, 0.17207179], atol=5e-8)
    assert loss_fn(layer(x), y) == pytest.approx(1.7598435, abs=5e-7)

    opt = optim.SGD(layer.parameters(), lr=0.001)
    for _ in range(100):
        opt.zero_grad()
        loss_fn(layer(x), y)
        layer.backward(loss_fn.backward())
        opt.step()

    tl = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        tl.weight.copy_(torch.from_numpy(W))
        tl.bias.copy_(torch.from_numpy(B[:, 0]))
    topt = torch.optim.SGD(tl.parameters(), lr=0.001)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(100):
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tl(xt), yt).backward()
        topt.step()

    np.testing.assert_allclose(layer.weight.data, tl.weight.detach().numpy(), rtol=0, atol=1e-12)
    after = nn.functional.softmax(layer(x), axis=1)[0]
    np.testing.assert_allclose(after, torch.softmax(tl(xt), 1).detach().numpy()[0], atol=1e-12)
    assert loss_fn(layer(x), y) == pytest.approx(torch.nn.functional.cross_entropy(tl(xt), yt).item(), abs=1e-12)
    assert after[2] > 0.17207179  # training moved probability towards the target class
