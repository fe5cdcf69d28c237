"""Checkpoints: exact round trip of every field, restore into fresh objects, corruption, bad input."""

from __future__ import annotations

import json
import math
from collections import OrderedDict

import numpy as np
import pytest

import nnumpy
from nnumpy import ModelFileError, io, nn
from nnumpy.optim import SGD, Adam
from nnumpy.optim.lr_scheduler import StepLR


def _model(seed=0, dtype=np.float32) -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4, dtype=dtype, rng=seed), nn.BatchNorm1d(4, dtype=dtype), nn.ReLU(), nn.Linear(4, 2, dtype=dtype, rng=seed + 1))


def _train(model, optimizer, steps=3):
    x = np.random.default_rng(1).normal(size=(8, 3)).astype(model[0].weight.dtype)
    for _ in range(steps):
        optimizer.zero_grad()
        out = model(x)
        model.backward(np.ones_like(out) / out.size)
        optimizer.step()


def _fake_optimizer_state():
    """PyTorch's state_dict shape: int keys, int steps, arrays, tuples, None."""
    return {
        "state": {
            0: {"step": 7, "exp_avg": np.arange(6, dtype=np.float32).reshape(2, 3), "exp_avg_sq": np.full((2, 3), 1e-30, np.float32)},
            2: {"step": 2**70, "momentum_buffer": None, "scalar": np.array(3.5)},
        },
        "param_groups": [
            {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False, "params": [0, 1]},
            {"lr": 0.1, "betas": (0.5, 0.6), "eps": 1e-8, "weight_decay": 0.01, "amsgrad": True, "params": [2]},
        ],
    }


def _rng_state():
    gen = np.random.default_rng(12345)
    gen.random(3)
    return {
        "data": gen.bit_generator.state,  # PCG64: ints above 2**64
        "legacy": np.random.MT19937(7).state,  # holds a uint32 array
        "philox": np.random.Philox(3).state,  # uint64 arrays
    }


