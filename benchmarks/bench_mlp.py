#!/usr/bin/env python
"""Training-speed benchmark: nnumpy against plain NumPy, PyTorch CPU and scikit-learn.

The same network (Linear → Sigmoid → … → Linear, softmax cross-entropy, plain
SGD) is trained from the same initial weights on the same data in the same
shuffled order by five implementations (see ``_impls.py``), interleaved in one
process (A B C D E, A B C D E, …) and timed per run; the median, min and max of
``--repeats`` runs are reported. In the same process the float32 matrix-multiply
rate is measured on the exact GEMM shapes of each workload, which gives the
FLOP floor: 6 × parameters × samples ÷ rate. Peak RSS is measured per
implementation in a fresh subprocess (``--rss-child``), after resetting the
kernel's high-water mark, so imports and data loading do not blur it.

Workloads (``--workloads``, comma-separated groups):

* ``fmnist``: the 784-512-256-10 sigmoid MLP, SGD lr 0.5, one epoch of
  Fashion-MNIST (60,000 samples; batch 1 uses the first 5,000), one workload
  per ``--batch-sizes`` entry;
* ``small``: 2-16-2 on moons and 4-16-3 on iris, where per-step overhead
  dominates (reported as µs per step);
* ``acc10``: 10 epochs at batch 32 for nnumpy, NumPy and PyTorch; the test
  accuracies must agree (one run each, it is a correctness check).

Outputs in ``--out`` (default ``benchmarks/results/``): ``<date>-<machine>.json``
(every number), ``.md`` (the tables, the targets and the command) and ``.png``
(bar chart). ``--update-readme`` copies the Markdown into the marked block of
``docs/performance.md``, ``docs/ko/performance.md`` and ``benchmarks/README.md`` (``--readme PATH``
to choose other files).

    python benchmarks/bench_mlp.py                       # full run (~10-20 min on 2 cores)
    python benchmarks/bench_mlp.py --smoke --out /tmp/b  # < 20 s, tiny subset, for CI
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ALL_IMPLS = ("nnumpy-fit", "nnumpy-loop", "numpy", "torch", "sklearn")
ACC_IMPLS = ("nnumpy-fit", "nnumpy-loop", "numpy", "torch")
FMNIST_LAYERS = [784, 512, 256, 10]
DATA_HINT = (
    "Fashion-MNIST not found: install it with `apt-get install dataset-fashion-mnist` "
    "(or put the four *-ubyte.gz files in $NNUMPY_DATA/fashion-mnist), or run with --smoke."
)
README_START, README_END = "<!-- BENCHMARK:START -->", "<!-- BENCHMARK:END -->"
#: Environment overrides of OpenBLAS's CPU detection. Some machines set them (older OpenBLAS
#: builds crash or compute wrong results on their CPUs); they make a current NumPy take slower
#: GEMM kernels, so the benchmark clears them for its own process (tests and CI leave them).
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS")


class DataMissing(RuntimeError):
    """The Fashion-MNIST files are not on this machine."""


DATA_DIR: Path | None = None  # set by --data-dir


# =========================================================================== data
def _read_idx_gz(path: Path, limit: int | None = None):
    """Minimal uint8 IDX reader: the first ``limit`` records (all if None).

    Used in smoke mode (reading a prefix of the gzip stream is ~50× faster than
    decompressing the file) and as a fallback when nnumpy.datasets is unavailable.
    """
    import gzip

    import numpy as np

    with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
        head = f.read(4)
        ndim = head[3]
        shape = [int.from_bytes(f.read(4), "big") for _ in range(ndim)]
        if limit is not None:
            shape[0] = min(shape[0], limit)
        count = int(np.prod(shape))
        raw = f.read(count)
    if head[:3] != b"\x00\x00\x08" or len(raw) != count:
        raise DataMissing(f"{path} is not a complete uint8 IDX file")
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape)


def _fmnist_dirs() -> list[Path]:
    if DATA_DIR is not None:  # --data-dir: that directory only
        return [DATA_DIR / "fashion-mnist", DATA_DIR]
    dirs = []
    env = os.environ.get("NNUMPY_DATA")
    if env:
        dirs += [Path(env) / "fashion-mnist", Path(env)]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnumpy" / "fashion-mnist"
    return dirs + [cache, Path("/usr/share/datasets/fashion-mnist")]


def _load_split(split: str, limit: int | None = None):
    """(X (N, 784) float32 in [0, 1], y (N,) int64) for 'train' or 'test'; ``limit``: first samples only."""
    import numpy as np

    try:
        from nnumpy import datasets
        from nnumpy.errors import DataError
    except ImportError:
        datasets = None
    if limit is None and DATA_DIR is None and datasets is not None and hasattr(datasets, "load"):
        try:
            X, y = datasets.load("fashion-mnist", split=split, download=False, progress=False)
        except DataError as e:
            raise DataMissing(str(e)) from None
        return np.ascontiguousarray(X.reshape(len(X), -1), dtype=np.float32), y.astype(np.int64)
    prefix = "train" if split == "train" else "t10k"
    for d in _fmnist_dirs():
        img, lab = d / f"{prefix}-images-idx3-ubyte.gz", d / f"{prefix}-labels-idx1-ubyte.gz"
        if img.is_file() and lab.is_file():
            X = _read_idx_gz(img, limit).reshape(-1, 784).astype(np.float32) / 255.0
            return X, _read_idx_gz(lab, limit).astype(np.int64)
    raise DataMissing("no Fashion-MNIST files")


def load_fashion_mnist(n_train: int | None = None, n_test: int | None = None, synthetic_ok: bool = False,
                       synthetic: bool = False):
    """``((X, y), (X_test, y_test))``, the first ``n_train`` / ``n_test`` samples.

    With ``synthetic_ok`` (smoke mode) a missing data set is replaced by
    random class-dependent images of the same shape, so CI runs without it.
    """
    import numpy as np

    try:
        if synthetic:
            raise DataMissing("synthetic data requested")
        # A prefix is read directly only for small subsets (smoke); full runs use nnumpy's reader.
        small = n_train is not None and n_train <= 5000
        X, y = _load_split("train", n_train if small else None)
        Xt, yt = (None, None) if n_test == 0 else _load_split("test", n_test if small else None)
        source = "fashion-mnist" + (f" (first {n_train} train / {n_test or 'all'} test samples)" if small else "")
    except DataMissing:
        if not synthetic_ok:
            raise
        rng = np.random.default_rng(0)
        n, m = n_train or 60000, n_test or 10000
        centres = rng.random((10, 784), dtype=np.float32)
        y, yt = rng.integers(0, 10, n), rng.integers(0, 10, m)
        X = np.clip(centres[y] + 0.3 * rng.standard_normal((n, 784), dtype=np.float32), 0, 1)
        Xt = np.clip(centres[yt] + 0.3 * rng.standard_normal((m, 784), dtype=np.float32), 0, 1)
        source = "synthetic (--synthetic)" if synthetic else "synthetic (Fashion-MNIST not installed)"
    # Copies, not views: a view of the first rows would keep the whole data set alive.
    if n_train is not None and n_train < len(X):
        X, y = X[:n_train].copy(), y[:n_train].copy()
    if Xt is not None and n_test is not None and n_test < len(Xt):
        Xt, yt = Xt[:n_test].copy(), yt[:n_test].copy()
    load_fashion_mnist.source = source
    return (X, y), (Xt, yt)


def load_small(name: str, n_train: int, seed: int):
    """moons (2 features, 2 classes) or iris (4 features, 3 classes): ((X, y), (X_test, y_test))."""
    import numpy as np

    try:
        from nnumpy import datasets
    except ImportError:
        datasets = None
    if name == "moons":
        if datasets is not None and hasattr(datasets, "make_moons"):
            tr = datasets.make_moons(n_train, noise=0.2, rng=seed)
            te = datasets.make_moons(max(n_train // 2, 100), noise=0.2, rng=seed + 1)
        else:
            from sklearn.datasets import make_moons

            tr = make_moons(n_train, noise=0.2, random_state=seed)
            te = make_moons(max(n_train // 2, 100), noise=0.2, random_state=seed + 1)
    elif datasets is not None and hasattr(datasets, "load"):
        tr, te = datasets.load("iris", split="train"), datasets.load("iris", split="test")
    else:
        from sklearn.datasets import load_iris

        X, y = load_iris(return_X_y=True)
        test = np.arange(len(X)) % 5 == 4
        tr, te = (X[~test], y[~test]), (X[test], y[test])
    return tuple((np.ascontiguousarray(X, dtype=np.float32), np.asarray(y, dtype=np.int64)) for X, y in (tr, te))


def initial_params(layers, seed: int):
    """PyTorch-default initial weights drawn by nnumpy.nn.Linear: a list of (W (out, in), b) float32."""
    import numpy as np

    try:
        from nnumpy import nn

        lins = [nn.Linear(i, o, rng=seed + k) for k, (i, o) in enumerate(zip(layers[:-1], layers[1:]))]
        return [(m.weight.data.copy(), m.bias.data.copy()) for m in lins]
    except ImportError:  # same distribution: U(-1/sqrt(in), 1/sqrt(in))
        rng = np.random.default_rng(seed)
        out = []
        for i, o in zip(layers[:-1], layers[1:]):
            bound = 1.0 / np.sqrt(i)
            out.append((rng.uniform(-bound, bound, (o, i)).astype(np.float32),
                        rng.uniform(-bound, bound, o).astype(np.float32)))
        return out


# =========================================================================== workloads
def workloads(args) -> list[dict]:
    groups = [g.strip() for g in args.workloads.split(",") if g.strip()]
    unknown = set(groups) - {"fmnist", "small", "acc10"}
    if unknown:
        raise SystemExit(f"bench_mlp.py: unknown workload group(s) {sorted(unknown)}; choose from fmnist, small, acc10")
    smoke = args.smoke
    n_full = 512 if smoke else min(60000, args.max_samples or 60000)
    out = []
    if "fmnist" in groups:
        for bs in args.batch_sizes:
            n = min(n_full, 64 if smoke else args.b1_samples) if bs == 1 else n_full
            out.append(dict(name=f"fmnist-b{bs}", group="fmnist", data="fashion-mnist", layers=FMNIST_LAYERS,
                            batch_size=bs, n_train=n, epochs=1, repeats=args.repeats, impls=list(args.impls)))
    if "small" in groups:
        steps = 50 if smoke else args.small_steps
        for data, layers, n in (("moons", [2, 16, 2], 1000), ("iris", [4, 16, 3], 120)):
            bs = args.small_batch
            per_epoch = -(-n // bs)
            out.append(dict(name=f"{data}-b{bs}", group="small", data=data, layers=layers, batch_size=bs,
                            n_train=n, epochs=max(1, round(steps / per_epoch)), repeats=args.repeats,
                            impls=list(args.impls)))
    if "acc10" in groups:
        out.append(dict(name=f"acc10-b{args.acc_batch}", group="acc10", data="fashion-mnist", layers=FMNIST_LAYERS,
                        batch_size=args.acc_batch, n_train=n_full, epochs=1 if smoke else args.acc_epochs,
                        repeats=1, impls=[i for i in args.impls if i in ACC_IMPLS]))
    return out


def n_params(layers) -> int:
    return sum(i * o + o for i, o in zip(layers[:-1], layers[1:]))


def epoch_orders(n: int, epochs: int, seed: int):
    """The shuffled order of every epoch, shared by all implementations.

    Drawn as nnumpy's DataLoader draws them (one ``permutation(n)`` per epoch
    from ``default_rng(seed)``), so ``fit(..., rng=seed)`` sees the same batches.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


