"""``nnumpy sweep``: a grid or random search of train settings, one run per MPI rank, ranked on validation.

The sweep file is a ``nnumpy train --config`` file (the base settings: ``[train]``,
``[model]``, ``[loss]``, ``[optimizer]``, ``[scheduler]``) plus a ``[sweep]`` table::

    [sweep]
    method = "grid"                 # "grid": every combination; "random": `trials` draws
    trials = 8                      # random only
    seed = 0                        # the random draws
    out = "sweeps/iris"             # default sweeps/<config name>-<timestamp>

    [sweep.params]                  # "<section>.<key>" of the train config
    "optimizer.lr" = [0.1, 0.5, 1.0]                  # a list: grid values, or random choices
    "train.batch_size" = [8, 16]
    # "optimizer.lr" = {low = 0.01, high = 1.0, log = true}   # random only: a range

Each run gets a folder ``run-000``, ``run-001``, ... holding its ``config.toml``
(the base plus the run's values) and everything ``nnumpy train --config`` writes
there, ``run.toml`` included (which replays the run), and its output in
``train.log``. Under ``mpiexec -n N`` run i goes to rank i mod N (each run on one
process); without MPI they run one after the other. At the end ``summary.csv``
lists every run ranked on its best validation accuracy (then validation loss).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import _config as C
from . import _train
from ._errors import EXIT_OK, EXIT_RUNTIME, UsageError, one_line
from ._runfile import dumps_toml

__all__ = ["add_parser", "run"]

SUMMARY_FILE = "summary.csv"
_SWEEP_KEYS = ("method", "trials", "seed", "out", "params")


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``sweep`` and its options to the subparsers ``sub``."""
    p = sub.add_parser(
        "sweep", parents=parents, help="grid or random search of train settings (one run per MPI rank)",
        description="Run nnumpy train once per combination (grid) or draw (random) of the [sweep.params] of a "
                    "train config, each run in its own folder with its run.toml, and rank the runs on validation "
                    "accuracy in summary.csv. Under mpiexec -n N the runs are shared among the N processes.",
    )
    p.add_argument("--config", required=True, help="the sweep TOML: a train config plus a [sweep] table")
    p.add_argument("--out", help="folder of the runs and summary.csv (default: [sweep] out, else "
                                 "sweeps/<config name>-<timestamp>)")
    p.set_defaults(func=run)


# ---------------------------------------------------------------------------- the plan
def _values(key: str, spec: Any, method: str) -> Any:
    """A grid's list of values, or a random search's list or ``{low, high, log}`` range, checked."""
    if isinstance(spec, list) and spec:
        return spec
    if method == "random" and isinstance(spec, dict) and {"low", "high"} <= set(spec) <= {"low", "high", "log"}:
        low, high = spec["low"], spec["high"]
        if not (isinstance(low, (int, float)) and isinstance(high, (int, float)) and low < high):
            raise ValueError(f"[sweep.params] {key!r}: low < high, two numbers; got {spec}.")
        if spec.get("log") and low <= 0:
            raise ValueError(f"[sweep.params] {key!r}: a log range needs low > 0; got {spec}.")
        return spec
    kind = "a non-empty list" + (" or a table {low, high, log}" if method == "random" else "")
    raise ValueError(f"[sweep.params] {key!r} must be {kind}; got {spec!r}.")


def _draw(spec: Any, gen: np.random.Generator) -> Any:
    """One random value: a choice from a list, or uniform (log-uniform) in a range; ints stay ints."""
    if isinstance(spec, list):
        return spec[int(gen.integers(len(spec)))]
    low, high = spec["low"], spec["high"]
    if spec.get("log"):
        value = math.exp(gen.uniform(math.log(low), math.log(high)))
    else:
        value = gen.uniform(low, high)
    return int(round(value)) if isinstance(low, int) and isinstance(high, int) else float(value)


