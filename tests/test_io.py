"""Model files: round trips, the allow-list, corruption, crafted headers, SIGKILL during save, no pickle."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnumpy
from nnumpy import ModelFileError, io, nn
from nnumpy._io._format import metadata_checksum, tensor_checksum

DTYPES = [np.float32, np.float64]

# One small block per built-in layer; every key of nn.LAYERS must appear (see the coverage test).
LAYER_BLOCKS = {
    "Sequential": lambda dt: [nn.Sequential(nn.Linear(4, 4, dtype=dt, rng=5), nn.Tanh())],
    "Linear": lambda dt: [nn.Linear(4, 4, bias=False, dtype=dt, rng=6)],
    "Identity": lambda dt: [nn.Identity()],
    "Flatten": lambda dt: [nn.Flatten(start_dim=1, end_dim=-1)],
    "ReLU": lambda dt: [nn.ReLU()],
    "LeakyReLU": lambda dt: [nn.LeakyReLU(negative_slope=0.2)],
    "ELU": lambda dt: [nn.ELU(alpha=0.7)],
    "GELU": lambda dt: [nn.GELU(approximate="tanh")],
    "Sigmoid": lambda dt: [nn.Sigmoid()],
    "Tanh": lambda dt: [nn.Tanh()],
    "Softplus": lambda dt: [nn.Softplus(beta=2.0, threshold=10.0)],
    "Softmax": lambda dt: [nn.Softmax(dim=1)],
    "LogSoftmax": lambda dt: [nn.LogSoftmax(dim=-1)],
    "Dropout": lambda dt: [nn.Dropout(0.25, rng=0)],
    "BatchNorm1d": lambda dt: [nn.BatchNorm1d(4, momentum=None, dtype=dt)],
}
# Layers of images (N, C, H, W): their block sits between Conv2d(1→4) and a pooled Linear head.
IMAGE_BLOCKS = {
    "Conv2d": lambda dt: [nn.Conv2d(4, 4, (3, 1), padding="same", groups=2, bias=False, dtype=dt, rng=7)],
    "MaxPool2d": lambda dt: [nn.MaxPool2d(2, stride=1, padding=1, ceil_mode=True)],
    "AvgPool2d": lambda dt: [nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False)],
    "AdaptiveAvgPool2d": lambda dt: [nn.AdaptiveAvgPool2d((3, 3))],
    "BatchNorm2d": lambda dt: [nn.BatchNorm2d(4, momentum=None, dtype=dt)],
    "Dropout2d": lambda dt: [nn.Dropout2d(0.25, rng=0)],
}
LAYER_BLOCKS.update(IMAGE_BLOCKS)


def _input(layer: str, n: int, seed: int, dtype) -> np.ndarray:
    shape = (n, 1, 6, 6) if layer in IMAGE_BLOCKS else (n, 3)
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def _model_with(layer: str, dtype) -> nn.Sequential:
    """Linear(3→4) + the layer's block + Linear(4→2), with BatchNorm statistics moved off their defaults.

    Image layers: Conv2d(1→4) + the block + AdaptiveAvgPool2d(2) + Flatten + Linear(16→2) on (N, 1, 6, 6).
    """
    if layer in IMAGE_BLOCKS:
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, dtype=dtype, rng=1), *IMAGE_BLOCKS[layer](dtype),
                              nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 2, dtype=dtype, rng=2))
    else:
        model = nn.Sequential(nn.Linear(3, 4, dtype=dtype, rng=1), *LAYER_BLOCKS[layer](dtype),
                              nn.Linear(4, 2, dtype=dtype, rng=2))
    x = _input(layer, 6, 3, dtype)
    for _ in range(2):
        model(x)  # training forward: BatchNorm running stats and num_batches_tracked change
    return model


def _small_model(dtype=np.float32) -> nn.Sequential:
    return _model_with("BatchNorm1d", dtype)


def _same_state(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(
        sa[k].dtype == sb[k].dtype and sa[k].shape == sb[k].shape and sa[k].tobytes() == sb[k].tobytes() for k in sa
    )


def _arch(model: nn.Module):
    return [(name, type(m).__name__, m.get_config()) for name, m in model.named_modules()]


# ---------------------------------------------------------------------------- round trips
def test_layer_blocks_cover_every_builtin_layer():
    assert set(LAYER_BLOCKS) == set(nn.LAYERS)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", sorted(LAYER_BLOCKS))
def test_save_load_roundtrip_is_bit_exact(tmp_path, layer, dtype):
    model = _model_with(layer, dtype)
    path = nnumpy.save(model, tmp_path / "m.safetensors")
    loaded = nnumpy.load(path)
    assert _same_state(model, loaded)
    assert _arch(loaded) == _arch(model)
    assert not loaded.training and not any(m.training for m in loaded.modules())  # ready for inference
    x = _input(layer, 5, 4, dtype)
    out, out_loaded = model.eval()(x), loaded.eval()(x)
    assert out.dtype == out_loaded.dtype == np.dtype(dtype)
    assert out.tobytes() == out_loaded.tobytes()


def test_save_load_keeps_batchnorm_buffers_and_int64_counter(tmp_path):
    model = _small_model()
    loaded = nnumpy.load(nnumpy.save(model, tmp_path / "m.safetensors"))
    bn = loaded[1]
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    assert int(bn.num_batches_tracked) == 2
    np.testing.assert_array_equal(bn.running_var, model[1].running_var)


def test_save_load_roundtrip_keeps_named_children_and_mixed_dtypes(tmp_path):
    model = nn.Sequential(OrderedDict(fc1=nn.Linear(3, 4, rng=0), act=nn.ReLU(), fc2=nn.Linear(4, 2, dtype=np.float64, rng=1)))
    loaded = nnumpy.load(nnumpy.save(model, tmp_path / "m.safetensors"))
    assert [n for n, _ in loaded.named_children()] == ["fc1", "act", "fc2"]
    assert loaded.fc1.weight.dtype == np.float32 and loaded.fc2.weight.dtype == np.float64
    assert _same_state(model, loaded)
    assert io.inspect(tmp_path / "m.safetensors")["dtype"] == "mixed"


@pytest.mark.parametrize("dtype", DTYPES)
def test_load_dtype_argument_converts_the_model(tmp_path, dtype):
    path = nnumpy.save(_small_model(np.float64 if dtype == np.float32 else np.float32), tmp_path / "m.safetensors")
    model = nnumpy.load(path, dtype=dtype)
    assert all(p.dtype == np.dtype(dtype) for p in model.parameters())


def test_load_rng_seeds_dropout_masks(tmp_path):
    path = nnumpy.save(nn.Sequential(nn.Dropout(0.5)), tmp_path / "m.safetensors")
    x = np.ones((4, 8))
    assert np.array_equal(nnumpy.load(path, rng=7)(x), nnumpy.load(path, rng=7)(x))


def test_save_returns_path_and_inspect_describes_file(tmp_path):
    model = _small_model()
    path = nnumpy.save(model, str(tmp_path / "m.safetensors"), metadata={"dataset": "toy"})
    assert isinstance(path, Path) and path.exists()
    info = io.inspect(path)
    assert info["format"] == "nnumpy.model" and info["format_version"] == 1
    assert info["nnumpy_version"] == nnumpy.__version__ and info["dtype"] == "float32"
    assert info["num_parameters"] == sum(p.size for p in model.parameters())
    assert info["metadata"] == {"dataset": "toy"}
    assert info["architecture"]["type"] == "Sequential"
    assert info["tensors"]["1.num_batches_tracked"] == {"dtype": "int64", "shape": []}
    assert set(info["tensors"]) == set(model.state_dict())


def test_save_rejects_reserved_metadata_keys(tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        nnumpy.save(_small_model(), tmp_path / "m.safetensors", metadata={"checksum": "x"})
    with pytest.raises(TypeError, match="str"):
        nnumpy.save(_small_model(), tmp_path / "m.safetensors", metadata={"n": 1})


class _Scale(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(np.arange(n, dtype=np.float32))

    def forward(self, x):
        return x * self.weight.data


def test_save_refuses_user_defined_layer_and_save_state_works(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3, rng=0), _Scale(3))
    with pytest.raises(ModelFileError, match=r"_Scale.*save_state.*load_state"):
        nnumpy.save(model, tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()
    path = io.save_state(model, tmp_path / "w.safetensors")
    fresh = nn.Sequential(nn.Linear(3, 3, rng=9), _Scale(3))
    assert nnumpy.load_state(fresh, path) is fresh
    assert _same_state(model, fresh)
    with pytest.raises(ModelFileError, match="load_state"):
        nnumpy.load(path)  # weights-only file: load() says what to use instead


def test_save_refuses_losses_and_non_modules(tmp_path):
    with pytest.raises(TypeError, match="loss"):
        nnumpy.save(nn.MSELoss(), tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match="Module"):
        nnumpy.save({"w": np.ones(2)}, tmp_path / "m.safetensors")


def test_save_refuses_nan_weights_and_keeps_previous_file(tmp_path):
    model = _small_model()
    path = nnumpy.save(model, tmp_path / "m.safetensors")
    before = path.read_bytes()
    model[0].weight.data[0, 0] = np.nan
    with pytest.raises(ModelFileError, match="NaN"):
        nnumpy.save(model, path)
    assert path.read_bytes() == before


def test_load_missing_file_names_the_path(tmp_path):
    with pytest.raises(ModelFileError, match=re.escape(str(tmp_path / "nope.safetensors"))):
        nnumpy.load(tmp_path / "nope.safetensors")
    with pytest.raises(ModelFileError, match="directory"):
        nnumpy.load(tmp_path)


def test_load_state_strict_reports_mismatch(tmp_path):
    path = nnumpy.save(_small_model(), tmp_path / "m.safetensors")
    with pytest.raises(ModelFileError, match="missing keys|unexpected keys"):
        nnumpy.load_state(nn.Sequential(nn.Linear(3, 4)), path)
    with pytest.raises(ModelFileError, match="size mismatch"):
        nnumpy.load_state(nn.Sequential(nn.Linear(3, 5)), path, strict=False)


def test_save_overwrites_atomically_without_leftovers(tmp_path):
    path = tmp_path / "m.safetensors"
    for seed in range(3):
        nnumpy.save(nn.Sequential(nn.Linear(2, 2, rng=seed)), path)
    assert os.listdir(tmp_path) == ["m.safetensors"]


@st.composite
def _random_models(draw):
    dtype = draw(st.sampled_from(DTYPES))
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=5))
    width = 32 if dtype == np.float32 else 64
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(n_in, n_out, bias=draw(st.booleans()), dtype=dtype, rng=i)
        # Arbitrary finite values: -0.0, subnormals and extremes must survive bit-exactly.
        for p in linear.parameters():
            p.data = draw(hnp.arrays(dtype, p.shape, elements=st.floats(allow_nan=False, allow_infinity=False, width=width)))
        layers.append(linear)
        kind = draw(st.sampled_from(["ReLU", "Tanh", "BatchNorm1d", "Identity", "none"]))
        if kind == "BatchNorm1d":
            layers.append(nn.BatchNorm1d(n_out, affine=draw(st.booleans()), track_running_stats=draw(st.booleans()), dtype=dtype))
        elif kind != "none":
            layers.append(nn.LAYERS[kind]())
    return nn.Sequential(*layers)


@settings(derandomize=True, max_examples=25, deadline=None)
@given(model=_random_models())
def test_save_load_roundtrip_property(tmp_path_factory, model):
    path = nnumpy.save(model, tmp_path_factory.mktemp("prop") / "m.safetensors")
    loaded = nnumpy.load(path)
    assert _same_state(model, loaded) and _arch(loaded) == _arch(model)


# ---------------------------------------------------------------------------- corruption sweep
def _classify(path: Path, reference: nn.Module) -> str:
    try:
        loaded = nnumpy.load(path)
    except ModelFileError:
        return "error"
    except Exception:  # noqa: BLE001 - counting leaks of anything but the documented error is the point
        return "raw"
    return "identical" if _same_state(reference, loaded) and _arch(loaded) == _arch(reference) else "different"


def test_load_corruption_sweep_never_loads_wrong_model(tmp_path):
    reference = _small_model()
    good = nnumpy.save(reference, tmp_path / "good.safetensors").read_bytes()
    bad = tmp_path / "bad.safetensors"
    outcomes: dict[str, int] = {}

    def record(blob: bytes) -> None:
        bad.write_bytes(blob)
        kind = _classify(bad, reference)
        outcomes[kind] = outcomes.get(kind, 0) + 1

    for length in range(len(good)):  # every truncation
        record(good[:length])
    assert outcomes == {"error": len(good)}
    rng = np.random.default_rng(0)
    for pos in rng.choice(len(good), size=300, replace=False):  # seeded single-byte flips
        blob = bytearray(good)
        blob[pos] ^= int(rng.integers(1, 256))
        record(bytes(blob))
    assert outcomes.get("raw", 0) == 0
    assert outcomes.get("different", 0) == 0
    assert outcomes["error"] >= len(good) + 250  # only flips in header padding may load (identically)


# ---------------------------------------------------------------------------- crafted headers
def _container(header, data: bytes = b"", length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return (len(raw) if length is None else length).to_bytes(8, "little") + raw + data


_T = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
CRAFTED = {
    "too_short": b"\x01\x02",
    "header_length_huge": _container({"a": _T}, bytes(8), length=2**63),
    "header_length_over_limit": _container({"a": _T}, bytes(8), length=100 * 1024 * 1024 + 1),
    "header_length_past_eof": _container({"a": _T}, bytes(8), length=10_000),
    "not_utf8": _container(b"\xff\xfe{}"),
    "not_json": _container(b"{not json"),
    "json_not_object": _container([1, 2, 3]),
    "json_nested_deeply": _container(b"[" * 100_000 + b"]" * 100_000),
    "duplicate_tensor_name": _container(b'{"a": %s, "a": %s}' % (json.dumps(_T).encode(), json.dumps(_T).encode()), bytes(8)),
    "nan_constant": _container(b'{"a": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 8]}}', bytes(8)),
    "metadata_not_strings": _container({"__metadata__": {"format": 1}}),
    "tensor_not_object": _container({"a": [0, 8]}, bytes(8)),
    "tensor_extra_field": _container({"a": {**_T, "x": 1}}, bytes(8)),
    "unknown_dtype": _container({"a": {**_T, "dtype": "Q7"}}, bytes(8)),
    "bfloat16_dtype": _container({"a": {**_T, "dtype": "BF16", "shape": [4]}}, bytes(8)),
    "negative_offset": _container({"a": {**_T, "data_offsets": [-8, 0]}}, bytes(8)),
    "offsets_reversed": _container({"a": {**_T, "data_offsets": [8, 0]}}, bytes(8)),
    "offsets_past_data": _container({"a": {**_T, "data_offsets": [0, 2**40]}}, bytes(8)),
    "overlapping_offsets": _container({"a": {**_T, "data_offsets": [0, 8]}, "b": {**_T, "data_offsets": [4, 12]}}, bytes(12)),
    "gap_between_tensors": _container({"a": {**_T, "data_offsets": [0, 8]}, "b": {**_T, "data_offsets": [12, 20]}}, bytes(20)),
    "trailing_bytes": _container({"a": _T}, bytes(16)),
    "negative_dim": _container({"a": {**_T, "shape": [-2]}}, bytes(8)),
    "float_dim": _container({"a": {**_T, "shape": [2.0]}}, bytes(8)),
    "bool_dim": _container({"a": {**_T, "shape": [True, 2]}}, bytes(8)),
    "dims_overflow_int64": _container({"a": {**_T, "shape": [2**62, 2**62, 2**62, 4]}}, bytes(8)),
    "dims_product_wraps_to_size": _container({"a": {**_T, "shape": [2**64 + 2]}}, bytes(8)),
    "huge_dim_zero_product": _container({"a": {**_T, "shape": [0, 10**300], "data_offsets": [0, 0]}, "b": _T}, bytes(8)),
    "too_many_dims": _container({"a": {**_T, "shape": [1] * 65 + [2]}}, bytes(8)),
    "shape_mismatch": _container({"a": {**_T, "shape": [3]}}, bytes(8)),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_load_rejects_crafted_header_before_allocating(tmp_path, name):
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(CRAFTED[name])
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=re.escape(str(path))) as info:
            nnumpy.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024 + 4 * len(CRAFTED[name]), f"{name}: {peak} bytes allocated"
    assert "cannot load" in str(info.value)


def test_load_refuses_foreign_safetensors_file(tmp_path):
    # A legal container (a 0-element tensor with a huge dim) that nnumpy did not write: load() needs
    # an nnumpy model file and says to use load_state.
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(CRAFTED["huge_dim_zero_product"])
    with pytest.raises(ModelFileError, match="not an nnumpy file.*load_state"):
        nnumpy.load(path)


def _rewrite_metadata(path: Path, **changes) -> None:
    """Change metadata entries of a saved file and re-sign it (a crafted but checksum-valid file)."""
    blob = path.read_bytes()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8 : 8 + n])
    meta = header["__metadata__"]
    meta.update(changes)
    meta["metadata_checksum"] = metadata_checksum(meta)
    path.write_bytes(_container(header, blob[8 + n :]))


def _arch_with(node_changes: dict, index: int = 0) -> str:
    arch = {"type": "Sequential", "children": [
        {"name": "0", "type": "Linear", "config": {"in_features": 3, "out_features": 2, "bias": True}, "dtype": "float32"},
    ]}
    arch["children"][index].update(node_changes)
    return json.dumps(arch)


def _nested(depth: int) -> dict:
    node = {"type": "Identity"}
    for _ in range(depth):
        node = {"type": "Sequential", "children": [{"name": "0", **node}]}
    return node


CRAFTED_ARCH = {
    "unknown_type": (_arch_with({"type": "Foo"}), "unknown layer type 'Foo'"),
    "dotted_type": (_arch_with({"type": "os.system"}), "unknown layer type 'os.system'"),
    "type_not_string": (_arch_with({"type": ["Linear"]}), "unknown layer type"),
    "loss_type": (_arch_with({"type": "MSELoss"}), "unknown layer type 'MSELoss'"),
    "extra_kwarg": (_arch_with({"config": {"in_features": 3, "out_features": 2, "bias": True, "device": "cuda"}}), "unknown argument 'device'"),
    "rng_kwarg": (_arch_with({"config": {"in_features": 3, "out_features": 2, "rng": 0}}), "unknown argument 'rng'"),
    "string_for_int": (_arch_with({"config": {"in_features": "3", "out_features": 2}}), "must be int"),
    "bool_for_int": (_arch_with({"config": {"in_features": True, "out_features": 2}}), "must be int"),
    "float_for_int": (_arch_with({"config": {"in_features": 3.0, "out_features": 2}}), "must be int"),
    "list_value": (_arch_with({"config": {"in_features": [3], "out_features": 2}}), "JSON scalar"),
    "object_value": (_arch_with({"config": {"in_features": {"__class__": 1}, "out_features": 2}}), "JSON scalar"),
    "config_not_object": (_arch_with({"config": [3, 2]}), "must be an object"),
    "bad_dtype": (_arch_with({"dtype": "float16"}), "invalid dtype"),
    "unknown_node_key": (_arch_with({"module": "os"}), "unknown keys"),
    "child_name_dunder": (_arch_with({"name": "__class__"}), "invalid or repeated name"),
    "child_name_method": (_arch_with({"name": "forward"}), "invalid or repeated name"),
    "child_name_dotted": (_arch_with({"name": "a.b"}), "invalid or repeated name"),
    "leaf_with_children": (_arch_with({"children": []}), "cannot have children"),
    "sequential_without_children": (json.dumps({"type": "Sequential"}), "no 'children'"),
    "not_an_object": (json.dumps(["Sequential"]), "expected an object"),
    "not_json": ("Sequential(Linear(3, 2))", "not valid JSON"),
    "nested_too_deep": (json.dumps(_nested(40)), "nested deeper"),
    "json_nested_deeply": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "value_rejected_by_constructor": (_arch_with({"config": {"in_features": -3, "out_features": 2}}), "invalid arguments for Linear"),
    "nan_argument": (json.dumps({"type": "Sequential", "children": [{"name": "0", "type": "Linear", "config": {"in_features": 3, "out_features": 2}},
                                                                   {"name": "1", "type": "LeakyReLU", "config": {"negative_slope": float("nan")}}]}),
                     "invalid arguments for LeakyReLU"),
    "huge_layer": (_arch_with({"config": {"in_features": 10**6, "out_features": 10**6}}), "refusing to build"),
    "layer_does_not_fit_tensors": (_arch_with({"config": {"in_features": 3, "out_features": 5}}), "do not fit"),
    "dtype_differs_from_tensors": (_arch_with({"dtype": "float64"}), "architecture builds float64"),
}


@pytest.mark.parametrize("name", sorted(CRAFTED_ARCH))
def test_load_rejects_crafted_architecture(tmp_path, name):
    text, message = CRAFTED_ARCH[name]
    path = nnumpy.save(nn.Sequential(nn.Linear(3, 2, rng=0)), tmp_path / "m.safetensors")
    _rewrite_metadata(path, architecture=text)
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=re.escape(message)):
            nnumpy.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_load_unknown_type_message_lists_allowed_layers(tmp_path):
    path = nnumpy.save(nn.Sequential(nn.Linear(3, 2, rng=0)), tmp_path / "m.safetensors")
    _rewrite_metadata(path, architecture=_arch_with({"type": "Foo"}))
    with pytest.raises(ModelFileError) as info:
        nnumpy.load(path)
    message = str(info.value)
    assert str(path) in message and "nnumpy builds only: " in message and "BatchNorm1d" in message


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"format_version": "2"}, "newer nnumpy"),
        ({"format": "nnumpy.checkpoint"}, "use nnumpy.io.load_checkpoint"),
        ({"format": "nnumpy.other"}, "unknown format tag"),
    ],
)
def test_load_rejects_other_formats_and_versions(tmp_path, changes, message):
    path = nnumpy.save(nn.Sequential(nn.Linear(3, 2, rng=0)), tmp_path / "m.safetensors")
    _rewrite_metadata(path, **changes)
    with pytest.raises(ModelFileError, match=re.escape(message)):
        nnumpy.load(path)


def test_load_detects_tensor_checksum_mismatch(tmp_path):
    path = nnumpy.save(nn.Sequential(nn.Linear(3, 2, rng=0)), tmp_path / "m.safetensors")
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01  # last byte of the last tensor
    path.write_bytes(bytes(blob))
    with pytest.raises(ModelFileError, match="corrupt: checksum mismatch"):
        nnumpy.load(path)


def test_tensor_checksum_covers_name_dtype_shape_and_bytes():
    base = ("a", "F32", (2,), memoryview(bytes(8)))
    variants = [("b", "F32", (2,), base[3]), ("a", "I32", (2,), base[3]), ("a", "F32", (1, 2), base[3]),
                ("a", "F32", (2,), memoryview(bytes(7) + b"\x01"))]
    digests = {tensor_checksum([base])} | {tensor_checksum([v]) for v in variants}
    assert len(digests) == 5


# ---------------------------------------------------------------------------- SIGKILL during save
_SAVER = textwrap.dedent(
    """
    import sys
    import nnumpy
    from nnumpy import nn

    model = nn.Sequential(nn.Linear(256, 256, rng=0), nn.ReLU(), nn.Linear(256, 256, rng=1))
    version = 0
    while True:
        model[0].bias.data[:] = version
        nnumpy.save(model, sys.argv[1], metadata={"version": str(version)})
        if version == 0:
            print("ready", flush=True)
        version += 1
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
def test_save_killed_with_sigkill_leaves_a_loadable_previous_version(tmp_path):
    path = tmp_path / "m.safetensors"
    reference = nn.Sequential(nn.Linear(256, 256, rng=0), nn.ReLU(), nn.Linear(256, 256, rng=1))
    rng = np.random.default_rng(0)
    stray = []
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.05))  # a random number of further saves, then SIGKILL mid-flight
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        version = int(io.inspect(path)["metadata"]["version"])
        loaded = nnumpy.load(path)
        reference[0].bias.data[:] = version
        assert _same_state(reference, loaded)
        expected = nnumpy.save(reference, tmp_path / "expected.safetensors", metadata={"version": str(version)})
        assert path.read_bytes() == expected.read_bytes()
        stray.append(sum(1 for p in tmp_path.iterdir() if p.name.endswith(".tmp")))
    # Temp files of killed saves may remain (.m.safetensors.*.tmp); they never replace the file.
    print(f"SIGKILL test: stray temp files after each kill {stray}")