class DataCache:
    """Loads each data set once per process."""

    def __init__(self, args):
        self.args, self._cache = args, {}

    def get(self, w):
        key = w["data"]
        if key not in self._cache:
            if key == "fashion-mnist":
                n_test = 256 if self.args.smoke else None
                n_train = 512 if self.args.smoke else self.args.max_samples  # None: all
                if self.args.rss_child:
                    n_test = 0  # the child measures training memory only
                self._cache[key] = load_fashion_mnist(n_train, n_test, synthetic_ok=self.args.smoke,
                                                      synthetic=self.args.synthetic)
            else:
                self._cache[key] = load_small(key, 1000, self.args.seed)
        (X, y), test = self._cache[key]
        return (X[: w["n_train"]], y[: w["n_train"]]), test

    def held_mb(self, w) -> float:
        """MB of training data this process holds for ``w``: the whole loaded set, also when
        the workload trains on a prefix of it (batch size 1 uses the first 5,000 samples)."""
        (X, y), _ = self._cache[w["data"]]
        return (X.nbytes + y.nbytes) / 2**20

    def keep_only(self, key) -> None:
        for k in [k for k in self._cache if k != key]:
            del self._cache[k]


# =========================================================================== measurements
def gemm_rate(layers, batch: int, min_time: float = 0.1, trials: int = 5) -> float:
    """float32 FLOP/s of the workload's own GEMMs (forward, weight and input gradients), best of ``trials``."""
    import numpy as np

    rng = np.random.default_rng(0)
    ops = []
    for i, o in zip(layers[:-1], layers[1:]):
        x = rng.random((batch, i), dtype=np.float32)
        W = rng.random((o, i), dtype=np.float32)
        g = rng.random((batch, o), dtype=np.float32)
        if batch == 1:  # an outer product: einsum is several times faster than matmul with k = 1
            wgrad = (lambda a, b, out: np.einsum("bi,bj->ij", a, b, out=out), g, x, np.empty((o, i), np.float32))
        else:
            wgrad = (np.matmul, g.T, x, np.empty((o, i), np.float32))  # weight gradient  gᵀ x
        ops += [(np.matmul, x, W.T, np.empty((batch, o), np.float32)),  # forward  x Wᵀ
                wgrad,
                (np.matmul, g, W, np.empty((batch, i), np.float32))]  # input gradient  g W
    flops = 6 * batch * sum(i * o for i, o in zip(layers[:-1], layers[1:]))

    def run(k):
        t0 = time.perf_counter()
        for _ in range(k):
            for op, a, b, out in ops:
                op(a, b, out=out)
        return time.perf_counter() - t0

    run(2)
    k = 1
    while run(k) < min_time / 4 and k < 1 << 20:
        k *= 2
    k *= 4
    best = min(run(k) for _ in range(trials))
    return flops * k / best


