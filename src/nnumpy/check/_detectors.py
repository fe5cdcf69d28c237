"""Detectors that re-run the layer (or the loss) to name a wrong gradient.

Each takes a :class:`~._hints.HintCase` and returns a :class:`~._diagnoses.Diagnosis`
or None; ``_hint_table.TENSOR_HINTS`` decides the order. They test one hypothesis
each against the evidence (a learner's typical mistake reproduces the wrong
gradient exactly), so a diagnosis is only given when its formula matches:

- which array backward reads: the mask from grad_output's sign, the derivative
  at the input instead of the output (and the reverse), a weight gradient from
  the wrong cached tensor, the weight transposed in the input gradient;
- the batch: samples coupled in forward but not in backward (BatchNorm without
  its mean and variance terms) or the reverse; a factor that follows N/K (a
  constant K where the batch size belongs);
- randomness: a mask drawn again in backward, a dropout scale in one pass only;
- losses: the logits' gradient (p − t)/N returned by a loss on probabilities.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._diagnoses import Diagnosis, L, diagnosis
from ._hints import HintCase, constant_ratio
from ._numerics import nearly_equal


def _at(c: HintCase, x_new: np.ndarray, fn: Callable):
    """``fn()`` with the case's input overwritten by ``x_new`` (restored afterwards)."""
    saved = c.x.copy()
    c.x[...] = x_new
    try:
        return fn()
    finally:
        c.x[...] = saved


def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-5) -> bool:
    if a.shape != b.shape:
        return False
    scale = max(float(np.abs(b).max(initial=0.0)), float(np.abs(a).max(initial=0.0)), 1e-300)
    return bool(np.allclose(a, b, rtol=rtol, atol=1e-9 * scale))


def _backward_at(c: HintCase, x_new: np.ndarray, R: np.ndarray) -> np.ndarray:
    def go():
        c.run()
        return np.asarray(c.backward(R.copy()), dtype=np.float64)

    return _at(c, x_new, go)


def elementwise(c: HintCase) -> bool:
    """Forward maps each input entry to the output entry at the same place (and nothing else)."""
    if "_elementwise" in c.facts:
        return c.facts["_elementwise"]
    result = False
    if c.run is not None and tuple(c.out_shape) == c.x.shape and c.x.size >= 2:
        out0 = np.array(c.run(), dtype=np.float64)
        moved = np.zeros(c.x.shape, dtype=bool)
        moved.flat[::2] = True
        out1 = np.array(_at(c, c.x + 1e-3 * moved, c.run), dtype=np.float64)
        result = not np.any((out1 != out0) & ~moved)
    c.facts["_elementwise"] = result
    return result


def batch_coupled(c: HintCase) -> bool:
    """Changing sample 0's input changes another sample's output (forward mixes the batch)."""
    if "_coupled" in c.facts:
        return c.facts["_coupled"]
    result = False
    n = c.batch
    if c.run is not None and n is not None and n >= 2 and len(c.out_shape) >= 1 and c.out_shape[0] == n:
        out0 = np.array(c.run(), dtype=np.float64)
        x1 = c.x.copy()
        x1[0] += 1e-3 * (1.0 + np.arange(x1[0].size).reshape(x1[0].shape))
        out1 = np.array(_at(c, x1, c.run), dtype=np.float64)
        scale = float(np.abs(out0).max(initial=0.0)) + 1e-300
        result = bool(np.abs(out1[1:] - out0[1:]).max(initial=0.0) > 1e-9 * scale)
    c.facts["_coupled"] = result
    return result


# ---------------------------------------------------------------------------- randomness


def mask_redrawn(c: HintCase) -> Diagnosis | None:
    if c.facts.get("backward_draws") and c.name == "input":
        return diagnosis("mask-redrawn", c.name)
    return None


def dropout_scale(c: HintCase) -> Diagnosis | None:
    if not c.facts.get("forward_draws") or not c.comparable:
        return None
    k = constant_ratio(c.analytic, c.numeric)
    return None if k is None or k < 0 else diagnosis("dropout-scale", c.name, c=k)


# ---------------------------------------------------------------------------- the batch


