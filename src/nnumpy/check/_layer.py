"""``check_layer``: a hand-written layer's gradients and the rules every backward must follow.

:func:`check_layer` validates its arguments, then a :class:`_LayerCheck` runs the
checks in order, one method each, on fresh float64 copies of the layer.
"""

from __future__ import annotations

import copy
from typing import Callable

import numpy as np

from .._validation import check_float, check_shape
from ..nn._loss import Loss
from ..nn._module import Module
from ._batch import batch_diagnosis, layer_batch_run
from ._diagnoses import L, check_lang, diagnosis
from ._gradcheck import GRAD_OUTPUT_FIX, changed_params, gradcheck_module, params_changed_diagnosis, snapshot
from ._hints import OVERFLOW, backward_error_hints, shape_hint, weights_hint
from ._numerics import global_rng_kept, nearly_equal, restore_rngs, rng_states, salted_generator
from ._probes import probe_forward
from ._report import LayerReport, advice, error_text, grad_ref_l
from ._steps import (Subject, change_phrase, check_gradient, check_large_inputs, extreme_run, grad_output_written,
                     validate_batch_sizes)

# The checks in the order they run, with the line each gets in the report (English, Korean).
_LAYER_CHECKS = {
    "forward": L("forward runs, returns finite values and leaves its input unchanged",
                 "forward가 실행되고 유한한 값을 돌려주며 입력을 바꾸지 않음"),
    "backward": L("backward runs", "backward가 실행됨"),
    "params": L("forward and backward leave the parameters' values unchanged (the optimizer updates them)",
                "forward와 backward가 파라미터 값을 바꾸지 않음 (갱신은 옵티마이저가 함)"),
    "grad_output": L("backward leaves its incoming gradient (grad_output) unchanged",
                     "backward가 받은 기울기(grad_output)를 바꾸지 않음"),
    "grad_shape": L("backward returns a gradient of the input's shape", "backward가 입력과 같은 모양의 기울기를 돌려줌"),
    "gradient": L("gradients match float64 central differences", "기울기가 float64 중심 차분과 일치함"),
    "accumulate": L("backward adds into param.grad (accumulates, does not overwrite)",
                    "backward가 param.grad에 더함 (덮어쓰지 않고 누적)"),
    "batch": L("forward and backward work for batch sizes {sizes}", "배치 크기 {sizes}에서 forward와 backward가 동작함"),
    "large_inputs": L("inputs of size ±1000 give finite outputs and gradients (no overflow)",
                      "±1000 크기의 입력에서도 출력과 기울기가 유한함 (오버플로 없음)"),
}


