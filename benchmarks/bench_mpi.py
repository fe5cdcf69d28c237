#!/usr/bin/env python
"""Data-parallel scaling: the seed MLP on Fashion-MNIST, 1 process × 2 BLAS threads against 2 processes × 1 thread.

For each per-process batch size (``--batch-sizes``, default 32 and 1024) the
script launches, one after the other,

* ``python bench_mpi.py --worker`` with 2 BLAS threads (one process, batch b), and
* ``mpiexec -n 2 python bench_mpi.py --worker`` with 1 thread each (two processes,
  batch b each: global batch 2b, half the steps),

each training the 784-512-256-10 sigmoid MLP (SGD lr 0.5, float32) with
``fit`` for ``--epochs`` epochs of the 60,000 training images, and reports the
time per epoch and the share of it spent inside ``allreduce_gradients``
(the all-reduce itself plus any wait for the slower rank). A third launch
times ``MPI.Allreduce`` alone on float32 buffers of 0.25 to 16 MB: the
measured all-reduce time per MB that docs/distributed.md's cost model starts from.

Outputs in ``--out`` (default ``benchmarks/results/``): ``<date>-<machine>-mpi.json``
and ``.md``.

    python benchmarks/bench_mpi.py --machine ci-2core      # ~2 min on 2 idle cores (3 repeats)
    python benchmarks/bench_mpi.py --smoke --out /tmp/b    # seconds, synthetic data, for the tests
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAYERS = [784, 512, 256, 10]
SIZES_MB = (0.25, 1.0, 4.0, 16.0)


def _threads(n: int) -> dict[str, str]:
    return {**os.environ, **{k: str(n) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}


def _mpiexec() -> str:
    beside = Path(sys.executable).with_name("mpiexec")
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise SystemExit("bench_mpi: no mpiexec found; pip install \"nnumpy[mpi]\"")
    return found


# ---------------------------------------------------------------------------- the workers (under mpiexec or not)
def _data(smoke: bool, data_dir: str):
    import numpy as np

    if smoke:
        gen = np.random.default_rng(0)
        return gen.random((2048, 784), dtype=np.float32), gen.integers(0, 10, 2048)
    from nnumpy.datasets import load

    X, y = load("fashion-mnist", split="train", data_dir=data_dir)
    return X.reshape(len(X), -1).astype(np.float32), y


def worker(args) -> None:
    """Train the MLP, time each epoch and the all-reduces; rank 0 prints one JSON line."""
    import numpy as np

    from nnumpy import distributed, nn, optim
    from nnumpy.train import fit

    X, y = _data(args.smoke, args.data_dir)
    spent = [0.0]
    reduce = distributed.allreduce_gradients

    def timed(*a, **k):  # the all-reduce, including any wait for the other rank to arrive
        t0 = time.perf_counter()
        out = reduce(*a, **k)
        spent[0] += time.perf_counter() - t0
        return out

    distributed.allreduce_gradients = timed
    layers = []
    for i, (a, b) in enumerate(zip(LAYERS[:-1], LAYERS[1:])):
        layers += [nn.Linear(a, b, rng=i)] + ([nn.Sigmoid()] if i < len(LAYERS) - 2 else [])
    model = nn.Sequential(*layers)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=args.epochs,
                  batch_size=args.batch, rng=0, progress=False, verbose=False)
    totals = distributed.sum_values([spent[0]]) if distributed.world_size() > 1 else np.array([spent[0]])
    if distributed.is_main():
        print(json.dumps({"processes": distributed.world_size(), "batch": args.batch, "epoch_s": history["time"],
                          "allreduce_s_per_epoch": float(totals[0]) / distributed.world_size() / args.epochs,
                          "loss": history["loss"][-1]}))


def allreduce_worker(args) -> None:
    """Time MPI.Allreduce on float32 buffers of SIZES_MB (median of repeats); rank 0 prints one JSON line."""
    import numpy as np

    from nnumpy import distributed

    comm = distributed.init()
    rows = []
    for mb in SIZES_MB:
        buf = np.ones(int(mb * 2**20 / 4), dtype=np.float32)
        times = []
        for _ in range(3 if args.smoke else 30):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(distributed._in_place(), buf)
            times.append(time.perf_counter() - t0)
        rows.append({"mb": mb, "median_s": statistics.median(times)})
    if comm.Get_rank() == 0:
        print(json.dumps({"allreduce": rows}))


# ---------------------------------------------------------------------------- the driver
def _launch(cmd: list[str], threads: int) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_threads(threads), timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"bench_mpi: {' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch-sizes", default="32,1024", help="per-process batch sizes (default 32,1024)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3, help="runs of each configuration, taking turns (default 3)")
    p.add_argument("--data-dir", default="/usr/share/datasets")
    p.add_argument("--machine", default="local")
    p.add_argument("--out", default=str(HERE / "results"))
    p.add_argument("--smoke", action="store_true", help="synthetic 2,048 samples, one epoch, small buffers")
    p.add_argument("--worker", choices=("fit", "allreduce"), help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, default=32, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker == "fit":
        return worker(args) or 0
    if args.worker == "allreduce":
        return allreduce_worker(args) or 0
    me = [sys.executable, str(Path(__file__).resolve()), "--epochs", str(args.epochs), "--data-dir", args.data_dir]
    me += ["--smoke"] if args.smoke else []
    mpi = [_mpiexec(), "-n", "2"]
    load_before = os.getloadavg()[0]
    configs = [(b, cmd, threads) for b in (int(s) for s in args.batch_sizes.split(","))
               for cmd, threads in ((me, 2), (mpi + me, 1))]
    runs = [{} for _ in configs]
    for _ in range(args.repeats):  # the configurations take turns, so a burst of load hits all of them
        for row, (b, cmd, threads) in zip(runs, configs):
            one = _launch(cmd + ["--worker", "fit", "--batch", str(b)], threads)
            for key in ("epoch_s", "allreduce_s_per_epoch"):
                row.setdefault(key + "_runs", []).append(statistics.median(one[key]) if key == "epoch_s" else one[key])
            row.update(processes=one["processes"], batch=b, threads_per_process=threads)
            print(_row_text(row), flush=True)
    allreduce = _launch(mpi + me + ["--worker", "allreduce"], 1)["allreduce"]
    report = {"date": _dt.date.today().isoformat(), "machine": args.machine, "epochs": args.epochs,
              "repeats": args.repeats,
              "load_average_1min": [load_before, os.getloadavg()[0]],  # other jobs on the machine skew the times
              "smoke": args.smoke, "command": "python benchmarks/bench_mpi.py " + " ".join(argv or sys.argv[1:]),
              "runs": runs, "allreduce": allreduce}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{report['date']}-{args.machine}-mpi"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))
    return 0


def _medians(row: dict) -> tuple[float, float, float, float]:
    """Median s/epoch, its min and max over the repeats, and the median all-reduce s/epoch."""
    epochs = row["epoch_s_runs"]
    return statistics.median(epochs), min(epochs), max(epochs), statistics.median(row["allreduce_s_per_epoch_runs"])


def _row_text(row: dict) -> str:
    epoch, _, _, reduce = _medians(row)
    return (f"{row['processes']} process(es) × {row['threads_per_process']} thread(s), batch {row['batch']}/process: "
            f"{epoch:.2f} s/epoch, all-reduce {reduce:.2f} s ({100 * reduce / epoch:.0f}%)")


def markdown(report: dict) -> str:
    lines = [f"### MPI data-parallel benchmark: {report['date']}, {report['machine']}", "",
             f"Command: `{report['command']}`; the seed MLP (784-512-256-10 sigmoid, 535,818 parameters, "
             f"2.14 MB of float32 gradients per step), SGD lr 0.5, {report['epochs']} epoch(s) of "
             f"{'2,048 synthetic' if report['smoke'] else '60,000 Fashion-MNIST'} samples. Load average "
             f"(1 min) before and after: {report['load_average_1min'][0]:.1f}, {report['load_average_1min'][1]:.1f}.",
             "",
             f"Median of {report['repeats']} run(s) (min–max), the configurations taking turns.", "",
             "| processes × threads | batch per process | global batch | s/epoch | all-reduce s/epoch | share |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in report["runs"]:
        epoch, low, high, reduce = _medians(r)
        lines.append(f"| {r['processes']} × {r['threads_per_process']} | {r['batch']} | {r['batch'] * r['processes']} "
                     f"| {epoch:.2f} ({low:.2f}–{high:.2f}) | {reduce:.3f} | {100 * reduce / epoch:.1f}% |")
    lines += ["", "MPI.Allreduce alone, 2 processes, float32, median:", "",
              "| MB | ms | ms per MB |", "|---:|---:|---:|"]
    for a in report["allreduce"]:
        lines.append(f"| {a['mb']:g} | {1e3 * a['median_s']:.3f} | {1e3 * a['median_s'] / a['mb']:.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