def plan(sweep: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs' settings, ``[{"optimizer.lr": 0.1, ...}, ...]``, from a checked ``[sweep]`` table."""
    unknown = [k for k in sweep if k not in _SWEEP_KEYS]
    if unknown:
        raise ValueError(f"[sweep]: unknown key(s) {', '.join(unknown)}; expected: {', '.join(_SWEEP_KEYS)}.")
    method = sweep.get("method", "grid")
    if method not in ("grid", "random"):
        raise ValueError(f"[sweep] method must be 'grid' or 'random'; got {method!r}.")
    params = sweep.get("params")
    if not isinstance(params, dict) or not params:
        raise ValueError("[sweep.params] must name at least one setting, e.g. \"optimizer.lr\" = [0.1, 0.5].")
    for key in params:
        section, _, name = key.partition(".")
        if section not in ("train", "model", "loss", "optimizer", "scheduler") or not name or "." in name:
            raise ValueError(f"[sweep.params] {key!r} must be <section>.<key> of a train config, e.g. optimizer.lr.")
    specs = {k: _values(k, v, method) for k, v in params.items()}
    if method == "grid":
        return [dict(zip(specs, combo)) for combo in itertools.product(*specs.values())]
    trials = C.check_int("[sweep] trials", sweep.get("trials", 10), 1)
    gen = np.random.default_rng(C.check_int("[sweep] seed", sweep.get("seed", 0), 0))
    return [{k: _draw(v, gen) for k, v in specs.items()} for _ in range(trials)]


def run_config(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The base train config with one run's ``{"section.key": value}`` set."""
    doc = {section: dict(table) for section, table in base.items()}
    for key, value in values.items():
        section, _, name = key.partition(".")
        doc.setdefault(section, {})[name] = value
    return doc


# ---------------------------------------------------------------------------- running
def _train_parser() -> argparse.ArgumentParser:
    """A parser of ``nnumpy train`` alone (the whole command's parser lists this module: no import back)."""
    p = argparse.ArgumentParser(prog="nnumpy")
    _train.add_parser(p.add_subparsers(dest="command"), [])
    return p


def _train_one(folder: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """``nnumpy train --config folder/config.toml --out folder``, its output in train.log; the run's scores."""
    from ._rundir import HISTORY_FILE, write_text

    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / "config.toml", dumps_toml(doc))
    argv = ["train", "--config", str(folder / "config.toml"), "--out", str(folder), "--quiet", "--no-progress"]
    args = _train_parser().parse_args(argv)
    args.distributed = False  # a whole run on this process, whatever the launcher
    with open(folder / "train.log", "w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        args.func(args)
    return _scores(folder / HISTORY_FILE)


def _scores(history_csv: Path) -> dict[str, Any]:
    """The best epoch's validation accuracy and loss (NaN without validation), and the last training loss."""
    with open(history_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {"best_val_accuracy": math.nan, "val_loss": math.nan, "best_epoch": 0, "loss": math.nan}
    key = "val_accuracy" if "val_accuracy" in rows[0] else None
    best = max(rows, key=lambda r: float(r[key])) if key else rows[-1]
    return {"best_val_accuracy": float(best[key]) if key else math.nan,
            "val_loss": float(best.get("val_loss", "nan") or "nan"), "best_epoch": int(best["epoch"]),
            "loss": float(rows[-1]["loss"])}


def _my_runs(n: int) -> tuple[list[int], Any]:
    """The indices of the runs for this process (i mod N == rank under mpiexec) and the communicator (or None)."""
    from .. import distributed

    if distributed.launched() <= 1:
        return list(range(n)), None
    comm = distributed.init()
    return list(range(comm.Get_rank(), n, comm.Get_size())), comm


def run(args) -> int:
    """Plan the runs, train this process's share, and (rank 0) write and print the ranked summary."""
    config = Path(args.config)
    try:
        doc = C.load_toml(config)
        base = {k: v for k, v in doc.items() if k != "sweep"}
        C.parse_config(base, config)
        runs = plan(doc.get("sweep", {}) if isinstance(doc.get("sweep"), dict) else {})
    except (ValueError, TypeError) as e:
        raise UsageError(f"sweep {config}: {one_line(e)}") from e
    mine, comm = _my_runs(len(runs))
    out = Path(args.out or doc["sweep"].get("out") or f"sweeps/{config.stem}-{time.strftime('%Y%m%d-%H%M%S')}")
    if comm is not None:
        out = Path(comm.bcast(str(out), root=0))
    rows = []
    for i in mine:
        folder = out / f"run-{i:03d}"
        row = {"run": folder.name, **runs[i]}
        t0 = time.perf_counter()
        try:
            row.update(_train_one(folder, run_config(base, runs[i])), status="ok")
        except Exception as e:  # noqa: BLE001 - one failed run is a row of the summary, not the end of the sweep
            row.update(best_val_accuracy=math.nan, status=f"failed: {one_line(e)}")
        row["seconds"] = round(time.perf_counter() - t0, 2)
        print(f"{row['run']}  {_settings_text(runs[i])}  {_score_text(row)}", flush=True)
        rows.append(row)
    if comm is not None:
        gathered = comm.gather(rows, root=0)
        if comm.Get_rank() != 0:
            return EXIT_OK
        rows = [r for part in gathered for r in part]
    ranked = rank_runs(rows)
    write_summary(out / SUMMARY_FILE, ranked, list(runs[0]))
    print()
    print(summary_table(ranked, list(runs[0])))
    print(f"wrote {out / SUMMARY_FILE}")
    return EXIT_OK if all(r["status"] == "ok" for r in rows) else EXIT_RUNTIME


# ---------------------------------------------------------------------------- the summary
def rank_runs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best validation accuracy first, then lower validation loss; runs without a score last."""
    def key(r):
        acc, loss = r.get("best_val_accuracy", math.nan), r.get("val_loss", math.nan)
        return (math.isnan(acc), -acc if not math.isnan(acc) else 0.0, loss if not math.isnan(loss) else math.inf)
    return sorted(rows, key=key)


_COLUMNS = ("best_val_accuracy", "val_loss", "best_epoch", "loss", "seconds", "status")


def write_summary(path: Path, ranked: list[dict[str, Any]], params: list[str]) -> None:
    """summary.csv: rank, run folder, the swept settings, the scores."""
    from ._rundir import write_text

    lines = [["rank", "run", *params, *_COLUMNS]]
    lines += [[i + 1, r["run"], *(r.get(p) for p in params), *(r.get(c, "") for c in _COLUMNS)]
              for i, r in enumerate(ranked)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(lines)
    write_text(path, buf.getvalue())  # atomically, in one go


def _settings_text(values: dict[str, Any]) -> str:
    return " ".join(f"{k.split('.', 1)[1]}={v}" for k, v in values.items())


def _score_text(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return row["status"]
    return f"val_acc {row['best_val_accuracy']:.4f} (epoch {row['best_epoch']})  {row['seconds']:.1f}s"


def summary_table(ranked: list[dict[str, Any]], params: list[str]) -> str:
    """The ranked runs as an aligned text table."""
    head = ["rank", "run", *(p.split(".", 1)[1] for p in params), "val_acc", "val_loss", "epoch", "status"]
    body = [[str(i + 1), r["run"], *(str(r.get(p)) for p in params), f"{r.get('best_val_accuracy', math.nan):.4f}",
             f"{r.get('val_loss', math.nan):.4f}", str(r.get("best_epoch", "")), r["status"]]
            for i, r in enumerate(ranked)]
    widths = [max(len(row[j]) for row in [head, *body]) for j in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head, *body])
