"""nnumpy.io.register: user layers in model files, still an allow-list and still no code from the file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import nnumpy
from nnumpy import ModelFileError, io, nn
from nnumpy._io._format import KEY_META_CHECKSUM, metadata_checksum, read_file


class Scale(nn.Module):
    """y = x · w with a learned per-feature w: a leaf layer with its own Parameter."""

    def __init__(self, features: int, init: float = 1.0, *, dtype=np.float32):
        super().__init__()
        self.features, self.init = features, init
        self.weight = nn.Parameter(np.full(features, init, dtype=dtype))

    def get_config(self):
        return {"features": self.features, "init": self.init}

    def forward(self, x):
        self._x = x
        return x * self.weight.data

    def backward(self, grad_output):
        self.weight.accumulate((grad_output * self._x).sum(axis=0))
        return grad_output * self.weight.data


class Residual(nn.Module):
    """y = x + Linear(ReLU(x)): a block whose constructor builds its own sub-layers."""

    def __init__(self, features: int, *, dtype=np.float32, rng=None):
        super().__init__()
        self.features = features
        self.act = nn.ReLU()
        self.lin = nn.Linear(features, features, dtype=dtype, rng=rng)

    def get_config(self):
        return {"features": self.features}

    def forward(self, x):
        return x + self.lin(self.act(x))

    def backward(self, grad_output):
        return grad_output + self.act.backward(self.lin.backward(grad_output))


class Picky(nn.Module):
    """A registered layer whose constructor raises something other than ValueError on a bad argument."""

    def __init__(self, k: int = 1):
        super().__init__()
        if k > 3:
            raise RuntimeError("k too large")
        self.k = k

    def get_config(self):
        return {"k": self.k}

    def forward(self, x):
        return x


@pytest.fixture
def registry():
    """Register the test layers for one test, and leave the process registry as it was."""
    before = io.registered()
    for cls in (Scale, Residual, Picky):
        io.register(cls)
    yield
    for name in set(io.registered()) - set(before):
        io.unregister(name)
    assert io.registered() == before


def _model(dtype=np.float32):
    return nn.Sequential(
        nn.Linear(3, 4, dtype=dtype, rng=0), Scale(4, init=0.5, dtype=dtype), Residual(4, dtype=dtype, rng=1),
        nn.Tanh(), nn.Linear(4, 2, dtype=dtype, rng=2),
    )


def _arch(path) -> dict:
    return json.loads(read_file(path).metadata["architecture"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_register_save_load_roundtrip_is_bit_exact(tmp_path, registry, dtype):
    model = _model(dtype)
    model[1].weight.data[:] = np.arange(4, dtype=dtype)  # not the init: the file's values must come back
    path = nnumpy.save(model, tmp_path / "m.safetensors")
    loaded = nnumpy.load(path)
    assert type(loaded[1]) is Scale and type(loaded[2]) is Residual
    assert loaded[1].get_config() == {"features": 4, "init": 0.5}
    state, back = model.state_dict(), loaded.state_dict()
    assert list(state) == list(back)
    for name in state:
        assert back[name].dtype == state[name].dtype and np.array_equal(back[name], state[name]), name
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(dtype)
    assert np.array_equal(loaded(x), model(x))


def test_register_file_stores_name_and_config_not_sub_layers(tmp_path, registry):
    path = nnumpy.save(_model(), tmp_path / "m.safetensors")
    residual = _arch(path)["children"][2]
    assert residual == {"name": "2", "type": "Residual", "config": {"features": 4}, "dtype": "float32"}
    assert "2.lin.weight" in nnumpy.load(path).state_dict()  # the constructor rebuilt it, the file filled it


def test_register_load_refuses_unregistered_class_naming_it_and_the_fix(tmp_path, registry):
    path = nnumpy.save(_model(), tmp_path / "m.safetensors")
    io.unregister(Residual)
    with pytest.raises(ModelFileError) as info:
        nnumpy.load(path)
    message = str(info.value)
    assert "'Residual'" in message and str(path) in message
    assert "@nnumpy.io.register" in message and "load_state" in message


def test_register_save_of_unregistered_layer_says_how_to_register(tmp_path):
    with pytest.raises(ModelFileError, match=r"Residual.*@nnumpy.io.register.*save_state"):
        nnumpy.save(nn.Sequential(Residual(2)), tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_register_with_name_and_as_decorator(tmp_path):
    @io.register(name="mylib.Double")
    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

    try:
        assert io.registered()["mylib.Double"] is Double
        assert io.register(Double, name="mylib.Double") is Double  # same class again: no-op
        path = nnumpy.save(nn.Sequential(Double()), tmp_path / "m.safetensors")
        assert _arch(path)["children"][0]["type"] == "mylib.Double"
        assert type(nnumpy.load(path)[0]) is Double
    finally:
        io.unregister("mylib.Double")


def test_register_refuses_builtin_names_and_a_second_class(registry):
    class Linear(nn.Module):
        pass

    with pytest.raises(ValueError, match=r"'Linear'.*built-in.*name="):
        io.register(Linear)

    class Scale(nn.Module):  # noqa: F811 - the clash is the point
        pass

    with pytest.raises(ValueError, match=r"'Scale'.*already registered.*unregister"):
        io.register(Scale)
    assert io.registered()["Scale"] is not Scale


@pytest.mark.parametrize(
    "target, error, match",
    [
        (int, TypeError, "subclass of nnumpy.nn.Module"),
        (nn.Linear(2, 2, rng=0), TypeError, "subclass of nnumpy.nn.Module"),
        (nn.MSELoss, TypeError, "loss"),
    ],
    ids=["not_module", "instance", "loss"],
)
def test_register_refuses_what_is_not_a_layer_class(target, error, match):
    with pytest.raises(error, match=match):
        io.register(target, name="Thing")


def test_register_refuses_required_arguments_without_get_config():
    class NoConfig(nn.Module):
        def __init__(self, n):
            super().__init__()

    with pytest.raises(TypeError, match=r"NoConfig.*\['n'\].*get_config"):
        io.register(NoConfig)


@pytest.mark.parametrize("name", ["", "1abc", "a b", "os.system()", "a..b", 5])
def test_register_refuses_invalid_names(name):
    with pytest.raises(ValueError, match="'name' parameter of nnumpy.io.register"):
        io.register(Scale, name=name)


def test_unregister_unknown_name_is_a_key_error():
    with pytest.raises(KeyError, match="not a registered layer"):
        io.unregister("NeverRegistered")


def _rewrite_arch(path, arch) -> None:
    """Write ``arch`` into the file's metadata, with a valid metadata checksum (a crafted file)."""
    meta = dict(read_file(path).metadata)
    meta["architecture"] = json.dumps(arch)
    meta[KEY_META_CHECKSUM] = metadata_checksum(meta)
    save_file(load_file(str(path)), str(path), metadata=meta)


