"""``check_loss``: a hand-written loss's d(loss)/d(pred) and the rules its backward must follow.

:func:`check_loss` validates its arguments, then a :class:`_LossCheck` runs the
checks in order, one method each, on fresh float64 copies of the loss.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import numpy as np

from .._validation import check_choice, check_float, check_shape
from ..nn._module import Module
from ._batch import batch_diagnosis, loss_batch_run
from ._diagnoses import Diagnosis, L, check_lang, diagnosis
from ._gradcheck import GRAD_OUTPUT_FIX, gradcheck_loss
from ._hints import LOSS_OVERFLOW, ratio_hint
from ._numerics import global_rng_kept, nearly_equal, salted_generator
from ._report import GradcheckReport, LayerReport, error_text
from ._steps import (Subject, change_phrase, check_gradient, check_large_inputs, extreme_run, grad_output_written,
                     validate_batch_sizes)

# The checks in the order they run, with the line each gets in the report (English, Korean).
_LOSS_CHECKS = {
    "forward": L("forward runs, returns a finite loss and leaves pred and target unchanged",
                 "forward가 실행되고 유한한 손실을 돌려주며 pred와 target을 바꾸지 않음"),
    "backward": L("backward runs", "backward가 실행됨"),
    "grad_output": L("backward leaves its incoming gradient (grad_output) unchanged",
                     "backward가 받은 기울기(grad_output)를 바꾸지 않음"),
    "grad_shape": L("backward returns a gradient of pred's shape", "backward가 pred와 같은 모양의 기울기를 돌려줌"),
    "gradient": L("d(loss)/d(pred) matches float64 central differences", "d(loss)/d(pred)가 float64 중심 차분과 일치함"),
    "repeatable": L("backward() called twice gives the same gradient", "backward()를 두 번 불러도 같은 기울기를 돌려줌"),
    "batch": L("forward and backward work for batch sizes {sizes}", "배치 크기 {sizes}에서 forward와 backward가 동작함"),
    "large_inputs": L("extreme predictions ({extreme}) give a finite loss and gradient (no overflow)",
                      "극단적 예측값({extreme})에서도 손실과 기울기가 유한함 (오버플로 없음)"),
    "kinks": L("pred equal to target gives a finite loss and gradient (no 0/0 at a kink)",
               "pred와 target이 같을 때도 손실과 기울기가 유한함 (꺾이는 점에서 0/0 없음)"),
}
_EXTREMES = {"real": L("±1000", "±1000"), "probabilities": L("exactly 0 and 1", "정확히 0과 1")}
PROBABILITY_NOTE = "forward refused N(0, 1) predictions ({error}); checked with probabilities in [0.05, 0.95]."
PROBABILITY_NOTE_KO = "forward가 N(0, 1) 예측값을 거부해서({error}) [0.05, 0.95]의 확률로 검사했습니다."


def check_loss(
    loss_fn: Module,
    pred_shape,
    target,
    *,
    rng=None,
    batch_sizes=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    pred_domain: str = "auto",
    lang: str = "en",
) -> LayerReport:
    """Check a hand-written loss: d(loss)/d(pred) and the rules its backward must follow.

    The checks (each on a fresh float64 copy): ``forward`` (runs, finite,
    leaves pred and target unchanged), ``grad_output`` (only for
    ``reduction='none'``), ``grad_shape``, ``gradient`` (float64 central
    differences), ``repeatable`` (``backward()`` twice gives the same
    gradient: no in-place scaling of a cached array), ``batch`` (batch sizes
    1 and N, with ``target[:1]``, gradients compared along a random
    direction), ``large_inputs`` (predictions ±1000, or exactly 0 and 1 for a
    loss on probabilities, with NumPy errors raised) and, for a target of
    pred's shape, ``kinks`` (pred == target: an L1 backward of diff/|diff|
    is 0/0 there).

    Predictions are drawn from N(0, 1); if forward refuses them (it raises, or
    gives NaN or a floating-point error such as log of a negative number: a
    loss on probabilities such as BCELoss or the book's cross-entropy with
    log(p + 1e-7)), from U(0.05, 0.95). ``pred_domain='probabilities'`` says
    so from the start.

    Args:
        loss_fn: a ``Loss`` (``loss_fn(pred, target)`` returns the loss,
            ``loss_fn.backward()`` returns d(loss)/d(pred)).
        pred_shape: shape of the predictions, batch first, e.g. ``(4, 3)``.
        target: the targets for a batch of N = ``pred_shape[0]``.
        rng: seed or Generator for the predictions (default seed 0).
        batch_sizes: batch sizes for the ``batch`` check (default ``(1, N)``).
        eps, atol, rtol: as in :func:`gradcheck`.
        pred_domain: ``'auto'`` (default: N(0, 1), or probabilities when
            forward refuses those), ``'real'`` or ``'probabilities'``.
        lang: ``'en'`` (default) or ``'ko'``: the language of the diagnoses, the failure sentences
            and ``print(report)``.

    Returns:
        LayerReport (``ok``, ``failures``, ``diagnoses``, ``gradcheck``; ``print`` it).

    Example:
        >>> from nnumpy import nn
        >>> check_loss(nn.CrossEntropyLoss(), (4, 3), np.array([0, 2, 1, 2])).ok
        True
    """
    if not isinstance(loss_fn, Module):
        raise TypeError(
            f"check_loss expects an nnumpy Loss instance (a subclass of nnumpy.nn.Loss), got {type(loss_fn).__name__}."
        )
    shape = check_shape("check_loss", "pred_shape", pred_shape, "(4, 3)")
    target = np.asarray(target)
    if target.ndim == 0 or target.shape[0] != shape[0]:
        raise ValueError(
            f"check_loss needs a target for the whole batch: pred_shape {shape} has N = {shape[0]}, "
            f"so target must have shape ({shape[0]}, ...). Got {target.shape} instead."
        )
    if target.dtype.kind == "f":
        target = target.astype(np.float64)
    sizes = validate_batch_sizes("check_loss", shape[0], batch_sizes)
    if max(sizes) > shape[0]:
        raise ValueError(f"check_loss batch sizes must be <= N = {shape[0]} (they slice the target). Got {sizes}.")
    gen = salted_generator(0 if rng is None else rng, "check_loss")
    eps = check_float("check_loss", "eps", eps, gt=0)
    domain = check_choice("check_loss", "pred_domain", pred_domain, ("auto", "real", "probabilities"))
    lang = check_lang("check_loss", lang)
    with global_rng_kept():
        return _LossCheck(loss_fn, shape, target, sizes, gen, eps, atol, rtol, domain, lang).run()


def _to_pred(d: Diagnosis) -> Diagnosis:
    facts = {k: (L(v.en.replace("the input gradient", "d(loss)/d(pred)"), v.ko.replace("입력 기울기", "d(loss)/d(pred)"))
                 if isinstance(v, L) else v) for k, v in d.facts.items()}
    return replace(d, tensor="pred" if d.tensor == "input" else d.tensor, facts=facts)


def _name_pred(gc: GradcheckReport) -> None:
    """The gradient check calls the loss's first argument 'input'; the loss report calls it 'pred'."""
    for tc in gc.checks:
        tc.name = "pred"
        tc.diagnoses = [_to_pred(d) for d in tc.diagnoses]