def square_gemm_rate(trials: int = 5, k: int = 20) -> float:
    """float32 FLOP/s of (1024×784) @ (784×512), the largest GEMM of the batch-1024 workload (best of ``trials``)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.random((1024, 784), dtype=np.float32), rng.random((784, 512), dtype=np.float32)
    out = np.empty((1024, 512), np.float32)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(trials):
        t0 = time.perf_counter()
        for _ in range(k):
            np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - t0)
    return 2 * 1024 * 784 * 512 * k / best


def _proc_status(field: str) -> int | None:
    """A ``/proc/self/status`` memory field in bytes (Linux), else None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _maxrss_bytes() -> int:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


# =========================================================================== running
def setup_threads(threads: int) -> None:
    """Pin every thread pool to ``threads``; called before numpy / torch are imported."""
    for var in THREAD_VARS:
        os.environ[var] = str(threads)


def clear_openblas_overrides(argv, script=None) -> None:
    """Re-run ``script`` (default: this one) without ``OPENBLAS_OVERRIDES`` in the environment, if any is set.

    OpenBLAS reads them when NumPy loads it, so unsetting them needs a fresh process.
    """
    if "numpy" in sys.modules:
        raise RuntimeError("clear_openblas_overrides must run before numpy is imported")
    found = [v for v in OPENBLAS_OVERRIDES if v in os.environ]
    if not found:
        return
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_OVERRIDES}
    env["BENCH_CLEARED_OVERRIDES"] = ",".join(f"{v}={os.environ[v]}" for v in found)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, str(Path(script or __file__).resolve()), *argv], env)


