"""Loss functions. ``loss_fn(pred, target)`` returns the loss; ``loss_fn.backward()``
returns d(loss)/d(pred), already scaled by the reduction.

With ``reduction='mean'`` or ``'sum'`` the loss is a Python float. With
``'none'`` it is an array of per-element (or per-sample) losses, and
``backward(grad_output)`` takes d(total)/d(loss) of that shape (ones if omitted,
i.e. the gradient of their sum).

Every loss is computed in a stable form: softmax + cross-entropy through
log-softmax (logsumexp), sigmoid + BCE through the logits form.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_float, check_int
from . import functional as F
from ._module import Module, as_float_array

__all__ = [
    "Loss",
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
]


class Loss(Module):
    """Base class of losses: subclass and implement ``forward(input, target)``
    and ``backward()``; ``_reduce`` / ``_reduce_grad`` apply the reduction.

    Args:
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = check_choice(type(self).__name__, "reduction", reduction, ("mean", "sum", "none"))
        self._grad = None

    def get_config(self):
        return {"reduction": self.reduction}

    def __call__(self, input, target):
        return self.forward(input, target)

    # ------------------------------------------------------------------ shared helpers
    def _pair(self, input, target) -> tuple[np.ndarray, np.ndarray]:
        """Prediction and float target of the same shape and dtype."""
        name = type(self).__name__
        x = as_float_array(input, name)
        t = np.asarray(target)
        if t.shape != x.shape:
            raise ValueError(f"{name} expected target of the input's shape {x.shape}, got {t.shape}.")
        if t.dtype.kind not in "biuf":
            raise TypeError(f"{name} expected a numeric target, got dtype {t.dtype}.")
        return x, t.astype(x.dtype, copy=False)

    def _reduce(self, per_element: np.ndarray, divisor: float | None = None):
        if self.reduction == "none":
            return per_element
        total = float(per_element.sum())
        if self.reduction == "sum":
            return total
        n = per_element.size if divisor is None else divisor
        return total / n if n else float("nan")  # the mean of no elements is NaN, as PyTorch

    def _scale(self, n: float | None = None) -> float:
        """The factor d(reduced)/d(element): 1/n for 'mean', else 1."""
        return 1.0 / n if self.reduction == "mean" else 1.0

    def backward(self, grad_output=None):
        """Return d(loss)/d(input) for the last forward call."""
        grad = self._saved("_grad")
        if self.reduction == "none":
            if grad_output is None:
                return grad.copy()
            go = np.asarray(grad_output, dtype=grad.dtype)
            if go.shape != self._none_shape:
                raise ValueError(
                    f"{type(self).__name__}.backward expected grad_output of shape {self._none_shape}, got {go.shape}."
                )
            return grad * (go if go.ndim == grad.ndim else go[:, None])
        if grad_output is None:
            return grad.copy()
        return grad * float(grad_output)


class _ElementwiseLoss(Loss):
    """Losses ℓ(x, t) applied element-wise: subclasses give ``_loss_and_grad(d, x, t)``."""

    def forward(self, input, target):
        x, t = self._pair(input, target)
        loss, grad = self._loss_and_grad(x, t)
        weight = getattr(self, "weight", None)  # BCE's per-element weight, broadcast to the input
        if weight is not None:
            _check_broadcast(type(self).__name__, "weight", weight, x.shape)
            w = weight.astype(x.dtype)
            loss = loss * w
            grad = grad * w
        grad *= self._scale(max(x.size, 1))
        self._none_shape = x.shape
        self._grad = grad  # d(loss)/d(input), what backward returns
        return self._reduce(loss)

    def _loss_and_grad(self, x, t):  # pragma: no cover - abstract
        raise NotImplementedError


class MSELoss(_ElementwiseLoss):
    """ℓ = (x − t)²; dℓ/dx = 2(x − t).

    Example:
        >>> MSELoss()(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
        2.5
    """

    def _loss_and_grad(self, x, t):
        d = x - t
        return d * d, 2.0 * d


class L1Loss(_ElementwiseLoss):
    """ℓ = |x − t|; dℓ/dx = sign(x − t) (0 at x = t, as PyTorch)."""

    def _loss_and_grad(self, x, t):
        d = x - t
        return np.abs(d), np.sign(d)