def _alternative_target(target: np.ndarray, pred_shape: tuple[int, ...]) -> tuple[np.ndarray, L] | None:
    """One-hot rows as class indices, or class indices as one-hot rows, with the sentence that says so."""
    t = target
    if t.ndim == 2 and t.shape == pred_shape and np.isin(t, (0, 1)).all() and np.all(t.sum(axis=1) == 1):
        return t.argmax(axis=1), L(
            f"the loss uses the target as class indices (shape (N,)), but this target is one-hot (shape {t.shape}): "
            "convert it with t.argmax(axis=1), or accept both forms (if t.ndim == 2: t = t.argmax(axis=1))",
            f"손실이 타깃을 클래스 인덱스(모양 (N,))로 쓰는데, 이 타깃은 원-핫(모양 {t.shape})입니다. "
            "t.argmax(axis=1)로 바꾸거나 두 형식을 모두 받으세요(if t.ndim == 2: t = t.argmax(axis=1))")
    if t.ndim == 1 and len(pred_shape) == 2 and t.dtype.kind in "iu" and t.size and 0 <= t.min() and t.max() < pred_shape[1]:
        return np.eye(pred_shape[1])[t], L(
            f"the loss needs one-hot targets of pred's shape {pred_shape}, but this target holds class indices "
            f"(shape {t.shape}): convert them with np.eye(C)[t], or index the row's class (p[np.arange(N), t])",
            f"손실은 pred 모양 {pred_shape}의 원-핫 타깃이 필요한데, 이 타깃은 클래스 인덱스(모양 {t.shape})입니다. "
            "np.eye(C)[t]로 바꾸거나 행마다 정답 클래스를 인덱싱하세요(p[np.arange(N), t])")
    return None