def check_layer(
    layer: Module,
    input_shape,
    *,
    rng=None,
    batch_sizes=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    lang: str = "en",
) -> LayerReport:
    """Check a hand-written layer: its gradients and the rules every backward must follow.

    Runs, each on a fresh float64 copy of ``layer`` (the layer itself is never
    modified):

    1. ``forward``: runs, returns finite values, leaves its input unchanged,
       depends on its argument, and gives the same output when its random
       generators (a layer's ``rng``, NumPy's global one) are rewound;
    2. ``params``: forward and backward leave the parameters' values alone;
       ``grad_output``: backward does not write into its incoming gradient
       (it is given a read-only array, and the values are compared);
    3. ``grad_shape``: backward returns dL/dx of the input's shape;
    4. ``gradient``: the float64 central-difference check of the input and
       every parameter (:func:`gradcheck`);
    5. ``accumulate``: two backward passes give twice one pass in every
       ``param.grad`` (gradients add up, as in PyTorch);
    6. ``batch``: forward and backward work for batch sizes 1 and N, and
       their gradients match along a random direction there (a constant
       written where the batch size belongs is right for N only);
    7. ``large_inputs``: inputs of size ±1000 (NumPy errors raised) give finite
       outputs and gradients, the classic naive-sigmoid overflow.

    Each failure names the check, the tensor, the worst entry and the size of
    the error, with a diagnosis where the pattern is recognisable: a stable
    code (``report.diagnoses[0].code``, e.g. ``'bias-not-summed'``) and the
    bug and its fix in words (docs/debugging-backward.md lists them all).

    Args:
        layer: an instance of a ``Module`` subclass.
        input_shape: shape of one test batch, batch first, e.g. ``(4, 3)``.
        rng: seed or Generator for the test inputs (default: seed 0, so the
            report is reproducible).
        batch_sizes: batch sizes for the ``batch`` check (default ``(1, N)``
            with N = ``input_shape[0]``).
        eps, atol, rtol: as in :func:`gradcheck`.
        lang: ``'en'`` (default) or ``'ko'``: the language of the diagnoses
            and of the printed report.

    Returns:
        LayerReport: ``ok``, ``failures`` (plain-word strings), ``diagnoses``,
        ``gradcheck``; ``print(report)`` shows it all.

    Example:
        >>> from nnumpy import nn
        >>> report = check_layer(nn.Linear(3, 2, rng=0), (4, 3))
        >>> report.ok
        True
        >>> report.checks["accumulate"]
        'ok'
    """
    if isinstance(layer, Loss):
        raise TypeError(
            f"check_layer checks layers; {type(layer).__name__} is a Loss: use check_loss(loss_fn, pred_shape, target)."
        )
    if not isinstance(layer, Module):
        raise TypeError(f"check_layer expects an nnumpy Module instance, got {type(layer).__name__}.")
    shape = check_shape("check_layer", "input_shape", input_shape, "(4, 3)")
    sizes = validate_batch_sizes("check_layer", shape[0], batch_sizes)
    gen = salted_generator(0 if rng is None else rng, "check_layer")
    eps = check_float("check_layer", "eps", eps, gt=0)
    lang = check_lang("check_layer", lang)
    with global_rng_kept():
        return _LayerCheck(layer, shape, sizes, gen, eps, atol, rtol, lang).run()


