"""The ``nnumpy`` command: train, evaluate, predict, datasets, info, gradcheck.

``nnumpy train`` with no options is the main job: the 784-512-256-10 sigmoid
MLP trained with SGD (lr 0.5, batch 32) on the bundled ``mnist-sample``,
per-epoch progress, then the model, a checkpoint, ``history.csv`` and (with
matplotlib) ``curves.png`` in ``runs/<dataset>-<timestamp>/``.

Exit status: 0 success; 1 a runtime error (missing or corrupt file, bad data,
a failed gradient check); 2 a usage error (bad option or option value); 130
interrupted (Ctrl-C). Errors print one line, ``nnumpy: error: ...``, on
stderr; ``--debug`` shows the traceback instead.

Example:
    >>> from nnumpy.cli import main
    >>> main(["datasets"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._version import __version__
from ._inspect import model_dtype

__all__ = ["main", "UsageError", "ascii_chart"]

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

MODEL_FILE = "model.safetensors"
CHECKPOINT_FILE = "checkpoint.safetensors"
HISTORY_FILE = "history.csv"
CURVES_FILE = "curves.png"
RUN_FILE = "run.json"
TRACE_FILE = "trace.txt"
ANIMATION_FILE = "decision_boundary.gif"
MAX_FRAMES = 40  # --plots on 2-D data: the GIF shows every k-th epoch, k = ceil(epochs / MAX_FRAMES)

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class UsageError(Exception):
    """A bad command line (unknown option, invalid option value): exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors raise :class:`UsageError` (one line, exit 2) instead of exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


@contextlib.contextmanager
def _usage():
    """Inside this block a ValueError/TypeError means a bad option value: exit status 2."""
    try:
        yield
    except (ValueError, TypeError) as e:
        raise UsageError(_one_line(e)) from e


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line, without Python's ``[Errno 2]`` noise."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        text = f"{exc.strerror}: '{exc.filename}'"
    elif isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    else:
        text = str(exc)
    text = " ".join(text.split())
    return text or type(exc).__name__


def _err(text: str) -> None:
    print(f"nnumpy: error: {text}", file=sys.stderr, flush=True)


def _note(text: str) -> None:
    print(f"nnumpy: {text}", file=sys.stderr, flush=True)