def blas_kernel(pools: dict) -> str:
    """The BLAS library, version and CPU kernel threadpoolctl reports for NumPy, in one line."""
    for p in pools.get("pools", []):
        if p.get("internal_api") in ("openblas", "mkl", "blis"):
            return f"{p['internal_api']} {p.get('version')} kernel {p.get('architecture')}, {p.get('num_threads')} thread(s)"
    return "unknown (threadpoolctl not installed: pip install threadpoolctl)"


def pin_imported_pools(threads: int, impls) -> dict:
    info = {"threads": threads}
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        pin_imported_pools._limits = threadpool_limits(limits=threads)  # kept alive for the run
    except ImportError:
        threadpool_info = None
    if "torch" in impls:
        try:
            import torch

            torch.set_num_threads(threads)
            info["torch_threads"] = torch.get_num_threads()
        except ImportError:
            pass
    if threadpool_info is not None:
        info["pools"] = [{k: p.get(k) for k in ("internal_api", "prefix", "version", "num_threads", "architecture")}
                         for p in threadpool_info()]
    return info


def available_impls(names):
    import _impls

    ok, skipped = [], {}
    for name in names:
        reason = _impls.IMPLS[name].unavailable()
        if reason:
            skipped[name] = reason
        else:
            ok.append(name)
    return ok, skipped