class _LayerCheck:
    """One run of :func:`check_layer`, arguments already validated: a method per check."""

    def __init__(self, layer: Module, shape: tuple[int, ...], sizes: tuple[int, ...], gen: np.random.Generator,
                 eps: float, atol: float, rtol: float, lang: str = "en"):
        self.subject = Subject(copy.deepcopy(layer).to(np.float64))
        self.shape, self.sizes, self.gen = shape, sizes, gen
        self.eps, self.atol, self.rtol = eps, atol, rtol
        self.params = {name: p.data for name, p in self.subject.template.named_parameters()}
        self.ignores_input = False
        titles = {k: v.get(lang) for k, v in _LAYER_CHECKS.items()}
        joined = (" 및 " if lang == "ko" else " and ").join(map(str, sizes))
        titles["batch"] = titles["batch"].format(sizes=joined)
        if not self.params:
            del titles["accumulate"], titles["params"]
        self.rep = LayerReport(target=type(layer).__name__, input_shape=shape, kind="layer", titles=titles,
                               checks={name: "skipped" for name in titles}, lang=lang)

    def run(self) -> LayerReport:
        x = self.gen.standard_normal(self.shape)
        out = self.forward(x)
        if out is None:
            return self.rep
        R = self.gen.standard_normal(out.shape)
        ran, grad_in = self.backward(R)
        if not ran:
            return self.rep
        shape_ok = self.grad_shape(grad_in, out.shape)
        fresh = self.subject.fresh
        check_gradient(self.rep, lambda: gradcheck_module(fresh(), (x,), self.eps, self.atol, self.rtol, self.gen,
                                                          True), input_shape_reported=not shape_ok)
        if not shape_ok:
            self._reshape_missing()
        if self.params:
            _check_accumulate(self.rep, fresh, x, R)
        self.batch(out, shape_ok)
        # extreme inputs, on separate copies so the gradient check above is untouched
        big = np.where(x >= 0, 1000.0, -1000.0)
        check_large_inputs(self.rep, fresh, (big, -big), lambda mod, v: mod(v.copy()),
                           lambda mod, o: mod.backward(np.ones_like(o)), L("inputs of size ±1000", "±1000 크기의 입력"),
                           diagnosis("extreme-inputs", "input", fix=OVERFLOW),
                           locate=lambda: _lone_extreme_entry(fresh, self.shape))
        return self.rep

    def forward(self, x: np.ndarray) -> np.ndarray | None:
        """Check 1, on a read-only input: writing into the caller's array is a bug even when no value changes.

        Returns the output, or None when the later checks cannot run.
        """
        rep = self.rep
        arrays_before = _float_arrays(self.subject.module)
        before = snapshot(self.subject.module)
        try:
            out, wrote = self.subject.forward(x)
        except Exception as e:
            rep._fail("forward", "input", L(f"forward raised {error_text(e)} for an input of shape {self.shape}.",
                                            f"forward가 모양 {self.shape}의 입력에서 {error_text(e)}를 일으켰습니다."),
                      [diagnosis("forward-error", "input", error=error_text(e), shape=self.shape)])
            return None
        out = np.asarray(out)
        self._params_unchanged(before, "forward")
        if wrote is not None:
            change = change_phrase("input", x, wrote[0])
            rep._fail("forward", "input", L(
                "forward writes into its input array in place (e.g. x[x < 0] = 0 or x -= ...)"
                + ("" if change else ", although no value changed for this input")
                + ": the caller's data changes. Compute into a new array (np.maximum(x, 0), x - m)."
                + (f" {change.en}" if change else ""),
                "forward가 입력 배열에 제자리에서 씁니다(예: x[x < 0] = 0, x -= ...). "
                + ("호출한 쪽의 데이터가 바뀝니다." if change else
                   "이 입력에서는 값이 바뀌지 않았지만 호출한 쪽의 데이터를 바꾸는 코드입니다.")
                + " 새 배열로 계산하세요(np.maximum(x, 0), x - m)."
                + (f" {change.ko}" if change else "")),
                      [diagnosis("input-modified", "input", example="x[x < 0] = 0, x -= m", fix="np.maximum(x, 0), x - m")])
        if out.dtype.kind != "f":
            rep._fail("forward", "output", L(f"forward returned dtype {out.dtype}; a layer returns a floating array.",
                                             f"forward가 dtype이 {out.dtype}인 배열을 돌려줬습니다. 레이어는 부동소수점 "
                                             "배열을 돌려줘야 합니다."))
            return None
        if not np.all(np.isfinite(out)):
            rep._fail("forward", "output", L("forward returned inf or NaN for ordinary inputs (standard normal).",
                                             "forward가 평범한 입력(표준 정규분포)에서 inf 또는 NaN을 돌려줬습니다."),
                      [diagnosis("extreme-inputs", "output", fix=OVERFLOW)])
        self.ignores_input = probe_forward(rep, self.subject.fresh, x, out)
        rep._pass("forward")
        note = _plain_array_note(arrays_before, _float_arrays(self.subject.module))
        if note:
            rep._note(note)
        return out

    def backward(self, R: np.ndarray) -> tuple[bool, np.ndarray | None]:
        """Check 2: backward gets a read-only grad_output, so any write is caught. ``(ran, grad_input)``."""
        rep = self.rep
        before = snapshot(self.subject.module)
        try:
            grad_in, wrote = self.subject.backward(R)
        except Exception as e:
            found = backward_error_hints(e, self.params, self.shape[0])
            rep._fail("backward", "input", L(f"backward raised {error_text(e)}.",
                                             f"backward가 {error_text(e)}를 일으켰습니다."),
                      found or [diagnosis("backward-error", "input", error=error_text(e))])
            return False, None
        rep._pass("backward")
        self._params_unchanged(before, "backward")
        if wrote is not None:
            change = change_phrase("grad_output", R, wrote[0])
            rep._fail(
                "grad_output", "grad_output",
                grad_output_written(change),
                [diagnosis("grad-output-modified", "grad_output", fix=GRAD_OUTPUT_FIX)],
            )
        rep._pass("grad_output")
        return True, grad_in

    def _params_unchanged(self, before: dict[str, np.ndarray], where: str) -> None:
        """The ``params`` check: a call of ``where`` left every parameter's values as they were."""
        if not self.params:
            return
        names, change = changed_params(before, self.subject.module)
        if names:
            refs = " and ".join(f"{n}.data" if not n.isidentifier() else f"self.{n}.data" for n in names)
            self.rep._fail("params", names[0], L(f"one call of {where} changed {refs} (largest change {change:.3g}).",
                                                 f"{where}를 한 번 호출했더니 {refs}의 값이 바뀌었습니다"
                                                 f"(최대 변화 {change:.3g})."),
                           [params_changed_diagnosis(where, names, change)])
        self.rep._pass("params")

    def _reshape_missing(self) -> None:
        """dL/dx of the wrong shape that holds the right values: a reshape back to the input's shape is missing."""
        gc = self.rep.gradcheck
        tc = None if gc is None else next((c for c in gc.checks if c.name == "input"), None)
        failure = next((f for f in self.rep.findings if f.check == "grad_shape"), None)
        if tc is None or failure is None or tc.analytic_array is None or tc.numeric_array is None:
            return
        a, n = tc.analytic_array, tc.numeric_array
        if a.size == n.size and nearly_equal(a.reshape(n.shape), n):
            failure.diagnoses.insert(0, diagnosis("reshape-missing", "input", got=a.shape, shape=n.shape))

    def grad_shape(self, grad_in, out_shape: tuple[int, ...]) -> bool:
        """Check 3: dL/dx has the input's shape. Returns whether it does."""
        shape, shape_ok = self.shape, False
        if grad_in is None:
            self.rep._fail("grad_shape", "input", L("backward returned None; it must return dL/dx, an array of the "
                                                    f"input's shape {shape}.",
                                                    "backward가 None을 돌려줬습니다. 입력과 같은 모양 "
                                                    f"{shape}의 배열 dL/dx를 돌려줘야 합니다."),
                           [diagnosis("returns-none", "input", shape=shape)])
        else:
            g = np.asarray(grad_in, dtype=np.float64)
            if g.shape != shape:
                has_matrix = any(w.ndim == 2 for w in self.params.values())
                hint = weights_hint("input", g, self.params) or shape_hint("input", g, shape, out_shape, has_matrix)
                self.rep._fail("grad_shape", "input", L(f"backward returned a gradient of shape {g.shape}, but the "
                                                        f"input has shape {shape}.",
                                                        f"backward가 돌려준 기울기의 모양은 {g.shape}인데, 입력의 "
                                                        f"모양은 {shape}입니다."), [hint])
            else:
                shape_ok = True
        self.rep._pass("grad_shape")
        return shape_ok

    def batch(self, out: np.ndarray, shape_ok: bool) -> None:
        """Check 6: forward and backward at every batch size, the batch axis kept, the gradients right."""
        rep = self.rep
        keeps_batch = out.ndim >= 1 and out.shape[0] == self.shape[0]
        compare = rep.checks.get("gradient") == "ok"
        failed = {}
        for b in self.sizes:
            found = layer_batch_run(self.subject, self.gen, self.shape, b, out.shape, keeps_batch, shape_ok,
                                    compare and b != self.shape[0])
            if found is not None:
                failed[b] = found
        if failed:
            def works(b: int) -> bool:
                gen = np.random.default_rng(b)
                return layer_batch_run(self.subject, gen, self.shape, b, out.shape, keeps_batch, shape_ok, False) is None

            # a parameter gradient of a wrong shape at another batch size explains itself (summed over axis 1)
            own = {b: backward_error_hints(f[3], self.params, b) for b, f in failed.items() if f[2] == "backward"}
            diag = None
            if not self.ignores_input and not any(own.values()):
                diag = batch_diagnosis(failed, works, self.shape[0], "x", self.sizes)
            for b, (tensor, message, _kind, _ratio) in failed.items():
                hints = own.get(b) or [(diag or diagnosis("batch-error", tensor, b=b)).renamed(tensor)]
                rep._fail("batch", tensor, message, hints)
        rep._pass("batch")