class HuberLoss(_ElementwiseLoss):
    """ℓ = ½d² if |d| < δ else δ(|d| − ½δ), d = x − t; dℓ/dx = clip(d, −δ, δ).

    Args:
        reduction: 'mean' | 'sum' | 'none'.
        delta: δ > 0 (default 1.0).
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = check_float("HuberLoss", "delta", delta, gt=0)

    def get_config(self):
        return {"reduction": self.reduction, "delta": self.delta}

    def _loss_and_grad(self, x, t):
        d = x - t
        a = np.abs(d)
        loss = np.where(a < self.delta, 0.5 * d * d, self.delta * (a - 0.5 * self.delta))
        return loss, np.clip(d, -self.delta, self.delta)


class SmoothL1Loss(_ElementwiseLoss):
    """ℓ = ½d²/β if |d| < β else |d| − ½β, d = x − t; dℓ/dx = clip(d, −β, β)/β.

    HuberLoss divided by β (equal when β = 1, PyTorch's default); β = 0 is L1Loss.

    Args:
        reduction: 'mean' | 'sum' | 'none'.
        beta: β >= 0, where the loss turns from quadratic to linear (default 1.0).

    Shape:
        input and target: any shape, the same; output: a float, or the input's shape with 'none'.

    Example:
        >>> SmoothL1Loss(beta=0.5)(np.array([0.25, 2.0]), np.array([0.0, 0.0]))  # (0.0625 + 1.75) / 2
        0.90625
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = check_float("SmoothL1Loss", "beta", beta, ge=0)

    def get_config(self):
        return {"reduction": self.reduction, "beta": self.beta}

    def _loss_and_grad(self, x, t):
        d = x - t
        a = np.abs(d)
        if self.beta == 0:
            return a, np.sign(d)
        q = np.minimum(a, self.beta)  # the quadratic branch squares at most β: no overflow for huge |d|
        loss = np.where(a < self.beta, 0.5 * q * q / self.beta, a - 0.5 * self.beta)
        return loss, np.clip(d, -self.beta, self.beta) / self.beta


def _check_broadcast(owner: str, name: str, w: np.ndarray, shape: tuple[int, ...]) -> None:
    """Refuse a weight that does not broadcast to the input's shape (NumPy's own error names no argument)."""
    try:
        ok = np.broadcast_shapes(w.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"The {name!r} parameter of {owner} has shape {w.shape}, which does not broadcast to the input's "
            f"shape {shape}. Give one weight per element, or per class on the last axis ({shape[-1:]!r})."
        )


def _weight_array(weight, owner: str, shape=None):
    if weight is None:
        return None
    w = np.asarray(weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"The 'weight' parameter of {owner} must be a numeric array. Got dtype {w.dtype} instead.")
    if shape is not None and w.shape != shape:
        raise ValueError(f"The 'weight' parameter of {owner} must have shape {shape}. Got {w.shape} instead.")
    return w.astype(np.float64)


#: PyTorch's clamp of p(1 − p) in BCELoss's backward: 1e-12 stored as a C float, so
#: float32(1e-12) = 9.99999996e-13 even for float64 inputs (measured against torch 2.13).
_BCE_EPS = float(np.float32(1e-12))


class BCELoss(_ElementwiseLoss):
    """ℓ = −w[t·log p + (1 − t)·log(1 − p)] on probabilities p ∈ [0, 1].

    As in PyTorch, each log is clamped to ≥ −100 so p = 0 or 1 gives a finite
    loss, and the gradient is w(p − t) / max(p(1 − p), ε) with ε = 1e-12 rounded
    to float32 (9.99999996e-13), PyTorch's constant in float64 too, so clamped
    gradients match it bit for bit. NaN in the input raises ValueError; an empty
    input gives a NaN mean, as PyTorch. Prefer
    ``BCEWithLogitsLoss`` on logits: it is exact where this one clamps.

    Args:
        weight: per-element rescaling weight, broadcast to the input (default None).
        reduction: 'mean' | 'sum' | 'none'.
    """

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = _weight_array(weight, "BCELoss")

    def _loss_and_grad(self, p, t):
        if np.isnan(p).any():
            i = int(np.flatnonzero(np.isnan(p))[0])
            where = tuple(int(k) for k in np.unravel_index(i, p.shape)) if p.ndim > 1 else i
            raise ValueError(
                f"BCELoss input contains NaN (first at position {where}): the model's output is not finite; "
                "check the learning rate, or use BCEWithLogitsLoss on logits."
            )
        if p.size and (np.min(p) < 0.0 or np.max(p) > 1.0):
            raise ValueError(
                "BCELoss expected probabilities in [0, 1] (apply Sigmoid first, or use BCEWithLogitsLoss on logits); "
                f"got values in [{np.nanmin(p):.4g}, {np.nanmax(p):.4g}]."
            )
        # PyTorch clamps each log at -100 so p = 0 or 1 stays finite. ``where=`` skips
        # the log at exactly 0 (no divide-by-zero is computed, so none is hidden).
        log_p = np.maximum(np.log(p, where=p > 0.0, out=np.full_like(p, -100.0)), -100.0)
        log_1p = np.maximum(np.log1p(-p, where=p < 1.0, out=np.full_like(p, -100.0)), -100.0)
        loss = -(t * log_p + (1.0 - t) * log_1p)
        grad = (p - t) / np.maximum(p * (1.0 - p), _BCE_EPS)
        return loss, grad


class BCEWithLogitsLoss(_ElementwiseLoss):
    """ℓ = −w[pw·t·log σ(x) + (1 − t)·log(1 − σ(x))], computed from logits x.

    Stable form: ℓ = w[(1 − t)·x + (1 + (pw − 1)·t)·softplus(−x)];
    dℓ/dx = w[σ(x)·(1 − t + pw·t) − pw·t]  (= w(σ(x) − t) without pos_weight).

    Args:
        weight: per-element weight broadcast to the input (default None).
        reduction: 'mean' | 'sum' | 'none'.
        pos_weight: weight of positive examples, broadcast along the last (class) dimension.
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = _weight_array(weight, "BCEWithLogitsLoss")
        self.pos_weight = _weight_array(pos_weight, "BCEWithLogitsLoss")

    def _loss_and_grad(self, x, t):
        sp_neg = F.softplus(-x)  # -log σ(x)
        sig = F.sigmoid(x)
        if self.pos_weight is not None:
            _check_broadcast("BCEWithLogitsLoss", "pos_weight", self.pos_weight, x.shape)
        if self.pos_weight is None:
            loss = (1.0 - t) * x + sp_neg
            grad = sig - t
        else:
            pw = self.pos_weight.astype(x.dtype)
            loss = (1.0 - t) * x + (1.0 + (pw - 1.0) * t) * sp_neg
            grad = sig * (1.0 - t + pw * t) - pw * t
        return loss, grad


class _ClassLoss(Loss):
    """Shared input and target handling of CrossEntropyLoss and NLLLoss.

    Input ``(N, C)``, or ``(N, C, d1, …)`` for one class distribution per
    position (a pixel of a segmentation map, as in PyTorch). The N-d case is
    the 2-D one on a table with one row per position: the class axis is moved
    last and the rest flattened, ``(N·d1·…, C)``; PyTorch's 'mean' over all
    non-ignored positions is exactly the 'mean' over those rows. Subclasses
    implement ``_rows(x, target) -> (per-row loss, grad)`` on that table, the
    reduction already applied to ``grad``; :meth:`forward` reshapes back.
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = _weight_array(weight, type(self).__name__)
        if self.weight is not None and self.weight.ndim != 1:
            raise ValueError(
                f"The 'weight' parameter of {type(self).__name__} must be a 1-D array of C class weights. "
                f"Got shape {self.weight.shape} instead."
            )
        self.ignore_index = check_int(type(self).__name__, "ignore_index", ignore_index)

    def get_config(self):
        return {"ignore_index": self.ignore_index, "reduction": self.reduction}

    def forward(self, input, target):
        name = type(self).__name__
        x = as_float_array(input, name)
        if x.ndim < 2:
            raise ValueError(
                f"{name} expected input of shape (N, C), got {x.shape} (or (N, C, d1, …) with a target of shape (N, d1, …))."
            )
        if self.weight is not None and self.weight.shape[0] != x.shape[1]:
            raise ValueError(f"{name} has {self.weight.shape[0]} class weights but the input has C={x.shape[1]} classes.")
        n, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
        t = np.asarray(target)
        if t.ndim == x.ndim:  # class probabilities, shaped like the input
            t = self._probabilities(t, x.shape)  # (rows, C)
        else:  # checked before flattening, so messages name the shapes the user passed
            t = self._indices(t, (n,) + spatial, c)  # (rows,)
        rows = np.moveaxis(x, 1, -1).reshape(-1, c) if spatial else x  # (N·d1·…, C): one row per position
        per_row, grad = self._rows(rows, t)  # (rows,), (rows, C)
        self._none_shape = (n,) + spatial
        # d(loss)/d(input), what backward returns: the class axis back in place
        self._grad = np.moveaxis(grad.reshape(self._none_shape + (c,)), -1, 1) if spatial else grad
        if self.reduction == "none":
            return per_row.reshape(self._none_shape)
        total = float(per_row.sum())
        return total / self._divisor if self.reduction == "mean" else total

    def _rows(self, x, target):  # pragma: no cover - abstract
        raise NotImplementedError

    def _probabilities(self, target, shape):
        """A target shaped like the input: only CrossEntropyLoss takes class probabilities."""
        return self._indices(target, shape[:1] + shape[2:], shape[1])  # raises, naming the expected shape

    def _indices(self, target, shape: tuple[int, ...], c: int) -> np.ndarray:
        """Check integer class indices of ``shape`` (in [0, C) or ``ignore_index``); returns them as intp."""
        name = type(self).__name__
        t = np.asarray(target)
        if t.dtype.kind == "f":
            raise TypeError(
                f"{name} expected integer class indices of shape {shape}, got a float array of shape {t.shape}. "
                f"Use .astype(np.int64), or pass class probabilities of shape {shape[:1] + (c,) + shape[1:]}."
            )
        if t.dtype.kind not in "iu":
            raise TypeError(f"{name} expected integer class indices, got dtype {t.dtype}.")
        if t.shape != shape:
            input_shape = shape[:1] + (c,) + shape[1:]
            raise ValueError(f"{name} expected target of shape {shape} for input of shape {input_shape}, got {t.shape}.")
        valid = t != self.ignore_index
        bad = valid & ((t < 0) | (t >= c))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            where = i if t.ndim == 1 else tuple(int(k) for k in np.unravel_index(i, t.shape))
            raise ValueError(
                f"{name} target {int(t.flat[i])} at position {where} is out of range: class indices must be in [0, {c - 1}]"
                + (f" (or ignore_index={self.ignore_index})." if self.ignore_index < 0 or self.ignore_index >= c else ".")
            )
        return t.reshape(-1).astype(np.intp)

    def _class_weights(self, t: np.ndarray, valid: np.ndarray, dtype) -> np.ndarray:
        """Per-row weight w[y_i] (0 for ignored rows), shape (rows,)."""
        safe = np.where(valid, t, 0)
        w = np.ones(t.shape[0], dtype=dtype) if self.weight is None else self.weight[safe].astype(dtype)
        return np.where(valid, w, 0.0).astype(dtype)


class NLLLoss(_ClassLoss):
    """ℓ_i = −w[y_i]·x[i, y_i] on log-probabilities x (e.g. from LogSoftmax).

    'mean' divides by Σ_i w[y_i] over non-ignored samples (PyTorch's weighted mean).

    Args:
        weight: (C,) class weights (default None).
        ignore_index: a target value that contributes nothing (default -100).
        reduction: 'mean' | 'sum' | 'none'.

    Shape:
        input ``(N, C)``, target ``(N,)`` integer class indices; or input
        ``(N, C, d1, …)`` and target ``(N, d1, …)``, one loss per position.
    """

    def _rows(self, x, t):
        n = x.shape[0]
        valid = t != self.ignore_index
        w = self._class_weights(t, valid, x.dtype)  # (N,)
        rows = np.arange(n)
        safe = np.where(valid, t, 0)
        per_sample = -w * x[rows, safe]
        denom = float(w.sum()) if self.reduction == "mean" else 1.0
        grad = np.zeros_like(x)
        grad[rows, safe] = -w / denom if denom != 0.0 else np.nan
        self._divisor = denom if denom != 0.0 else float("nan")
        return per_sample, grad


class CrossEntropyLoss(_ClassLoss):
    """Softmax + negative log-likelihood on logits, fused and stable.

    With class-index targets y, weights w and label smoothing ε over C classes,
    each sample's loss is ℓ_i = −Σ_c q_ic·log softmax(x_i)_c where
    q_ic = ((1 − ε)·w_{y_i}·[c = y_i] + (ε/C)·w_c) / D, with D = Σ_i w_{y_i}
    over non-ignored samples for 'mean' (1 otherwise), as PyTorch defines it, and the
    gradient is dℓ/dx_i = softmax(x_i)·Σ_c q_ic − q_i, which is the familiar
    p − onehot(y) for plain CE. Class-probability targets (N, C) use q = t.

    Per-position classification (segmentation) as in PyTorch: logits
    ``(N, C, d1, …)`` with a target ``(N, d1, …)`` are N·d1·… samples, one per
    position, and 'mean' averages over all of them (weighted as above).

    Args:
        weight: (C,) class weights (default None).
        ignore_index: a target index that contributes nothing (default -100).
        reduction: 'mean' | 'sum' | 'none'.
        label_smoothing: ε in [0, 1] (default 0.0).

    Shape:
        input ``(N, C)`` logits; target ``(N,)`` integer indices in [0, C) or
        ``(N, C)`` probabilities (e.g. one-hot). Or input ``(N, C, d1, …)``
        with target ``(N, d1, …)`` indices or ``(N, C, d1, …)`` probabilities;
        ``reduction='none'`` then gives losses of shape ``(N, d1, …)``.

    Example:
        >>> loss_fn = CrossEntropyLoss()
        >>> round(loss_fn(np.array([[0.0, 0.0]]), np.array([1])), 6)
        0.693147
        >>> loss_fn.backward()
        array([[ 0.5, -0.5]])
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = check_float("CrossEntropyLoss", "label_smoothing", label_smoothing, ge=0, le=1)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}

    def _rows(self, x, t):
        n, c = x.shape
        if t.ndim == 2:
            q, self._divisor = self._soft_target_weights(t, n, c, x.dtype)
        else:
            valid = t != self.ignore_index
            if self.weight is None and self.label_smoothing == 0.0 and valid.all():
                return self._unweighted(x, t, n)
            q, self._divisor = self._index_target_weights(t, valid, n, c, x.dtype)
        logp = F.log_softmax(x, axis=1)  # (N, C)
        per_sample = -(q * logp).sum(axis=1)  # (N,)
        probs = np.exp(logp)
        grad = probs * q.sum(axis=1, keepdims=True) - q
        if self.reduction == "mean":
            grad /= self._divisor
        return per_sample, grad

    def _unweighted(self, x, t, n):
        """Plain cross-entropy on class indices: ℓ_i = −log p_{i,t_i}, dℓ/dx = p − onehot(t).

        p = softmax(x) comes from log-softmax (logsumexp), so no logit overflows.
        """
        rows = np.arange(n)
        logp = F.log_softmax(x, axis=1)  # (N, C)
        per_sample = -logp[rows, t]  # (N,)
        grad = np.exp(logp)  # p: (N, C)
        grad[rows, t] -= 1.0  # p − onehot(t)
        self._divisor = float(n) if n else float("nan")  # the mean of no samples is NaN, as PyTorch
        if self.reduction == "mean":
            grad *= 1.0 / max(n, 1)
        return per_sample, grad

    def _index_target_weights(self, t, valid, n, c, dtype):
        wy = self._class_weights(t, valid, dtype)  # (N,)
        eps = self.label_smoothing
        d_nll = float(wy.sum()) if self.reduction == "mean" else 1.0
        q = np.zeros((n, c), dtype=dtype)
        q[np.arange(n), np.where(valid, t, 0)] = (1.0 - eps) * wy / d_nll if d_nll else np.nan
        if eps > 0.0:
            wc = np.ones(c, dtype=dtype) if self.weight is None else self.weight.astype(dtype)
            # The smoothing term shares the NLL term's divisor: Σ w[y_i] over the
            # non-ignored samples (their count without class weights), as PyTorch.
            q += np.where(valid[:, None], (eps / c) * wc[None, :] / d_nll, 0.0).astype(dtype) if d_nll else 0.0
        # q already holds the 'mean' divisors; report divisor 1 so forward does not divide again.
        return q, 1.0

    def _probabilities(self, target, shape):
        """Check class probabilities shaped like the input; returns them as rows ``(N·d1·…, C)``."""
        name = "CrossEntropyLoss"
        t = np.asarray(target)
        if self.ignore_index >= 0:  # as PyTorch: no class index to ignore in a probability target
            raise ValueError(
                f"CrossEntropyLoss(ignore_index={self.ignore_index}) cannot be used with class-probability targets "
                "(a target shaped like the input); pass integer class indices, or drop ignore_index."
            )
        if t.dtype.kind != "f":
            raise TypeError(f"{name} expected class probabilities as floats for a target shaped like the input, got dtype {t.dtype}.")
        if t.shape != shape:
            raise ValueError(
                f"{name} expected class-probability target of shape {shape} (C={shape[1]} probabilities per sample "
                f"on axis 1), got {t.shape}."
            )
        if not np.all(np.isfinite(t)):
            raise ValueError(f"{name} class-probability target contains NaN or infinity.")
        return np.moveaxis(t, 1, -1).reshape(-1, shape[1]) if t.ndim > 2 else t

    def _soft_target_weights(self, t, n, c, dtype):
        """Probability targets (checked by :meth:`_probabilities`): q = t, smoothed and class-weighted; divisor N."""
        q = t.astype(dtype)
        if self.label_smoothing > 0.0:
            q = q * (1.0 - self.label_smoothing) + self.label_smoothing / c
        if self.weight is not None:
            q = q * self.weight.astype(dtype)[None, :]
        return q, float(n)
