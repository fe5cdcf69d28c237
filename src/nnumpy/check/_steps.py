"""The pieces ``check_layer`` and ``check_loss`` share.

A :class:`Subject` holds the float64 copy under check and runs its forward and
backward on read-only arrays, so a write into the caller's input or into
grad_output is caught even when no value changes (:func:`guarded`,
:func:`changes`). :func:`check_gradient` turns a :class:`GradcheckReport` into
findings, and :func:`check_large_inputs` probes extreme inputs with NumPy
errors raised.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Iterable

import numpy as np

from ..nn._module import Module
from ._diagnoses import Diagnosis, L, diagnosis
from ._report import GradcheckReport, LayerReport, error_text, grad_ref_l, worst_entry_text


def validate_batch_sizes(owner: str, n: int, batch_sizes) -> tuple[int, ...]:
    """The batch sizes of the ``batch`` check: ``batch_sizes`` checked, or ``(1, n)``."""
    if batch_sizes is None:
        return (1, n) if n != 1 else (1, 2)
    sizes = tuple(batch_sizes)
    if not sizes or any(isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1 for b in sizes):
        raise ValueError(f"The 'batch_sizes' parameter of {owner} must be a tuple of ints >= 1. Got {batch_sizes!r} instead.")
    return tuple(int(b) for b in sizes)


# ---------------------------------------------------------------------------- writes into arguments


def guarded(call: Callable, *arrays: np.ndarray) -> tuple[Any, list[np.ndarray] | None]:
    """Call ``call(retry, *copies)`` on read-only copies of ``arrays``.

    A write into a read-only argument raises, even one that would leave the values
    unchanged; then ``call(True, ...)`` runs again on writable copies (the callee
    rebuilds its state) and those copies, as the call left them, are returned
    (compare them with ``arrays`` through :func:`changes`). Returns
    ``(result, None)`` when nothing was written.
    """
    frozen = []
    for a in arrays:
        c = np.array(a, copy=True)
        c.flags.writeable = False
        frozen.append(c)
    try:
        return call(False, *frozen), None
    except ValueError as e:
        if "read-only" not in str(e):
            raise
    writable = [np.array(a, copy=True) for a in arrays]
    result = call(True, *writable)
    return result, writable


def changes(name: str, before: np.ndarray, after: np.ndarray) -> str:
    """How an in-place write changed an array, in words: '' when every value is as it was.

    Names the number of changed entries and the one changed most, e.g.
    ``"6 of 12 entries changed. Worst entry grad_output[0, 1]: was -0.53, now 0 (abs change 5.30e-01)."``
    """
    found = change_phrase(name, before, after)
    return found.en if found else ""


def change_phrase(name: str, before: np.ndarray, after: np.ndarray) -> L | None:
    """:func:`changes` in both languages; None when every value is as it was."""
    a, b = np.asarray(before), np.asarray(after)
    if a.shape != b.shape or a.dtype.kind not in "fiu" or b.dtype.kind not in "fiu":
        return None
    af, bf = a.astype(np.float64), b.astype(np.float64)
    changed = ~((af == bf) | (np.isnan(af) & np.isnan(bf)))
    if not changed.any():
        return None
    finite = changed & np.isfinite(af) & np.isfinite(bf)
    diff = np.where(changed, np.inf, -1.0)  # an inf or NaN written counts as the largest change
    diff[finite] = np.abs(bf[finite] - af[finite])
    worst = np.unravel_index(int(np.argmax(diff)), a.shape)
    idx = ", ".join(str(int(i)) for i in worst)
    n, was, now, by = int(changed.sum()), a[worst], b[worst], diff[worst]
    return L(f"{n} of {a.size} entries changed. Worst entry {name}[{idx}]: was {was:.6g}, "
             f"now {now:.6g} (abs change {by:.2e}).",
             f"항목 {a.size}개 중 {n}개가 바뀌었습니다. 가장 크게 바뀐 항목 {name}[{idx}]: {was:.6g} → "
             f"{now:.6g} (절대 변화 {by:.2e}).")


def grad_output_written(change: L | None) -> L:
    """The failure of a backward that writes into grad_output, with what it changed (if any value changed)."""
    return L("backward modified its incoming gradient grad_output in place"
             + (f": {change.en}" if change else " (the values happen to be unchanged, but it writes into the array)."),
             "backward가 받은 기울기 grad_output을 제자리에서 바꿨습니다"
             + (f": {change.ko}" if change else " (값은 우연히 그대로지만 배열에 씁니다)."))


class Subject:
    """The layer or loss under check: a float64 template and the copy being run.

    Every check starts from :meth:`fresh`, a deep copy of the template (it carries
    a Dropout generator's state, so every copy draws the same masks). ``forward``
    and ``backward`` run on read-only copies of their arrays (see :func:`guarded`);
    when the module writes into one, the copy is rebuilt and the call repeated on
    writable arrays.
    """

    def __init__(self, template: Module):
        self.template = template
        self.module = self.fresh()
        self.inputs: tuple[np.ndarray, ...] = ()

    def fresh(self) -> Module:
        return copy.deepcopy(self.template)

    def forward(self, *inputs: np.ndarray) -> tuple[Any, list[np.ndarray] | None]:
        """``module(*inputs)``; returns ``(output, None)`` or ``(output, the arrays as forward left them)``."""
        self.inputs = inputs

        def call(retry: bool, *arrays: np.ndarray):
            if retry:
                self.module = self.fresh()
            return self.module(*arrays)

        return guarded(call, *inputs)

    def backward(self, *grad_output: np.ndarray) -> tuple[Any, list[np.ndarray] | None]:
        """``module.backward(*grad_output)`` after the last :meth:`forward`, gradients zeroed first."""

        def call(retry: bool, *arrays: np.ndarray):
            if retry:
                self.module = self.fresh()
                self.module(*(a.copy() for a in self.inputs))
            self.module.zero_grad()
            return self.module.backward(*arrays)

        return guarded(call, *grad_output)


# ---------------------------------------------------------------------------- the gradient check


def check_gradient(rep: LayerReport, run: Callable[[], GradcheckReport], input_shape_reported: bool,
                   rename: Callable[[GradcheckReport], None] | None = None) -> None:
    """Run the float64 gradient check ``run()`` and record each wrong tensor as a ``gradient`` failure."""
    try:
        gc = run()
    except Exception as e:
        rep._fail("gradient", "-", L(f"gradient check could not run: {error_text(e)}.",
                                     f"기울기 검사를 실행할 수 없었습니다: {error_text(e)}."))
        return
    if rename is not None:
        rename(gc)
    rep.gradcheck = gc
    gc.lang = rep.lang
    failed_before = len(rep.findings)
    for d in gc.problem_diagnoses:
        if d.code == "params-changed" and "params" not in rep.failed:
            p = gc.problem_phrase(-1)
            rep._fail("gradient", d.tensor, L(f"gradient check: {p.en}.", f"기울기 검사: {p.ko}."), [d])
    for tc in gc.checks:
        if tc.ok:
            continue
        found = tc.diagnoses or [diagnosis("gradient-mismatch", tc.name)]
        if tc.problem.startswith("backward returned shape"):
            if tc.name in ("input", "pred") and input_shape_reported:
                continue  # already reported by the grad_shape check
            rep._fail("gradient", tc.name, L(f"gradient check: backward gave the gradient of '{tc.name}' the wrong "
                                             f"shape ({tc.problem}).",
                                             f"기울기 검사: backward가 '{tc.name}'의 기울기를 잘못된 모양으로 돌려줍니다 "
                                             f"({tc.problem_in('ko')})."), found)
        elif tc.problem.startswith("backward left no gradient"):
            ref = grad_ref_l(tc.name)
            rep._fail("gradient", tc.name, L(f"gradient check: after backward, {ref.en} is still None.",
                                             f"기울기 검사: backward가 끝난 뒤에도 {ref.ko}가 None입니다."), found)
        elif tc.problem == "non-finite analytic gradient":
            rep._fail("gradient", tc.name, L(f"gradient check: backward returned inf or NaN in the gradient of "
                                             f"'{tc.name}' at index {tc.worst_index}, where the central difference "
                                             f"is {tc.numeric:.6g}.",
                                             f"기울기 검사: backward가 돌려준 '{tc.name}'의 기울기가 인덱스 "
                                             f"{tc.worst_index}에서 inf 또는 NaN입니다(그 자리의 중심 차분은 "
                                             f"{tc.numeric:.6g})."), found)
        else:
            rep._fail("gradient", tc.name, worst_entry_text(tc), found)
    if input_shape_reported and len(rep.findings) == failed_before:
        # Only the parameters could be compared; they match, but dL/dx was never checked.
        rep.checks["gradient"] = "skipped"
        rep._note(L("dL/dx has the wrong shape, so only the parameter gradients were compared (they match).",
                    "dL/dx의 모양이 틀려서 파라미터 기울기만 비교했습니다(파라미터 기울기는 일치합니다)."))
        return
    rep._pass("gradient")


# ---------------------------------------------------------------------------- extreme inputs


def _raising_errstate():
    # Overflow, invalid operations and division by zero raise inside the extreme-input probe;
    # underflow to 0 (e.g. exp(-1000)) is harmless and stays quiet.
    return np.errstate(over="raise", invalid="raise", divide="raise", under="ignore")


def extreme_run(m: Module, forward: Callable, backward: Callable) -> tuple[str, BaseException | None, bool]:
    """Forward then backward with NumPy errors raised: ``(stage, exception, finite)`` of the first trouble.

    ``("", None, True)`` when both stages run and return finite values.
    """
    out = None
    for stage in ("forward", "backward"):
        try:
            with _raising_errstate():
                if stage == "forward":
                    out = result = np.asarray(forward(m))
                else:
                    result = np.asarray(backward(m, out))
        except Exception as e:
            return stage, e, False
        if result.dtype.kind == "f" and not np.all(np.isfinite(result)):
            return stage, None, False
    return "", None, True


def _extreme_probe(rep: LayerReport, m: Module, forward: Callable, backward: Callable, what: L, hint: Diagnosis,
                   locate: Callable[[], L | None] | None = None) -> bool:
    """Run forward and backward with NumPy errors raised; record a failure and return True on trouble.

    ``locate()``, called only on trouble, names the entry responsible (text appended to the message).
    """
    stage, e, finite = extreme_run(m, forward, backward)
    if finite:
        return False
    tensor = "output" if stage == "forward" else "grad_input"
    found = locate() if locate is not None else None
    where, where_ko = (f" {found.en}", f" {found.ko}") if found else ("", "")
    w, w_ko = what.en, what.ko
    if isinstance(e, FloatingPointError):
        if "overflow" in str(e):
            message = L(f"{stage} overflowed on {w} (FloatingPointError: {e}).{where}",
                        f"{stage}가 {w_ko}에서 오버플로했습니다 (FloatingPointError: {e}).{where_ko}")
        else:
            message = L(f"{stage} hit a floating-point error on {w} (FloatingPointError: {e}).{where}",
                        f"{stage}가 {w_ko}에서 부동소수점 오류를 냈습니다 (FloatingPointError: {e}).{where_ko}")
        rep._fail("large_inputs", tensor, message, [hint])
    elif e is not None:
        rep._fail("large_inputs", "input", L(f"{stage} raised {error_text(e)} on {w}.{where}",
                                             f"{stage}가 {w_ko}에서 {error_text(e)}를 일으켰습니다.{where_ko}"), [hint])
    else:
        rep._fail("large_inputs", tensor, L(f"{stage} returned inf or NaN on {w}.{where}",
                                            f"{stage}가 {w_ko}에서 inf 또는 NaN을 돌려줬습니다.{where_ko}"), [hint])
    return True


def check_large_inputs(rep: LayerReport, fresh: Callable[[], Module], extremes: Iterable[np.ndarray],
                       forward: Callable, backward: Callable, what: L, hint: Diagnosis,
                       locate: Callable[[], L | None] | None = None) -> None:
    """The ``large_inputs`` check: ``forward(module, x)`` then ``backward(module, out)`` for each extreme x.

    Each probe runs on a fresh copy, so the gradient check is untouched; the first
    trouble is reported and ends the check.
    """
    for xl in extremes:
        if _extreme_probe(rep, fresh(), lambda mod, v=xl: forward(mod, v), backward, what, hint, locate):
            break
    rep._pass("large_inputs")
