"""FitLoop: fit's epochs and batches, validation, callbacks and checkpoints around one TrainState.

Per batch the loop does only what a hand-written loop does (zero_grad, forward,
loss, backward, step) plus O(1) bookkeeping: the batch loss is added to a
float, correct predictions are counted with one arg-max, and the progress bar
(if any) redraws at most every 0.1 s.

Exact resume: a checkpoint holds the model, the optimizer (step counts and
buffers), the scheduler, the DataLoader's position and RNG state (the epoch's
permutation is regenerated from the RNG state saved at the epoch's start), the
RNG state of every module that draws random numbers (Dropout's ``rng``), the
history, the sums of an interrupted epoch and the callbacks' counters.
Restoring all of them and continuing at the saved batch replays the same
floating-point operations, so the final weights are bit-identical to an
uninterrupted run.

Data parallelism (``parallel``, a :class:`~._distributed.DataParallel`, None on
one process) changes four places, each marked ``parallel``: the backward (plus
one all-reduce), the epoch's row (sums over the ranks), the checkpoint (sums
over the ranks, written by rank 0) and resume.
"""

from __future__ import annotations

import copy
import functools
import math
import sys
import time
from typing import Any

import numpy as np

from ..io import load_checkpoint, save_checkpoint
from ._callbacks import Callback, TerminateOnNaN, params_finite
from ._checks import check_labels
from ._evaluate import evaluation_pass, preserved_modes
from ._history import History, format_row
from ._metrics import MetricSpec, Scorer, metric_values
from ._progress import make_bar
from ._state import TrainState

__all__ = ["FitLoop", "CHECKPOINT_FORMAT"]

#: Version of the fit-specific entries stored in the checkpoint's ``extra``.
CHECKPOINT_FORMAT = 1


def _training_backward(model):
    """``model.backward``, told to skip dL/dx when the model can (fit never uses it).

    ``Module.can_skip_input_grad`` says that ``backward`` takes ``input_grad=False``:
    a Sequential then skips the layers before its first parameters and that
    layer's own input gradient.
    """
    if model.can_skip_input_grad:
        return functools.partial(model.backward, input_grad=False)
    return model.backward


def _random_modules(model) -> list[tuple[str, Any]]:
    """Modules drawing random numbers from their own Generator (Dropout's ``rng``)."""
    return [(name, m) for name, m in model.named_modules() if isinstance(getattr(m, "rng", None), np.random.Generator)]


def _lr(optimizer) -> float:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups and "lr" in groups[0] else float("nan")


def _held_out_text(record: dict | None) -> str:
    if record is None:
        return "no validation_split"
    return (f"validation_split={record['validation_split']!r} ({record['held_out']} of {record['samples']} samples, "
            f"digest {record['digest'][:12]})")


def _report(message: str, verbose: bool) -> None:
    """Print a training notice to stderr (kept out of stdout's one-line-per-epoch log)."""
    if verbose:
        print(message, file=sys.stderr, flush=True)