def _check_accumulate(rep: LayerReport, fresh: Callable[[], Module], x: np.ndarray, R: np.ndarray) -> None:
    """Check 5: two identical backward passes leave twice one pass in every ``param.grad``."""
    m = fresh()
    states = rng_states(m)
    m.zero_grad()
    try:
        restore_rngs(states, m)
        m(x.copy())
        m.backward(R.copy())
        first = {n: None if p.grad is None else np.array(p.grad, dtype=np.float64) for n, p in m.named_parameters()}
        restore_rngs(states, m)
        m(x.copy())
        m.backward(R.copy())
    except Exception as e:
        rep._fail("accumulate", "-", L(f"a second forward/backward pass raised {error_text(e)}.",
                                       f"두 번째 forward/backward 패스가 {error_text(e)}를 일으켰습니다."))
        return
    overwritten = []
    scale = max((float(np.abs(g).max()) for g in first.values() if g is not None and g.size), default=0.0)
    tol = 1e-9 * scale  # a parameter whose true gradient is ~0 (a bias before BatchNorm) compares as rounding noise
    for name, p in m.named_parameters():
        g1 = first[name]
        if g1 is None or p.grad is None or np.shape(p.grad) != g1.shape:
            continue  # a missing or misshapen gradient is reported by the gradient check
        g2 = np.asarray(p.grad, dtype=np.float64)
        if np.allclose(g2, 2.0 * g1, rtol=1e-6, atol=tol):
            continue
        if np.allclose(g2, g1, rtol=1e-6, atol=tol):
            overwritten.append(name)
        else:
            dev = float(np.abs(g2 - 2.0 * g1).max())
            ref = grad_ref_l(name)
            rep._fail("accumulate", name, L(f"after two identical backward passes {ref.en} is not twice one "
                                            f"pass (max deviation {dev:.2e}).",
                                            f"똑같은 backward를 두 번 한 뒤의 {ref.ko}가 한 번 한 값의 두 배가 "
                                            f"아닙니다(최대 차이 {dev:.2e})."),
                      [diagnosis("grad-accumulate-wrong", name)])
    if overwritten:
        refs = [grad_ref_l(n) for n in overwritten]
        grads, grads_ko = " and ".join(r.en for r in refs), ", ".join(r.ko for r in refs)
        rep._fail("accumulate", overwritten[0], L(
                  f"after two backward passes {grads} {'equal' if len(overwritten) > 1 else 'equals'} one pass: "
                  "backward overwrites param.grad instead of adding to it.",
                  f"backward를 두 번 한 뒤에도 {grads_ko}가 한 번 한 값과 같습니다. backward가 param.grad에 "
                  "더하지 않고 덮어씁니다."),
                  [diagnosis("grad-overwritten", overwritten[0], advice=advice(overwritten[0]))])
    rep._pass("accumulate")