def _assert_same(a, b):
    """Deep equality that also requires equal types, dtypes, shapes and bits (NaN == NaN)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def test_checkpoint_roundtrip_is_exact(tmp_path):
    model = _model()
    history = {"epoch": [1, 2, 3], "loss": [0.5, 0.25, float("nan")], "lr": [0.1, 0.1, 0.01]}
    scheduler = {"base_lrs": [0.1], "last_epoch": 3, "_step_count": 4, "_last_lr": [0.01], "step_size": 2, "gamma": 0.1}
    extra = {"order": np.random.default_rng(0).permutation(10), "tuple": (1, "a", None), 5: {"__tensor__": "x"}, "big": -(2**100)}
    path = io.save_checkpoint(
        tmp_path / "ckpt.safetensors", model=model, optimizer=_fake_optimizer_state(), scheduler=scheduler,
        history=history, epoch=3, step=17, rng_state=_rng_state(), extra=extra,
    )
    ckpt = io.load_checkpoint(path)
    _assert_same(ckpt.model_state, dict(model.state_dict()))
    _assert_same(ckpt.optimizer_state, _fake_optimizer_state())
    _assert_same(ckpt.scheduler_state, scheduler)
    _assert_same(ckpt.history, history)
    _assert_same(ckpt.rng_state, _rng_state())
    _assert_same(ckpt.extra, extra)
    assert (ckpt.epoch, ckpt.step) == (3, 17)
    assert ckpt.architecture == io.inspect(path)["architecture"]
    gen = np.random.default_rng()
    gen.bit_generator.state = ckpt.rng_state["data"]
    reference = np.random.default_rng(12345)
    reference.random(3)
    assert gen.random() == reference.random()


def test_checkpoint_uses_contract_tensor_names(tmp_path):
    path = io.save_checkpoint(tmp_path / "c.safetensors", model=_model(), optimizer=_fake_optimizer_state())
    names = set(io.inspect(path)["tensors"])
    assert {"model.0.weight", "model.1.num_batches_tracked", "optim.0.exp_avg", "optim.0.exp_avg_sq", "optim.2.scalar"} <= names


@pytest.mark.parametrize("make_optimizer", [lambda p: Adam(p, lr=0.01, betas=(0.8, 0.9)), lambda p: SGD(p, lr=0.1, momentum=0.9)])
def test_checkpoint_restore_resumes_training_bit_identically(tmp_path, make_optimizer):
    model = _model()
    optimizer = make_optimizer(model.parameters())
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    _train(model, optimizer)
    scheduler.step()
    path = io.save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=optimizer, scheduler=scheduler, epoch=1)
    _train(model, optimizer)  # the uninterrupted run continues

    ckpt = io.load_checkpoint(path)
    resumed = ckpt.build_model()
    resumed_opt = make_optimizer(resumed.parameters())
    resumed_sched = StepLR(resumed_opt, step_size=1, gamma=0.5)
    assert ckpt.restore(resumed, resumed_opt, resumed_sched) is resumed
    _assert_same(resumed_opt.state_dict(), io.load_checkpoint(path).optimizer_state)
    assert resumed_sched.state_dict() == ckpt.scheduler_state
    _train(resumed, resumed_opt)
    for (name, a), (_, b) in zip(model.state_dict().items(), resumed.state_dict().items()):
        assert a.tobytes() == b.tobytes(), name


class _Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(np.ones(2))


def test_checkpoint_with_user_layer_has_no_architecture_but_restores(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2, rng=0), _Scale())
    ckpt = io.load_checkpoint(io.save_checkpoint(tmp_path / "c.safetensors", model=model))
    assert ckpt.architecture is None
    with pytest.raises(ModelFileError, match="restore"):
        ckpt.build_model()
    fresh = nn.Sequential(nn.Linear(2, 2, rng=1), _Scale())
    ckpt.restore(fresh)
    assert fresh[0].weight.data.tobytes() == model[0].weight.data.tobytes()


def test_checkpoint_restore_refuses_missing_optimizer_state(tmp_path):
    model = _model()
    ckpt = io.load_checkpoint(io.save_checkpoint(tmp_path / "c.safetensors", model=model))
    assert ckpt.optimizer_state is ckpt.scheduler_state is ckpt.history is ckpt.rng_state is ckpt.extra is None
    with pytest.raises(ValueError, match="no optimizer state"):
        ckpt.restore(model, SGD(model.parameters(), lr=0.1))


def test_load_state_reads_model_weights_from_checkpoint(tmp_path):
    model = _model()
    path = io.save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=_fake_optimizer_state())
    fresh = nnumpy.load_state(_model(seed=5), path)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(model.state_dict().values(), fresh.state_dict().values()))
    with pytest.raises(ModelFileError, match="load_checkpoint"):
        nnumpy.load(path)


def test_checkpoint_converts_numpy_scalars_to_python(tmp_path):
    path = io.save_checkpoint(tmp_path / "c.safetensors", model=_model(), history={"loss": [np.float32(0.5), np.int64(3)]})
    assert io.load_checkpoint(path).history == {"loss": [0.5, 3]}
    assert [type(v) for v in io.load_checkpoint(path).history["loss"]] == [float, int]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"epoch": -1}, ValueError, "epoch"),
        ({"step": 1.5}, TypeError, "step"),
        ({"history": {"loss": {1.5: 2}}}, TypeError, "dict keys must be str or int"),
        ({"extra": {"s": {1, 2}}}, TypeError, "set is not one of"),
        ({"rng_state": np.random.default_rng(0)}, TypeError, "rng_state"),
        ({"extra": {"a": np.array(["x"])}}, TypeError, "no safetensors equivalent"),
        ({"optimizer": object()}, TypeError, "optimizer"),
    ],
)
def test_save_checkpoint_rejects_bad_fields(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        io.save_checkpoint(tmp_path / "c.safetensors", model=_model(), **kwargs)
    assert not (tmp_path / "c.safetensors").exists()


def test_save_checkpoint_rejects_cycles(tmp_path):
    cyclic: dict = {}
    cyclic["self"] = cyclic
    with pytest.raises(ValueError, match="nested more than"):
        io.save_checkpoint(tmp_path / "c.safetensors", model=_model(), extra=cyclic)


def test_checkpoint_corruption_sweep_raises_only_model_file_error(tmp_path):
    good = io.save_checkpoint(
        tmp_path / "good.safetensors", model=_model(), optimizer=_fake_optimizer_state(), history={"loss": [1.0]},
        rng_state=_rng_state(), epoch=2, step=3,
    ).read_bytes()
    bad = tmp_path / "bad.safetensors"
    rng = np.random.default_rng(1)
    raw, loaded = 0, 0
    lengths = rng.choice(len(good), size=300, replace=False)
    flips = rng.choice(len(good), size=300, replace=False)
    blobs = [good[:n] for n in lengths] + [
        bytes(good[:p]) + bytes([good[p] ^ int(rng.integers(1, 256))]) + good[p + 1 :] for p in flips
    ]
    for blob in blobs:
        bad.write_bytes(blob)
        try:
            io.load_checkpoint(bad)
            loaded += 1
        except ModelFileError:
            pass
        except Exception:  # noqa: BLE001 - counting leaks of anything but the documented error
            raw += 1
    assert raw == 0 and loaded == 0


def _rewrite_field(path, key, value):
    from nnumpy._io._format import metadata_checksum

    blob = path.read_bytes()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8 : 8 + n])
    header["__metadata__"][key] = value
    header["__metadata__"]["metadata_checksum"] = metadata_checksum(header["__metadata__"])
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + blob[8 + n :])


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("optimizer", '{"__tensor__": "model.0.weight"}', "already used"),
        ("optimizer", '{"__tensor__": "nope"}', "missing"),
        ("extra", '{"__tuple__": [1], "x": 2}', "mixing the tag"),
        ("extra", '{"__dict__": [[true, 1]]}', "malformed"),
        ("history", "[1, 2]", "expected an object or null"),
        ("epoch", "-1", "'epoch' must be an int"),
        ("step", "1.0", "'step' must be an int"),
        ("model_keys", '["0.weight"]', "are not referenced"),
        ("model_keys", '["0.weight", "9.weight"]', "'model_keys' does not match"),
        ("model_keys", '{"0.weight": 1}', "not a list of names"),
        ("rng_state", "null", "not referenced"),
    ],
)
def test_load_checkpoint_rejects_crafted_fields(tmp_path, key, value, message):
    path = io.save_checkpoint(tmp_path / "c.safetensors", model=_model(), rng_state=_rng_state())
    _rewrite_field(path, key, value)
    with pytest.raises(ModelFileError, match=message):
        io.load_checkpoint(path)


def test_checkpoint_keeps_model_key_order(tmp_path):
    model = nn.Sequential(OrderedDict((str(i), nn.Linear(2, 2, rng=i)) for i in range(12)))
    ckpt = io.load_checkpoint(io.save_checkpoint(tmp_path / "c.safetensors", model=model))
    assert list(ckpt.model_state) == list(model.state_dict())
