"""Tests for nnumpy.datasets: bundled sets, generators, lookup order, checksums, bad input."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from nnumpy import datasets
from nnumpy.datasets import _bundled, _download
from nnumpy.datasets import _registry
from nnumpy.errors import DataError

GENERATORS = {
    "xor": (datasets.make_xor, 2),
    "blobs": (datasets.make_blobs, 3),
    "moons": (datasets.make_moons, 2),
    "circles": (datasets.make_circles, 2),
    "spiral": (datasets.make_spiral, 3),
}


@pytest.fixture(autouse=True)
def _offline_and_isolated(monkeypatch, tmp_path):
    """No mirrors (no test may reach the network) and no real user/Debian directories."""
    monkeypatch.setattr(_download, "MIRRORS", {"mnist": [], "fashion-mnist": []})
    monkeypatch.setattr(_download, "DEBIAN_DIRS", {"fashion-mnist": (str(tmp_path / "debian-absent"),)})
    monkeypatch.delenv("NNUMPY_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-empty"))


# -- bundled ---------------------------------------------------------------------------

# Class counts of the official MNIST test set: first 8,000 and last 2,000 images.
MNIST_SAMPLE_TRAIN_COUNTS = [773, 905, 834, 803, 788, 723, 756, 813, 787, 818]
MNIST_SAMPLE_TEST_COUNTS = [207, 230, 198, 207, 194, 169, 202, 215, 187, 191]


@pytest.mark.parametrize(
    "split, n, first, counts",
    [
        ("train", 8000, [7, 2, 1, 0, 4, 1, 4, 9, 5, 9], MNIST_SAMPLE_TRAIN_COUNTS),
        ("test", 2000, [4, 9, 9, 7, 1, 1, 9, 0, 7, 8], MNIST_SAMPLE_TEST_COUNTS),
        ("all", 10000, [7, 2, 1, 0, 4, 1, 4, 9, 5, 9], list(np.add(MNIST_SAMPLE_TRAIN_COUNTS, MNIST_SAMPLE_TEST_COUNTS))),
    ],
)
def test_load_mnist_sample_shapes_labels_counts(split, n, first, counts):
    X, y = datasets.load("mnist-sample", split=split)
    assert X.shape == (n, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert y[:10].tolist() == first
    assert np.bincount(y, minlength=10).tolist() == counts


def test_load_mnist_sample_deterministic_and_split_is_first_last():
    X_all, y_all = datasets.load("mnist-sample", split="all")
    X_tr, y_tr = datasets.load("mnist-sample")
    X_te, y_te = datasets.load("mnist-sample", split="test")
    assert np.array_equal(X_tr, X_all[:8000]) and np.array_equal(y_te, y_all[8000:])
    assert np.array_equal(X_te, X_all[8000:])
    X_tr[0] = 5.0  # returned arrays are copies: the cache is not affected
    assert np.array_equal(datasets.load("mnist-sample")[0][0], X_all[0])
    # pixel values are k/255 exactly as float32
    assert np.array_equal(X_all[0] * 255, np.round(X_all[0] * 255))


def test_load_iris_stratified_split():
    X, y = datasets.load("iris")
    Xt, yt = datasets.load("iris", split="test")
    Xa, ya = datasets.load("iris", split="all")
    assert X.shape == (120, 4) and Xt.shape == (30, 4) and Xa.shape == (150, 4)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [40, 40, 40] and np.bincount(yt).tolist() == [10, 10, 10]
    assert Xa[0].tolist() == pytest.approx([5.1, 3.5, 1.4, 0.2])
    # rule: every fifth sample (positions 4, 9, ...) of each class goes to test
    assert np.array_equal(Xt[0], Xa[4]) and np.array_equal(Xt[1], Xa[9])
    merged = np.concatenate([X, Xt])
    assert np.array_equal(merged[np.lexsort(merged.T)], Xa[np.lexsort(Xa.T)])


def test_load_digits_shapes_and_range():
    X, y = datasets.load("digits")
    Xt, yt = datasets.load("digits", split="test")
    assert X.shape == (1442, 1, 8, 8) and Xt.shape == (355, 1, 8, 8) and X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0 and y.dtype == np.int64
    assert set(y.tolist()) == set(range(10)) == set(yt.tolist())
    assert np.array_equal(X[0].ravel() * 16, np.round(X[0].ravel() * 16))  # counts 0..16 / 16


@pytest.fixture
def _fresh_bundled_cache():
    caches = (_bundled._mnist_t10k, _bundled._iris, _bundled._digits)
    for c in caches:
        c.cache_clear()
    yield
    for c in caches:
        c.cache_clear()


@pytest.mark.parametrize("name, fname", [("iris", "iris.csv"), ("mnist-sample", "t10k-labels-idx1-ubyte.gz")])
def test_load_bundled_checksum_mismatch_raises(monkeypatch, _fresh_bundled_cache, name, fname):
    monkeypatch.setitem(_bundled.BUNDLED_MD5, fname, "0" * 32)
    with pytest.raises(DataError, match=f"{fname} is corrupt: md5 .* expected 0000"):
        datasets.load(name)


def test_load_bundled_missing_file_raises(monkeypatch, tmp_path, _fresh_bundled_cache):
    monkeypatch.setattr(_bundled, "BUNDLED_DIR", tmp_path)
    with pytest.raises(DataError, match="installation is incomplete"):
        datasets.load("digits")


def test_bundled_readme_lists_every_md5():
    readme = (_bundled.BUNDLED_DIR / "README.md").read_text()
    for fname, md5 in _bundled.BUNDLED_MD5.items():
        assert fname in readme and md5 in readme
        assert hashlib.md5((_bundled.BUNDLED_DIR / fname).read_bytes()).hexdigest() == md5


# -- generators ------------------------------------------------------------------------


@pytest.mark.parametrize("name", GENERATORS)
def test_make_generators_shapes_dtypes_balance(name):
    make, k = GENERATORS[name]
    X, y = make(n_samples=61, rng=0)
    assert X.shape == (61, 2) and X.dtype == np.float32 and y.shape == (61,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", GENERATORS)
def test_make_generators_deterministic_per_seed(name):
    make, _ = GENERATORS[name]
    a, b, c = make(rng=3), make(rng=3), make(rng=4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    assert np.array_equal(make(rng=g1)[0], make(rng=g2)[0])


@pytest.mark.parametrize("name", GENERATORS)
def test_make_generators_leave_global_rng_untouched(name):
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    GENERATORS[name][0](rng=None)
    datasets.load(name)
    assert np.array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("name", GENERATORS)
def test_make_generators_single_sample(name):
    X, y = GENERATORS[name][0](n_samples=1, rng=0)
    assert X.shape == (1, 2) and y.shape == (1,)


def test_make_generators_geometry_without_noise():
    X, y = datasets.make_circles(200, noise=0.0, factor=0.3, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0, atol=1e-6) and np.allclose(r[y == 1], 0.3, atol=1e-6)
    X, y = datasets.make_moons(200, noise=0.0, rng=0)
    upper = X[y == 0]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6) and upper[:, 1].min() >= 0
    X, y = datasets.make_xor(200, noise=0.0, rng=0)
    assert np.array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(np.int64))
    X, y = datasets.make_spiral(200, noise=0.0, n_classes=4, rng=0)
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 and y.max() == 3
    centers = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]])
    X, y = datasets.make_blobs(50, n_features=3, centers=centers, noise=0.0, rng=0)
    assert np.array_equal(X, centers[y].astype(np.float32))


def test_load_generated_train_test_streams_differ_and_reproduce():
    X, y = datasets.load("moons", n_samples=100, noise=0.2)
    Xt, _ = datasets.load("moons", split="test", n_samples=100, noise=0.2)
    assert X.shape == (100, 2) and not np.array_equal(X, Xt)
    assert np.array_equal(X, datasets.load("moons", n_samples=100, noise=0.2)[0])  # default rng=0
    assert not np.array_equal(X, datasets.load("moons", n_samples=100, noise=0.2, rng=1)[0])


def test_load_blobs_train_and_test_share_centres():
    X, y = datasets.load("blobs", n_samples=600, noise=0.5, rng=2)
    Xt, yt = datasets.load("blobs", split="test", n_samples=600, noise=0.5, rng=2)
    for k in range(3):
        assert np.abs(X[y == k].mean(0) - Xt[yt == k].mean(0)).max() < 0.3


def test_load_name_is_normalised():
    X, _ = datasets.load(" Mnist_Sample ", split="test")
    assert X.shape == (2000, 1, 28, 28)


# -- mnist / fashion-mnist lookup ------------------------------------------------------


def _write_mnist_like(directory: Path, split: str, label: int, n: int = 3, gz: bool = True) -> None:
    images, labels = _download.FILES[split]
    if not gz:
        images, labels = images[:-3], labels[:-3]
    directory.mkdir(parents=True, exist_ok=True)
    datasets.write_idx(directory / images, np.full((n, 28, 28), label * 10, np.uint8), compress=gz)
    datasets.write_idx(directory / labels, np.full(n, label, np.uint8), compress=gz)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_load_lookup_order_data_dir_env_cache_debian(monkeypatch, tmp_path, name):
    monkeypatch.setattr(_download, "CHECKSUMS", {})  # the stand-in files have no known digest
    roots = {key: tmp_path / key for key in ("data", "env", "cache", "debian")}
    monkeypatch.setenv("NNUMPY_DATA", str(roots["env"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(roots["cache"]))
    monkeypatch.setattr(_download, "DEBIAN_DIRS", {"fashion-mnist": (str(roots["debian"]),)})
    places = {
        "data": roots["data"] / name,
        "env": roots["env"] / name,
        "cache": roots["cache"] / "nnumpy" / name,
        "debian": roots["debian"],
    }
    order = ["data", "env", "cache", "debian"] if name == "fashion-mnist" else ["data", "env", "cache"]
    for label, key in enumerate(order, start=1):
        _write_mnist_like(places[key], "test", label)
    for label, key in enumerate(order, start=1):
        X, y = datasets.load(name, split="test", data_dir=roots["data"], download=False)
        assert y.tolist() == [label] * 3, key
        assert X.shape == (3, 1, 28, 28) and X.max() == pytest.approx(label * 10 / 255)
        for f in places[key].iterdir():
            f.unlink()
    if name == "mnist":  # Debian packages Fashion-MNIST only
        _write_mnist_like(roots["debian"], "test", 9)
    with pytest.raises(DataError, match="download=False"):
        datasets.load(name, split="test", data_dir=roots["data"], download=False)


def test_load_lookup_flat_dir_uncompressed_and_incomplete_pair(monkeypatch, tmp_path):
    monkeypatch.setattr(_download, "CHECKSUMS", {})
    _write_mnist_like(tmp_path / "flat", "train", 4, gz=False)  # flat layout, uncompressed names
    _, y = datasets.load("mnist", split="train", data_dir=tmp_path / "flat", download=False)
    assert y.tolist() == [4, 4, 4]
    # A directory with only the images file does not count; the next one is used.
    env = tmp_path / "env"
    _write_mnist_like(env / "mnist", "train", 6)
    (tmp_path / "flat" / "train-labels-idx1-ubyte").unlink()
    monkeypatch.setenv("NNUMPY_DATA", str(env))
    _, y = datasets.load("mnist", split="train", data_dir=tmp_path / "flat", download=False)
    assert y.tolist() == [6, 6, 6]


def test_load_missing_offline_names_files_and_places(tmp_path):
    with pytest.raises(DataError) as info:
        datasets.load("fashion-mnist", split="train", data_dir=tmp_path, download=False)
    msg = str(info.value)
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" in msg
    assert str(tmp_path / "fashion-mnist") in msg and "NNUMPY_DATA" in msg and "apt-get install" in msg


def _copy_t10k(dest: Path, mode: str) -> None:
    """Place the real MNIST t10k files in ``dest`` as shipped, decompressed or recompressed."""
    dest.mkdir(parents=True)
    for fname in _download.FILES["test"]:
        blob = (_bundled.BUNDLED_DIR / fname).read_bytes()
        if mode == "gz":
            (dest / fname).write_bytes(blob)
        elif mode == "raw":
            (dest / fname[:-3]).write_bytes(gzip.decompress(blob))
        else:
            (dest / fname).write_bytes(gzip.compress(gzip.decompress(blob), compresslevel=1, mtime=0))


@pytest.mark.parametrize("mode", ["gz", "raw", "recompressed"])
def test_load_mnist_real_t10k_verified_in_every_form(tmp_path, mode):
    _copy_t10k(tmp_path / "mnist", mode)
    X, y = datasets.load("mnist", split="test", data_dir=tmp_path, download=False)
    Xs, ys = datasets.load("mnist-sample", split="all")
    assert np.array_equal(X, Xs) and np.array_equal(y, ys)


def test_load_checksum_mismatch_raises_unless_verify_false(tmp_path):
    _write_mnist_like(tmp_path / "mnist", "test", 2)  # not the real t10k files
    with pytest.raises(DataError, match="checksum mismatch for mnist file t10k-images-idx3-ubyte.gz"):
        datasets.load("mnist", split="test", data_dir=tmp_path, download=False)
    _, y = datasets.load("mnist", split="test", data_dir=tmp_path, download=False, verify=False)
    assert y.tolist() == [2, 2, 2]


def test_load_unverifiable_raw_train_file_is_accepted(tmp_path):
    # MNIST train has only gzip digests here, so an uncompressed copy cannot be checked.
    _write_mnist_like(tmp_path / "mnist", "train", 1, gz=False)
    _, y = datasets.load("mnist", split="train", data_dir=tmp_path, download=False)
    assert y.tolist() == [1, 1, 1]


@pytest.mark.parametrize(
    "images, labels, fragment",
    [
        (np.zeros((2, 28, 28), np.uint8), np.zeros(3, np.uint8), "2 samples but"),
        (np.zeros((2, 27, 28), np.uint8), np.zeros(2, np.uint8), "shape (N, 28, 28)"),
        (np.zeros((2, 28, 28), np.float32), np.zeros(2, np.uint8), "expected uint8 images"),
        (np.zeros((2, 28, 28), np.uint8), np.array([3, 10], np.uint8), "label 10 out of range"),
        (np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.int32), "expected uint8 labels"),
    ],
)
def test_load_mnist_inconsistent_files_raise_dataerror(monkeypatch, tmp_path, images, labels, fragment):
    monkeypatch.setattr(_download, "CHECKSUMS", {})
    datasets.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    datasets.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    with pytest.raises(DataError) as info:
        datasets.load("mnist", split="test", data_dir=tmp_path, download=False)
    assert fragment in str(info.value)


def test_checksum_table_matches_real_t10k_files():
    table = _download.CHECKSUMS["mnist"]
    for fname in _download.FILES["test"]:
        blob = (_bundled.BUNDLED_DIR / fname).read_bytes()
        raw = gzip.decompress(blob)
        assert hashlib.md5(blob).hexdigest() in table[fname]["gz_md5"]
        assert hashlib.md5(raw).hexdigest() == table[fname]["raw_md5"]
        assert hashlib.sha256(raw).hexdigest() == table[fname]["raw_sha256"]


DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not (DEBIAN_FASHION / "t10k-labels-idx1-ubyte.gz").exists(), reason="dataset-fashion-mnist not installed")
def test_load_fashion_mnist_from_debian_package(monkeypatch):
    monkeypatch.setattr(_download, "DEBIAN_DIRS", {"fashion-mnist": (str(DEBIAN_FASHION),)})
    X, y = datasets.load("fashion-mnist", split="test", download=False)  # verified against CHECKSUMS
    assert X.shape == (10000, 1, 28, 28) and X.dtype == np.float32 and 0 <= X.min() < X.max() <= 1
    assert np.bincount(y).tolist() == [1000] * 10


# -- available -------------------------------------------------------------------------


def test_available_lists_every_name_with_presence(monkeypatch, tmp_path):
    monkeypatch.setattr(_download, "CHECKSUMS", {})
    rows = datasets.available(data_dir=tmp_path)
    assert [r.name for r in rows] == datasets.dataset_names()
    by_name = {r.name: r for r in rows}
    assert by_name["iris"].kind == "bundled" and by_name["iris"].present
    assert by_name["moons"].kind == "generated" and by_name["moons"].present
    assert by_name["mnist"].kind == "download" and not by_name["mnist"].present
    for split in ("train", "test"):
        _write_mnist_like(tmp_path / "mnist", split, 1)
    row = {r.name: r for r in datasets.available(data_dir=tmp_path)}["mnist"]
    assert row.present and row.location == str(tmp_path / "mnist")
    table = datasets.format_available(data_dir=tmp_path)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["name", "kind", "present"] and set(lines[1]) <= {"-", " "}
    assert len(lines) == len(rows) + 2 and all(name in table for name in datasets.dataset_names())
    assert all(r.size and r.source for r in rows)


# -- bad input -------------------------------------------------------------------------

BAD_INPUT = [
    ("unknown name", lambda: datasets.load("cifar10"), DataError, "unknown data set 'cifar10'; available: mnist-sample"),
    ("name not str", lambda: datasets.load(3), TypeError, "'name' parameter of load must be a str"),
    ("bad split", lambda: datasets.load("iris", split="val"), ValueError,
     "The 'split' parameter of load('iris') must be one of 'train', 'test', 'all'. Got 'val' instead."),
    ("all for generated", lambda: datasets.load("moons", split="all"), ValueError, "one of 'train', 'test'"),
    ("all for mnist", lambda: datasets.load("mnist", split="all"), ValueError, "'split' parameter of load('mnist')"),
    ("kwargs for bundled", lambda: datasets.load("iris", n_samples=3), TypeError, "unexpected keyword argument(s) n_samples"),
    ("unknown generator kwarg", lambda: datasets.load("moons", factor=0.5), TypeError, "accepted: n_samples, noise, rng"),
    ("unknown mnist kwarg", lambda: datasets.load("mnist", rng=0), TypeError, "accepted: verify, progress"),
    ("data_dir int", lambda: datasets.load("mnist", data_dir=3), TypeError,
     "The 'data_dir' parameter of load('mnist') must be None, a str or an os.PathLike. Got 3 instead."),
    ("verify not bool", lambda: datasets.load("mnist", verify="no"), TypeError,
     "The 'verify' parameter of load('mnist') must be a bool. Got 'no' instead."),
    ("download not bool", lambda: datasets.load("iris", download="no"), TypeError, "'download' parameter"),
    ("n_samples 0", lambda: datasets.make_moons(0), ValueError,
     "The 'n_samples' parameter of make_moons must be an int >= 1. Got 0 instead."),
    ("noise negative", lambda: datasets.make_circles(noise=-0.1), ValueError, "'noise' parameter of make_circles must be a float >= 0"),
    ("noise nan", lambda: datasets.make_xor(noise=float("nan")), ValueError, "'noise' parameter of make_xor"),
    ("factor 1", lambda: datasets.make_circles(factor=1.0), ValueError, "'factor' parameter of make_circles must be a float in (0, 1)"),
    ("n_classes 1", lambda: datasets.make_spiral(n_classes=1), ValueError, "'n_classes' parameter of make_spiral"),
    ("centers 0", lambda: datasets.make_blobs(centers=0), ValueError, "'centers' parameter of make_blobs"),
    ("centers bad shape", lambda: datasets.make_blobs(centers=np.zeros((2, 3))), ValueError, "(k, n_features=2)"),
    ("centers bool", lambda: datasets.make_blobs(centers=True), ValueError, "'centers' parameter of make_blobs"),
    ("n_features 0", lambda: datasets.make_blobs(n_features=0), ValueError, "'n_features' parameter"),
    ("rng negative", lambda: datasets.make_moons(rng=-1), ValueError, "'rng' parameter of make_moons"),
    ("rng float", lambda: datasets.load("xor", rng=0.5), TypeError, "'rng' parameter of load('xor')"),
    ("load rng negative", lambda: datasets.load("blobs", rng=-2), ValueError, "'rng' parameter of load('blobs')"),
    ("no mirrors offline", lambda: datasets.load("mnist", data_dir="/nonexistent-nnumpy"), DataError,
     "could not download mnist file"),
    ("download unknown", lambda: datasets.download("iris"), DataError, "downloadable: fashion-mnist, mnist"),
]  # fmt: skip


@pytest.mark.parametrize("case, call, exc, fragment", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_datasets_bad_input_raises_documented_error(case, call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_registry_module_exports_once():
    assert set(datasets.__all__) >= {"load", "available", "read_idx", "write_idx", "make_moons"}
    assert _registry.load is datasets.load
    assert os.path.basename(_bundled.BUNDLED_DIR) == "_bundled"


# --------------------------------------------------------------------------- class names
@pytest.mark.parametrize("name", ["mnist-sample", "iris", "digits", "xor", "blobs", "moons", "circles", "spiral"])
def test_class_names_one_per_class_of_the_data(name):
    names = datasets.class_names(name)
    _, y = datasets.load(name, split="train")
    assert len(names) == int(y.max()) + 1 and all(isinstance(n, str) for n in names)


def test_class_names_of_the_known_sets():
    assert datasets.class_names("mnist") == [str(d) for d in range(10)]
    fashion = datasets.class_names("Fashion_MNIST")
    assert fashion[0] == "T-shirt/top" and fashion[9] == "Ankle boot" and len(fashion) == 10
    header = (_bundled.BUNDLED_DIR / "iris.csv").read_text(encoding="ascii").splitlines()[0].split(",")[2:]
    assert datasets.class_names("iris") == header == ["setosa", "versicolor", "virginica"]
    assert datasets.class_names("spiral", n_classes=5) == ["0", "1", "2", "3", "4"]
    assert datasets.class_names("blobs", centers=[[0, 0], [1, 1]]) == ["0", "1"]
    X, y = datasets.load("iris")  # load itself still returns the pair
    assert X.shape[0] == y.shape[0]


def test_class_names_bad_input():
    with pytest.raises(DataError, match="unknown data set 'nope'"):
        datasets.class_names("nope")
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        datasets.class_names("iris", n_classes=3)
    with pytest.raises(ValueError, match="The 'n_classes' parameter"):
        datasets.class_names("spiral", n_classes=0)
