"""``nnumpy train``: build a model from the settings, fit it, and write the run directory.

The steps of :func:`run`, in order: resolve the settings (``_settings``), load
the checkpoint to resume, build model, loss, optimizer and scheduler, load and
check the data, print the header, fit, save the model, history and plots, print
the charts and the summary.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .._inspect import model_dtype
from .._version import __version__
from . import _config as C
from ._chart import history_charts
from ._data import check_fit, load_split, n_features, targets
from ._errors import EXIT_OK, UsageError, note, usage_errors
from ._plots import BoundarySnapshots, has_matplotlib, write_plots
from ._rundir import (CHECKPOINT_FILE, CURVES_FILE, HISTORY_FILE, MODEL_FILE, RUN_FILE, TRACE_FILE, default_out,
                      write_json, write_text)
from ._settings import resolve_settings

__all__ = ["add_parser", "run"]


def _betas(text: str) -> list[float]:
    try:
        values = [float(t) for t in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected two floats joined by ',' such as 0.9,0.999, got {text!r}")
    return values


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``train`` and its options to the subparsers ``sub``."""
    t = sub.add_parser(
        "train", parents=parents, help="train a model (default: the seed MLP on mnist-sample)",
        description="Train a classifier. Defaults: mnist-sample, --layers 784-512-256-10, --activation sigmoid, "
                    "cross-entropy, SGD lr 0.5, batch 32, 30 epochs (about 96% test accuracy), seed 0, float32. "
                    "Precedence: defaults < run.json of --resume < --config TOML < flags.",
    )
    g = t.add_argument_group("data")
    g.add_argument("--dataset", help="data set name (see 'nnumpy datasets'; default mnist-sample)")
    g.add_argument("--data-dir", help="where to look for (and download) mnist / fashion-mnist")
    g.add_argument("--limit", type=int, help="use at most N samples of each split (a seeded random subset)")
    g = t.add_argument_group("model")
    g.add_argument("--config", help="TOML file with [train], [model], [loss], [optimizer], [scheduler]")
    g.add_argument("--layers", help="layer widths, input to output, e.g. 784-512-256-10")
    g.add_argument("--activation", help="hidden activation: sigmoid (default), relu, tanh, leaky-relu, elu, gelu, softplus")
    g.add_argument("--dtype", choices=("float32", "float64"), help="parameter dtype (default float32)")
    g = t.add_argument_group("optimization")
    g.add_argument("--loss", help="cross-entropy (default), nll, mse, l1, huber")
    g.add_argument("--optimizer", help="sgd (default), adam, adamw, rmsprop, adagrad")
    g.add_argument("--lr", type=float, help="learning rate (default 0.5 for SGD, else the optimizer's default)")
    g.add_argument("--momentum", type=float, help="momentum (SGD, RMSprop)")
    g.add_argument("--weight-decay", type=float, help="weight decay")
    g.add_argument("--nesterov", action="store_const", const=True, default=None, help="Nesterov momentum (SGD)")
    g.add_argument("--betas", type=_betas, help="Adam/AdamW betas, e.g. 0.9,0.999")
    g.add_argument("--eps", type=float, help="epsilon (Adam, AdamW, RMSprop, Adagrad)")
    g.add_argument("--batch-size", type=int, help="samples per batch (default 32)")
    g.add_argument("--epochs", type=int, help="epochs in total (default 30; with --resume: including those done)")
    g.add_argument("--seed", type=int, help="seed for the weights, shuffling and --limit (default 0)")
    g = t.add_argument_group("output")
    g.add_argument("--out", help="output directory (default runs/<dataset>-<timestamp>; with --resume its directory)")
    g.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint to --epochs in total")
    g.add_argument("--plots", action="store_true",
                   help="also write confusion_matrix.png, activations.png and, as they fit the data, "
                        "misclassified.png, weights.png (images) or decision_boundary.png and "
                        "decision_boundary.gif (2-D inputs: the boundary over the epochs)")
    g.add_argument("--trace", action="store_true",
                   help="print (and save as trace.txt) each layer's forward/backward shapes for the first batch")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--quiet", action="store_true", help="print only the final summary")
    t.set_defaults(func=run)


class _Split(NamedTuple):
    """One split of the data set, ready for ``fit``."""

    X: np.ndarray  # inputs in the run's dtype
    y: np.ndarray  # class labels
    T: np.ndarray  # training targets: y, or one-hot rows for the regression losses