def _prepared(name, w, params, X, y, lr, seed):
    import _impls

    impl = _impls.make_impl(name)
    impl.prepare(w["layers"], params, X, y, w["batch_size"], lr)
    impl.seed = seed
    return impl


def _error(e: Exception) -> str:
    return f"{type(e).__name__}: {e}"


def warm_up(names, w, params, X, y, lr, seed, steps=20) -> dict:
    """One short untimed run of every implementation (imports, BLAS threads, allocator); returns errors."""
    import numpy as np

    k = min(len(X), max(steps * w["batch_size"], 64))
    errors = {}
    for name in names:
        try:
            _prepared(name, w, params, X[:k], y[:k], lr, seed).train([np.arange(k)])
        except Exception as e:  # noqa: BLE001 - reported, and the other implementations still run
            errors[name] = _error(e)
    return errors


def run_workload(w, data: DataCache, args, log) -> dict:
    import _impls
    import numpy as np

    (X, y), (Xt, yt) = data.get(w)
    names, skipped = available_impls(w["impls"])
    params = initial_params(w["layers"], args.seed)
    orders = epoch_orders(len(X), w["epochs"], args.seed)
    steps = w["epochs"] * -(-len(X) // w["batch_size"])
    rate = gemm_rate(w["layers"], w["batch_size"], *((0.01, 2) if args.smoke else (0.1, 5)))
    flops = 6 * n_params(w["layers"]) * len(X) * w["epochs"]
    res = dict(w, n_train=len(X), n_test=None if Xt is None else len(Xt), steps=steps, params=n_params(w["layers"]),
               train_flops=flops, gemm_gflops=rate / 1e9, floor_s=flops / rate, skipped=skipped, results={})
    log(f"{w['name']}: {len(X)} samples x {w['epochs']} epoch(s), batch {w['batch_size']}, {steps} steps; "
        f"GEMM rate {rate / 1e9:.1f} GFLOP/s, floor {flops / rate:.3f} s")
    errors = warm_up(names, w, params, X, y, args.lr, args.seed, steps=2 if args.smoke else 20)
    for name, err in errors.items():
        log(f"  {name}: ERROR {err}")
    gc.collect()
    gc.freeze()  # imports and data out of the collector's way: per-run gc.collect() stays cheap
    times = {n: [] for n in names}
    first_w = {}  # first layer's trained weights, to compare the implementations
    for r in range(w["repeats"]):
        for name in names:
            if name in errors:
                continue
            try:
                impl = _prepared(name, w, params, X, y, args.lr, args.seed)
                gc.collect()  # cheap: everything older is frozen (above)
                t0 = time.perf_counter()
                loss = impl.train(orders)
                dt = time.perf_counter() - t0
            except Exception as e:  # noqa: BLE001 - one broken implementation must not hide the others
                errors[name] = _error(e)
                log(f"  {name}: ERROR {errors[name]}")
                continue
            times[name].append(dt)
            entry = res["results"].setdefault(name, {})
            entry["final_loss"] = loss
            if r == w["repeats"] - 1:
                if Xt is not None:
                    entry["test_acc"] = _impls.accuracy(impl.predict(Xt), yt)
                first_w[name] = np.array(impl.params()[0][0], dtype=np.float64)
            del impl
        log("  repeat %d/%d: %s" % (r + 1, w["repeats"], "  ".join(
            f"{n} {times[n][-1]:.3f}s" for n in names if n not in errors and len(times[n]) > r)))
    for name, ts in times.items():
        if not ts:
            continue
        med = statistics.median(ts)
        res["results"][name].update(
            times_s=ts, median_s=med, min_s=min(ts), max_s=max(ts),
            samples_per_s=len(X) * w["epochs"] / med, us_per_step=med / steps * 1e6, x_floor=med / res["floor_s"])
    ref = first_w.get("numpy")
    for name, W in first_w.items():
        if ref is not None and W.shape == ref.shape:
            # Same start, same batches, same float32 math: should agree to rounding (~1e-6).
            res["results"][name]["max_abs_dW1_vs_numpy"] = float(np.max(np.abs(W - ref)))
    for name, entry in res["results"].items():
        if "median_s" in entry:
            entry["ratio"] = {p: entry["median_s"] / e["median_s"] for p, e in res["results"].items()
                              if p != name and "median_s" in e}
    res["errors"] = errors
    return res


def rss_child(args) -> int:
    """Run each workload once with one implementation; print peak-RSS figures as JSON."""
    import numpy as np  # noqa: F401  (imported before the measurements, like the parent)

    name = args.rss_child
    data = DataCache(args)
    out = {"impl": name, "method": None, "workloads": {}}
    for w in workloads(args):
        if w["group"] == "acc10" or name not in w["impls"]:
            continue
        data.keep_only(w["data"])  # the small models' figures must not include Fashion-MNIST
        gc.collect()
        (X, y), _ = data.get(w)
        params = initial_params(w["layers"], args.seed)
        orders = epoch_orders(len(X), w["epochs"], args.seed)
        impl = _prepared(name, w, params, X, y, args.lr, args.seed)
        gc.collect()
        before = _proc_status("VmRSS")
        reset = _reset_peak()
        impl.train(orders)
        peak = _proc_status("VmHWM") if reset else _maxrss_bytes()
        out["method"] = "VmHWM after reset (Linux clear_refs)" if reset else "ru_maxrss (process lifetime)"
        out["workloads"][w["name"]] = {"rss_before_mb": (before or 0) / 2**20, "peak_rss_mb": peak / 2**20,
                                       "train_extra_mb": (peak - (before or 0)) / 2**20,
                                       "data_mb": data.held_mb(w)}
        del impl
    print("RSS-JSON " + json.dumps(out))
    return 0


def measure_rss(args, names, log) -> dict:
    """Peak RSS per implementation and workload, each implementation in a fresh subprocess."""
    out = {}
    argv = [a for a in args.argv if a != "--update-readme"]
    for name in names:
        cmd = [sys.executable, str(Path(__file__).resolve()), *argv, "--rss-child", name]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.rss_timeout)
        except subprocess.TimeoutExpired:
            log(f"  rss {name}: timed out")
            continue
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RSS-JSON ")), None)
        if proc.returncode != 0 or line is None:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            log(f"  rss {name}: failed ({tail[0]})")
            continue
        out[name] = json.loads(line[len("RSS-JSON "):])
        peaks = ", ".join(f"{k} {v['peak_rss_mb']:.0f} MB" for k, v in out[name]["workloads"].items())
        log(f"  rss {name}: {peaks}")
    return out


