"""Per-step cost of the training loops, for finding overhead (not the benchmark itself).

Runs the chosen implementations interleaved on a slice of Fashion-MNIST (or
synthetic data with ``--synthetic``) and prints the median µs per step; with
``--profile NAME`` it also prints cProfile's top functions for that
implementation. Used for the measurements in ``benchmarks/NOTES.md``.

    python benchmarks/profile_step.py --batch-size 32 --steps 300 --repeats 5
    python benchmarks/profile_step.py --batch-size 1 --steps 2000 --profile nnumpy-loop
    python benchmarks/profile_step.py --layers 2,16,2 --batch-size 32 --synthetic
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=300, help="optimizer steps per timed run (default 300)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--layers", default="784,512,256,10")
    ap.add_argument("--impls", default="nnumpy-loop,numpy,torch")
    ap.add_argument("--profile", default=None, help="implementation to run under cProfile after timing")
    ap.add_argument("--synthetic", action="store_true", help="random data instead of Fashion-MNIST")
    ap.add_argument("--gather", choices=("batch", "epoch"), default="batch",
                    help="batch: X[order[s:e]] per batch; epoch: one shuffled copy per epoch, sliced")
    args = ap.parse_args(argv)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    import statistics
    import time

    import numpy as np

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _impls
    from bench_mlp import initial_params, load_fashion_mnist

    _impls.GATHER = args.gather
    layers = [int(v) for v in args.layers.split(",")]
    n = args.steps * args.batch_size
    if args.synthetic or layers[0] != 784:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, layers[0])).astype(np.float32)
        y = rng.integers(0, layers[-1], n)
    else:
        (X, y), _ = load_fashion_mnist(n_train=n, n_test=1)
    if args.threads:
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            pass
    params = initial_params(layers, seed=0)
    order = np.random.default_rng(1).permutation(len(X))
    impls = {}
    for name in args.impls.split(","):
        impl = _impls.make_impl(name)
        reason = impl.unavailable()
        if reason:
            print(f"{name}: skipped ({reason})")
            continue
        impls[name] = impl
    times = {name: [] for name in impls}
    for r in range(args.repeats + 1):  # the first round is a warm-up
        for name, impl in impls.items():
            impl.prepare(layers, params, X, y, args.batch_size, 0.5)
            t0 = time.perf_counter()
            impl.train([order])
            if r:
                times[name].append(time.perf_counter() - t0)
    steps = -(-len(X) // args.batch_size)
    base = statistics.median(times["numpy"]) if "numpy" in times else None
    for name, ts in times.items():
        med = statistics.median(ts)
        rel = f"  x{med / base:.3f} vs numpy" if base else ""
        print(f"{name:12s} {med / steps * 1e6:9.1f} us/step  (min {min(ts) / steps * 1e6:.1f}){rel}")
    if args.profile:
        import cProfile
        import pstats

        impl = impls[args.profile]
        impl.prepare(layers, params, X, y, args.batch_size, 0.5)
        prof = cProfile.Profile()
        prof.runcall(impl.train, [order])
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
