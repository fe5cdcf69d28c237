"""``nnumpy train``: build a model from the settings, fit it, and write the run directory.

The steps of :func:`run`, in order: resolve the settings (``_settings``), load
the checkpoint to resume, load the data and hold out the validation part of the
training split, build model, loss, optimizer and scheduler, write run.toml,
print the header, fit (selecting on the validation part), save the model,
history and plots, evaluate the test split once and print the charts and the
summary.

Standard output may close before the run ends (``nnumpy train | head -3``):
the run then goes on without printing and writes all its files, since they,
not the lines on the screen, are what a run is for (``_output``).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .._inspect import model_dtype
from . import _config as C
from ._chart import history_charts
from ._data import check_fit, holdout, n_features, subset, targets
from ._errors import EXIT_OK, EXIT_RUNTIME, UsageError, note, print_error, usage_errors
from ._output import survive_closed_stdout
from ._plots import BoundarySnapshots, has_matplotlib, write_plots
from ._rundir import (CHECKPOINT_FILE, CURVES_FILE, HISTORY_FILE, MODEL_FILE, RUN_FILE, TRACE_FILE, default_out,
                      write_text)
from ._runfile import dumps_toml, run_document
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
                    "cross-entropy, SGD lr 0.5, batch 32, 40 epochs (about 95.7% test accuracy), seed 0, float32, "
                    "10% of the training split held out for validation. Without --layers the first and last "
                    "widths come from the data set. Every run writes run.toml: --config RUN/run.toml replays it. "
                    "Precedence: defaults < run.toml of --resume < --config TOML < flags.",
    )
    g = t.add_argument_group("data")
    g.add_argument("--dataset", help="data set name (see 'nnumpy datasets'; default mnist-sample)")
    g.add_argument("--data-dir", help="where to look for (and download) mnist / fashion-mnist")
    g.add_argument("--limit", type=int, help="use at most N samples of each split (a seeded random subset)")
    g.add_argument("--val-split", type=float, metavar="FRACTION",
                   help="share of the training split held out to validate (and select) on each epoch; the test "
                        "split is evaluated once, at the end (default 0.1; 0: no validation)")
    g = t.add_argument_group("model")
    g.add_argument("--config", help="TOML file with [train], [model], [loss], [optimizer], [scheduler]; "
                                     "a run's run.toml replays it")
    g.add_argument("--layers", help="layer widths, input to output, e.g. 784-512-256-10 (default: the data set's "
                                    "features, 512, 256, its classes)")
    g.add_argument("--activation", help="hidden activation: sigmoid (default), relu, tanh, leaky-relu, elu, gelu, softplus")
    g.add_argument("--model", choices=C.MODELS,
                   help="mlp: the --layers width spec (default); convnet: the book's SimpleConvNet, conv 30@5x5 -> "
                        "ReLU -> max-pool 2x2 -> 100 -> ReLU -> classes, sized from the data set's images "
                        "(Linear(4320, 100) for 1x28x28); run.toml records its layers")
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
    g.add_argument("--epochs", type=int, help="epochs in total (default 40; with --resume: including those done)")
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
    if args.model == "convnet" and (args.layers is not None or args.activation is not None):
        raise UsageError("--model convnet builds its own layers: drop --layers and --activation (they describe "
                         "--model mlp).")
    with usage_errors():
        s, out_opt = resolve_settings(args)
    init_ss, shuffle_ss, limit_ss, val_ss = np.random.SeedSequence(s["seed"]).spawn(4)
    ckpt = _checkpoint_to_resume(args, s["epochs"])
    data = _load_data(s, np.random.default_rng(limit_ss), np.random.default_rng(val_ss))
    if args.model == "convnet":
        with usage_errors():
            s["model"] = C.convnet_layers(data.train[0].shape[1:], data.classes)
    s["model"] = C.fill_widths(s["model"], data.features, data.classes)
    model, loss_fn, optimizer, scheduler, dt = _build(s, ckpt, np.random.default_rng(init_ss))
    check_fit(model, data.train[0][:1], data.classes, s["dataset"], "the model", training=True)
    _check_images(model, data.train[0][:1], s["dataset"])
    train, val, test = (_split(part, s["loss"]["type"], C.last_width(model), dt) for part in data.parts)
    out = _out_dir(args, out_opt, s["dataset"])
    main, out = _data_parallel_rank(args, out)  # under mpiexec: rank 0's folder; only rank 0 writes and prints
    out.mkdir(parents=True, exist_ok=True)
    sizes = {"train_samples": len(train.X), "val_samples": len(val.X) if val else 0, "test_samples": len(test.X),
             "features": data.features, "classes": data.classes}
    if main:
        write_text(out / RUN_FILE, dumps_toml(run_document(s, sizes)))
    verbose = not args.quiet and main
    with survive_closed_stdout(), _abort_on_error(args):
        if verbose:
            _print_header(s, model, sizes, out, ckpt, dt)
        callbacks = [scheduler] if scheduler is not None else []
        snapshots = None
        if args.plots and train.X.ndim == 2 and n_features(train.X) == 2 and has_matplotlib():
            snapshots = BoundarySnapshots(model, s["epochs"], ckpt.epoch if ckpt is not None else 0)
            callbacks.append(snapshots)
        written: list[Path] = []
        t0 = time.perf_counter()
        if args.trace and main:
            _trace_first_batch(model, loss_fn, train, s["batch_size"], out, written)
        history = _fit(model, loss_fn, optimizer, train, val, s, args, callbacks, out / CHECKPOINT_FILE,
                       np.random.default_rng(shuffle_ss))
        train_time = time.perf_counter() - t0
        if not main:
            return EXIT_OK  # rank 0 saves, tests and reports
        if history.stop_reason:  # said first, even with --quiet: what follows may fail because of it
            note(f"training stopped early: {history.stop_reason}")
            if not _savable(model, history):
                print_error("no model was written: no epoch finished with finite weights; lower --lr and train again")
                return EXIT_RUNTIME
        _save(model, history, s, train, data.classes, out, written)
        from ..train import evaluate

        result = evaluate(model, (test.X, test.T), loss_fn, batch_size=256)  # the test split, once
        write_plots(history, model, loss_fn, result, test.X, test.y, test.T, out, args.plots, written, snapshots)
        _report(history, result, train_time, written, out, verbose)
    return EXIT_OK


def _data_parallel(args) -> bool:
    """True under ``mpiexec -n N`` (N > 1), unless ``args.distributed`` is False (``nnumpy sweep``: a run per rank)."""
    from .. import distributed

    return getattr(args, "distributed", None) is not False and distributed.launched() > 1


def _data_parallel_rank(args, out: Path) -> tuple[bool, Path]:
    """(does this process write and print?, the run folder): data-parallel, rank 0 and rank 0's folder."""
    from .. import distributed

    return (distributed.is_main(), Path(distributed.share(str(out)))) if _data_parallel(args) else (True, out)


