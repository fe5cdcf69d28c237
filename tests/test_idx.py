"""Tests for the strict IDX reader/writer: round trips, corruption sweeps, crafted headers."""

from __future__ import annotations

import gzip
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnumpy.datasets import read_idx, read_idx_pair, write_idx
from nnumpy.datasets._bundled import BUNDLED_DIR
from nnumpy.errors import DataError

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-exact equality (NaN payloads and -0.0 included)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@settings(derandomize=True, max_examples=80, deadline=None, database=None)
@given(
    array=st.sampled_from(IDX_DTYPES).flatmap(
        lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    ),
    compress=st.booleans(),
    big_endian=st.booleans(),
)
def test_idx_write_read_round_trip_bit_exact(tmp_path_factory, array, compress, big_endian):
    if big_endian:
        array = array.astype(array.dtype.newbyteorder(">"))
    path = tmp_path_factory.mktemp("rt") / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == array.dtype.newbyteorder("=") and back.dtype.isnative
    assert _same(back, array.astype(back.dtype))
    assert back.flags.writeable


def test_idx_write_header_layout(tmp_path):
    path = write_idx(tmp_path / "x.idx", np.arange(6, dtype=np.int16).reshape(2, 3))
    blob = path.read_bytes()
    # 0x00 0x00, type 0x0B (int16), 2 dims, then 2 and 3 as big-endian uint32, then big-endian data.
    assert blob[:12] == bytes([0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 3])
    assert blob[12:] == np.arange(6, dtype=">i2").tobytes()


def test_idx_gzip_detected_by_content_not_name(tmp_path):
    a = np.arange(10, dtype=np.uint8)
    path = write_idx(tmp_path / "plain-name", a, compress=True)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert _same(read_idx(path), a)
    raw = write_idx(tmp_path / "raw.gz", a, compress=False)
    assert _same(read_idx(raw), a)