def fixed_batch_ratio(c: HintCase) -> Diagnosis | None:
    """The gradient is c× off at N and c·N2/N× at N2: backward divides by a constant K = N/c, not by N."""
    directional = c.facts.get("directional")
    n = c.batch
    if not c.comparable or directional is None or n is None:
        return None
    k1 = constant_ratio(c.analytic, c.numeric)
    if k1 is None or k1 < 0:
        return None
    n2 = n + 2
    a2, num2 = directional(n2, c.name)
    if num2 == 0.0:
        return None
    k2 = a2 / num2
    if abs(k2 / k1 - n2 / n) > 1e-3 * n2 / n:
        return None
    K = n / k1
    if round(K) < 2 or abs(K - round(K)) > 1e-3 * K or round(K) == n:
        return None
    K = int(round(K))
    source = "pred" if c.facts.get("kind") == "loss" else "x"
    return diagnosis("fixed-batch-size", c.name, source=source, evidence=L(
        f"the gradient is {k1:.4g}× the true one at N = {n} and {k2:.4g}× at N = {n2}, i.e. N/{K}: backward "
        f"divides by {K} where it should divide by N",
        f"기울기가 N = {n}에서 참값의 {k1:.4g}배, N = {n2}에서 {k2:.4g}배, 즉 N/{K}배입니다. backward가 N 대신 "
        f"{K}로 나눕니다"))


def batch_coupling(c: HintCase) -> Diagnosis | None:
    """Forward mixes the samples but backward does not (BatchNorm's missing terms), or the reverse."""
    if not c.can_rerun_input or c.batch is None or c.batch < 2 or c.R is None or c.R.shape[0] != c.batch:
        return None
    R0 = c.R.copy()
    R0[0] = 0.0
    c.run()
    g = np.asarray(c.backward(R0), dtype=np.float64)
    c.run()
    g2 = np.asarray(c.backward(2.0 * R0), dtype=np.float64)  # sample 0's gradient must follow the others' grad_output
    if g.shape != c.x.shape or g2.shape != g.shape:
        return None
    scale = float(np.abs(g).max(initial=0.0)) + 1e-300
    backward_mixes = bool(np.abs(g2[0] - g[0]).max(initial=0.0) > 1e-9 * scale)
    forward_mixes = batch_coupled(c)
    if forward_mixes and not backward_mixes:
        return diagnosis("batchnorm-terms-missing", c.name)
    if backward_mixes and not forward_mixes:
        return diagnosis("sums-over-batch", c.name)
    return None


# ---------------------------------------------------------------------------- which array backward reads


def mask_from_grad_output(c: HintCase) -> Diagnosis | None:
    """backward = grad_output * s where s depends only on the sign of grad_output."""
    if not c.can_rerun_input or c.R is None or c.R.shape != c.analytic.shape or not elementwise(c):
        return None
    R = c.R
    if np.any(R == 0):
        return None
    s = c.analytic / R
    pos = R > 0
    if pos.all() or not pos.any():
        return None
    sp, sn = float(np.median(s[pos])), float(np.median(s[~pos]))
    if abs(sp - sn) < 1e-6 or not np.allclose(s[pos], sp, atol=1e-9) or not np.allclose(s[~pos], sn, atol=1e-9):
        return None
    other = "0.0" if abs(sn) < 1e-12 else f"{sn:g} * grad_output"
    return diagnosis("mask-from-grad-output", c.name, other=other)


def mask_not_applied(c: HintCase) -> Diagnosis | None:
    """Wrong only where the true gradient is exactly 0 (entries forward zeroed), right everywhere else."""
    if c.name != "input" or not c.comparable or c.run is None:
        return None
    a, n = c.analytic, c.numeric
    scale = float(np.abs(n).max(initial=0.0))
    if scale == 0.0:
        return None
    zero = np.abs(n) <= 1e-12 * scale
    bad = np.abs(a - n) > c.atol + c.rtol * np.abs(n)
    if int(bad.sum()) < 2 or np.any(bad & ~zero):
        return None
    return diagnosis("mask-not-applied", c.name, k=int(bad.sum()))


