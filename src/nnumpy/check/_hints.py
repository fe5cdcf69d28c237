"""Learner hints: for a wrong gradient, the likely mistake as a :class:`~._diagnoses.Diagnosis`.

Each hint looks at one failing tensor and returns a diagnosis (a stable code and
a sentence in English and Korean) when the error has a shape a learner can act
on (a constant factor such as a missing 1/N, a transposed matrix, the layer's
weights returned as the input gradient, an error confined to the Jacobian's
diagonal...), or None. They are only ever called on failures, so a hint never
appears for a correct backward.

:data:`~._hint_table.TENSOR_HINTS` (``_hint_table.py``) lists them in the order
they are tried; a new diagnosis is one function taking a :class:`HintCase`,
added to that list (the detectors that re-run the layer live in ``_detectors.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ._diagnoses import Diagnosis, L, diagnosis
from ._diagnoses import what as _what
from ._numerics import nearly_equal
from ._report import TensorCheck, param_ref

# Extreme-input failures: how to compute the function without overflowing.
OVERFLOW_HINT = (
    "e.g. exp(-x) for x = -1000 overflows float64 (its largest value is about exp(709)): use a stable sigmoid "
    "(0.5*tanh(0.5x)+0.5 or split by sign); for a softmax subtract the row max before exp"
)
LOSS_OVERFLOW_HINT = (
    "compute the loss in a stable form: log-softmax through logsumexp (subtract the row max), "
    "log(1 + exp(x)) as np.logaddexp(0, x), BCE from logits; never log(0) (clamp or use the logits form)"
)
OVERFLOW = L(OVERFLOW_HINT, "예를 들어 x = -1000이면 exp(-x)가 float64 범위(최댓값 약 exp(709))를 넘칩니다. 안정한 sigmoid"
             "(0.5*tanh(0.5x)+0.5 또는 부호로 나누기)를 쓰고, softmax는 exp 전에 행 최댓값을 빼세요")
LOSS_OVERFLOW = L(LOSS_OVERFLOW_HINT, "손실을 안정한 형태로 계산하세요. log-softmax는 logsumexp로(행 최댓값 빼기), "
                  "log(1 + exp(x))는 np.logaddexp(0, x)로, BCE는 로짓 형태로 쓰고, log(0)은 피하세요(클리핑하거나 "
                  "로짓 형태 사용)")


# ---------------------------------------------------------------------------- patterns in one gradient


def _looks_like_param(a: np.ndarray, params: dict[str, np.ndarray]) -> tuple[str, str, str] | None:
    """``(reference, how_en, how_ko)`` of a parameter that ``a`` equals (maybe transposed or broadcast)."""
    for pname, w in params.items():
        if w.size < 2:
            continue
        for cand, how, how_ko in ((w, "", ""), (w.T, " transposed", " 전치")):
            if nearly_equal(a, cand):
                return param_ref(pname), how, how_ko
            try:
                b = np.broadcast_to(cand, a.shape)
            except ValueError:
                continue
            if a.size > cand.size and nearly_equal(a, b):
                return param_ref(pname), f"{how} (broadcast to {a.shape})", f"{how_ko}, {a.shape}로 브로드캐스트"
    return None


def weights_hint(name: str, a: np.ndarray, params: dict[str, np.ndarray]) -> Diagnosis | None:
    """The gradient equals one of the layer's parameters: backward returns or stores a weight."""
    found = _looks_like_param(a, params)
    if found is None:
        return None
    ref, how, how_ko = found
    like, like_ko = f"{ref}{how}", f"{ref}{how_ko}"
    if name == "input":
        detail = L(f"the input gradient looks like the layer's weights ({like}): does backward return "
                   f"{ref} instead of grad_output @ W?",
                   f"입력 기울기가 레이어의 가중치({like_ko})와 같습니다. backward가 grad_output @ W 대신 {ref}를 "
                   "반환하지 않나요?")
    else:
        detail = L(f"the gradient of '{name}' equals {like}: backward stores a weight, not the product of "
                   "grad_output with the cache",
                   f"'{name}'의 기울기가 {like_ko}와 같습니다. backward가 grad_output과 캐시의 곱이 아니라 가중치를 "
                   "저장합니다")
    return diagnosis("returns-weights", name, detail=detail)


