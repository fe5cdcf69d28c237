"""Every reader fed random bytes, truncations and byte flips (docs/reliability.md, "Files").

Properties (hypothesis, the CI profile of tests/conftest.py): each reader either loads the
file correctly (the same weights, the same array) or raises the library's own error; never
another exception, never a hang (each call runs under a SIGALRM timeout). Peak memory is checked
in a subprocess under ``resource.setrlimit(RLIMIT_AS)``: /dev/zero, a 256 MiB stranger file,
headers declaring gigabytes and the other crafted inputs all fail within the limit.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, strategies as st

import nnumpy
from nnumpy import DataError, ModelFileError, nn, optim
from nnumpy.cli._config import load_toml
from nnumpy.cli._inputs import read_image
from nnumpy.datasets import read_idx, write_idx

TIMEOUT_S = 10


@contextlib.contextmanager
def _deadline(seconds=TIMEOUT_S):
    def fail(*_):
        raise TimeoutError(f"reader ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _model():
    return nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))


def _png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.arange(64, dtype=np.uint8).reshape(8, 8) * 4)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """One valid file per reader: name -> (bytes, reader, the library's errors, check of a successful load)."""
    d = tmp_path_factory.mktemp("seeds")
    model = _model()
    nnumpy.save(model, d / "m.safetensors")
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(np.ones((2, 3)))
    nnumpy.io.save_checkpoint(d / "c.safetensors", model=model, optimizer=opt, epoch=1, step=3)
    arr = np.arange(60, dtype=np.int16).reshape(3, 4, 5)
    write_idx(d / "a.idx", arr, compress=False)
    write_idx(d / "a.idx.gz", arr, compress=True)
    toml = b"[train]\nepochs = 3\nbatch_size = 8\n[optimizer]\ntype = 'SGD'\nlr = 0.1\n"
    want = model.state_dict()

    def same_model(m):
        got = m.state_dict()
        assert got.keys() == want.keys() and all(np.array_equal(got[k], want[k]) for k in want)

    def same_checkpoint(c):
        same_model(c.build_model())

    def idx_ok(a):
        assert a.shape == arr.shape and a.dtype == arr.dtype  # raw IDX has no checksum: values may differ

    return {
        "_dir": d,
        "model": ((d / "m.safetensors").read_bytes(), nnumpy.load, ModelFileError, same_model),
        "checkpoint": ((d / "c.safetensors").read_bytes(), nnumpy.io.load_checkpoint, ModelFileError, same_checkpoint),
        "idx": ((d / "a.idx").read_bytes(), read_idx, DataError, idx_ok),
        "idx.gz": ((d / "a.idx.gz").read_bytes(), read_idx, DataError,
                   lambda a: np.testing.assert_array_equal(a, arr)),  # gzip's CRC-32 catches damage
        "toml": (toml, load_toml, ValueError, lambda doc: isinstance(doc, dict)),
        "png": (_png_bytes(), read_image, ValueError, lambda a: a.ndim == 2),
    }


READERS = ["model", "checkpoint", "idx", "idx.gz", "toml", "png"]


def _feed(seeds, kind, blob):
    _, reader, error, check = seeds[kind]
    path = seeds["_dir"] / f"fuzz.{kind}"  # one file per reader, rewritten by each example
    path.write_bytes(blob)
    with _deadline():
        try:
            result = reader(path)
        except error:
            return False
    check(result)
    return True


@pytest.mark.parametrize("kind", READERS)
@given(cut=st.floats(0, 1, exclude_max=True))
def test_truncated_file_raises_the_library_error(seeds, kind, cut):
    blob = seeds[kind][0]
    n = int(cut * len(blob))
    loaded = _feed(seeds, kind, blob[:n])
    if kind in ("model", "checkpoint", "idx", "idx.gz"):  # formats that know their own length (Pillow
        # decodes a PNG cut after its last IDAT chunk: the picture is whole)
        assert not loaded, f"{kind} truncated to {n} of {len(blob)} bytes loaded"


@pytest.mark.parametrize("kind", READERS)
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=4))
def test_flipped_bytes_give_the_library_error_or_a_correct_load(seeds, kind, flips):
    blob = bytearray(seeds[kind][0])
    for where, mask in flips:
        blob[int(where * len(blob))] ^= mask
    _feed(seeds, kind, bytes(blob))


