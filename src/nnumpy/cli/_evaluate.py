"""``nnumpy evaluate``: loss, accuracy, confusion matrix and per-class precision, recall and F1
(macro averages too, equal to scikit-learn's) of a model file on a data set split."""

from __future__ import annotations

import argparse

import numpy as np

from .._inspect import model_dtype
from . import _config as C
from ._data import check_fit, dataset_class_names, dataset_key, load_model, load_split, model_metadata, targets
from ._errors import EXIT_OK, usage_errors

__all__ = ["add_parser", "run"]


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``evaluate`` and its options to the subparsers ``sub``."""
    e = sub.add_parser("evaluate", parents=parents, help="loss, accuracy and confusion matrix of a model file",
                       description="Evaluate a model file on a data set split.")
    e.add_argument("model", help="model file written by 'nnumpy train' or nnumpy.save")
    e.add_argument("--dataset", help="data set (default: the one stored in the model file)")
    e.add_argument("--split", choices=("train", "test"), default="test", help="split (default test)")
    e.add_argument("--data-dir", help="where to look for mnist / fashion-mnist")
    e.add_argument("--limit", type=int, help="use at most N samples")
    e.add_argument("--loss", help="loss to report (default cross-entropy; nll for models ending in LogSoftmax)")
    e.add_argument("--batch-size", type=int, default=256, help="batch size (default 256)")
    e.set_defaults(func=run)


def _format_matrix(m: np.ndarray) -> str:
    """The confusion matrix as right-aligned columns, class numbers on top and on the left."""
    c = m.shape[0]
    w = max(len(str(int(m.max(initial=0)))), len(str(c - 1)), 3)
    lines = [" " * (w + 2) + " ".join(f"{j:>{w}}" for j in range(c))]
    for i in range(c):
        lines.append(f"{i:>{w}} |" + " ".join(f"{int(v):>{w}}" for v in m[i]))
    return "\n".join(lines)


def _loss_name(model, requested: str | None) -> str:
    """The loss to report: ``--loss``, else NLLLoss for a model ending in LogSoftmax, else CrossEntropyLoss."""
    from ..nn import LogSoftmax

    if requested is not None:
        return C.loss_name(requested)
    last = list(model.modules())[-1]
    return "NLLLoss" if isinstance(last, LogSoftmax) else "CrossEntropyLoss"


def run(args) -> int:
    """Evaluate as ``args`` say; return the exit status."""
    from ..train import evaluate

    with usage_errors():
        C.check_int("--limit", args.limit, 1, allow_none=True)
        C.check_int("--batch-size", args.batch_size, 1)
    model = load_model(args.model)
    meta = model_metadata(args.model)
    with usage_errors():
        name = args.dataset or meta.get("dataset")
        if name is None:
            raise ValueError(f"{args.model} does not say which data set it was trained on: pass --dataset NAME.")
        dataset = dataset_key(name)
        loss_type = _loss_name(model, args.loss)
        dt = model_dtype(model)
        loss_fn = C.build_loss({"type": loss_type}, dt)
    X, y = load_split(dataset, args.split, args.data_dir, args.limit, None)
    check_fit(model, X[:1], int(y.max()) + 1 if y.size else 0, dataset, str(args.model), training=False)
    T = targets(y, loss_type, C.last_width(model), dt)
    names = dataset_class_names(dataset)
    result = evaluate(model, (X.astype(dt, copy=False), T), loss_fn, batch_size=args.batch_size,
                      metrics=("accuracy", "precision", "recall", "f1"), class_names=names)
    print(f"model     {args.model}")
    print(f"data      {dataset} ({args.split}, {result['n']:,} samples)")
    print(f"loss      {result['loss']:.4f} ({loss_type})")
    if "accuracy" in result:
        print(f"accuracy  {result['accuracy']:.4f} ({round(result['accuracy'] * result['n'])}/{result['n']})")
    table = result.per_class_table()
    if table:
        print(f"macro     precision {result['precision']:.4f}  recall {result['recall']:.4f}  f1 {result['f1']:.4f}")
        print("\n".join(table))
    if "confusion_matrix" in result:
        print("confusion matrix (rows: true class, columns: predicted class)")
        print(_format_matrix(result["confusion_matrix"]))
    return EXIT_OK