def _abort_on_error(args):
    """Data-parallel, an error on one rank ends the job with its message (the others would wait forever)."""
    from .. import distributed

    return distributed.abort_on_error("nnumpy train") if _data_parallel(args) else contextlib.nullcontext()


def _checkpoint_to_resume(args, epochs: int):
    """The checkpoint of ``--resume`` (None without it), after checking that the run can continue from it."""
    if args.resume is None:
        return None
    from ..io import load_checkpoint

    fixed = [flag for flag, value in (("--layers", args.layers), ("--activation", args.activation),
                                      ("--model", args.model), ("--dtype", args.dtype)) if value is not None]
    if fixed:
        raise UsageError(f"{', '.join(fixed)} cannot change when resuming: the model comes from the checkpoint.")
    ckpt = load_checkpoint(args.resume)  # ModelFileError: runtime (exit 1)
    if epochs <= ckpt.epoch:
        raise UsageError(
            f"the checkpoint {args.resume} has already trained {ckpt.epoch} epochs; "
            f"pass --epochs greater than {ckpt.epoch} to continue."
        )
    return ckpt


def _check_images(model, sample: np.ndarray, dataset: str) -> None:
    """A model that reads images (``first_width`` None) must accept the data's: one forward pass on a copy."""
    if C.first_width(model) is not None or C.last_width(model) is None:
        return  # check_fit compared the widths
    try:
        model.summary(sample.shape, dtype=model_dtype(model))
    except (ValueError, TypeError) as e:
        shape = "x".join(map(str, sample.shape[1:]))
        raise UsageError(f"the model does not fit data set {dataset!r}, whose samples are {shape}: {e}") from None


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


