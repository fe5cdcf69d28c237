"""The settings of a ``nnumpy train`` run, from four sources.

Precedence, lowest first: the defaults (:data:`._config.DEFAULTS`), the
``run.toml`` next to ``--resume``'s checkpoint, the ``--config`` TOML file
(a run's own ``run.toml`` replays it), the command-line flags. The result is
one dict (see ``_config``), checked once here; the builders check the class
names and their arguments.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from . import _config as C
from ._data import dataset_key
from ._runfile import saved_settings, version_note

__all__ = ["resolve_settings"]


def resolve_settings(args) -> tuple[dict[str, Any], str | None]:
    """Defaults < run.toml next to --resume < --config TOML < command-line flags. Returns (settings, out).

    A bad value raises ValueError or TypeError (a usage error for the caller).
    """
    s = copy.deepcopy(C.DEFAULTS)
    out = None
    saved: dict[str, Any] = {}
    if args.resume is not None:
        saved = saved_settings(Path(args.resume).parent)
        s.update(saved)
    if args.config is not None:
        doc = C.load_toml(args.config)
        partial = C.parse_config(doc, args.config)
        version_note(doc, args.config)
        out = partial.pop("out", None)
        s.update(partial)
    flags = {"dataset": args.dataset, "data_dir": args.data_dir, "epochs": args.epochs, "batch_size": args.batch_size,
             "seed": args.seed, "dtype": args.dtype, "limit": args.limit, "val_split": args.val_split}
    s.update({k: v for k, v in flags.items() if v is not None})
    if args.out is not None:
        out = args.out
    s["model"] = _model_settings(s["model"], args)
    s["loss"] = _loss_settings(s["loss"], args)
    s["optimizer"] = _optimizer_settings(s["optimizer"], args)
    s["dataset"] = dataset_key(s["dataset"])
    C.check_settings(s)
    _check_same_data(s, saved)
    return s, out


#: The settings that choose a run's training samples and their order: a resumed run keeps them.
_DATA_SETTINGS = (("dataset", "--dataset"), ("seed", "--seed"), ("limit", "--limit"), ("val_split", "--val-split"))


def _check_same_data(s: dict[str, Any], saved: dict[str, Any]) -> None:
    """Refuse to resume on other data than the checkpoint's run (its run.toml): other samples, another split."""
    if not saved:  # no run.toml next to the checkpoint: nothing to compare with
        return
    for key, flag in _DATA_SETTINGS:
        before = saved.get(key, C.DEFAULTS[key])  # run.toml leaves out what is None (no --limit)
        before = dataset_key(before) if key == "dataset" else before
        if s[key] != before:
            raise ValueError(
                f"{flag} {s[key]!r} differs from the run being resumed ({before!r} in its run.toml): a resumed run "
                f"must train on the same samples, held out the same way; drop {flag} (or start a new run "
                "without --resume)."
            )


def _model_settings(model: dict[str, Any], args) -> dict[str, Any]:
    """--layers replaces the model; --activation changes a width spec's activation."""
    if args.layers is not None:
        widths = C.parse_widths(args.layers)
        act = args.activation or (model.get("activation") if C.is_widths(model.get("layers")) else None)
        model = {"layers": widths, "activation": act or "sigmoid"}
    elif args.activation is not None:
        if not C.is_widths(model.get("layers")):
            raise ValueError("--activation applies to a width spec (--layers 784-128-10), not to the config's list of layer tables.")
        model = {**model, "activation": args.activation}
    if C.is_widths(model.get("layers")):
        if model["layers"] is not None:  # None: the data set's widths, filled in when the data is loaded
            model["layers"] = C.parse_widths(model["layers"], "model layers")
        model["activation"] = C.activation_name(model.get("activation") or "sigmoid")
    return model


def _loss_settings(loss: dict[str, Any], args) -> dict[str, Any]:
    """--loss replaces the loss table unless it names the same loss (then its arguments stay)."""
    if args.loss is not None:
        name = C.loss_name(args.loss)
        loss = loss if C.loss_name(loss.get("type", "CrossEntropyLoss")) == name else {"type": name}
    return {**loss, "type": C.loss_name(loss.get("type", "CrossEntropyLoss"))}


def _optimizer_settings(optimizer: dict[str, Any], args) -> dict[str, Any]:
    """--optimizer replaces the table unless it names the same class; the hyperparameter flags override."""
    opt = dict(optimizer)
    opt["type"] = C.optimizer_name(opt.get("type", "SGD"))
    if args.optimizer is not None:
        name = C.optimizer_name(args.optimizer)
        if name != opt["type"]:
            opt = {"type": name}
    hyper = {"lr": args.lr, "momentum": args.momentum, "weight_decay": args.weight_decay, "nesterov": args.nesterov,
             "betas": args.betas, "eps": args.eps}
    opt.update({k: v for k, v in hyper.items() if v is not None})
    return opt