def machine_info(args, pools) -> dict:
    import numpy as np

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for mod in ("nnumpy", "torch", "sklearn"):
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            versions[mod] = None
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "platform": platform.platform(), "hostname": socket.gethostname(),
            "versions": versions, "git_commit": commit, "git_dirty": dirty, "blas": blas_kernel(pools),
            "cleared_env": os.environ.get("BENCH_CLEARED_OVERRIDES"), **pools}


def _machine_name(args) -> str:
    name = args.machine or socket.gethostname() or "machine"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "machine"


# =========================================================================== CLI
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny subset (synthetic data if Fashion-MNIST is missing), < 20 s; times are meaningless")
    ap.add_argument("--synthetic", action="store_true",
                    help="with --smoke: random Fashion-MNIST-shaped data even if the real files exist")
    ap.add_argument("--data-dir", default=None,
                    help="look for the Fashion-MNIST *-ubyte.gz files only in DIR (or DIR/fashion-mnist)")
    ap.add_argument("--workloads", default="fmnist,small,acc10", help="groups: fmnist, small, acc10 (default: all)")
    ap.add_argument("--batch-sizes", default=None, help="fmnist batch sizes (default 1,32,128,1024; smoke 1,32,128)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per implementation (median reported; default 3)")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for every library (default: the CPUs this process may use; smoke: 1)")
    ap.add_argument("--impls", default=",".join(ALL_IMPLS), help=f"subset of {','.join(ALL_IMPLS)}")
    ap.add_argument("--out", default=str(HERE / "results"), help="output directory (default benchmarks/results)")
    ap.add_argument("--machine", default=None, help="machine name in the file names (default: host name)")
    ap.add_argument("--max-samples", type=int, default=None,
                    help="cap the Fashion-MNIST training samples per epoch (quick checks; default: all 60,000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--b1-samples", type=int, default=5000, help="samples of the batch-size-1 epoch (default 5000)")
    ap.add_argument("--small-batch", type=int, default=32, help="batch size of the small models (default 32)")
    ap.add_argument("--small-steps", type=int, default=3000, help="optimizer steps per small-model run (default 3000)")
    ap.add_argument("--acc-epochs", type=int, default=10)
    ap.add_argument("--acc-batch", type=int, default=32)
    ap.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    ap.add_argument("--rss-impls", default=None,
                    help="implementations whose peak RSS is measured (default: all; smoke: nnumpy-loop)")
    ap.add_argument("--rss-timeout", type=float, default=1800)
    ap.add_argument("--no-chart", action="store_true")
    ap.add_argument("--update-readme", action="store_true",
                    help=f"replace the block between {README_START} and {README_END} in each --readme file "
                         "with the new tables")
    ap.add_argument("--readme", action="append", default=None, metavar="PATH",
                    help="a file --update-readme writes into (repeatable; default: docs/performance.md, "
                         "docs/ko/performance.md and benchmarks/README.md); files without both markers are left "
                         "alone and reported")
    ap.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.batch_sizes is None:
        args.batch_sizes = "1,32,128" if args.smoke else "1,32,128,1024"
    try:
        args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    except ValueError:
        ap.error(f"--batch-sizes must be comma-separated integers, got {args.batch_sizes!r}")
    if any(b < 1 for b in args.batch_sizes):
        ap.error("--batch-sizes must be >= 1")
    args.impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    if args.rss_impls is None and args.smoke:
        args.rss_impls = "nnumpy-loop"  # each child costs its imports; smoke only checks the mechanism
    args.rss_impls = [i.strip() for i in (args.rss_impls or "").split(",") if i.strip() and i.strip() in args.impls]
    bad = [i for i in args.impls if i not in ALL_IMPLS]
    if bad:
        ap.error(f"unknown --impls {bad}; choose from {','.join(ALL_IMPLS)}")
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    if args.synthetic and not args.smoke:
        ap.error("--synthetic is for --smoke runs only (timings on random data mean nothing)")
    if args.threads is None:
        # Smoke runs share the machine with the test suite: one thread avoids oversubscription.
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        args.threads = 1 if args.smoke else cpus
    return args