class _Data(NamedTuple):
    """The arrays of a run: ``(X, y)`` of the train, validation (None without) and test parts."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray]
    features: int
    classes: int  # of the whole data set, so a --limit subset that lacks a class still gets its output

    @property
    def parts(self) -> tuple:
        return self.train, self.val, self.test


def _load_data(s: dict[str, Any], limit_rng: np.random.Generator, val_rng: np.random.Generator) -> _Data:
    """Both splits (capped by --limit), and the --val-split share of the training split held out."""
    from ..datasets import load

    X, y = load(s["dataset"], split="train", data_dir=s["data_dir"])
    Xt, yt = load(s["dataset"], split="test", data_dir=s["data_dir"])
    classes = int(max(y.max(initial=0), yt.max(initial=0))) + 1
    X, y = subset(X, y, s["limit"], limit_rng)
    Xt, yt = subset(Xt, yt, s["limit"], limit_rng)
    val = None
    if s["val_split"] > 0:
        with usage_errors():
            keep, held = holdout(len(X), s["val_split"], val_rng)
        (X, y), val = (X[keep], y[keep]), (X[held], y[held])
    return _Data((X, y), val, (Xt, yt), n_features(X), classes)


def _split(part: tuple[np.ndarray, np.ndarray] | None, loss_type: str, width: int | None,
           dt: np.dtype) -> _Split | None:
    """One part of the data ready for ``fit``: inputs in the run's dtype, targets for the loss."""
    if part is None:
        return None
    X, y = part
    return _Split(X.astype(dt, copy=False), y, targets(y, loss_type, width, dt))


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


def _print_header(s: dict[str, Any], model, sizes: dict[str, int], out: Path, ckpt, dt: np.dtype) -> None:
    """The four lines before training: data, model, training settings, output directory."""
    n_params = sum(p.size for p in model.parameters())
    opt_name, opt_kwargs = C.optimizer_kwargs(s["optimizer"])
    opt_text = ", ".join(f"{k}={v}" for k, v in opt_kwargs.items())
    val = f"{sizes['val_samples']:,} val / " if sizes["val_samples"] else "no val / "
    print(f"data     {s['dataset']}: {sizes['train_samples']:,} train / {val}{sizes['test_samples']:,} test samples, "
          f"{sizes['features']} features, {sizes['classes']} classes")
    print(f"model    {_model_summary(model)}  ({n_params:,} parameters, {dt.name})")
    from .. import distributed

    ranks = distributed.launched()  # the header prints only in a data-parallel run's rank 0 or on one process
    per_rank = f" per process × {ranks} processes" if ranks > 1 else ""
    print(f"train    {s['loss']['type']}, {opt_name}({opt_text}), batch {s['batch_size']}{per_rank}, "
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


def _fit(model, loss_fn, optimizer, train: _Split, val: _Split | None, s: dict[str, Any], args, callbacks: list,
         checkpoint: Path, rng: np.random.Generator):
    """``nnumpy.train.fit`` validating on ``val``, a checkpoint every epoch; Ctrl-C after one says how to resume."""
    from ..train import fit

    try:
        # A diverging run is reported by fit ("non-finite loss ... weights kept from the last good step"),
        # in one line; NumPy's overflow warnings would only repeat it, with source lines.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return fit(
                model, loss_fn, optimizer, (train.X, train.T), epochs=s["epochs"], batch_size=s["batch_size"],
                val=None if val is None else (val.X, val.T), callbacks=callbacks, rng=rng,
                progress=not args.no_progress, verbose=not args.quiet, checkpoint=checkpoint, resume=args.resume,
                distributed=getattr(args, "distributed", None),  # None: data-parallel under mpiexec -n N > 1
            )
    except KeyboardInterrupt:
        if checkpoint.exists():
            raise KeyboardInterrupt(
                f"interrupted; continue with: nnumpy train --resume {checkpoint} --epochs {s['epochs']}"
            ) from None
        raise


def _savable(model, history) -> bool:
    """A stopped run leaves something worth writing: a finished epoch and finite weights."""
    from ..train._callbacks import params_finite

    return len(history) > 0 and params_finite(model)


def _save(model, history, s: dict[str, Any], train: _Split, classes: int, out: Path, written: list[Path]) -> None:
    """The model (with the data set, input shape and class count as metadata) and history.csv."""
    from ..io import save

    model_path = save(model, out / MODEL_FILE, metadata={
        "dataset": s["dataset"],
        "input_shape": json.dumps(list(train.X.shape[1:])),
        "classes": str(classes),
    })
    written.append(Path(model_path))
    if (out / CHECKPOINT_FILE).exists():
        written.append(out / CHECKPOINT_FILE)
    written.append(Path(history.to_csv(out / HISTORY_FILE)))
    written.append(out / RUN_FILE)


def _report(history, result: dict, train_time: float, written: list[Path], out: Path, verbose: bool) -> None:
    """The charts (unless --quiet), the test accuracy and loss, and the files written."""
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
