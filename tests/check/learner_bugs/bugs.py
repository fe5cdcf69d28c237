"""The bugs learners write, each a small variant of a correct layer or loss of correct.py, as data.

``CORRECT`` lists every correct version with the input it is checked on; ``BUGS`` lists each bug
with the diagnosis code the report must put first and words its sentence must contain. The
guide docs/debugging-backward.md walks through the same bugs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import correct as c

# ---------------------------------------------------------------------------- targets
T_REAL = np.random.default_rng(1).normal(size=(4, 3))
T_BINARY = (np.random.default_rng(2).uniform(size=(4, 3)) > 0.5).astype(np.float64)
T_IDX = np.array([0, 2, 1, 2])
T_ONEHOT = np.eye(3)[T_IDX]
X_TRAIN = np.random.default_rng(3).normal(size=(4, 3))  # a notebook's global, read by mistake
BATCH_SIZE = 4  # a notebook's constant, used where x.shape[0] belongs


@dataclass(frozen=True)
class Case:
    """A module to check: ``kind`` 'layer' (``arg`` is the input shape) or 'loss' (``arg`` the target)."""

    name: str
    make: Callable[[], Any]
    kind: str = "layer"
    shape: tuple[int, ...] = (4, 3)
    target: Any = None


@dataclass(frozen=True)
class Bug(Case):
    code: str = ""
    words: str = ""  # a phrase the first diagnosis's English sentence contains


# ---------------------------------------------------------------------------- Affine
class AffineReturnsW(c.Affine):
    def backward(self, dout):
        self.W.accumulate(self.x.T @ dout)
        self.b.accumulate(dout.sum(axis=0))
        return self.W.data  # BUG: dL/dx is dout @ W.T


class AffineBiasNotSummed(c.Affine):
    def backward(self, dout):
        self.W.accumulate(self.x.T @ dout)
        self.b.accumulate(dout)  # BUG: one row per sample
        return dout @ self.W.data.T


class AffineBiasWrongAxis(c.Affine):
    def backward(self, dout):
        self.W.accumulate(self.x.T @ dout)
        self.b.accumulate(dout.sum(axis=1))  # BUG: axis=0
        return dout @ self.W.data.T


class AffineBiasKeepdims(c.Affine):
    def backward(self, dout):
        self.W.accumulate(self.x.T @ dout)
        self.b.accumulate(dout.sum(axis=0, keepdims=True))  # BUG: shape (1, out)
        return dout @ self.W.data.T


class AffineTorchFormula(c.Affine):
    def backward(self, dout):
        self.W.accumulate(dout.T @ self.x)  # BUG: PyTorch's formula for a (out, in) weight
        self.b.accumulate(dout.sum(axis=0))
        return dout @ self.W.data.T


class AffineTransposedInput(c.Affine):
    def backward(self, dout):
        self.W.accumulate(self.x.T @ dout)
        self.b.accumulate(dout.sum(axis=0))
        return dout @ self.W.data  # BUG: W.T


class AffineSGDInBackward(c.Affine):
    def backward(self, dout, lr=0.1):
        dW = self.x.T @ dout
        self.W.accumulate(dW)
        self.b.accumulate(dout.sum(axis=0))
        self.W.data -= lr * dW  # BUG: the optimizer's job
        return dout @ self.W.data.T


class AffineIgnoresDout(c.Affine):
    def backward(self, dout):
        self.W.accumulate(self.x.T @ dout)
        self.b.accumulate(dout.sum(axis=0))
        return np.ones_like(dout) @ self.W.data.T  # BUG: dout @ W.T


class AffineOverwritesGrad(c.Affine):
    def backward(self, dout):
        self.W.grad = self.x.T @ dout  # BUG: accumulate
        self.b.grad = dout.sum(axis=0)
        return dout @ self.W.data.T


class AffineMeanBias(c.Affine):
    def backward(self, dout):
        self.W.accumulate(self.x.T @ dout)
        self.b.accumulate(dout.mean(axis=0))  # BUG: sum
        return dout @ self.W.data.T


class AffineDwFromOutput(c.Affine):
    def backward(self, dout):
        self.W.accumulate(self.out.T @ dout)  # BUG: self.x.T @ dout
        self.b.accumulate(dout.sum(axis=0))
        return dout @ self.W.data.T


class TorchLinearTransposedInput(c.TorchLinear):
    def backward(self, dout):
        self.weight.accumulate(dout.T @ self.x)
        self.bias.accumulate(dout.sum(axis=0))
        return dout @ self.weight.data.T  # BUG: dout @ W for a (out, in) weight


class TorchLinearBookFormula(c.TorchLinear):
    def backward(self, dout):
        self.weight.accumulate(self.x.T @ dout)  # BUG: the book's formula for a (in, out) weight
        self.bias.accumulate(dout.sum(axis=0))
        return dout @ self.weight.data


# ---------------------------------------------------------------------------- activations
class ReLUInPlace(c.ReLU):
    def backward(self, dout):
        dout[self.mask] = 0  # BUG (the book's version): writes into the caller's array
        return dout


class ReLUMaskFromDout(c.ReLU):
    def backward(self, dout):
        return np.where(dout > 0, dout, 0.0)  # BUG: the mask of x, not of dout


class ReLUNoMask(c.ReLU):
    def backward(self, dout):
        return dout  # BUG: forgot the mask


class ReLUIgnoresDout(c.ReLU):
    def backward(self, dout):
        return (~self.mask).astype(np.float64)  # BUG: times dout


class ReLUForwardInPlace(c.ReLU):
    def forward(self, x):
        self.mask = x <= 0
        x[self.mask] = 0  # BUG: the caller's array
        return x


class SigmoidReadsGlobal(c.Sigmoid):
    def forward(self, x):
        self.out = c.sigmoid(X_TRAIN)  # BUG: the notebook's global, not the argument
        return self.out


class SigmoidDerivAtInput(c.Sigmoid):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dout):
        return dout * self.x * (1.0 - self.x)  # BUG: y(1 - y) with y = self.out


class SigmoidDerivAtOutput(c.Sigmoid):
    def backward(self, dout):
        s = c.sigmoid(self.out)  # BUG: sigmoid applied a second time
        return dout * s * (1.0 - s)


class SigmoidNaive(c.Sigmoid):
    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-x))  # BUG: overflows for x < -709
        return self.out


class SigmoidIgnoresDout(c.Sigmoid):
    def backward(self, dout):
        return self.out * (1.0 - self.out)  # BUG: times dout


class SigmoidForgetsOneMinus(c.Sigmoid):
    def backward(self, dout):
        return dout * self.out  # BUG: dout * out * (1 - out)


class TanhDerivAtInput(c.Tanh):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dout):
        return dout * (1.0 - self.x**2)  # BUG: 1 - y²


class TanhDerivAtOutput(c.Tanh):
    def backward(self, dout):
        return dout * (1.0 - np.tanh(self.out) ** 2)  # BUG: tanh applied a second time


class TanhWrongSign(c.Tanh):
    def backward(self, dout):
        return dout * (self.out**2 - 1.0)  # BUG: 1 - y²


class LeakyWrongSlope(c.LeakyReLU):
    def backward(self, dout):
        return np.where(self.x > 0, dout, 0.1 * dout)  # BUG: the slope is self.alpha


class LeakyMaskFromDout(c.LeakyReLU):
    def backward(self, dout):
        return np.where(dout > 0, dout, self.alpha * dout)  # BUG: self.x > 0


class LeakyInPlace(c.LeakyReLU):
    def backward(self, dout):
        dout[self.x <= 0] *= self.alpha  # BUG: writes into the caller's array
        return dout


class SoftmaxDiagonalAssigned(c.Softmax):
    def backward(self, dout):
        y = self.y
        J = -y[:, :, None] * y[:, None, :]
        i = np.arange(y.shape[1])
        J[:, i, i] = y  # BUG: += y
        return np.einsum("nij,ni->nj", J, dout)


class SoftmaxElementwise(c.Softmax):
    def backward(self, dout):
        return dout * self.y * (1.0 - self.y)  # BUG: softmax is not element-wise


class SoftmaxSumOverBatch(c.SoftmaxFast):
    def backward(self, dout):
        return self.y * (dout - np.sum(dout * self.y, axis=0, keepdims=True))  # BUG: axis=1


class LogSoftmaxElementwise(c.LogSoftmax):
    def backward(self, dout):
        return dout - self.softmax * dout  # BUG: dout.sum(axis=1, keepdims=True)


class LogSoftmaxIgnoresDout(c.LogSoftmax):
    def backward(self, dout):
        return 1.0 - self.softmax  # BUG: dout - softmax * dout.sum(...)


# ---------------------------------------------------------------------------- dropout, normalisation, shapes
class DropoutRedrawsMask(c.Dropout):
    def backward(self, dout):
        mask = np.random.rand(*dout.shape) > self.dropout_ratio  # BUG: reuse self.mask
        return dout * mask


class DropoutNoMask(c.Dropout):
    def backward(self, dout):
        return dout  # BUG: dout * self.mask


class DropoutInPlace(c.Dropout):
    def backward(self, dout):
        dout *= self.mask  # BUG: writes into the caller's array
        return dout


class DropoutFreshGenerator(c.InvertedDropout):
    def forward(self, x):
        rng = np.random.default_rng()  # BUG: a new generator on every call
        self.mask = (rng.random(x.shape) >= self.p) / (1.0 - self.p)
        return x * self.mask


class DropoutScaleForward(c.InvertedDropout):
    def backward(self, dout):
        return dout * (self.mask > 0)  # BUG: the same mask / (1 - p) as forward


class BatchNormNoStats(c.BatchNorm):
    def backward(self, dout):
        self.gamma.accumulate(np.sum(self.xn * dout, axis=0))
        self.beta.accumulate(dout.sum(axis=0))
        return dout * self.gamma.data / self.std  # BUG: the mean and variance terms are missing


class BatchNormGammaNotSummed(c.BatchNorm):
    def backward(self, dout):
        dx = super().backward(dout)
        self.gamma.grad = None
        self.gamma.accumulate(self.xn * dout)  # BUG: sum over axis 0
        return dx


class BatchNormBetaKeepdims(c.BatchNorm):
    def backward(self, dout):
        dx = super().backward(dout)
        self.beta.grad = None
        self.beta.accumulate(dout.sum(axis=0, keepdims=True))  # BUG: keepdims
        return dx


class FlattenNoReshape(c.Flatten):
    def backward(self, dout):
        return dout  # BUG: dout.reshape(self.x_shape)


class FlattenFixedBatch(c.Flatten):
    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(BATCH_SIZE, -1)  # BUG: x.shape[0]


class ScaleBetaGradAssigned(c.Scale):
    def backward(self, dout):
        self.gamma.accumulate((dout * self.x).sum(axis=0))
        self.beta.grad = dout  # BUG: dout.sum(axis=0), and accumulate
        return dout * self.gamma.data


class ScaleGammaFromOutput(c.Scale):
    def backward(self, dout):
        self.gamma.accumulate((dout * self.out).sum(axis=0))  # BUG: self.x
        self.beta.accumulate(dout.sum(axis=0))
        return dout * self.gamma.data


class ScaleMeanGamma(c.Scale):
    def backward(self, dout):
        self.gamma.accumulate((dout * self.x).mean(axis=0))  # BUG: sum
        self.beta.accumulate(dout.sum(axis=0))
        return dout * self.gamma.data


class ScaleBetaWrongAxis(c.Scale):
    def backward(self, dout):
        self.gamma.accumulate((dout * self.x).sum(axis=0))
        self.beta.accumulate(dout.sum(axis=1))  # BUG: axis=0 (N == D hides the shape)
        return dout * self.gamma.data


class TwoLayerW2FromPreActivation(c.TwoLayerNet):
    def backward(self, dout):
        self.W2.accumulate(self.a1.T @ dout)  # BUG: self.h, after the ReLU
        self.b2.accumulate(dout.sum(axis=0))
        da1 = (dout @ self.W2.data.T) * (self.a1 > 0)
        self.W1.accumulate(self.x.T @ da1)
        self.b1.accumulate(da1.sum(axis=0))
        return da1 @ self.W1.data.T


class TwoLayerB1NotSummed(c.TwoLayerNet):
    def backward(self, dout):
        self.W2.accumulate(self.h.T @ dout)
        self.b2.accumulate(dout.sum(axis=0))
        da1 = (dout @ self.W2.data.T) * (self.a1 > 0)
        self.W1.accumulate(self.x.T @ da1)
        self.b1.accumulate(da1)  # BUG: da1.sum(axis=0)
        return da1 @ self.W1.data.T


class TwoLayerDecayInForward(c.TwoLayerNet):
    def forward(self, x):
        self.W1.data *= 0.999  # BUG: weight decay belongs to the optimizer
        return super().forward(x)


class DenseSigmoidDwFromOutput(c.DenseSigmoid):
    def backward(self, dout):
        dz = dout * self.y * (1.0 - self.y)
        self.W.accumulate(self.y.T @ dz)  # BUG: self.x
        self.b.accumulate(dz.sum(axis=0))
        return dz @ self.W.data.T


class DenseSigmoidDwFromPreActivation(c.DenseSigmoid):
    def backward(self, dout):
        dz = dout * self.y * (1.0 - self.y)
        self.W.accumulate(self.z.T @ dz)  # BUG: self.x
        self.b.accumulate(dz.sum(axis=0))
        return dz @ self.W.data.T


# ---------------------------------------------------------------------------- losses
class MSEMissingMean(c.MSE):
    def backward(self):
        return 2.0 * self.diff  # BUG: / self.diff.size


class MSEWrongSign(c.MSE):
    def backward(self):
        return -2.0 * self.diff / self.diff.size  # BUG: pred - target, not target - pred


class MSEScalesCache(c.MSE):
    def backward(self):
        self.diff *= 2.0 / self.diff.size  # BUG: changes the cache
        return self.diff


class MSENotReduced(c.MSE):
    def forward(self, pred, target):
        self.diff = pred - target
        return self.diff**2  # BUG: .mean()


class MSEModifiesPred(c.MSE):
    def forward(self, pred, target):
        pred -= target  # BUG: the caller's array
        self.diff = pred.copy()
        return float(np.mean(self.diff**2))


class SWLMissingN(c.SoftmaxWithLoss):
    def backward(self, dout=1):
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1
        return dx  # BUG: / batch_size


class SWLDividesBy32(c.SoftmaxWithLoss):
    def backward(self, dout=1):
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1
        return dx / 32  # BUG: the training script's batch size


class SWLHardCodedN(c.SoftmaxWithLoss):
    def backward(self, dout=1):
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1
        return dx / BATCH_SIZE  # BUG: self.t.shape[0]


class SWLIndicesOnly(c.SoftmaxWithLoss):
    def forward(self, x, t):
        self.t, self.y = t, c.softmax(x)
        return float(-np.mean(np.log(self.y[np.arange(x.shape[0]), t] + 1e-7)))  # BUG for one-hot t

    def backward(self, dout=1):
        dx = self.y.copy()
        dx[np.arange(len(self.t)), self.t] -= 1
        return dx / len(self.t)


class SWLOneHotOnly(c.SoftmaxWithLoss):
    def forward(self, x, t):
        self.t, self.y = t, c.softmax(x)
        return float(-np.sum(t * np.log(self.y + 1e-7)) / x.shape[0])  # BUG for class-index t

    def backward(self, dout=1):
        return (self.y - self.t) / self.y.shape[0]


class SWLNaiveSoftmax(c.SoftmaxWithLoss):
    def forward(self, x, t):
        e = np.exp(x)  # BUG: subtract the row max first
        self.t, self.y = t, e / e.sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(self.y[np.arange(x.shape[0]), t] + 1e-7)))


class BCELogitsGradient(c.BCE):
    def backward(self):
        return (self.p - self.t) / self.p.size  # BUG: that is d/d(logits); divide by p(1 - p)


class BCEMissingMean(c.BCE):
    def backward(self):
        return -self.t / (self.p + 1e-7) + (1 - self.t) / (1 - self.p + 1e-7)  # BUG: / self.p.size


class BCENoEps(c.BCE):
    def forward(self, p, t):
        self.p, self.t = p, t
        return float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))  # BUG: log(0) at p = 0 or 1


class BCEWithLogitsNaive(c.BCEWithLogits):
    def forward(self, x, t):
        self.p, self.t = c.sigmoid(x), t
        return float(np.mean(np.log(1 + np.exp(x)) - t * x))  # BUG: np.logaddexp(0, x)


class BCEWithLogitsWrongSign(c.BCEWithLogits):
    def backward(self):
        return (self.t - self.p) / self.p.size  # BUG: p - t


class L1DiffOverAbs(c.L1):
    def backward(self):
        return self.diff / np.abs(self.diff) / self.diff.size  # BUG: 0/0 where pred == target


class L1MissingMean(c.L1):
    def backward(self):
        return np.sign(self.diff)  # BUG: / self.diff.size


class NLLWrongSign(c.NLL):
    def backward(self):
        return -super().backward()  # BUG: the loss is minus the log-probability


class HuberMissingMean(c.Huber):
    def backward(self):
        return np.where(np.abs(self.d) <= self.delta, self.d, self.delta * np.sign(self.d))  # BUG: / size


class HuberLinearBranchSign(c.Huber):
    def backward(self):
        return np.where(np.abs(self.d) <= self.delta, self.d, -self.delta * np.sign(self.d)) / self.d.size  # BUG


class CrossEntropyLogitsGradient(c.CrossEntropy):
    def backward(self):
        return (self.y - self.t) / self.y.shape[0]  # BUG: that is softmax + cross-entropy together


class CrossEntropyMissingN(c.CrossEntropy):
    def backward(self):
        return -self.t / (self.y + 1e-7)  # BUG: / N


# ---------------------------------------------------------------------------- the tables
def _layer(name, make, shape=(4, 3)):
    return Case(name, make, "layer", shape)


def _loss(name, make, target, shape=(4, 3)):
    return Case(name, make, "loss", shape, target)


CORRECT = [
    _layer("Affine", c.Affine), _layer("Affine 3x3", lambda: c.Affine(3, 3)), _layer("TorchLinear", c.TorchLinear),
    _layer("TorchLinear 3x2", lambda: c.TorchLinear(3, 2)), _layer("ReLU", c.ReLU), _layer("Sigmoid", c.Sigmoid),
    _layer("Tanh", c.Tanh), _layer("LeakyReLU", c.LeakyReLU), _layer("Softmax", c.Softmax),
    _layer("SoftmaxFast", c.SoftmaxFast), _layer("LogSoftmax", c.LogSoftmax), _layer("Dropout (book)", c.Dropout),
    _layer("InvertedDropout", c.InvertedDropout), _layer("BatchNorm (book)", c.BatchNorm),
    _layer("Flatten", c.Flatten, (4, 2, 3)), _layer("Scale", c.Scale), _layer("Scale 4x4", lambda: c.Scale(4), (4, 4)),
    _layer("TwoLayerNet", c.TwoLayerNet), _layer("DenseSigmoid", c.DenseSigmoid),
    _loss("MSE", c.MSE, T_REAL), _loss("SoftmaxWithLoss (indices)", c.SoftmaxWithLoss, T_IDX),
    _loss("SoftmaxWithLoss (one-hot)", c.SoftmaxWithLoss, T_ONEHOT), _loss("BCE (book)", c.BCE, T_BINARY),
    _loss("BCEWithLogits", c.BCEWithLogits, T_BINARY), _loss("L1", c.L1, T_REAL), _loss("NLL", c.NLL, T_IDX),
    _loss("Huber", c.Huber, T_REAL), _loss("CrossEntropy (book)", c.CrossEntropy, T_ONEHOT),
]


def _bug(cls, code, words, kind="layer", shape=(4, 3), target=None, args=()):
    return Bug(cls.__name__, lambda: cls(*args), kind, shape, target, code, words)


BUGS = [
    # the seed bugs first: the guide starts with them
    _bug(AffineReturnsW, "returns-weights", "instead of grad_output @ W"),
    _bug(SoftmaxDiagonalAssigned, "softmax-jacobian-diagonal", "only the diagonal of the Jacobian is wrong"),
    _bug(ReLUInPlace, "grad-output-modified", "write the result into a new array"),
    _bug(SigmoidReadsGlobal, "forward-ignores-input", "does not use its argument"),
    # Affine and Linear
    _bug(AffineBiasNotSummed, "bias-not-summed", "sum over the batch"),
    _bug(AffineBiasWrongAxis, "bias-summed-wrong-axis", "sum over axis 0"),
    _bug(AffineBiasKeepdims, "bias-keepdims", "keepdims=True"),
    _bug(AffineTorchFormula, "transposed-weight-gradient", "transposed shape"),
    _bug(AffineTransposedInput, "transposed-input-gradient", "grad_output @ W where grad_output @ W.T belongs",
         args=(3, 3)),
    _bug(AffineSGDInBackward, "params-changed", "must not update its own weights"),
    _bug(AffineIgnoresDout, "ignores-grad-output", "ignores grad_output"),
    _bug(AffineOverwritesGrad, "grad-overwritten", "accumulate"),
    _bug(AffineMeanBias, "extra-division", "the sum over the batch, not the mean"),
    _bug(AffineDwFromOutput, "wrong-cache", "self.out (the layer's output)", args=(3, 3)),
    _bug(TorchLinearTransposedInput, "transposed-input-gradient", "grad_output @ W.T where grad_output @ W belongs"),
    _bug(TorchLinearBookFormula, "transposed-weight-gradient", "transposed shape", args=(3, 2)),
    # activations
    _bug(ReLUMaskFromDout, "mask-from-grad-output", "sign of grad_output"),
    _bug(ReLUNoMask, "mask-not-applied", "multiply by the mask"),
    _bug(ReLUIgnoresDout, "ignores-grad-output", "ignores grad_output"),
    _bug(ReLUForwardInPlace, "input-modified", "caller's array"),
    _bug(SigmoidDerivAtInput, "derivative-at-input", "at the input x"),
    _bug(SigmoidDerivAtOutput, "derivative-at-output", "a second time"),
    _bug(SigmoidNaive, "extreme-inputs", "stable sigmoid"),
    _bug(SigmoidIgnoresDout, "ignores-grad-output", "ignores grad_output"),
    _bug(SigmoidForgetsOneMinus, "elementwise-derivative", "f'(x) is wrong"),
    _bug(TanhDerivAtInput, "derivative-at-input", "at the input x"),
    _bug(TanhDerivAtOutput, "derivative-at-output", "a second time"),
    _bug(TanhWrongSign, "wrong-sign", "wrong sign"),
    _bug(LeakyWrongSlope, "wrong-branch", "only where the input is ≤ 0"),
    _bug(LeakyMaskFromDout, "mask-from-grad-output", "sign of grad_output"),
    _bug(LeakyInPlace, "grad-output-modified", "new array"),
    _bug(SoftmaxElementwise, "offdiagonal-missing", "only the diagonal"),
    _bug(SoftmaxSumOverBatch, "sums-over-batch", "axis 0 (the batch)"),
    _bug(LogSoftmaxElementwise, "offdiagonal-missing", "only the diagonal"),
    _bug(LogSoftmaxIgnoresDout, "ignores-grad-output", "ignores grad_output"),
    # dropout, normalisation, shapes
    _bug(DropoutRedrawsMask, "mask-redrawn", "draws new random numbers"),
    _bug(DropoutNoMask, "mask-not-applied", "multiply by the mask"),
    _bug(DropoutInPlace, "grad-output-modified", "new array"),
    _bug(DropoutFreshGenerator, "rng-not-replayed", "Create it once in __init__"),
    _bug(DropoutScaleForward, "dropout-scale", "the same scale"),
    _bug(BatchNormNoStats, "batchnorm-terms-missing", "mean and variance"),
    _bug(BatchNormGammaNotSummed, "bias-not-summed", "'gamma'"),
    _bug(BatchNormBetaKeepdims, "bias-keepdims", "keepdims=True"),
    _bug(FlattenNoReshape, "reshape-missing", "reshape(self.x_shape)", shape=(4, 2, 3)),
    _bug(FlattenFixedBatch, "fixed-batch-size", "x.shape[0]", shape=(4, 2, 3)),
    _bug(ScaleBetaGradAssigned, "bias-not-summed", "'beta'"),
    _bug(ScaleGammaFromOutput, "wrong-cache", "self.out (the layer's output)"),
    _bug(ScaleMeanGamma, "extra-division", "the sum over the batch, not the mean"),
    _bug(ScaleBetaWrongAxis, "bias-summed-wrong-axis", "axis 1", shape=(4, 4), args=(4,)),
    _bug(TwoLayerW2FromPreActivation, "wrong-cache", "self.a1 where self.h belongs"),
    _bug(TwoLayerB1NotSummed, "bias-not-summed", "'b1'"),
    _bug(TwoLayerDecayInForward, "params-changed", "forward changed self.W1"),
    _bug(DenseSigmoidDwFromOutput, "wrong-cache", "self.y (the layer's output)"),
    _bug(DenseSigmoidDwFromPreActivation, "wrong-cache", "self.z where self.x"),
    # losses
    _bug(MSEMissingMean, "missing-division", "a missing 1/N", "loss", target=T_REAL),
    _bug(MSEWrongSign, "wrong-sign", "wrong sign", "loss", target=T_REAL),
    _bug(MSEScalesCache, "cache-modified", "return self.grad / n", "loss", target=T_REAL),
    _bug(MSENotReduced, "loss-not-reduced", "per_sample.mean()", "loss", target=T_REAL),
    _bug(MSEModifiesPred, "input-modified", "pred -= ...", "loss", target=T_REAL),
    _bug(SWLMissingN, "missing-division", "4 is N, the batch size", "loss", target=T_IDX),
    _bug(SWLDividesBy32, "fixed-batch-size", "divides by 32", "loss", target=T_IDX),
    _bug(SWLHardCodedN, "fixed-batch-size", "right for N = 4 but wrong for batch size 1", "loss", target=T_IDX),
    _bug(SWLIndicesOnly, "target-form", "this target is one-hot", "loss", target=T_ONEHOT),
    _bug(SWLOneHotOnly, "target-form", "this target holds class indices", "loss", target=T_IDX),
    _bug(SWLNaiveSoftmax, "extreme-inputs", "subtract the row max", "loss", target=T_IDX),
    _bug(BCELogitsGradient, "logits-gradient", "(p − t)/(p(1 − p))", "loss", target=T_BINARY),
    _bug(BCEMissingMean, "missing-division", "12× too large", "loss", target=T_BINARY),
    _bug(BCENoEps, "extreme-inputs", "never log(0)", "loss", target=T_BINARY),
    _bug(BCEWithLogitsNaive, "extreme-inputs", "np.logaddexp(0, x)", "loss", target=T_BINARY),
    _bug(BCEWithLogitsWrongSign, "wrong-sign", "wrong sign", "loss", target=T_BINARY),
    _bug(L1DiffOverAbs, "kink-nan", "np.sign(diff)", "loss", target=T_REAL),
    _bug(L1MissingMean, "missing-division", "12× too large", "loss", target=T_REAL),
    Bug("NLL given one-hot targets", c.NLL, "loss", (4, 3), T_ONEHOT, "target-form", "this target is one-hot"),
    _bug(NLLWrongSign, "wrong-sign", "wrong sign", "loss", target=T_IDX),
    _bug(HuberMissingMean, "missing-division", "12× too large", "loss", target=T_REAL),
    _bug(HuberLinearBranchSign, "wrong-branch", "|pred − target| >", "loss", target=T_REAL),
    _bug(CrossEntropyLogitsGradient, "logits-gradient", "−t/p/N", "loss", target=T_ONEHOT),
    _bug(CrossEntropyMissingN, "missing-division", "4 is N, the batch size", "loss", target=T_ONEHOT),
]


def run(case: Case, lang: str = "en"):
    """The learner's report for ``case``: check_layer or check_loss."""
    from nnumpy.check import check_layer, check_loss

    if case.kind == "loss":
        return check_loss(case.make(), case.shape, case.target, lang=lang)
    return check_layer(case.make(), case.shape, lang=lang)