# ---------------------------------------------------------------------------- no pickle
_PICKLE_SITES = re.compile(
    r"^\s*(?:import\s+(?:c?pickle|dill|joblib|shelve|marshal)\b|from\s+(?:c?pickle|dill|joblib|shelve|marshal)\s+import)"
    r"|allow_pickle\s*=\s*True|\bpickle\.loads?\(|\btorch\.load\(",
    re.MULTILINE,
)


def test_source_has_no_pickle_call_sites():
    src = Path(nnumpy.__file__).parent
    hits = [
        f"{path.relative_to(src)}: {match.group(0).strip()}"
        for path in sorted(src.rglob("*.py"))
        for match in _PICKLE_SITES.finditer(path.read_text(encoding="utf-8"))
    ]
    assert hits == []
    # np.load is allowed only with an explicit allow_pickle=False.
    loads = [
        f"{path.relative_to(src)}: {call}"
        for path in sorted(src.rglob("*.py"))
        for call in re.findall(r"\b(?:np|numpy)\.load\([^)]*\)", path.read_text(encoding="utf-8"))
        if "allow_pickle=False" not in call
    ]
    assert loads == []


def test_pickle_site_pattern_catches_known_forms():
    for line in ["import pickle", "from pickle import loads", "x = np.load(f, allow_pickle=True)", "torch.load(path)"]:
        assert _PICKLE_SITES.search(line), line
    assert not _PICKLE_SITES.search("np.load(f, allow_pickle=False)")


def test_save_records_dtype_of_tensors_not_stale_attribute(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    for p in model.parameters():
        p.data = p.data.astype(np.float64)  # assigned directly, Linear.dtype still says float32
    loaded = nnumpy.load(nnumpy.save(model, tmp_path / "m.safetensors"))
    assert loaded[0].weight.dtype == np.float64 and _same_state(model, loaded)
    model[0].bias.data = model[0].bias.data.astype(np.float32)
    with pytest.raises(ModelFileError, match="mix dtypes"):
        nnumpy.save(model, tmp_path / "m.safetensors")