class FitLoop:
    """One call of fit: the loaders, callbacks and options around the :class:`TrainState` it advances."""

    owner = "fit"

    def __init__(self, state: TrainState, train_loader, val_loader, callbacks: list[Callback], scheduler, *,
                 spec: MetricSpec, progress: bool, verbose: bool, checkpoint, checkpoint_steps: int,
                 validation: dict | None = None, parallel=None) -> None:
        self.state = state
        self.train_loader, self.val_loader = train_loader, val_loader
        self.callbacks, self.scheduler = callbacks, scheduler
        self.progress, self.verbose = progress, verbose
        self.checkpoint = checkpoint
        self.checkpoint_steps = checkpoint_steps  # optimizer steps between checkpoints; 0: one per epoch
        self.spec = spec
        self.validation = validation  # how validation_split held data out, checked on resume; None without it
        self.scorer: Scorer | None = None if any(spec) else Scorer(None)  # chosen on the first batch
        self.backward = _training_backward(state.model)
        self.random_modules = _random_modules(state.model)
        self.nan_callbacks = [cb for cb in callbacks if isinstance(cb, TerminateOnNaN)]
        self.batch_callbacks = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
        self.lr = float("nan")  # the first parameter group's lr during the current epoch
        self.clock = 0.0  # time.perf_counter() when the current epoch's elapsed time was last added
        self.labels_checked = False
        self.nonfinite = False
        self.last_saved: tuple[int, int] | None = None  # (epoch, batch) of the checkpoint on disk
        self.parallel = parallel  # DataParallel when training on several MPI processes, else None
        self.bar = None  # the progress bar, one for the whole run, restarted each epoch

    # ------------------------------------------------------------------ the run
    def run(self, resume) -> History:
        """Train to ``state.epochs`` (after restoring ``resume``, a path or None); return the History."""
        state = self.state
        with preserved_modes(state.model):
            for cb in self.callbacks:
                cb.on_train_begin(state)
            if resume is not None:
                self.resume(resume)
            try:
                while state.epoch < state.epochs and not state.stop_training:
                    if not self.train_epoch():
                        break  # stopped inside the epoch: no row for a partial epoch
                    self.end_epoch()
            finally:
                if self.bar is not None:
                    self.bar.close()
            if not self.nonfinite:
                self.save()  # the final state, for a later resume with more epochs
            state.history.stop_reason = state.stop_reason
            for cb in self.callbacks:
                cb.on_train_end(state)
        return state.history

    def add_elapsed(self) -> None:
        """Add the time since the last call (or the epoch's start) to ``state.elapsed``."""
        now = time.perf_counter()
        self.state.elapsed += now - self.clock
        self.clock = now

    def train_epoch(self) -> bool:
        """Run the rest of the current epoch; True when its last batch is done."""
        state = self.state
        state.model.train()
        self.lr = _lr(state.optimizer)
        for cb in self.callbacks:
            cb.on_epoch_begin(state)
        if state.stop_training:
            return False
        n_batches = len(self.train_loader)
        self.clock = time.perf_counter()
        desc = f"epoch {state.epoch + 1}/{state.epochs}"
        if self.bar is None:
            self.bar = make_bar(self.progress, n_batches, desc)
        else:
            self.bar.restart(n_batches, desc)
        # A checkpoint taken right after the epoch's last batch has nothing left to iterate.
        batches = self.train_loader if state.batch < n_batches else ()
        self.train_batches(batches, n_batches, self.bar)
        self.add_elapsed()
        return state.batch == n_batches

    def train_batches(self, batches, n_batches: int, bar) -> None:
        """The hot loop: it works on locals and writes them back to the state when someone looks."""
        state, loss_fn, scorer = self.state, self.state.loss_fn, self.scorer
        forward, backward = state.model.__call__, self.backward
        step, zero_grad = state.optimizer.step, state.optimizer.zero_grad
        batch_callbacks, every = self.batch_callbacks, self.checkpoint_steps
        # One process: is the loss finite? (then backward). Data-parallel: backward and all-reduce first,
        # then is every rank's loss finite? (all ranks stop together, before the step).
        loss_ok = math.isfinite if self.parallel is None else functools.partial(
            self.parallel.backward, loss_fn=loss_fn, backward=backward)
        loss_sum, seen, batch, steps = state.loss_sum, state.seen, state.batch, state.step
        preds: list[np.ndarray] = []  # per-batch predictions, compared with the targets in one go
        targets: list[np.ndarray] = []

        def sync() -> None:
            if preds:
                state.add_counts(scorer.count(preds, targets))
            state.loss_sum, state.seen, state.batch, state.step = loss_sum, seen, batch, steps

        for xb, yb in batches:
            zero_grad()
            out = forward(xb)
            if not self.labels_checked:
                self.check_labels(out)
            loss = loss_fn(out, yb)
            if not loss_ok(loss):
                sync()
                self.stop_nonfinite(loss, n_batches)
                break
            if self.parallel is None:  # data-parallel: done by loss_ok
                backward(loss_fn.backward())
            step()
            n = yb.shape[0]
            loss_sum += loss * n
            seen += n
            if scorer is None:
                scorer = self.scorer = Scorer.for_loss(loss_fn, out, yb, self.spec)
            if scorer.kind is not None:
                preds.append(scorer.predictions(out, yb))
                targets.append(yb)
            batch += 1
            steps += 1
            if bar is not None and bar.due():
                sync()
                bar.update(loss_sum, seen, state.correct, state.counted)
            if batch_callbacks or every:
                sync()
                if self.after_batch(float(loss)):
                    break
        sync()

    def after_batch(self, loss: float) -> bool:
        """Batch callbacks and step checkpoints; True when training should stop."""
        state = self.state
        state.loss = loss
        for cb in self.batch_callbacks:
            cb.on_batch_end(state)
        if self.checkpoint_steps and state.step % self.checkpoint_steps == 0:
            self.add_elapsed()
            self.save()
        return state.stop_training

    def end_epoch(self) -> None:
        """Validate, record the epoch's row, call the callbacks, start the next epoch, print, checkpoint."""
        state = self.state
        row = self.epoch_row()
        state.history.append(row)
        state.logs = dict(row)
        for cb in self.callbacks:
            cb.on_epoch_end(state)  # state.epoch is still the finished epoch's index
        state.next_epoch()
        if self.verbose:
            print(format_row(row, state.epochs), flush=True)
        if not self.checkpoint_steps:
            self.save()

    def epoch_row(self) -> dict[str, Any]:
        """The finished epoch's History row, validation included."""
        state = self.state
        if self.parallel is not None:  # the sums of all ranks; BatchNorm's running statistics averaged
            state = self.parallel.summed(state)
            self.parallel.end_epoch(state.model)
        row: dict[str, Any] = {"epoch": state.epoch + 1, "loss": state.loss_sum / state.seen}
        row.update(metric_values(self.spec, state.counts()))
        if self.val_loader is not None:
            val = evaluation_pass(state.model, self.val_loader, state.loss_fn, self.scorer, self.spec, confusion=False)
            row["val_loss"] = val.loss_sum / val.seen
            if state.counted:
                row.update({f"val_{k}": v for k, v in metric_values(self.spec, val.counts).items()})
        row["lr"] = self.lr
        row["time"] = state.elapsed
        return row

    def check_labels(self, out: np.ndarray) -> None:
        """Once, on the first batch's output: every label of the data fits the output width."""
        self.labels_checked = True
        if out.ndim == 2:
            loaders = [("train", self.train_loader)] + ([("val", self.val_loader)] if self.val_loader else [])
            check_labels(self.owner, self.state.loss_fn, out.shape[1], loaders)

    def stop_nonfinite(self, loss, n_batches: int) -> None:
        """Report a NaN/inf batch loss (seen before backward and step) and stop."""
        state = self.state
        # The bad batch never updates the weights; but a step with a finite loss can already have
        # made them NaN (an overflowing update), and then saying "kept" would not be true.
        kept = ("weights kept from the last good step" if params_finite(state.model) else
                "the weights were already NaN or infinite after the previous step (learning rate too "
                "large?); no checkpoint was written with them")
        msg = (f"non-finite loss {loss} at epoch {state.epoch + 1} step {state.step + 1} "
               f"(batch {state.batch + 1}/{n_batches}); {kept}")
        for cb in self.nan_callbacks:
            cb.on_nonfinite(state, float(loss), msg)
        self.nonfinite = True
        state.stop(msg)
        _report(f"{self.owner}: {msg}", self.verbose)

    # ------------------------------------------------------------------ checkpoints
    def save(self) -> None:
        """Write the checkpoint (atomically) unless this position is already saved or the weights are not finite."""
        state = self.state
        if self.checkpoint is None or (state.epoch, state.batch) == self.last_saved:
            return
        if not params_finite(state.model):
            _report(f"{self.owner}: parameters are not finite; checkpoint {self.checkpoint} not written.",
                    self.verbose)
            return
        rng_state = {
            "loader": self.train_loader.state_dict(),
            "modules": {name: copy.deepcopy(m.rng.bit_generator.state) for name, m in self.random_modules},
        }
        extra = {
            "fit": {
                "format": CHECKPOINT_FORMAT,
                "epochs": state.epochs,
                "partial": (state if self.parallel is None else self.parallel.summed(state)).epoch_sums(),
                "validation": self.validation,
                # The class name is the key that brings a callback's counters back to one of its class.
                "callbacks": [{"type": type(cb).__name__, "state": cb.state_dict()} for cb in self.callbacks],
            }
        }
        if self.parallel is not None and not self.parallel.is_main:
            self.last_saved = (state.epoch, state.batch)
            return  # rank 0 writes
        save_checkpoint(
            self.checkpoint, model=state.model, optimizer=state.optimizer, scheduler=self.scheduler,
            history=state.history.to_dict(), epoch=state.epoch, step=state.step, rng_state=rng_state, extra=extra,
        )
        self.last_saved = (state.epoch, state.batch)

    def resume(self, path) -> None:
        """Restore everything :meth:`save` wrote into this loop's (fresh) objects and state."""
        owner, state = self.owner, self.state
        ckpt = load_checkpoint(path)
        extra = (ckpt.extra or {}).get("fit")
        rng_state = ckpt.rng_state or {}
        if extra is None or "loader" not in rng_state:
            raise ValueError(f"{owner}: {path} was not written by fit(checkpoint=...), so it cannot be resumed.")
        if extra.get("validation") != self.validation:
            raise ValueError(
                f"{owner}: {path} was written by a run that held out {_held_out_text(extra.get('validation'))}, "
                f"but this call holds out {_held_out_text(self.validation)}: resume with the same training data, "
                "validation_split and rng (an int seed: rng=None draws other samples)."
            )
        if (self.scheduler is None) != (ckpt.scheduler_state is None):
            raise ValueError(
                f"{owner}: {path} was saved {'with' if ckpt.scheduler_state is not None else 'without'} a "
                f"learning-rate scheduler, but this call has {'one' if self.scheduler is not None else 'none'}: "
                "pass the same callbacks as the interrupted run."
            )
        ckpt.restore(state.model, state.optimizer, self.scheduler)
        self.train_loader.load_state_dict(rng_state["loader"])
        saved_rngs = rng_state.get("modules", {})
        for name, m in self.random_modules:
            if name not in saved_rngs:
                raise ValueError(f"{owner}: {path} holds no RNG state for module {name!r} ({type(m).__name__}).")
            m.rng.bit_generator.state = saved_rngs[name]
        self.restore_callbacks(extra.get("callbacks", []))
        state.epoch, state.step = int(ckpt.epoch), int(ckpt.step)
        state.load_epoch_sums(extra["partial"])
        if self.parallel is not None:
            self.parallel.resumed(state)
        state.history = History.from_dict(ckpt.history or {})
        state.logs = dict(state.history.epochs[-1]) if state.history.epochs else {}
        self.last_saved = (state.epoch, state.batch)

    def restore_callbacks(self, saved: list[dict[str, Any]]) -> None:
        """Saved counters go back to the callbacks of the same class, in order; others start fresh."""
        by_class: dict[str, list] = {}
        for entry in saved:
            by_class.setdefault(entry["type"], []).append(entry["state"])
        for cb in self.callbacks:
            queue = by_class.get(type(cb).__name__)
            if queue:
                cb.load_state_dict(queue.pop(0))