def run(args) -> int:
    """Train as ``args`` say; return the exit status."""
    with usage_errors():
        s, out_opt = resolve_settings(args)
    init_ss, shuffle_ss, limit_ss = np.random.SeedSequence(s["seed"]).spawn(3)
    ckpt = _checkpoint_to_resume(args, s["epochs"])
    model, loss_fn, optimizer, scheduler, dt = _build(s, ckpt, np.random.default_rng(init_ss))
    train, test, width = _load_data(s, model, dt, np.random.default_rng(limit_ss))
    out = _out_dir(args, out_opt, s["dataset"])
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / RUN_FILE, {"nnumpy_version": __version__, "settings": s})
    verbose = not args.quiet
    if verbose:
        _print_header(s, model, train, test, out, ckpt, dt)
    callbacks = [scheduler] if scheduler is not None else []
    snapshots = None
    if args.plots and train.X.ndim == 2 and n_features(train.X) == 2 and has_matplotlib():
        snapshots = BoundarySnapshots(model, s["epochs"], ckpt.epoch if ckpt is not None else 0)
        callbacks.append(snapshots)
    written: list[Path] = []
    t0 = time.perf_counter()
    if args.trace:
        _trace_first_batch(model, loss_fn, train, s["batch_size"], out, written)
    history = _fit(model, loss_fn, optimizer, train, test, s, args, callbacks, out / CHECKPOINT_FILE,
                   np.random.default_rng(shuffle_ss))
    train_time = time.perf_counter() - t0
    _save(model, history, s, train, width, out, written)
    from ..train import evaluate

    result = evaluate(model, (test.X, test.T), loss_fn, batch_size=256)
    write_plots(history, model, loss_fn, result, test.X, test.y, test.T, out, args.plots, written, snapshots)
    _report(history, result, train_time, written, out, verbose)
    return EXIT_OK


def _checkpoint_to_resume(args, epochs: int):
    """The checkpoint of ``--resume`` (None without it), after checking that the run can continue from it."""
    if args.resume is None:
        return None
    from ..io import load_checkpoint

    fixed = [flag for flag, value in (("--layers", args.layers), ("--activation", args.activation),
                                      ("--dtype", args.dtype)) if value is not None]
    if fixed:
        raise UsageError(f"{', '.join(fixed)} cannot change when resuming: the model comes from the checkpoint.")
    ckpt = load_checkpoint(args.resume)  # ModelFileError: runtime (exit 1)
    if epochs <= ckpt.epoch:
        raise UsageError(
            f"the checkpoint {args.resume} has already trained {ckpt.epoch} epochs; "
            f"pass --epochs greater than {ckpt.epoch} to continue."
        )
    return ckpt


def _build(s: dict[str, Any], ckpt, rng: np.random.Generator):
    """``(model, loss_fn, optimizer, scheduler, dtype)``; the model from the checkpoint when it stores one."""
    dt = np.dtype(s["dtype"])
    with usage_errors():
        loss_type = s["loss"]["type"]
        if ckpt is not None and ckpt.architecture is not None:
            model = ckpt.build_model(rng=rng)
            dt = model_dtype(model)
        else:
            model = C.build_model(s["model"], loss_type, dtype=dt, rng=rng)
        loss_fn = C.build_loss(s["loss"], dt)
        optimizer = C.build_optimizer(s["optimizer"], model.parameters())
        scheduler = C.build_scheduler(s.get("scheduler"), optimizer)
    return model, loss_fn, optimizer, scheduler, dt


def _load_data(s: dict[str, Any], model, dt: np.dtype, rng: np.random.Generator) -> tuple[_Split, _Split, int | None]:
    """``(train, test, width)``: both splits checked against the model; width is its output count."""
    X, y = load_split(s["dataset"], "train", s["data_dir"], s["limit"], rng)
    Xt, yt = load_split(s["dataset"], "test", s["data_dir"], s["limit"], rng)
    check_fit(model, np.concatenate([X[:1], Xt[:1]]), np.concatenate([y, yt]), s["dataset"], "the model",
              training=True)
    width = C.last_width(model)
    loss_type = s["loss"]["type"]
    train = _Split(X.astype(dt, copy=False), y, targets(y, loss_type, width, dt))
    test = _Split(Xt.astype(dt, copy=False), yt, targets(yt, loss_type, width, dt))
    return train, test, width


def _out_dir(args, out_opt: str | None, dataset: str) -> Path:
    """--out, else the config's ``out``, else the directory of --resume, else runs/<dataset>-<timestamp>."""
    if out_opt is not None:
        return Path(out_opt)
    if args.resume is not None:
        return Path(args.resume).parent
    return default_out(dataset)