def test_idx_write_is_atomic_and_deterministic(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    p1 = write_idx(tmp_path / "a.idx.gz", a)
    first = p1.read_bytes()
    write_idx(p1, a)  # overwrite in place
    assert p1.read_bytes() == first  # gzip mtime fixed at 0
    assert sorted(os.listdir(tmp_path)) == ["a.idx.gz"]  # no temp files left behind


def test_idx_read_bundled_mnist_labels():
    labels = read_idx(BUNDLED_DIR / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # first MNIST test labels


def _small_files(tmp_path) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(5, 4, 4), dtype=np.uint8)
    b = rng.standard_normal((3, 2)).astype(np.float32)
    return {
        "raw-u8": write_idx(tmp_path / "a.idx", a).read_bytes(),
        "gz-u8": write_idx(tmp_path / "a.idx.gz", a).read_bytes(),
        "raw-f32": write_idx(tmp_path / "b.idx", b).read_bytes(),
        "gz-f32": write_idx(tmp_path / "b.idx.gz", b).read_bytes(),
    }


@pytest.mark.parametrize("kind", ["raw-u8", "gz-u8", "raw-f32", "gz-f32"])
def test_idx_every_truncation_raises_dataerror(tmp_path, kind):
    blob = _small_files(tmp_path)[kind]
    path = tmp_path / "cut"
    for length in range(len(blob)):
        path.write_bytes(blob[:length])
        with pytest.raises(DataError) as info:
            read_idx(path)
        assert str(path) in str(info.value)


@pytest.mark.parametrize("kind", ["raw-u8", "gz-u8", "raw-f32", "gz-f32"])
def test_idx_every_byte_flip_raises_dataerror_or_loads_consistently(tmp_path, kind):
    blob = _small_files(tmp_path)[kind]
    original = read_idx(tmp_path / ("a.idx" if "u8" in kind else "b.idx"))
    path = tmp_path / "flip"
    ndim = original.ndim
    outcomes = {"error": 0, "same": 0, "different": 0}
    for pos in range(len(blob)):
        for mask in (0x01, 0x80, 0xFF):
            damaged = bytearray(blob)
            damaged[pos] ^= mask
            path.write_bytes(bytes(damaged))
            try:
                got = read_idx(path)
            except DataError:
                outcomes["error"] += 1
                continue
            if _same(got, original):
                outcomes["same"] += 1
                continue
            outcomes["different"] += 1
            # Raw IDX carries no checksum: a flip in the data region, or of the type code to another
            # type of the same width (uint8 <-> int8), loads with the same shape. gzip's CRC-32
            # catches every single-byte change of the content.
            assert kind.startswith("raw") and (pos >= 4 + 4 * ndim or pos == 2), (kind, pos, mask)
            assert got.shape == original.shape and got.dtype.itemsize == original.dtype.itemsize
    assert outcomes["error"] > 0


def test_idx_real_file_sampled_corruption(tmp_path):
    blob = (BUNDLED_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes()
    original = read_idx(BUNDLED_DIR / "t10k-labels-idx1-ubyte.gz")
    rng = np.random.default_rng(1)
    path = tmp_path / "labels.gz"
    for pos in rng.choice(len(blob), size=150, replace=False):
        damaged = bytearray(blob)
        damaged[pos] ^= int(rng.integers(1, 256))
        path.write_bytes(bytes(damaged))
        try:
            got = read_idx(path)
        except DataError:
            continue
        assert _same(got, original)  # only header fields such as mtime may change harmlessly
    for length in rng.choice(len(blob), size=60, replace=False):
        path.write_bytes(blob[:length])
        with pytest.raises(DataError):
            read_idx(path)


def _raw_header(code: int, dims, ndim=None) -> bytes:
    dims = list(dims)
    return bytes([0, 0, code, len(dims) if ndim is None else ndim]) + np.asarray(dims, dtype=">u4").tobytes()


# Crafted headers: (declared header, bytes actually present, gzip?, expected message, peak-allocation cap).
HUGE = [2**32 - 1] * 3  # 2**32-1 cubed float64 elements, ~6e29 bytes
CRAFTED = [
    ("huge dims raw", _raw_header(0x0E, HUGE), 16, False, "declares shape", 4 * 2**20),
    ("huge dims gzip", _raw_header(0x0E, HUGE), 16, True, "declares shape", 4 * 2**20),
    # 64 MiB declared in ~1 KiB of gzip: beyond DEFLATE's 1032:1 bound, rejected before decompressing.
    ("beyond deflate bound", _raw_header(0x08, [64, 1024, 1024]), 2**20, True, "cannot hold that much", 4 * 2**20),
    # 8 MiB of zeros gzip to ~8 KiB (bound ~8.4 MB), so 4 KiB more than present passes the ratio
    # check; the reader must stop at the real end of the stream, holding only what exists.
    ("declared past content", _raw_header(0x08, [8 * 2**20 + 4096]), 8 * 2**20, True, "truncated", 40 * 2**20),
]  # fmt: skip


@pytest.mark.parametrize("case, header, present, compress, fragment, cap", CRAFTED, ids=[c[0] for c in CRAFTED])
def test_idx_crafted_header_rejected_without_large_allocation(tmp_path, case, header, present, compress, fragment, cap):
    payload = header + bytes(present)
    path = tmp_path / "crafted"
    path.write_bytes(gzip.compress(payload) if compress else payload)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=fragment):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < cap


BAD_FILES = [
    ("wrong magic", b"\x01\x00\x08\x01\x00\x00\x00\x01\x07", "not an IDX file"),
    ("unknown type code", _raw_header(0x0A, [1]) + b"\x00", "unsupported IDX type code 0x0A"),
    ("zero dims", bytes([0, 0, 8, 0]), "declares 0 dimensions"),
    ("short header", bytes([0, 0, 8, 3, 0, 0]), "truncated header"),
    ("too short", b"\x00\x00", "too short for an IDX header"),
    ("empty file", b"", "too short"),
    ("data too short", _raw_header(0x0C, [2, 2]) + bytes(15), "truncated"),
    ("trailing bytes", _raw_header(0x08, [3]) + bytes(4), "more bytes follow"),
    ("gzip garbage", b"\x1f\x8b" + bytes(30), "corrupt gzip"),
    ("gzip truncated", gzip.compress(_raw_header(0x08, [100]) + bytes(range(100)))[:-6], "truncated or corrupt gzip"),
    ("gzip trailing garbage", gzip.compress(_raw_header(0x08, [1]) + b"\x05") + b"junk", "corrupt gzip"),
]  # fmt: skip


@pytest.mark.parametrize("case, content, fragment", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_idx_bad_file_raises_dataerror_naming_file(tmp_path, case, content, fragment):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert fragment in str(info.value) and str(path) in str(info.value)


def test_idx_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="IDX file not found: .*nope.idx"):
        read_idx(tmp_path / "nope.idx")
    with pytest.raises(DataError, match="is a directory"):
        read_idx(tmp_path)


def test_idx_dataerror_is_valueerror_and_exported():
    import nnumpy

    assert issubclass(nnumpy.DataError, ValueError) and nnumpy.DataError is DataError


def test_idx_pair_count_mismatch_names_both_files(tmp_path):
    images = write_idx(tmp_path / "img.idx", np.zeros((4, 2, 2), np.uint8))
    labels = write_idx(tmp_path / "lab.idx", np.zeros(3, np.uint8))
    with pytest.raises(DataError) as info:
        read_idx_pair(images, labels)
    assert "4 samples" in str(info.value) and "3 labels" in str(info.value)
    assert str(images) in str(info.value) and str(labels) in str(info.value)
    write_idx(labels, np.zeros((4, 1), np.uint8))
    with pytest.raises(DataError, match="must be 1-D"):
        read_idx_pair(images, labels)
    write_idx(labels, np.arange(4, dtype=np.uint8))
    x, y = read_idx_pair(images, labels)
    assert x.shape == (4, 2, 2) and y.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "array, exc, fragment",
    [
        (np.zeros(3, np.int64), TypeError, "cannot store dtype int64"),
        (np.zeros(3, bool), TypeError, "cannot store dtype bool"),
        (np.zeros(3, np.float16), TypeError, "uint8, int8, int16, int32, float32 and float64"),
        (np.array(["a"]), TypeError, "cannot store dtype"),
        (np.float32(1.0), ValueError, "1 to 255 dimensions"),
    ],
)
def test_idx_write_bad_input(tmp_path, array, exc, fragment):
    with pytest.raises(exc, match=fragment):
        write_idx(tmp_path / "x.idx", array)
    assert not list(Path(tmp_path).iterdir())  # nothing written


def test_idx_write_failure_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = write_idx(tmp_path / "keep.idx", np.arange(5, dtype=np.uint8))
    before = path.read_bytes()

    def crash(fd):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        write_idx(path, np.arange(50, dtype=np.uint8))
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["keep.idx"]