class _LossCheck:
    """One run of :func:`check_loss`, arguments already validated: a method per check."""

    def __init__(self, loss_fn: Module, shape: tuple[int, ...], target: np.ndarray, sizes: tuple[int, ...],
                 gen: np.random.Generator, eps: float, atol: float, rtol: float, domain: str = "auto",
                 lang: str = "en"):
        self.subject = Subject(copy.deepcopy(loss_fn).to(np.float64))
        self.shape, self.target, self.sizes, self.gen = shape, target, sizes, gen
        self.eps, self.atol, self.rtol, self.domain, self.lang = eps, atol, rtol, domain, lang
        self.none = getattr(self.subject.template, "reduction", None) == "none"
        self.probabilities = domain == "probabilities"  # a loss on probabilities: predictions in (0, 1)
        self.loss_shape: tuple[int, ...] = ()  # () for a reduced loss, (N, ...) for reduction='none'
        titles = {k: v.get(lang) for k, v in _LOSS_CHECKS.items()}
        titles["batch"] = titles["batch"].format(sizes=(" 및 " if lang == "ko" else " and ").join(map(str, sizes)))
        self._set_extreme_title()
        titles["large_inputs"] = self._large_title
        if not self.none:
            del titles["grad_output"]
        if target.shape != shape or target.dtype.kind != "f":
            del titles["kinks"]
        self.rep = LayerReport(target=type(loss_fn).__name__, input_shape=shape, kind="loss", titles=titles,
                               checks={name: "skipped" for name in titles}, lang=lang)

    def _set_extreme_title(self) -> None:
        extreme = _EXTREMES["probabilities" if self.probabilities else "real"].get(self.lang)
        self._large_title = _LOSS_CHECKS["large_inputs"].get(self.lang).format(extreme=extreme)

    def run(self) -> LayerReport:
        pred = self.forward()
        if pred is None:
            return self.rep
        ran, grad = self.backward()
        if not ran:
            return self.rep
        grad_ok = self.grad_shape(grad)
        fresh = self.subject.fresh
        check_gradient(self.rep, lambda: gradcheck_loss(fresh(), (pred, self.target), self.eps, self.atol, self.rtol,
                                                        self.gen), input_shape_reported=not grad_ok, rename=_name_pred)
        if not self.none and grad_ok:
            self.repeatable(pred)
        self.batch()
        self.large_inputs()
        if "kinks" in self.rep.checks:
            self.kinks()
        return self.rep

    def _backward_of(self, mod: Module, out) -> Any:
        """backward of a loss: with a gradient of ones for reduction='none', else with no argument."""
        return mod.backward(np.ones(np.shape(out))) if self.none else mod.backward()

    def forward(self) -> np.ndarray | None:
        """Check 1, with a fallback to probabilities for losses that refuse N(0, 1) predictions.

        Returns the predictions the loss accepted, or None when the later checks cannot run.
        """
        rep, shape, target = self.rep, self.shape, self.target
        first_error: BaseException | str | None = None
        if not self.probabilities:
            pred = self.gen.standard_normal(shape)
            try:
                with np.errstate(invalid="raise", divide="raise"):  # log of a negative prediction: a domain error
                    value, wrote = self.subject.forward(pred, target)
                if np.asarray(value).dtype.kind == "f" and not np.all(np.isfinite(value)):
                    first_error = f"it returned {value!r}"
            except (ValueError, FloatingPointError, RuntimeWarning) as e:
                first_error = e
            except Exception as e:
                self._forward_failed(e, pred)
                return None
        if first_error is not None or self.probabilities:
            declared = self.probabilities
            pred = self.gen.uniform(0.05, 0.95, shape)
            try:
                value, wrote = self.subject.forward(pred, target)
            except Exception as e:
                self._forward_failed(e if first_error is None or isinstance(first_error, str) else first_error, pred)
                return None
            self.probabilities = True
            if not declared:
                why = first_error if isinstance(first_error, str) else str(first_error)
                why_ko = why.replace("it returned ", "돌려준 값 ", 1) if isinstance(first_error, str) else why
                rep._note(L(PROBABILITY_NOTE.format(error=why), PROBABILITY_NOTE_KO.format(error=why_ko)))
            self._set_extreme_title()
            rep.titles["large_inputs"] = self._large_title
        if wrote is not None:
            found = {"pred": change_phrase("pred", pred, wrote[0]), "target": change_phrase("target", target, wrote[1])}
            which = "pred" if found["pred"] or not found["target"] else "target"
            change = found[which]
            rep._fail("forward", which, L(
                f"forward writes into its {which} array in place; compute into a new array "
                "(d = pred - target, not pred -= target)." + (f" {change.en}" if change else ""),
                f"forward가 {which} 배열에 제자리에서 씁니다. 새 배열로 계산하세요"
                "(pred -= target 대신 d = pred - target)." + (f" {change.ko}" if change else "")),
                      [diagnosis("input-modified", which, example=f"{which} -= ...", fix="d = pred - target")])
        v = np.asarray(value)
        if not self.none and v.ndim != 0:
            rep._fail("forward", "loss", L(f"forward returned an array of shape {v.shape}; a loss with reduction "
                                           "'mean' or 'sum' returns one number.",
                                           f"forward가 모양 {v.shape}의 배열을 돌려줬습니다. reduction이 'mean'이나 "
                                           "'sum'인 손실은 수 하나를 돌려줘야 합니다."),
                      [diagnosis("loss-not-reduced", "loss")])
            return None
        if v.dtype.kind not in "fiu" or not np.all(np.isfinite(v)):
            rep._fail("forward", "loss", L(f"forward returned {value!r} for ordinary predictions: the loss must be a "
                                           "finite number.",
                                           f"forward가 평범한 예측값에서 {value!r}을(를) 돌려줬습니다. 손실은 유한한 수여야 "
                                           "합니다."),
                      [diagnosis("forward-error", "loss", error=L("a non-finite loss", "유한하지 않은 손실 오류"), shape=shape)])
            return None
        rep._pass("forward")
        self.loss_shape = v.shape
        return pred

    def _target_form(self) -> Diagnosis | None:
        """The loss runs with the target in the other form (one-hot rows or class indices): say so."""
        alt = _alternative_target(self.target, self.shape)
        if alt is None:
            return None
        other, detail = alt
        for pred in (self.gen.standard_normal(self.shape), self.gen.uniform(0.05, 0.95, self.shape)):
            m = self.subject.fresh()
            try:
                with np.errstate(invalid="raise", divide="raise"):
                    m(pred, other)
                    self._backward_of(m, m(pred, other))
            except Exception:
                continue
            return diagnosis("target-form", "target", detail=detail)
        return None

    def _forward_failed(self, e: BaseException, pred: np.ndarray) -> None:
        self.rep._fail("forward", "pred", L(f"forward raised {error_text(e)} for predictions of shape {self.shape}.",
                                            f"forward가 모양 {self.shape}의 예측값에서 {error_text(e)}를 일으켰습니다."),
                       [self._target_form() or diagnosis("forward-error", "pred", error=error_text(e), shape=self.shape)])

    def backward(self) -> tuple[bool, Any]:
        """Check 2 (reduction='none' only: grad_output left alone) and backward itself. ``(ran, gradient)``."""
        rep = self.rep
        try:
            if self.none:
                r_loss = self.gen.standard_normal(self.loss_shape)
                grad, wrote = self.subject.backward(r_loss)
                if wrote is not None:
                    change = change_phrase("grad_output", r_loss, wrote[0])
                    rep._fail("grad_output", "grad_output", grad_output_written(change),
                              [diagnosis("grad-output-modified", "grad_output", fix=L(
                                  "return grad * grad_output (a new array) instead of writing into grad_output",
                                  "grad_output에 쓰지 말고 grad * grad_output(새 배열)을 반환하세요"))])
                rep._pass("grad_output")
            else:
                grad = self.subject.module.backward()
        except Exception as e:
            rep._fail("backward", "pred", L(f"backward raised {error_text(e)}.",
                                            f"backward가 {error_text(e)}를 일으켰습니다."),
                      [self._target_form() or diagnosis("backward-error", "pred", error=error_text(e))])
            return False, None
        rep._pass("backward")
        return True, grad

    def grad_shape(self, grad) -> bool:
        """Check 3: d(loss)/d(pred) has pred's shape. Returns whether it does."""
        shape_ok = grad is not None and np.shape(grad) == self.shape
        if not shape_ok:
            got = 'None' if grad is None else f'shape {np.shape(grad)}'
            got_ko = "None을" if grad is None else f"모양 {np.shape(grad)}의 기울기를"
            self.rep._fail("grad_shape", "pred", L(f"backward returned {got}; "
                                                   f"d(loss)/d(pred) must have pred's shape {self.shape}.",
                                                   f"backward가 {got_ko} 돌려줬습니다. d(loss)/d(pred)는 pred와 같은 "
                                                   f"모양 {self.shape}여야 합니다."),
                           [diagnosis("returns-none", "pred", shape=self.shape) if grad is None else
                            diagnosis("grad-shape", "pred", detail=L(
                                f"d(loss)/d(pred) must have pred's shape {self.shape}, got {np.shape(grad)}",
                                f"d(loss)/d(pred)는 pred와 같은 모양 {self.shape}여야 하는데 {np.shape(grad)}입니다"))])
        self.rep._pass("grad_shape")
        return shape_ok

    def repeatable(self, pred: np.ndarray) -> None:
        """Check 5: backward() called twice after one forward gives the same gradient."""
        m = self.subject.fresh()
        m(pred.copy(), self.target.copy())
        try:
            g1 = np.array(m.backward(), dtype=np.float64)
            g2 = np.array(m.backward(), dtype=np.float64)
        except Exception as e:
            self.rep._fail("repeatable", "pred", L(f"a second backward() raised {error_text(e)}.",
                                                   f"두 번째 backward()가 {error_text(e)}를 일으켰습니다."))
        else:
            if not nearly_equal(g1, g2):
                ratio = ratio_hint("pred", g2, g1, {}, L("the second call", "두 번째 호출"))
                self.rep._fail("repeatable", "pred", L("calling backward() twice after one forward gave different "
                                                       "gradients: backward changes its cached gradient in place "
                                                       "(e.g. self.grad /= n).",
                                                       "forward 한 번 뒤에 backward()를 두 번 부르니 기울기가 달랐습니다. "
                                                       "backward가 저장해 둔 기울기를 제자리에서 바꿉니다"
                                                       "(예: self.grad /= n)."),
                               [diagnosis("cache-modified", "pred"), ratio])
        self.rep._pass("repeatable")

    def _pred(self, gen: np.random.Generator, b: int) -> np.ndarray:
        size = (b,) + self.shape[1:]
        return gen.uniform(0.05, 0.95, size) if self.probabilities else gen.standard_normal(size)

    def batch(self) -> None:
        """Check 6: forward and backward at every batch size (the target's first rows), the gradient compared."""
        n = self.shape[0]
        compare = not self.none and self.rep.checks.get("gradient") == "ok"
        failed = {}
        for b in self.sizes:
            found = loss_batch_run(self.subject, self._pred(self.gen, b), self.target[:b], self._backward_of,
                                   compare and b != n, n)
            if found is not None:
                failed[b] = found
        if failed:
            def works(b: int) -> bool:
                pb = self._pred(np.random.default_rng(b), b)
                return loss_batch_run(self.subject, pb, self.target[np.arange(b) % n], self._backward_of, False, n) is None

            diag = batch_diagnosis(failed, works, n, "pred", self.sizes)
            for b, (tensor, message, _kind, _ratio) in failed.items():
                self.rep._fail("batch", tensor, message, [diag or diagnosis("batch-error", tensor, b=b)])
        self.rep._pass("batch")

    def kinks(self) -> None:
        """Check 8: pred equal to the target (the kink of L1 and Huber-style losses), NumPy errors raised."""
        t = self.target
        stage, e, finite = extreme_run(self.subject.fresh(), lambda mod: mod(t.copy(), t.copy()), self._backward_of)
        if not finite:
            what = f"raised {error_text(e)}" if e is not None else "returned inf or NaN"
            what_ko = f"{error_text(e)}를 일으켰습니다" if e is not None else "inf 또는 NaN을 돌려줬습니다"
            if stage == "backward":
                found = diagnosis("kink-nan", "pred", error=error_text(e) if e is not None else "NaN")
            else:
                found = diagnosis("extreme-inputs", "pred", fix=LOSS_OVERFLOW)
            self.rep._fail("kinks", "pred", L(f"with pred equal to the target, {stage} {what}.",
                                              f"pred가 target과 같을 때 {stage}가 {what_ko}."), [found])
        self.rep._pass("kinks")

    def large_inputs(self) -> None:
        """Check 7: predictions of size ±1000 (or exactly 0 and 1 for probabilities), NumPy errors raised."""
        signs = np.where(self.gen.standard_normal(self.shape) >= 0, 1.0, -1.0)
        if self.probabilities:
            extremes = ((signs > 0).astype(np.float64), (signs < 0).astype(np.float64))  # p exactly 1 and 0
        else:
            extremes = (1000.0 * signs, -1000.0 * signs)
        what = (L("predictions of exactly 0 and 1", "정확히 0과 1인 예측값") if self.probabilities
                else L("predictions of size ±1000", "±1000 크기의 예측값"))
        target = self.target
        check_large_inputs(self.rep, self.subject.fresh, extremes, lambda mod, p: mod(p.copy(), target.copy()),
                           self._backward_of, what, diagnosis("extreme-inputs", "pred", fix=LOSS_OVERFLOW))