def derivative_at_input(c: HintCase) -> Diagnosis | None:
    """backward computes h(x) where the formula needs h(y): at the input x' = y it gives the true f'(x)."""
    if not c.can_rerun_input or not elementwise(c):
        return None
    y = np.array(c.run(), dtype=np.float64)
    if nearly_equal(y, c.x):
        return None
    a_at_y = _backward_at(c, y, c.R)
    return diagnosis("derivative-at-input", c.name) if _close(a_at_y, c.numeric) else None


def derivative_at_output(c: HintCase) -> Diagnosis | None:
    """backward computes f'(y) where it needs f'(x): compare with the numeric derivative taken at y."""
    if not c.can_rerun_input or not elementwise(c):
        return None
    y = np.array(c.run(), dtype=np.float64)
    if nearly_equal(y, c.x):
        return None
    h = 1e-6
    up = np.array(_at(c, y + h, c.run), dtype=np.float64)
    down = np.array(_at(c, y - h, c.run), dtype=np.float64)
    f_prime_at_y = (up - down) / (2.0 * h)
    return diagnosis("derivative-at-output", c.name) if _close(c.analytic, c.R * f_prime_at_y, 1e-4) else None


def transposed_input(c: HintCase) -> Diagnosis | None:
    """dx = grad_output @ W where grad_output @ W.T belongs (or the reverse), for a square weight."""
    if c.name != "input" or not c.comparable or c.R is None or c.R.ndim != 2:
        return None
    for pname, w in c.params.items():
        if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] != c.R.shape[1]:
            continue
        for right, wrong, m in (("W.T", "W", w.T), ("W", "W.T", w)):
            if nearly_equal(c.numeric, c.R @ m) and nearly_equal(c.analytic, c.R @ m.T):
                return diagnosis("transposed-input-gradient", c.name, detail=L(
                    f"the input gradient is grad_output @ {wrong} where grad_output @ {right} belongs (W = "
                    f"self.{pname}): for y = x @ W it is grad_output @ W.T; for y = x @ W.T (weight of shape "
                    "(out, in)) it is grad_output @ W",
                    f"입력 기울기가 grad_output @ {right}여야 하는데 grad_output @ {wrong}입니다(W = self.{pname}). "
                    "y = x @ W이면 grad_output @ W.T, y = x @ W.T(가중치 모양 (out, in))이면 grad_output @ W입니다"))
    return None


def _cached_arrays(c: HintCase) -> list[tuple[L, np.ndarray]]:
    """The module's (N, ·) float arrays after a forward at x, each labelled, plus the input x itself."""
    module = c.facts.get("module")
    n = c.batch
    if module is None or n is None or c.run is None:
        return []
    out = np.asarray(c.run(), dtype=np.float64)
    params = [id(p.data) for p in module.parameters()]
    found: list[tuple[L, np.ndarray]] = []
    for mod_name, mod in module.named_modules():
        for k, v in vars(mod).items():
            if (isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.ndim == 2 and v.shape[0] == n
                    and id(v) not in params and not any(nearly_equal(v, f) for _, f in found)):
                name = f"self.{mod_name}.{k}" if mod_name else f"self.{k}"
                if nearly_equal(v, out):
                    found.append((L(f"{name} (the layer's output)", f"{name}(레이어의 출력)"), v))
                elif nearly_equal(v, c.x):
                    found.append((L(f"{name} (the layer's input)", f"{name}(레이어의 입력)"), v))
                else:
                    found.append((L(name, name), v))
    if not any(nearly_equal(c.x, f) for _, f in found) and c.x.ndim == 2:
        found.append((L("x (the layer's input)", "x(레이어의 입력)"), c.x))
    return found


def _explains(used: np.ndarray, right: np.ndarray, A: np.ndarray, G: np.ndarray) -> bool:
    """Some δ gives A = usedᵀδ and G = rightᵀδ (and the pair of equations is not always solvable)."""
    M = np.vstack([used.T, right.T])  # (2·rows, N)
    if np.linalg.matrix_rank(M) >= M.shape[0]:
        return False  # any right-hand side fits: no evidence either way
    rhs = np.vstack([A, G])
    delta, *_ = np.linalg.lstsq(M, rhs, rcond=None)
    scale = float(np.abs(rhs).max(initial=0.0)) + 1e-300
    return bool(np.abs(M @ delta - rhs).max() <= 1e-7 * scale)