def size_names(x_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> dict[int, L]:
    """Sizes a missing or extra division is likely to be, and what each one is."""
    names: dict[int, L] = {}
    if len(x_shape) >= 1:
        names.setdefault(x_shape[0], L("N, the batch size", "배치 크기 N"))
    numel = int(np.prod(x_shape)) if x_shape else 1
    dims = " x ".join(map(str, x_shape))
    names.setdefault(numel, L(f"the number of elements ({dims})", f"원소 개수({dims})"))
    for i, d in enumerate(x_shape[1:], start=1):
        names.setdefault(d, L(f"the size of axis {i}", f"축 {i}의 크기"))
    out_numel = int(np.prod(out_shape)) if out_shape else 1
    names.setdefault(out_numel, L("the number of output elements", "출력 원소 개수"))
    return {k: v for k, v in names.items() if k >= 2}


def _too_big_text(w: L, c: float, k: int, meaning: L | None) -> L:
    en = f"{w.en} is {k}× too large everywhere (backward / numeric = {c:.6g}): a division by {k} is missing"
    ko = f"{w.ko}가 모든 곳에서 {k}배 큽니다(backward / numeric = {c:.6g}). {k}로 나누는 것이 빠졌습니다"
    if meaning and meaning.en.startswith("N,"):
        return L(en + f". {k} is {meaning.en}: the backward of a mean over the batch divides by N (a missing 1/N)",
                 ko + f". {k}는 {meaning.ko}입니다. 배치 평균의 backward는 N으로 나눕니다(1/N 누락)")
    if meaning:
        return L(en + f". {k} is {meaning.en}: the backward of a mean divides by the number of values averaged "
                 "(a missing 1/N)",
                 ko + f". {k}는 {meaning.ko}입니다. 평균의 backward는 평균 낸 값의 개수로 나눕니다(1/N 누락)")
    if k == 2:
        return L(en + " (a doubled factor, e.g. d(x²)/dx = 2x counted twice)",
                 ko + "(2배가 두 번 들어감, 예: d(x²)/dx = 2x를 두 번 곱함)")
    return L(en, ko)


def _too_small_text(w: L, c: float, k: int, meaning: L | None, param: bool) -> L:
    en = f"{w.en} is 1/{k} of the true one everywhere (backward / numeric = {c:.6g}): it divides by {k} once too often"
    ko = f"{w.ko}가 모든 곳에서 참값의 1/{k}입니다(backward / numeric = {c:.6g}). {k}로 한 번 더 나눕니다"
    if meaning:
        en += f" ({k} is {meaning.en})"
        ko += f"({k}는 {meaning.ko})"
        if param and meaning.en.startswith("N,"):
            en += ": a parameter's gradient is the sum over the batch, not the mean (the loss already divides by N)"
            ko += ". 파라미터의 기울기는 배치에 대한 평균이 아니라 합입니다(N으로 나누는 것은 손실이 이미 합니다)"
    if k == 2:
        en += ", or a factor 2 is missing (d(x²)/dx = 2x)"
        ko += ". 또는 2배가 빠졌습니다(d(x²)/dx = 2x)"
    return L(en, ko)


def constant_ratio(a: np.ndarray, n: np.ndarray) -> float | None:
    """analytic / numeric when it is the same constant (≠ 1) at every non-tiny entry, else None."""
    scale = float(np.abs(n).max()) if n.size else 0.0
    if scale == 0.0:
        return None
    mask = np.abs(n) > 1e-3 * scale
    if int(mask.sum()) < 2:
        return None
    r = a[mask] / n[mask]
    c = float(np.median(r))
    if c == 0.0 or not np.all(np.abs(r - c) <= 1e-4 * abs(c)) or abs(c - 1.0) < 1e-4:
        return None
    return c


def ratio_hint(name: str, a: np.ndarray, n: np.ndarray, sizes: dict[int, L], w: L | None = None) -> Diagnosis | None:
    """Diagnosis when analytic / numeric is the same constant at every (non-tiny) entry."""
    c = constant_ratio(a, n)
    if c is None:
        return None
    w = w or _what(name)
    if abs(c + 1.0) < 1e-4:
        return diagnosis("wrong-sign", name, what=w)
    for k, too_big in ((c, True), (1.0 / c, False)):
        kk = round(k)
        if kk >= 2 and abs(k - kk) <= 1e-4 * k:
            if too_big:
                return diagnosis("missing-division", name, detail=_too_big_text(w, c, kk, sizes.get(kk)))
            return diagnosis("extra-division", name,
                             detail=_too_small_text(w, c, kk, sizes.get(kk), name not in ("input", "pred")))
    return diagnosis("constant-factor", name, what=w, c=c)


_TRANSPOSE_FORMULA = L(
    "for y = x @ W.T (weight of shape (out, in)) dL/dW = grad_output.T @ x; for y = x @ W it is x.T @ grad_output",
    "y = x @ W.T(가중치 모양 (out, in))이면 dL/dW = grad_output.T @ x, y = x @ W이면 x.T @ grad_output입니다")


def transpose_hint(name: str, a: np.ndarray, n: np.ndarray) -> Diagnosis | None:
    """A parameter's gradient that is the transpose of the true one (or has its transposed shape)."""
    f = _TRANSPOSE_FORMULA
    if name == "input":
        return None
    if a.ndim == 2 and n.ndim == 2 and a.shape == n.shape[::-1] and a.shape != n.shape:
        return diagnosis("transposed-weight-gradient", name, detail=L(
            f"the gradient of '{name}' has the transposed shape {a.shape} instead of {n.shape}: {f.en}",
            f"'{name}'의 기울기가 {n.shape}가 아니라 전치된 모양 {a.shape}입니다. {f.ko}"))
    if a.ndim == 2 and a.shape == n.shape and a.shape[0] == a.shape[1] and nearly_equal(a, n.T):
        return diagnosis("transposed-weight-gradient", name, detail=L(
            f"the gradient of '{name}' is the transpose of the true one: {f.en}",
            f"'{name}'의 기울기가 참 기울기의 전치입니다. {f.ko}"))
    return None


def batchwise_shape_hint(name: str, got: tuple[int, ...], shape: tuple[int, ...], n: int | None) -> Diagnosis | None:
    """A shared parameter's gradient with the batch axis kept, summed over the wrong axis, or with keepdims."""
    if name in ("input", "pred") or n is None or got == shape:
        return None
    if got == (n,) + shape:
        return diagnosis("bias-not-summed", name, got=got, shape=shape)
    if got == (1,) + shape:
        return diagnosis("bias-keepdims", name, got=got, shape=shape)
    if len(shape) == 1 and got == (n,):
        return diagnosis("bias-summed-wrong-axis", name, evidence=L(
            f"it has shape {got}, one value per sample (N = {n}), where the parameter has shape {shape}",
            f"모양이 {got}로 샘플마다 값이 하나(N = {n})인데 파라미터 모양은 {shape}입니다"))
    return None


def shape_hint(name: str, a: np.ndarray, expected: tuple[int, ...], out_shape: tuple[int, ...],
               has_matrix: bool = True) -> Diagnosis | None:
    """A gradient of the wrong shape: what shape it has, and what it should have."""
    if a.shape == expected:
        return None
    w = _what(name)
    if name == "input" and a.shape == tuple(out_shape):
        how = L("(e.g. grad_output @ W)", "(예: grad_output @ W)") if has_matrix else L("", "")
        return diagnosis("grad-shape", name, detail=L(
            f"{w.en} has the output's shape {a.shape}: backward must push grad_output back through the layer "
            + (f"{how.en} " if how.en else "") + f"to get the input's shape {expected}",
            f"{w.ko}가 출력 모양 {a.shape}입니다. backward는 grad_output을 레이어를 거쳐 거꾸로 보내 "
            + (f"{how.ko} " if how.ko else "") + f"입력 모양 {expected}을 만들어야 합니다"))
    if a.ndim == len(expected) == 2 and a.shape == expected[::-1] and name == "input":
        return diagnosis("transposed-input-gradient", name, detail=L(
            f"{w.en} has the transposed shape {a.shape}: transpose the product (the input has shape {expected})",
            f"{w.ko}가 전치된 모양 {a.shape}입니다. 곱을 전치하세요(입력 모양은 {expected})"))
    return diagnosis("grad-shape", name, detail=L(
        f"{w.en} must have shape {expected} (dL/dx has the shape of x), got {a.shape}",
        f"{w.ko}는 모양이 {expected}여야 하는데(dL/dx는 x와 모양이 같음) {a.shape}입니다"))


def mask_hint(name: str, a: np.ndarray, n: np.ndarray, x: np.ndarray, atol: float, rtol: float) -> Diagnosis | None:
    """Errors confined to where the input is ≤ 0 (or > 0): the branch of a piecewise derivative."""
    if x.shape != a.shape:
        return None
    bad = np.abs(a - n) > atol + rtol * np.abs(n)
    if int(bad.sum()) < 3 or bad.all():
        return None
    neg = x <= 0
    for where, region, region_ko in ((neg, "≤ 0", "0 이하"), (~neg, "> 0", "0보다 큰")):
        if not bad[~where].any() and where.any() and (~where).any():
            return diagnosis("wrong-branch", name, count=int(bad.sum()),
                             region=L(f"the input is {region}", f"입력이 {region_ko} 곳"))
    return None


# ---------------------------------------------------------------------------- patterns found by re-running backward


def linearity_hint(run, backward, R: np.ndarray, x_shape) -> Diagnosis | None:
    """A vector-Jacobian product is linear in grad_output: doubling it must double the result."""
    try:
        run()
        g1 = np.array(backward(R.copy()), dtype=np.float64)
        run()
        g2 = np.array(backward(2.0 * R), dtype=np.float64)
    except Exception:  # only a hint: a backward that fails here is reported elsewhere
        return None
    if g1.shape != tuple(x_shape) or g2.shape != g1.shape or not np.any(g1):
        return None
    if nearly_equal(g1, g2):
        return diagnosis("ignores-grad-output", "input")
    if not np.allclose(g2, 2.0 * g1, rtol=1e-6, atol=1e-12):
        return diagnosis("nonlinear-in-grad-output", "input")
    return None


def _sample_jacobians(run, backward, x: np.ndarray, out_shape, d_in: int, d_out: int,
                      eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The (d_out, d_in) Jacobian of sample 0's output by sample 0's input: ``(from backward, numeric)``."""
    x0 = x.reshape(x.shape[0], -1)[0]  # a view into x (contiguous float64)
    j_num = np.empty((d_out, d_in))
    j_ana = np.empty((d_out, d_in))
    for j in range(d_in):
        old = x0[j]
        x0[j] = old + eps
        yp = run().reshape(out_shape[0], -1)[0].copy()
        x0[j] = old - eps
        ym = run().reshape(out_shape[0], -1)[0].copy()
        x0[j] = old
        j_num[:, j] = (yp - ym) / (2.0 * eps)
    for k in range(d_out):
        run()
        e = np.zeros(out_shape)
        e.reshape(out_shape[0], -1)[0, k] = 1.0
        j_ana[k] = np.asarray(backward(e), dtype=np.float64).reshape(x.shape[0], -1)[0]
    return j_ana, j_num


def jacobian_hint(run, backward, x: np.ndarray, out_shape, eps: float, atol: float, rtol: float,
                  batch_coupled: bool = False) -> Diagnosis | None:
    """Compare the Jacobian of sample 0 entry by entry: diagonal vs off-diagonal errors."""
    if x.ndim < 1 or len(out_shape) < 1 or out_shape[0] != x.shape[0]:
        return None
    d_in = int(np.prod(x.shape[1:])) if x.ndim > 1 else 1
    d_out = int(np.prod(out_shape[1:])) if len(out_shape) > 1 else 1
    if d_in != d_out or d_in < 2 or d_in > 64:
        return None
    try:
        j_ana, j_num = _sample_jacobians(run, backward, x, out_shape, d_in, d_out, eps)
    except Exception:  # only a hint
        return None
    bad = np.abs(j_ana - j_num) > atol + rtol * np.abs(j_num)
    if not bad.any():
        return None
    eye = np.eye(d_in, dtype=bool)
    scale = float(np.abs(j_num).max())
    coupled = float(np.abs(j_num[~eye]).max()) > 1e-6 * scale
    diag_bad, off_bad = bad[eye].any(), bad[~eye].any()
    i = int(np.argmax(np.abs(np.diag(j_ana) - np.diag(j_num))))
    example = L(f"for sample 0, ∂y_{i}/∂x_{i} is {j_ana[i, i]:.6g} from backward but {j_num[i, i]:.6g} numerically",
                f"샘플 0에서 ∂y_{i}/∂x_{i}가 backward로는 {j_ana[i, i]:.6g}, 수치로는 {j_num[i, i]:.6g}")
    if diag_bad and not off_bad and coupled:
        return diagnosis("softmax-jacobian-diagonal", "input", example=example)
    if diag_bad and not off_bad and not batch_coupled:
        return diagnosis("elementwise-derivative", "input", example=example)
    if off_bad and not diag_bad and coupled:
        if float(np.abs(j_ana[~eye]).max()) <= 1e-12 * scale:
            return diagnosis("offdiagonal-missing", "input")
        return diagnosis("offdiagonal-wrong", "input")
    if off_bad and not coupled:
        return diagnosis("elementwise-uses-matmul", "input")
    return None


# ---------------------------------------------------------------------------- the list of hints


@dataclass
class HintCase:
    """What a hint may look at: one failing tensor and the evaluation it came from.

    ``run()`` re-runs forward on ``x`` (which a detector may overwrite and restore)
    and ``backward`` is the module's; both are ``None`` for a loss. ``facts`` holds
    what the check saw around the calls (``forward_draws``, ``backward_draws``:
    random numbers drawn; ``module``: the module ``run`` uses; ``target``, ``domain``
    for a loss; ``directional(b, name)``: (backward, numeric) along a random
    direction at batch size ``b``).
    """

    check: TensorCheck
    params: dict[str, np.ndarray]
    x: np.ndarray | None
    out_shape: tuple[int, ...]
    atol: float
    rtol: float
    eps: float
    run: Callable[[], np.ndarray] | None = None
    backward: Callable[[np.ndarray], np.ndarray] | None = None
    R: np.ndarray | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.check.name

    @property
    def analytic(self) -> np.ndarray | None:
        return self.check.analytic_array

    @property
    def numeric(self) -> np.ndarray | None:
        return self.check.numeric_array

    @property
    def comparable(self) -> bool:
        """Both gradients exist and have the same shape, so they compare entry by entry."""
        return self.analytic is not None and self.numeric is not None and self.analytic.shape == self.numeric.shape

    @property
    def can_rerun_input(self) -> bool:
        """The input gradient, which a hint may recompute by re-running forward and backward."""
        return self.name == "input" and self.run is not None and self.comparable

    @property
    def batch(self) -> int | None:
        return int(self.x.shape[0]) if self.x is not None and self.x.ndim >= 1 else None


def _param_in_traceback(e: BaseException) -> str | None:
    """The name (in its layer) of the Parameter whose ``accumulate`` raised ``e``, read from the traceback."""
    from ..nn._module import Module, Parameter

    tb, caller = e.__traceback__, None
    while tb is not None:
        frame = tb.tb_frame
        owner = frame.f_locals.get("self")
        if isinstance(owner, Parameter) and frame.f_code.co_name == "accumulate" and isinstance(caller, Module):
            return next((n for n, q in caller.named_parameters() if q is owner), None)
        caller = owner
        tb = tb.tb_next
    return None


def backward_error_hints(e: Exception, params: dict[str, np.ndarray], n: int | None = None) -> list[Diagnosis]:
    """Diagnoses for a backward that raised: a parameter gradient of a wrong shape (transposed, batch-wise)."""
    import re

    text = str(e)
    m = re.search(r"gradient of shape (\([\d, ]*\)) does not match parameter of shape (\([\d, ]*\))", text)
    if not m:
        return []
    got = tuple(int(t) for t in m.group(1).strip("()").split(",") if t.strip())
    shape = tuple(int(t) for t in m.group(2).strip("()").split(",") if t.strip())
    culprit = _param_in_traceback(e)
    for name, w in params.items():
        if w.shape != shape or (culprit is not None and name.split(".")[-1] != culprit):
            continue
        found = batchwise_shape_hint(name, got, shape, n)
        if found is not None:
            return [found]
        if w.ndim == 2 and w.shape[0] != w.shape[1] and got == w.shape[::-1]:
            f = _TRANSPOSE_FORMULA
            return [diagnosis("transposed-weight-gradient", name, detail=L(
                f"the gradient for {param_ref(name)} has the transposed shape {w.shape[::-1]} instead of {w.shape}: "
                f"{f.en}",
                f"{param_ref(name)}의 기울기가 {w.shape}가 아니라 전치된 모양 {w.shape[::-1]}입니다. {f.ko}"))]
    return []