def _int_list(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(t) for t in text.replace("x", ",").split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers joined by ',' such as 4,3, got {text!r}") from None
    if not dims or any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(f"expected positive integers joined by ',' such as 4,3, got {text!r}")
    return dims


def _betas(text: str) -> list[float]:
    try:
        values = [float(t) for t in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected two floats joined by ',' such as 0.9,0.999, got {text!r}")
    return values


# ============================================================================ ASCII chart
def ascii_chart(title: str, series: Sequence[tuple[str, Sequence[float], str]], *, height: int = 10,
                width: int = 60, log: bool = False) -> str:
    """A small text chart of per-epoch curves, one marker character per series.

    Args:
        title: first line, e.g. ``'loss'``.
        series: ``(label, values, marker)`` per curve; values are per epoch
            (None, NaN and, with ``log``, values <= 0 are skipped).
        height: rows of the plot area (default 10).
        width: maximum columns of the plot area (default 60); longer runs are
            sampled evenly.
        log: place the values on a log10 scale (default False); the axis
            labels stay in the values' own units.

    Example:
        >>> print(ascii_chart("loss", [("train", [1.0, 0.5, 0.25], "o")], height=3))
        loss  (o train)
           1.000 |o
                 |   o
           0.250 |      o
                 +-------
                  1     3 epoch
    """

    def usable(x) -> bool:
        return x is not None and math.isfinite(float(x)) and (not log or float(x) > 0)

    def pos(x) -> float:
        return math.log10(float(x)) if log else float(x)

    n = max((len(v) for _, v, _ in series), default=0)
    finite = [pos(x) for _, v, _ in series for x in v if usable(x)]
    legend = ", ".join(f"{m} {label}" for label, _, m in series)
    if n == 0 or not finite:
        return f"{title}  ({legend}): no data"
    lo, hi = min(finite), max(finite)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    if n <= width:
        step = max(1, min(3, width // n))
        cols = [(i, i * step) for i in range(n)]
        ncols = (n - 1) * step + 1
    else:
        picks = np.linspace(0, n - 1, width).round().astype(int)
        cols = [(int(i), c) for c, i in enumerate(picks)]
        ncols = width
    grid = [[" "] * ncols for _ in range(height)]
    for _, values, marker in series:
        for i, c in cols:
            if i >= len(values) or not usable(values[i]):
                continue
            r = int(round((hi - pos(values[i])) / (hi - lo) * (height - 1)))
            grid[r][c] = marker if grid[r][c] in (" ", marker) else "#"
    rows = [0, height - 1] + ([(height - 1) // 2] if height >= 5 else [])
    labels = {r: hi - (hi - lo) * r / (height - 1) for r in rows}
    both = ", # both" if len(series) > 1 else ""
    lines = [f"{title}  ({legend}{both}{', log scale' if log else ''})"]
    for r, row in enumerate(grid):
        label = f"{10 ** labels[r] if log else labels[r]:7.3f}" if r in labels else " " * 7
        lines.append(f" {label} |{''.join(row).rstrip()}")
    lines.append(" " * 9 + "+" + "-" * ncols)
    last = str(n)
    lines.append(" " * 10 + "1" + " " * max(1, ncols - 1 - len(last)) + last + " epoch")
    return "\n".join(lines)


def _history_charts(history) -> str:
    cols = history.keys()
    charts = []
    for key in ("loss", "accuracy"):
        if key not in cols:
            continue
        series = [("train", history[key], "o")]
        if f"val_{key}" in cols:
            series.append(("test", history[f"val_{key}"], "x"))
        charts.append(ascii_chart(key, series, log=key == "loss"))
    return "\n\n".join(charts)


# ============================================================================ shared helpers
def _dataset_key(name: str) -> str:
    """The canonical data set name (``MNIST_sample`` -> ``mnist-sample``); DataError (a ValueError) if unknown."""
    from .datasets._registry import _canonical

    return _canonical(name)


def _load_split(name: str, split: str, data_dir, limit: int | None, rng: np.random.Generator | None):
    """``(X, y)`` of a split, capped to ``limit`` samples (a seeded random subset, kept in file order)."""
    from .datasets import load

    X, y = load(name, split=split, data_dir=data_dir)
    if limit is not None and limit < len(X):
        gen = rng if rng is not None else np.random.default_rng(0)
        idx = np.sort(gen.permutation(len(X))[:limit])
        X, y = X[idx], y[idx]
    return X, y


def _features(X: np.ndarray) -> int:
    return int(np.prod(X.shape[1:])) if X.ndim > 1 else 1


def _check_fit(model, X: np.ndarray, y: np.ndarray, dataset: str, what: str) -> None:
    """The model's input width must equal the data's features, its output width cover the classes."""
    from ._config import first_width, last_width

    features = _features(X)
    fw = first_width(model)
    if fw is not None and fw != features:
        shape = f" ({'x'.join(map(str, X.shape[1:]))})" if X.ndim > 2 else ""
        fix = (f"start the layer widths with {features}, e.g. --layers {features}-128-{max(int(y.max()) + 1, 2)}"
               if what == "the model" else "pick the data set the model was trained on")
        raise UsageError(f"{what} reads {fw} features per sample, but data set {dataset!r} has {features}{shape}: {fix}.")
    lw = last_width(model)
    classes = int(y.max()) + 1 if y.size else 0
    if lw is not None and lw < classes:
        fix = f"end the layer widths with {classes}" if what == "the model" else "pick the data set the model was trained on"
        raise UsageError(f"{what} has {lw} outputs, but data set {dataset!r} has {classes} classes: {fix}.")


def _targets(y: np.ndarray, loss_type: str, width: int | None, dtype) -> np.ndarray:
    """Class indices, or one-hot rows for the regression losses (MSE, L1, Huber)."""
    from ._config import ONE_HOT_LOSSES

    if loss_type not in ONE_HOT_LOSSES:
        return y
    c = width if width is not None else int(y.max()) + 1
    return np.eye(c, dtype=dtype)[y]


def _write_text(path: Path, text: str) -> None:
    from ._atomic import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))


def _write_json(path: Path, obj: Any) -> None:
    _write_text(path, json.dumps(obj, indent=2) + "\n")


def _has_matplotlib() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _model_summary(model) -> str:
    parts = []
    for m in model.children() if hasattr(model, "children") else []:
        name = type(m).__name__
        if name == "Linear":
            parts.append(f"Linear({m.in_features}->{m.out_features})")
        elif name == "Flatten":
            parts.append("Flatten")
        else:
            parts.append(name)
    return " -> ".join(parts) if parts else type(model).__name__


# ============================================================================ train
def _settings(args) -> tuple[dict[str, Any], str | None]:
    """Defaults < run.json next to --resume < --config TOML < command-line flags. Returns (settings, out)."""
    from . import _config as C

    s = copy.deepcopy(C.DEFAULTS)
    out = None
    if args.resume is not None:
        run_file = Path(args.resume).parent / RUN_FILE
        if run_file.is_file():
            try:
                saved = json.loads(run_file.read_text(encoding="utf-8"))["settings"]
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{run_file} is not a run file written by nnumpy train ({_one_line(e)}).") from None
            s.update({k: v for k, v in saved.items() if k in s})
    if args.config is not None:
        partial = C.parse_config(C.load_toml(args.config), args.config)
        out = partial.pop("out", None)
        s.update(partial)
    flags = {"dataset": args.dataset, "data_dir": args.data_dir, "epochs": args.epochs, "batch_size": args.batch_size,
             "seed": args.seed, "dtype": args.dtype, "limit": args.limit}
    s.update({k: v for k, v in flags.items() if v is not None})
    if args.out is not None:
        out = args.out
    # model
    if args.layers is not None:
        widths = C.parse_widths(args.layers)
        current = s["model"]
        act = args.activation or (current.get("activation") if C.is_widths(current.get("layers")) else None)
        s["model"] = {"layers": widths, "activation": act or "sigmoid"}
    elif args.activation is not None:
        if not C.is_widths(s["model"].get("layers")):
            raise ValueError("--activation applies to a width spec (--layers 784-128-10), not to the config's list of layer tables.")
        s["model"] = {**s["model"], "activation": args.activation}
    if C.is_widths(s["model"].get("layers")):
        s["model"]["layers"] = C.parse_widths(s["model"]["layers"], "model layers")
        s["model"]["activation"] = C.activation_name(s["model"].get("activation") or "sigmoid")
    # loss
    if args.loss is not None:
        name = C.loss_name(args.loss)
        s["loss"] = s["loss"] if C.loss_name(s["loss"].get("type", "CrossEntropyLoss")) == name else {"type": name}
    s["loss"] = {**s["loss"], "type": C.loss_name(s["loss"].get("type", "CrossEntropyLoss"))}
    # optimizer
    opt = dict(s["optimizer"])
    opt["type"] = C.optimizer_name(opt.get("type", "SGD"))
    if args.optimizer is not None:
        name = C.optimizer_name(args.optimizer)
        if name != opt["type"]:
            opt = {"type": name}
    hyper = {"lr": args.lr, "momentum": args.momentum, "weight_decay": args.weight_decay, "nesterov": args.nesterov,
             "betas": args.betas, "eps": args.eps}
    opt.update({k: v for k, v in hyper.items() if v is not None})
    s["optimizer"] = opt
    s["dataset"] = _dataset_key(s["dataset"])
    C.check_settings(s)
    return s, out


def _default_out(dataset: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{dataset}-{stamp}"
    path, i = base, 2
    while path.exists():
        path = base.with_name(f"{base.name}-{i}")
        i += 1
    return path


def _trace_first_batch(model, loss_fn, X: np.ndarray, T: np.ndarray, batch_size: int, out: Path,
                       written: list[Path]) -> None:
    """--trace: run ``nnumpy.trace`` over one forward/backward of the first batch and print the table.

    The pass runs on copies of the model and loss, so the training run (weights,
    BatchNorm statistics, Dropout generators) is exactly the one without --trace.
    """
    from ._inspect import trace

    model, loss_fn = copy.deepcopy(model), copy.deepcopy(loss_fn)
    with trace(model, print=False) as t:
        loss_fn(model(X[:batch_size]), T[:batch_size])
        model.backward(loss_fn.backward())
    text = str(t)
    print(text, flush=True)
    _write_text(out / TRACE_FILE, text + "\n")
    written.append(out / TRACE_FILE)


def _boundary_snapshots(model, epochs: int, start_epoch: int):
    """--plots on 2-D data: a callback keeping ``model.state_dict()`` for the decision-boundary GIF.

    It keeps the untrained model (unless resuming), every k-th epoch with
    k = ceil(epochs / MAX_FRAMES), and the last epoch run: at most MAX_FRAMES + 2
    frames. ``.frames`` is a list of ``(epoch, state_dict)``.
    """
    from .train import Callback

    stride = max(1, -(-(epochs - start_epoch) // MAX_FRAMES))  # ceil division

    class BoundarySnapshots(Callback):
        def __init__(self) -> None:
            self.frames = [] if start_epoch else [(0, model.state_dict())]
            self.pending = None

        def on_epoch_end(self, state) -> None:
            epoch = int(state.logs["epoch"])
            if (epoch - start_epoch) % stride == 0:
                self.frames.append((epoch, state.model.state_dict()))
                self.pending = None
            else:
                self.pending = (epoch, state.model.state_dict())

        def on_train_end(self, state) -> None:
            if self.pending is not None:  # the last epoch (early stop, or epochs not a multiple of the stride)
                self.frames.append(self.pending)
                self.pending = None

    return BoundarySnapshots()


def _write_plots(history, model, loss_fn, result: dict, X: np.ndarray, y: np.ndarray, T: np.ndarray, out: Path,
                 all_plots: bool, written: list[Path], snapshots=None) -> None:
    """curves.png (when matplotlib is installed); with --plots every other plot that fits the data.

    ``X``, ``y``, ``T``: the test split's inputs, labels and training targets;
    ``snapshots``: the :func:`_boundary_snapshots` callback of a 2-D run, for the GIF.
    """
    if not _has_matplotlib():
        _note("matplotlib is not installed, so no curves.png: pip install 'nnumpy[plot]'")
        return
    from . import plot

    def save(name: str, draw) -> None:
        draw(path=out / name)
        written.append(out / name)

    save(CURVES_FILE, lambda path: plot.plot_curves(history, path=path))
    if not all_plots:
        return
    if "confusion_matrix" in result:
        save("confusion_matrix.png", lambda path: plot.plot_confusion_matrix(matrix=result["confusion_matrix"], path=path))
    images = X.ndim >= 3  # (N, 1, H, W) or (N, H, W): MNIST-like
    if images:
        model.eval()
        scores = np.concatenate([model(X[i:i + 1024]) for i in range(0, len(X), 1024)])
        model.train()
        save("misclassified.png", lambda path: plot.plot_misclassified(X, y, scores, path=path))
        first = next((p.data for p in model.parameters() if p.data.ndim == 2), None)
        if first is not None and first.shape[1] == int(np.prod(X.shape[-2:])):
            save("weights.png", lambda path: plot.plot_weights(model, image_shape=X.shape[-2:], path=path))
    elif _features(X) == 2:
        save("decision_boundary.png", lambda path: plot.plot_decision_boundary(model, X, y, path=path))
        if snapshots is not None and snapshots.frames:
            epochs, states = zip(*snapshots.frames)
            save(ANIMATION_FILE, lambda path: plot.animate_decision_boundary(
                model, X, y, list(states), epochs=list(epochs), resolution=60, path=path))
    n = min(len(X), 256)
    save("activations.png", lambda path: plot.plot_activations(model, X[:n], target=T[:n], loss_fn=loss_fn, path=path))


def _cmd_train(args) -> int:
    from . import _config as C
    from . import io
    from .train import evaluate, fit

    with _usage():
        s, out_opt = _settings(args)
    dt = np.dtype(s["dtype"])
    init_ss, shuffle_ss, limit_ss = np.random.SeedSequence(s["seed"]).spawn(3)
    ckpt = None
    if args.resume is not None:
        fixed = [flag for flag, value in (("--layers", args.layers), ("--activation", args.activation),
                                          ("--dtype", args.dtype)) if value is not None]
        if fixed:
            raise UsageError(f"{', '.join(fixed)} cannot change when resuming: the model comes from the checkpoint.")
        ckpt = io.load_checkpoint(args.resume)  # ModelFileError: runtime (exit 1)
        if s["epochs"] <= ckpt.epoch:
            raise UsageError(
                f"the checkpoint {args.resume} has already trained {ckpt.epoch} epochs; "
                f"pass --epochs greater than {ckpt.epoch} to continue."
            )
    with _usage():
        loss_type = s["loss"]["type"]
        if ckpt is not None and ckpt.architecture is not None:
            model = ckpt.build_model(rng=np.random.default_rng(init_ss))
            dt = model_dtype(model)
        else:
            model = C.build_model(s["model"], loss_type, dtype=dt, rng=np.random.default_rng(init_ss))
        loss_fn = C.build_loss(s["loss"], dt)
        optimizer = C.build_optimizer(s["optimizer"], model.parameters())
        scheduler = C.build_scheduler(s.get("scheduler"), optimizer)
    data_rng = np.random.default_rng(limit_ss)
    X, y = _load_split(s["dataset"], "train", s["data_dir"], s["limit"], data_rng)
    Xt, yt = _load_split(s["dataset"], "test", s["data_dir"], s["limit"], data_rng)
    _check_fit(model, np.concatenate([X[:1], Xt[:1]]), np.concatenate([y, yt]), s["dataset"], "the model")
    width = C.last_width(model)
    X, Xt = X.astype(dt, copy=False), Xt.astype(dt, copy=False)
    T, Tt = _targets(y, loss_type, width, dt), _targets(yt, loss_type, width, dt)

    if out_opt is not None:
        out = Path(out_opt)
    elif args.resume is not None:
        out = Path(args.resume).parent
    else:
        out = _default_out(s["dataset"])
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / RUN_FILE, {"nnumpy_version": __version__, "settings": s})
    checkpoint = out / CHECKPOINT_FILE
    n_params = sum(p.size for p in model.parameters())
    opt_name, opt_kwargs = C.optimizer_kwargs(s["optimizer"])
    opt_text = ", ".join(f"{k}={v}" for k, v in opt_kwargs.items())
    verbose = not args.quiet
    if verbose:
        print(f"data     {s['dataset']}: {len(X):,} train / {len(Xt):,} test samples, "
              f"{_features(X)} features, {int(max(y.max(), yt.max())) + 1} classes")
        print(f"model    {_model_summary(model)}  ({n_params:,} parameters, {dt.name})")
        print(f"train    {loss_type}, {opt_name}({opt_text}), batch {s['batch_size']}, "
              f"epochs {s['epochs']}, seed {s['seed']}" + (f", resuming at epoch {ckpt.epoch}" if ckpt else ""))
        print(f"output   {out}", flush=True)
    callbacks = [scheduler] if scheduler is not None else []
    snapshots = None
    if args.plots and X.ndim == 2 and _features(X) == 2 and _has_matplotlib():
        snapshots = _boundary_snapshots(model, s["epochs"], ckpt.epoch if ckpt is not None else 0)
        callbacks.append(snapshots)
    written: list[Path] = []
    t0 = time.perf_counter()
    if args.trace:
        _trace_first_batch(model, loss_fn, X, T, s["batch_size"], out, written)
    try:
        history = fit(
            model, loss_fn, optimizer, (X, T), epochs=s["epochs"], batch_size=s["batch_size"], val=(Xt, Tt),
            callbacks=callbacks, rng=np.random.default_rng(shuffle_ss), progress=not args.no_progress,
            verbose=verbose, checkpoint=checkpoint, resume=args.resume,
        )
    except KeyboardInterrupt:
        if checkpoint.exists():
            raise KeyboardInterrupt(
                f"interrupted; continue with: nnumpy train --resume {checkpoint} --epochs {s['epochs']}"
            ) from None
        raise
    train_time = time.perf_counter() - t0
    model_path = io.save(model, out / MODEL_FILE, metadata={
        "dataset": s["dataset"],
        "input_shape": json.dumps(list(X.shape[1:])),
        "classes": str(width if width is not None else int(y.max()) + 1),
    })
    written.append(Path(model_path))
    if checkpoint.exists():
        written.append(checkpoint)
    written.append(Path(history.to_csv(out / HISTORY_FILE)))
    written.append(out / RUN_FILE)
    result = evaluate(model, (Xt, Tt), loss_fn, batch_size=256)
    _write_plots(history, model, loss_fn, result, Xt, yt, Tt, out, args.plots, written, snapshots)
    if history.stop_reason:
        _note(f"training stopped early: {history.stop_reason}")
    if len(history) and verbose:
        print()
        print(_history_charts(history))
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
    return EXIT_OK


# ============================================================================ evaluate
def _load_model(path):
    from . import io

    return io.load(path)


def _model_metadata(path) -> dict[str, str]:
    from . import io

    try:
        return dict(io.inspect(path).get("metadata") or {})
    except (ValueError, OSError):  # the caller has already loaded the file; metadata is a bonus
        return {}


def _format_matrix(m: np.ndarray) -> str:
    c = m.shape[0]
    w = max(len(str(int(m.max(initial=0)))), len(str(c - 1)), 3)
    lines = [" " * (w + 2) + " ".join(f"{j:>{w}}" for j in range(c))]
    for i in range(c):
        lines.append(f"{i:>{w}} |" + " ".join(f"{int(v):>{w}}" for v in m[i]))
    return "\n".join(lines)


def _eval_loss_name(model, requested: str | None) -> str:
    from . import _config as C
    from . import nn

    if requested is not None:
        return C.loss_name(requested)
    last = list(model.modules())[-1]
    return "NLLLoss" if isinstance(last, nn.LogSoftmax) else "CrossEntropyLoss"


def _cmd_evaluate(args) -> int:
    from . import _config as C
    from .train import evaluate

    with _usage():
        if args.limit is not None and args.limit < 1:
            raise ValueError(f"--limit must be >= 1, got {args.limit}.")
        if args.batch_size < 1:
            raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}.")
    model = _load_model(args.model)
    meta = _model_metadata(args.model)
    with _usage():
        name = args.dataset or meta.get("dataset")
        if name is None:
            raise ValueError(f"{args.model} does not say which data set it was trained on: pass --dataset NAME.")
        dataset = _dataset_key(name)
        loss_type = _eval_loss_name(model, args.loss)
        dt = model_dtype(model)
        loss_fn = C.build_loss({"type": loss_type}, dt)
    X, y = _load_split(dataset, args.split, args.data_dir, args.limit, None)
    _check_fit(model, X[:1], y, dataset, str(args.model))
    T = _targets(y, loss_type, C.last_width(model), dt)
    result = evaluate(model, (X.astype(dt, copy=False), T), loss_fn, batch_size=args.batch_size)
    print(f"model     {args.model}")
    print(f"data      {dataset} ({args.split}, {result['n']:,} samples)")
    print(f"loss      {result['loss']:.4f} ({loss_type})")
    if "accuracy" in result:
        print(f"accuracy  {result['accuracy']:.4f} ({round(result['accuracy'] * result['n'])}/{result['n']})")
    if "confusion_matrix" in result:
        print("confusion matrix (rows: true class, columns: predicted class)")
        print(_format_matrix(result["confusion_matrix"]))
    return EXIT_OK


# ============================================================================ predict
def _read_image(path: Path, side: int, invert: str, notes: list[str]) -> np.ndarray:
    """A grayscale image as a (side, side) float array in [0, 1], digit bright on dark."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"reading {path.name} needs Pillow: pip install 'nnumpy[image]'") from None
    try:
        with Image.open(path) as img:
            img.load()
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(background, rgba)
            gray = img.convert("L")
            if gray.size != (side, side):
                resample = getattr(Image, "Resampling", Image).BILINEAR
                notes.append(f"resized {gray.size[0]}x{gray.size[1]} -> {side}x{side}")
                gray = gray.resize((side, side), resample)
            a = np.asarray(gray, dtype=np.float32) / 255.0
    except OSError as e:
        raise ValueError(f"cannot read image {path}: {_one_line(e)}") from None
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    white = float(border.mean()) > 0.5
    if invert == "yes" or (invert == "auto" and white):
        a = 1.0 - a
        notes.append("inverted (white background; the model expects a light digit on black)"
                     if invert == "auto" else "inverted (--invert yes)")
    return a


def _read_array(path: Path, kind: str, notes: list[str]) -> np.ndarray:
    if kind == "npy":
        try:
            a = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise ValueError(f"cannot read {path}: {_one_line(e)}") from None
        if not isinstance(a, np.ndarray):
            raise ValueError(f"{path} holds several arrays (.npz); save one array with np.save.")
    else:
        from .datasets import read_idx

        a = read_idx(path)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{path} holds {a.dtype} values; expected numbers.")
    if a.dtype == np.uint8:
        notes.append("uint8 pixels scaled to [0, 1]")
        return a.astype(np.float32) / 255.0
    return a.astype(np.float32) if a.dtype.kind != "f" else a


def _input_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".npy"):
        return "npy"
    if name.endswith(_IMAGE_SUFFIXES):
        return "image"
    if name.endswith((".idx", ".gz")) or "-ubyte" in name or ".idx" in name:
        return "idx"
    raise ValueError(
        f"cannot tell the format of {path}: expected .npy, IDX (.idx, *-ubyte, .gz) or an image (.png, .jpg)."
    )


def _as_batch(a: np.ndarray, features: int | None, path: Path) -> np.ndarray:
    """One sample or a batch, as (N, features)."""
    if features is None:
        return a[None] if a.ndim <= 1 else a
    if a.size == features:
        return a.reshape(1, features)
    if a.ndim >= 2 and int(np.prod(a.shape[1:])) == features:
        return a.reshape(a.shape[0], features)
    side = math.isqrt(features)
    example = f"({side}, {side}), (N, {features}) or (N, 1, {side}, {side})" if side * side == features else f"({features},) or (N, {features})"
    raise ValueError(f"{path} has shape {a.shape}, but the model reads {features} values per sample: expected {example}.")


def _probabilities(model, out: np.ndarray) -> np.ndarray:
    from . import nn
    from .nn import functional as F

    last = list(model.modules())[-1]
    out = np.asarray(out, dtype=np.float64)
    if isinstance(last, nn.Softmax):
        return out
    if isinstance(last, nn.LogSoftmax):
        return np.exp(out)
    return F.softmax(out, axis=-1)


def _cmd_predict(args) -> int:
    from ._config import first_width

    with _usage():
        if args.top < 1:
            raise ValueError(f"--top must be >= 1, got {args.top}.")
        kinds = [_input_kind(Path(name)) for name in args.files]
    model = _load_model(args.model)
    model.eval()
    dt = model_dtype(model)
    features = first_width(model)
    meta = _model_metadata(args.model)
    side = math.isqrt(features) if features else 0
    try:
        shape = json.loads(meta["input_shape"])
        if isinstance(shape, list) and len(shape) >= 2 and int(np.prod(shape)) == features:
            side = int(shape[-1]) if shape[-1] == shape[-2] else side
    except (KeyError, ValueError, TypeError):
        pass
    for name, kind in zip(args.files, kinds):
        path = Path(name)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {name}")
        notes: list[str] = []
        if kind == "image":
            if not features or side * side != features:
                raise ValueError(f"{name}: the model reads {features} features, not a square image; pass a .npy array.")
            a = _read_image(path, side, args.invert, notes)
        else:
            a = _read_array(path, kind, notes)
        X = _as_batch(a, features, path).astype(dt, copy=False)
        if not np.isfinite(X).all():
            raise ValueError(f"{name} contains NaN or infinity.")
        probs = _probabilities(model, model(X))
        for note in notes:
            print(f"{name}: {note}")
        k = min(args.top, probs.shape[1])
        for i, row in enumerate(probs):
            order = np.argsort(-row, kind="stable")[:k]
            label = name if len(probs) == 1 else f"{name}[{i}]"
            top = "  ".join(f"{int(c)}: {row[c]:.3f}" for c in order)
            print(f"{label}: class {int(order[0])}  (p={row[order[0]]:.3f})   top-{k}  {top}")
    return EXIT_OK


# ============================================================================ datasets, info
def _cmd_datasets(args) -> int:
    from .datasets import format_available

    print(format_available(data_dir=args.data_dir))
    return EXIT_OK


def _arch_lines(node: dict, indent: int = 0, name: str | None = None) -> list[str]:
    config = node.get("config") or {}
    args = ", ".join(f"{k}={v}" for k, v in config.items())
    dtype = f"  [{node['dtype']}]" if "dtype" in node else ""
    head = f"({name}) " if name is not None else ""
    call = f"({args})" if args or not node.get("children") else ""
    lines = [" " * indent + f"{head}{node.get('type')}{call}{dtype}"]
    for child in node.get("children") or []:
        lines += _arch_lines(child, indent + 2, child.get("name"))
    return lines


def _cmd_info(args) -> int:
    from . import io

    info = io.inspect(args.model)
    size = info.get("file_size", 0)
    print(f"file          {info['path']} ({size:,} bytes)")
    fmt = info.get("format")
    version = info.get("format_version")
    print(f"format        {fmt}" + (f" (version {version})" if version is not None else ""))
    if info.get("nnumpy_version"):
        print(f"nnumpy        {info['nnumpy_version']}")
    print(f"dtype         {info.get('dtype')}")
    n = info.get("num_parameters")
    print(f"parameters    {n:,}" if n is not None else f"values        {info.get('num_values', 0):,}")
    if "epoch" in info:
        print(f"position      epoch {info['epoch']}, step {info.get('step', 0)}")
    for key, value in (info.get("metadata") or {}).items():
        print(f"{key:<13} {value}")
    arch = info.get("architecture")
    if arch:
        print("architecture")
        for line in _arch_lines(arch, 2):
            print(line)
    else:
        print("architecture  none stored (weights only)")
        for tname, t in (info.get("tensors") or {}).items():
            print(f"  {tname}  {t.get('dtype')} {tuple(t.get('shape', ()))}")
    return EXIT_OK


# ============================================================================ gradcheck
def _import_user_class(spec: str):
    """``path/to/file.py:ClassName`` -> the class, by importing the user's own file."""
    import importlib.util

    file, sep, cls_name = spec.rpartition(":")
    if not sep or not file or not cls_name.isidentifier():
        raise UsageError(f"expected FILE.py:ClassName such as my_layer.py:MyLayer, got {spec!r}.")
    path = Path(file)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {file}")
    mod_name = f"_nnumpy_user_{path.stem}" if path.stem.isidentifier() else "_nnumpy_user_module"
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"cannot import {file}: not a Python source file.")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module  # dataclasses and pickling look the module up by name
    try:
        module_spec.loader.exec_module(module)
    except Exception as e:
        sys.modules.pop(mod_name, None)
        where = ""
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == str(path):
                where = f" (line {tb.tb_lineno})"
            tb = tb.tb_next
        if isinstance(e, SyntaxError) and e.lineno:
            where = f" (line {e.lineno})"
        raise RuntimeError(f"importing {file} failed{where}: {type(e).__name__}: {_one_line(e)}") from e
    cls = getattr(module, cls_name, None)
    if cls is None:
        found = sorted(k for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == mod_name)
        raise ValueError(f"{file} defines no {cls_name!r}; classes found: {', '.join(found) or 'none'}.")
    return cls


def _cmd_gradcheck(args) -> int:
    from .check import check_layer
    from .nn import Module

    with _usage():
        init = json.loads(args.args) if args.args is not None else []
        if not isinstance(init, (list, dict)):
            raise ValueError(f"--args must be a JSON list (positional) or object (keyword arguments), got {args.args!r}.")
    cls = _import_user_class(args.target)
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise ValueError(f"{args.target} is not an nnumpy.nn.Module subclass.")
    try:
        layer = cls(*init) if isinstance(init, list) else cls(**init)
    except Exception as e:
        raise RuntimeError(f"{cls.__name__}({'...' if init else ''}) raised {type(e).__name__}: {_one_line(e)}"
                           " (pass constructor arguments with --args '[3, 2]' or --args '{\"n\": 3}')") from e
    report = check_layer(layer, args.input_shape, rng=args.seed)
    print(report)
    return EXIT_OK if report.ok else EXIT_RUNTIME


# ============================================================================ parser
def _parser() -> argparse.ArgumentParser:
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the Python traceback on errors")
    p = _Parser(
        prog="nnumpy",
        description="Neural networks in NumPy with hand-written backprop: train, evaluate, predict, inspect.",
        epilog="Run 'nnumpy train' with no options for the main job (784-512-256-10 sigmoid MLP on mnist-sample).",
    )
    p.add_argument("--version", action="version", version=f"nnumpy {__version__}")
    p.add_argument("--debug", action="store_true", default=False, help="show the Python traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    t = sub.add_parser(
        "train", parents=[debug], help="train a model (default: the seed MLP on mnist-sample)",
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
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("evaluate", parents=[debug], help="loss, accuracy and confusion matrix of a model file",
                       description="Evaluate a model file on a data set split.")
    e.add_argument("model", help="model file written by 'nnumpy train' or nnumpy.save")
    e.add_argument("--dataset", help="data set (default: the one stored in the model file)")
    e.add_argument("--split", choices=("train", "test"), default="test", help="split (default test)")
    e.add_argument("--data-dir", help="where to look for mnist / fashion-mnist")
    e.add_argument("--limit", type=int, help="use at most N samples")
    e.add_argument("--loss", help="loss to report (default cross-entropy; nll for models ending in LogSoftmax)")
    e.add_argument("--batch-size", type=int, default=256, help="batch size (default 256)")
    e.set_defaults(func=_cmd_evaluate)

    r = sub.add_parser("predict", parents=[debug], help="classify .npy, IDX or image files",
                       description="Print the predicted class and top probabilities for each sample. Images are "
                                   "read as grayscale, resized to the model's input and inverted when their "
                                   "background is white (needs Pillow: pip install 'nnumpy[image]').")
    r.add_argument("model", help="model file")
    r.add_argument("files", nargs="+", metavar="FILE", help=".npy (one sample or a batch), IDX (.idx, *-ubyte, .gz) or .png/.jpg")
    r.add_argument("--top", type=int, default=3, help="probabilities to show per sample (default 3)")
    r.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="invert image colours: auto (when the background is white), yes, no")
    r.set_defaults(func=_cmd_predict)

    d = sub.add_parser("datasets", parents=[debug], help="list the data sets", description="List the data sets.")
    d.add_argument("--data-dir", help="also look here for mnist / fashion-mnist")
    d.set_defaults(func=_cmd_datasets)

    i = sub.add_parser("info", parents=[debug], help="describe a model or checkpoint file",
                       description="Architecture, parameter count, dtype and version of a model or checkpoint file.")
    i.add_argument("model", help="model, weights or checkpoint file")
    i.set_defaults(func=_cmd_info)

    c = sub.add_parser("gradcheck", parents=[debug], help="check the backward of your own layer",
                       description="Import FILE.py, build ClassName(*args) and run nnumpy.check.check_layer on it.")
    c.add_argument("target", metavar="FILE.py:ClassName", help="your layer, e.g. my_layer.py:MyLayer")
    c.add_argument("--input-shape", type=_int_list, required=True, help="input batch shape, e.g. 4,3")
    c.add_argument("--args", help="constructor arguments as JSON: a list (positional) or an object (keywords)")
    c.add_argument("--seed", type=int, default=0, help="seed for the test inputs (default 0)")
    c.set_defaults(func=_cmd_gradcheck)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nnumpy`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return int(args.func(args))
    except SystemExit as e:  # --help and --version
        return e.code if isinstance(e.code, int) else (EXIT_OK if e.code is None else EXIT_USAGE)
    except UsageError as e:
        if debug:
            raise
        _err(_one_line(e))
        return EXIT_USAGE
    except KeyboardInterrupt as e:
        if debug:
            raise
        print(f"nnumpy: {_one_line(e) if str(e) else 'interrupted'}", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except Exception as e:
        if debug:
            raise
        known = isinstance(e, (ValueError, TypeError, OSError, RuntimeError, ImportError, KeyError))
        _err(_one_line(e) if known else f"internal error: {type(e).__name__}: {_one_line(e)} "
             "(run again with --debug for the traceback)")
        return EXIT_RUNTIME