def _lone_extreme_entry(fresh: Callable[[], Module], shape: tuple[int, ...], limit: int = 256) -> L | None:
    """The first input entry that alone (every other entry 0) at −1000 or +1000 breaks forward/backward, in words.

    Only tried for inputs of at most ``limit`` entries (two passes per entry); None when none does on its own.
    """
    size = int(np.prod(shape))
    if size > limit:
        return None
    for i in range(size):
        for v in (-1000.0, 1000.0):
            xv = np.zeros(shape)
            xv.flat[i] = v
            if not extreme_run(fresh(), lambda mod: mod(xv), lambda mod, o: mod.backward(np.ones_like(o)))[2]:
                idx = ", ".join(str(int(j)) for j in np.unravel_index(i, shape))
                return L(f"Worst entry input[{idx}] = {v:g}: that entry alone (every other entry 0) is enough.",
                         f"원인 항목 input[{idx}] = {v:g}: 다른 항목이 모두 0이어도 이 항목 하나만으로 이 문제가 생깁니다.")
    return None


def _float_arrays(module: Module) -> dict[str, np.ndarray]:
    """Public floating ndarray attributes of every submodule that are neither Parameters nor buffers."""
    found = {}
    for mod_name, mod in module.named_modules():
        for k, v in vars(mod).items():
            if k.startswith("_") or k in mod._buffers:
                continue
            if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.ndim >= 1:
                found[f"{mod_name}.{k}" if mod_name else k] = v
    return found


def _plain_array_note(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> L | None:
    """Arrays that forward neither created nor replaced: likely weights kept outside Parameter."""
    names = [k for k, v in before.items() if after.get(k) is v]
    if not names:
        return None
    listed = ", ".join(repr(n) for n in names)
    return L(f"{listed}: plain ndarray attribute(s), not Parameters, so neither the gradient check nor an optimizer "
             "sees them. Wrap a learnable array as Parameter(...); register a constant one with register_buffer.",
             f"{listed}: Parameter가 아닌 일반 ndarray 속성이라 기울기 검사도 옵티마이저도 보지 못합니다. 학습할 배열은 "
             "Parameter(...)로 감싸고, 상수 배열은 register_buffer로 등록하세요.")