def wrong_cache(c: HintCase) -> Diagnosis | None:
    """A parameter's gradient that is (another cached tensor)ᵀ·δ where (the product's input)ᵀ·δ belongs."""
    if c.name in ("input", "pred") or not c.comparable or c.analytic.ndim not in (1, 2):
        return None
    cands = _cached_arrays(c)
    if len(cands) < 2:
        return None
    a, n = c.analytic, c.numeric
    for used_l, used in cands:
        for right_l, right in cands:
            if used is right:
                continue
            if a.ndim == 2:
                ok = any(used.shape[1] == A.shape[0] == right.shape[1] and _explains(used, right, A, G)
                         for A, G in ((a, n), (a.T, n.T)))
            else:
                R = c.R
                ok = (R is not None and R.shape == used.shape == right.shape
                      and nearly_equal(a, (used * R).sum(axis=0)) and nearly_equal(n, (right * R).sum(axis=0)))
            if ok:
                return diagnosis("wrong-cache", c.name, used=used_l, right=right_l)
    return None


# ---------------------------------------------------------------------------- losses


def logits_gradient(c: HintCase) -> Diagnosis | None:
    """A loss on probabilities whose backward returns (p − t)/n, the gradient with respect to the logits."""
    if c.facts.get("kind") != "loss" or not c.comparable:
        return None
    p, t = c.x, np.asarray(c.facts.get("target"))
    if p is None or p.ndim < 1 or not np.all((p > 0) & (p < 1)):
        return None
    if t.shape == p.shape:
        T = t.astype(np.float64)
    elif p.ndim == 2 and t.ndim == 1 and t.dtype.kind in "iu":
        T = np.eye(p.shape[1])[t]
    else:
        return None
    one_hot = p.ndim == 2 and np.isin(T, (0.0, 1.0)).all() and np.all(T.sum(axis=1) == 1) and p.shape[1] > 1
    for div, label in ((p.shape[0], "N"), (p.size, "N·C" if p.ndim == 2 else "n")):
        if nearly_equal(c.analytic, (p - T) / div):
            fix = f"−t/p/{label}" if one_hot else f"(p − t)/(p(1 − p))/{label}"
            return diagnosis("logits-gradient", c.name, n=label, fix=fix)
    return None


def loss_branch(c: HintCase) -> Diagnosis | None:
    """A loss gradient wrong only where |pred − target| is above (or below) a threshold: one branch of it."""
    t = np.asarray(c.facts.get("target"))
    if c.facts.get("kind") != "loss" or not c.comparable or t.shape != c.x.shape or t.dtype.kind != "f":
        return None
    d = np.abs(c.x - t)
    bad = np.abs(c.analytic - c.numeric) > c.atol + c.rtol * np.abs(c.numeric)
    if int(bad.sum()) < 2 or bad.all():
        return None
    for far in (True, False):
        inside, outside = (d[bad], d[~bad]) if far else (d[~bad], d[bad])
        if inside.min() > outside.max():
            cut = 0.5 * (inside.min() + outside.max())
            sign = ">" if far else "<"
            return diagnosis("wrong-branch", c.name, count=int(bad.sum()), region=L(
                f"|pred − target| {sign} {cut:.3g}", f"|pred − target| {sign} {cut:.3g}"))
    return None


def summed_wrong_axis(c: HintCase) -> Diagnosis | None:
    """A (D,) parameter gradient summed over axis 1 where axis 0 belongs (possible silently when N == D)."""
    if c.name in ("input", "pred") or not c.comparable or c.analytic.ndim != 1 or c.R is None or c.R.ndim != 2:
        return None
    if c.R.shape[0] != c.R.shape[1] or c.analytic.size != c.R.shape[0]:
        return None
    per_sample = [c.R] + [c.R * a for _, a in _cached_arrays(c) if a.shape == c.R.shape]
    for P in per_sample:
        if nearly_equal(c.numeric, P.sum(axis=0)) and nearly_equal(c.analytic, P.sum(axis=1)):
            return diagnosis("bias-summed-wrong-axis", c.name, evidence=L(
                "it is the sum over axis 1, the features, where the sum over axis 0, the batch, belongs",
                "배치 축인 axis 0이 아니라 특성 축인 axis 1로 합했습니다"))
    return None