def readme_paths(args) -> list[Path]:
    """The files ``--update-readme`` pastes the tables into."""
    if args.readme:
        return [Path(p).expanduser() for p in args.readme]
    return [ROOT / "docs" / "performance.md", ROOT / "docs" / "ko" / "performance.md", HERE / "README.md"]


def main(argv=None) -> int:
    args = parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    clear_openblas_overrides(args.argv)
    global DATA_DIR
    DATA_DIR = Path(args.data_dir).expanduser() if args.data_dir else None
    setup_threads(args.threads)  # before numpy / torch are imported
    sys.path.insert(0, str(HERE))
    if args.rss_child:
        pin_imported_pools(args.threads, [args.rss_child])
        return rss_child(args)

    t_start = time.perf_counter()
    quiet = os.environ.get("BENCH_QUIET") == "1"

    def log(msg):
        if not quiet:
            print(f"[{time.perf_counter() - t_start:6.1f}s] {msg}", flush=True)

    wls = workloads(args)
    data = DataCache(args)
    try:  # refuse early, with one line, when the data is missing
        if any(w["data"] == "fashion-mnist" for w in wls):
            data.get(next(w for w in wls if w["data"] == "fashion-mnist"))
    except DataMissing:
        print(f"bench_mlp.py: {DATA_HINT}", file=sys.stderr)
        return 2
    pools = pin_imported_pools(args.threads, args.impls)
    if args.repeats < 3 and not args.smoke:
        log(f"note: --repeats {args.repeats} < 3; the issue asks for the median of at least 3")
    log(f"threads {args.threads}; data: {getattr(load_fashion_mnist, 'source', 'n/a')}")
    cleared = os.environ.get("BENCH_CLEARED_OVERRIDES")
    log(f"BLAS: {blas_kernel(pools)}" + (f" (cleared for this process: {cleared})" if cleared else ""))
    gemm_kw = dict(trials=2, k=2) if args.smoke else {}
    peak = square_gemm_rate(**gemm_kw)
    log(f"float32 GEMM (1024x784 @ 784x512): {peak / 1e9:.1f} GFLOP/s")
    results = [run_workload(w, data, args, log) for w in wls]
    peak_end = square_gemm_rate(**gemm_kw)
    rss = {}
    if not args.no_rss:
        names, _ = available_impls(args.rss_impls or args.impls)
        log("peak RSS, one fresh process per implementation:")
        rss = measure_rss(args, names, log)
        for res in results:
            for name, entry in res["results"].items():
                m = rss.get(name, {}).get("workloads", {}).get(res["name"])
                if m:
                    entry.update(m)
    now = _dt.datetime.now()
    command = "python benchmarks/bench_mlp.py " + " ".join(args.argv)
    report = {
        "meta": {
            "date": now.isoformat(timespec="seconds"), "command": command.strip(), "smoke": args.smoke,
            "data_source": getattr(load_fashion_mnist, "source", None), "repeats": args.repeats, "lr": args.lr,
            "seed": args.seed, "square_gemm_gflops": peak / 1e9, "square_gemm_gflops_end": peak_end / 1e9,
            "rss_method": next((v["method"] for v in rss.values() if v.get("method")), None),
            "wall_s": None, **machine_info(args, pools),
        },
        "workloads": results,
    }
    import _report

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"{now:%Y-%m-%d}-{_machine_name(args)}"
    report["meta"]["wall_s"] = time.perf_counter() - t_start
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1, default=float) + "\n")
    md = _report.markdown(report)
    stem.with_suffix(".md").write_text(md)
    written = [stem.with_suffix(".json"), stem.with_suffix(".md")]
    if not args.no_chart:
        png = _report.chart(report, stem.with_suffix(".png"))
        if png:
            written.append(png)
    if args.update_readme:
        for path in readme_paths(args):
            if _report.replace_block(path, README_START, README_END, md):
                written.append(path)
            else:
                print(f"bench_mlp.py: {path} has no {README_START} ... {README_END} block; not changed",
                      file=sys.stderr)
    if not quiet:
        print("\n" + md)
    log("wrote " + ", ".join(str(p) for p in written))
    errors = {r["name"]: r["errors"] for r in results if r["errors"]}
    if errors:
        print(f"bench_mlp.py: implementation errors: {errors}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