def _model_summary(model) -> str:
    """``Flatten -> Linear(784->512) -> Sigmoid -> ...``: the children's types, Linear with its widths."""
    from ..nn import Linear

    parts = []
    for m in model.children() if hasattr(model, "children") else []:
        if isinstance(m, Linear):
            parts.append(f"{type(m).__name__}({m.in_features}->{m.out_features})")
        else:
            parts.append(type(m).__name__)
    return " -> ".join(parts) if parts else type(model).__name__


def _print_header(s: dict[str, Any], model, train: _Split, test: _Split, out: Path, ckpt, dt: np.dtype) -> None:
    """The four lines before training: data, model, training settings, output directory."""
    n_params = sum(p.size for p in model.parameters())
    opt_name, opt_kwargs = C.optimizer_kwargs(s["optimizer"])
    opt_text = ", ".join(f"{k}={v}" for k, v in opt_kwargs.items())
    print(f"data     {s['dataset']}: {len(train.X):,} train / {len(test.X):,} test samples, "
          f"{n_features(train.X)} features, {int(max(train.y.max(), test.y.max())) + 1} classes")
    print(f"model    {_model_summary(model)}  ({n_params:,} parameters, {dt.name})")
    print(f"train    {s['loss']['type']}, {opt_name}({opt_text}), batch {s['batch_size']}, "
          f"epochs {s['epochs']}, seed {s['seed']}" + (f", resuming at epoch {ckpt.epoch}" if ckpt else ""))
    print(f"output   {out}", flush=True)


def _trace_first_batch(model, loss_fn, train: _Split, batch_size: int, out: Path, written: list[Path]) -> None:
    """--trace: run ``nnumpy.trace`` over one forward/backward of the first batch and print the table.

    The pass runs on copies of the model and loss, so the training run (weights,
    BatchNorm statistics, Dropout generators) is exactly the one without --trace.
    """
    from .._inspect import trace

    model, loss_fn = copy.deepcopy(model), copy.deepcopy(loss_fn)
    with trace(model, print=False) as t:
        loss_fn(model(train.X[:batch_size]), train.T[:batch_size])
        model.backward(loss_fn.backward())
    text = str(t)
    print(text, flush=True)
    write_text(out / TRACE_FILE, text + "\n")
    written.append(out / TRACE_FILE)


def _fit(model, loss_fn, optimizer, train: _Split, test: _Split, s: dict[str, Any], args, callbacks: list,
         checkpoint: Path, rng: np.random.Generator):
    """``nnumpy.train.fit`` with a checkpoint every epoch; Ctrl-C after one says how to resume."""
    from ..train import fit

    try:
        return fit(
            model, loss_fn, optimizer, (train.X, train.T), epochs=s["epochs"], batch_size=s["batch_size"],
            val=(test.X, test.T), callbacks=callbacks, rng=rng, progress=not args.no_progress,
            verbose=not args.quiet, checkpoint=checkpoint, resume=args.resume,
        )
    except KeyboardInterrupt:
        if checkpoint.exists():
            raise KeyboardInterrupt(
                f"interrupted; continue with: nnumpy train --resume {checkpoint} --epochs {s['epochs']}"
            ) from None
        raise


def _save(model, history, s: dict[str, Any], train: _Split, width: int | None, out: Path,
          written: list[Path]) -> None:
    """The model (with the data set, input shape and class count as metadata) and history.csv."""
    from ..io import save

    model_path = save(model, out / MODEL_FILE, metadata={
        "dataset": s["dataset"],
        "input_shape": json.dumps(list(train.X.shape[1:])),
        "classes": str(width if width is not None else int(train.y.max()) + 1),
    })
    written.append(Path(model_path))
    if (out / CHECKPOINT_FILE).exists():
        written.append(out / CHECKPOINT_FILE)
    written.append(Path(history.to_csv(out / HISTORY_FILE)))
    written.append(out / RUN_FILE)


def _report(history, result: dict, train_time: float, written: list[Path], out: Path, verbose: bool) -> None:
    """The charts (unless --quiet), the test accuracy and loss, and the files written."""
    if history.stop_reason:
        note(f"training stopped early: {history.stop_reason}")
    if len(history) and verbose:
        print()
        print(history_charts(history))
        print()
    acc = result.get("accuracy")
    acc_text = f"test accuracy {acc:.4f} ({round(acc * result['n'])}/{result['n']})" if acc is not None else "test"
    print(f"{acc_text}  test loss {result['loss']:.4f}  ({len(history)} epochs, {train_time:.1f}s)")
    print("wrote")
    for p in written:
        print(f"  {p}")
    curves = out / CURVES_FILE
    if curves in written:
        print(f"figure: {curves}")