@pytest.mark.parametrize("kind", READERS)
@given(blob=st.binary(max_size=2048))
def test_random_bytes_give_the_library_error(seeds, kind, blob):
    _feed(seeds, kind, blob)


@pytest.mark.parametrize("kind", ["model", "checkpoint", "idx", "idx.gz"])
@given(prefix=st.binary(min_size=1, max_size=64))
def test_random_header_on_a_valid_body_gives_the_library_error(seeds, kind, prefix):
    blob = seeds[kind][0]
    _feed(seeds, kind, prefix + blob[len(prefix):])


# ---------------------------------------------------------------------------- bounded memory
_MEMORY_SCRIPT = textwrap.dedent(r"""
    import gzip, json, os, resource, sys
    import numpy as np
    import nnumpy
    from nnumpy import DataError, ModelFileError, data
    from nnumpy.cli._config import load_toml
    from nnumpy.cli._inputs import read_array, read_image
    from nnumpy.datasets import read_idx

    d = sys.argv[1]
    def w(name, blob):
        with open(os.path.join(d, name), "wb") as f:
            f.write(blob)
        return os.path.join(d, name)

    big = os.path.join(d, "stranger.bin")  # 256 MiB, sparse: no disk, no page cache
    with open(big, "wb") as f:
        f.truncate(256 << 20)
    header = json.dumps({"t": {"dtype": "F32", "shape": [1 << 40], "data_offsets": [0, 4 << 40]}}).encode()
    gz = gzip.compress(b"\x00\x00\x08\x03" + (4096).to_bytes(4, "big") * 3)
    npy = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
    npy += " " * (118 - 10 - len(npy)) + "\n"
    cases = [
        (nnumpy.load, "/dev/zero", ModelFileError),
        (nnumpy.load, big, ModelFileError),
        (nnumpy.load, w("hdr", (90 << 20).to_bytes(8, "little") + b"{" + b" " * 64), ModelFileError),
        (nnumpy.load, w("huge", len(header).to_bytes(8, "little") + header), ModelFileError),
        (nnumpy.io.load_checkpoint, "/dev/zero", ModelFileError),
        (nnumpy.io.load_checkpoint, big, ModelFileError),
        (read_idx, "/dev/zero", DataError),
        (read_idx, big, DataError),
        (read_idx, w("idx", b"\x00\x00\x08\x03" + b"\xff\xff\xff\xff" * 3 + b"\x00" * 64), DataError),
        (read_idx, w("idx.gz", gz), DataError),
        (load_toml, "/dev/zero", ValueError),
        (load_toml, big, ValueError),
        (read_image, "/dev/zero", ValueError),
        (read_image, big, ValueError),
        (lambda p: read_array(__import__("pathlib").Path(p), "npy", []),
         w("big.npy", b"\x93NUMPY\x01\x00" + len(npy).to_bytes(2, "little") + npy.encode()), ValueError),
    ]
    loader = data.DataLoader(data.TensorDataset(np.ones((4, 1))), batch_size=2, shuffle=True, rng=0)
    state = json.loads(json.dumps(loader.state_dict()))
    state["rng_state"]["state"] = {"__ndarray__": ["x"], "dtype": "S200000000"}
    cases.append((lambda s: loader.load_state_dict(s), state, ValueError))

    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for reader, arg, error in cases:
        try:
            reader(arg)
        except error as e:
            print("ok", type(e).__name__, str(e)[:100])
        else:
            print("LOADED", arg)
    print("peak_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def _address_space_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))


def test_every_reader_fails_on_huge_inputs_within_a_memory_limit(tmp_path):
    """The address space may grow 160 MiB past the interpreter with nnumpy imported: a 256 MiB read fails."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    probe = subprocess.run([sys.executable, "-c", "import os, nnumpy, nnumpy.cli._inputs, PIL.Image; "
                            "print(open(f'/proc/{os.getpid()}/status').read())"],
                           capture_output=True, text=True, env=env, timeout=60)
    base_kib = next(int(line.split()[1]) for line in probe.stdout.splitlines() if line.startswith("VmSize:"))
    limit = (base_kib + 160 * 1024) * 1024
    run = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(tmp_path), str(limit)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert not [line for line in lines if line.startswith("LOADED")], run.stdout
    assert sum(line.startswith("ok ") for line in lines) == 16, run.stdout
    assert "MemoryError" not in run.stdout
