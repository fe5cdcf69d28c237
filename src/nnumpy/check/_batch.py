"""The ``batch`` check of check_layer and check_loss: other batch sizes, and what their failures mean.

A run at batch size b (:func:`layer_batch_run`, :func:`loss_batch_run`) fails
in one of five ways: forward raises, the batch axis is lost, backward raises,
dL/dx has the wrong shape, or the gradient (compared along a random direction)
is wrong although it was right at N. :func:`batch_diagnosis` then tries a few
more sizes: failing at every size but N is a constant where the batch size
belongs; failing at 1 only is np.squeeze or a layer that needs two samples.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._diagnoses import Diagnosis, L, diagnosis
from ._numerics import directional_loss, directional_module
from ._report import error_text

# (tensor, message, kind, ratio backward/numeric for a 'gradient' failure or the exception of a 'backward' one)
BatchFailure = tuple[str, L, str, Any]


def _direction_failure(a: float, n: float, b: int, N: int, what: str) -> BatchFailure | None:
    if abs(a - n) <= 1e-5 + 1e-3 * abs(n):
        return None
    return (what, L(f"at batch size {b} the gradient does not match central differences along a random direction "
                    f"(backward gives {a:.6g}, central difference {n:.6g}), although it matches at N = {N}.",
                    f"배치 크기 {b}에서 임의 방향으로 잰 기울기가 중심 차분과 맞지 않습니다(backward는 {a:.6g}, "
                    f"중심 차분은 {n:.6g}). N = {N}에서는 맞습니다."), "gradient",
            a / n if n else None)


def _grad_shape_at(b: int, got: tuple[int, ...], expected: tuple[int, ...]) -> L:
    return L(f"for batch size {b} backward returned shape {got}, expected {expected}.",
             f"배치 크기 {b}에서 backward가 모양 {got}의 기울기를 돌려줬습니다. 기대한 모양은 {expected}입니다.")


def layer_batch_run(subject, gen: np.random.Generator, shape: tuple[int, ...], b: int, out_shape: tuple[int, ...],
                    keeps_batch: bool, shape_ok: bool, compare: bool) -> BatchFailure | None:
    """Forward and backward of a fresh copy at batch size ``b``; the first failure, or None."""
    xb = gen.standard_normal((b,) + shape[1:])
    mb = subject.fresh()
    try:
        ob = np.asarray(mb(xb))
    except Exception as e:
        return "input", L(f"forward raised {error_text(e)} for batch size {b} (input shape {xb.shape}).",
                          f"forward가 배치 크기 {b}(입력 모양 {xb.shape})에서 {error_text(e)}를 일으켰습니다."), \
            "forward", None
    if keeps_batch and (ob.ndim != len(out_shape) or ob.shape[0] != b):
        expected = (b,) + tuple(out_shape[1:])
        return ("output", L(f"for an input of shape {xb.shape} forward returned shape {ob.shape}; expected "
                            f"{expected} (batch size {b} first).",
                            f"모양 {xb.shape}의 입력에 forward가 모양 {ob.shape}의 출력을 돌려줬습니다. 기대한 "
                            f"모양은 {expected}입니다(배치 크기 {b}인 축이 맨 앞)."), "shape", None)
    try:
        gb = mb.backward(gen.standard_normal(ob.shape))
    except Exception as e:
        return "input", L(f"backward raised {error_text(e)} for batch size {b} (input shape {xb.shape}).",
                          f"backward가 배치 크기 {b}(입력 모양 {xb.shape})에서 {error_text(e)}를 일으켰습니다."), \
            "backward", e
    if shape_ok and (gb is None or np.shape(gb) != xb.shape):  # a wrong shape at N is reported once, elsewhere
        return "input", _grad_shape_at(b, np.shape(gb), xb.shape), "grad", None
    if compare:
        return _direction_failure(*directional_module(subject.template, xb, None, None), b, shape[0], "input")
    return None


def loss_batch_run(subject, pb: np.ndarray, target: np.ndarray, backward_of: Callable, compare: bool,
                   N: int) -> BatchFailure | None:
    """Forward and backward of a fresh copy of a loss at the batch size of ``pb``; the first failure, or None."""
    b = pb.shape[0]
    mb = subject.fresh()
    try:
        vb = mb(pb, target.copy())
        gb = backward_of(mb, vb)
    except Exception as e:
        return "pred", L(f"forward/backward raised {error_text(e)} for batch size {b} (pred shape {pb.shape}).",
                         f"forward/backward가 배치 크기 {b}(pred 모양 {pb.shape})에서 {error_text(e)}를 "
                         "일으켰습니다."), "forward", None
    if gb is None or np.shape(gb) != pb.shape:
        return "pred", _grad_shape_at(b, np.shape(gb), pb.shape), "grad", None
    if compare:
        return _direction_failure(*directional_loss(subject.template, pb, target), b, N, "pred")
    return None


def _evidence_sizes(sizes: list[int]) -> str:
    return ", ".join(map(str, sorted(sizes)))


def batch_diagnosis(failed: dict[int, BatchFailure], works: Callable[[int], bool], N: int, source: str,
                    tried: tuple[int, ...]) -> Diagnosis | None:
    """What the failures at other batch sizes mean, after trying a few more sizes with ``works(b)``."""
    tensor = next(iter(failed.values()))[0]
    for b, (_, _, kind, ratio) in failed.items():
        if kind == "gradient":
            times = f" ({ratio:.4g}× the true value along a random direction)" if ratio else ""
            times_ko = f"(임의 방향으로 참값의 {ratio:.4g}배)" if ratio else ""
            return diagnosis("fixed-batch-size", tensor, source=source, evidence=L(
                f"the gradients are right for N = {N} but wrong for batch size {b}{times}",
                f"기울기가 N = {N}에서는 맞지만 배치 크기 {b}에서는 틀립니다{times_ko}"))
    kinds = {b: f[2] for b, f in failed.items()}
    for b in sorted({1, 2, N + 1, N + 3} - {N} - set(tried)):
        if not works(b):
            kinds[b] = "more"
    passed = [b for b in set(tried) | {1, 2, N + 1, N + 3} if b != N and b not in kinds]
    if not passed:
        bad = _evidence_sizes(list(kinds))
        return diagnosis("fixed-batch-size", tensor, source=source, evidence=L(
            f"forward and backward work for N = {N} but fail for batch sizes {bad}",
            f"forward와 backward가 N = {N}에서는 되지만 배치 크기 {bad}에서는 실패합니다"))
    if set(kinds) == {1}:
        if kinds[1] == "forward":
            return diagnosis("batch-of-one", tensor)
        if kinds[1] == "shape":
            return diagnosis("batch-axis-dropped", tensor)
    return None