@pytest.mark.parametrize(
    "child, message",
    [
        ({"type": "Scale", "config": {"features": 4, "os": "system"}}, "unknown argument 'os'"),
        ({"type": "Scale", "config": {"features": [1, 2, 3, 4, 5]}}, "JSON scalar"),
        ({"type": "Picky", "config": {"k": 9}}, "invalid arguments for Picky.*k too large"),
        ({"type": "Scale", "config": {"features": 4}, "children": []}, "cannot have children"),
        ({"type": "tests.test_io_register.Scale"}, "unknown layer type"),
    ],
    ids=["unknown_arg", "long_list", "constructor_raises", "children", "dotted_path"],
)
def test_register_crafted_config_for_registered_layer_is_a_file_error(tmp_path, registry, child, message):
    path = nnumpy.save(nn.Sequential(Scale(4)), tmp_path / "m.safetensors")
    arch = _arch(path)
    arch["children"][0] = {"name": "0", **child}
    _rewrite_arch(path, arch)
    with pytest.raises(ModelFileError, match=message):
        nnumpy.load(path)


def test_register_checkpoint_rebuilds_registered_layers(tmp_path, registry):
    model = _model()
    path = io.save_checkpoint(tmp_path / "c.safetensors", model=model, epoch=1)
    ckpt = io.load_checkpoint(path)
    assert ckpt.architecture is not None
    rebuilt = ckpt.build_model()
    x = np.ones((2, 3), np.float32)
    assert np.array_equal(rebuilt(x), model(x))


def test_register_inspect_shows_the_registered_type(tmp_path, registry):
    path = nnumpy.save(_model(), tmp_path / "m.safetensors")
    types = [c["type"] for c in io.inspect(path)["architecture"]["children"]]
    assert types == ["Linear", "Scale", "Residual", "Tanh", "Linear"]
