"""Correct layers and losses, written the way "MLP from scratch" posts and the Deep Learning from
Scratch book write them (book-style weights W of shape (in, out), np.random.rand in Dropout,
log(p + 1e-7) in the losses on probabilities). Every one must pass check_layer / check_loss."""

from __future__ import annotations

import numpy as np

from nnumpy.nn import Loss, Module, Parameter


def sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5  # the same function as 1/(1+exp(-x)), without overflow


def softmax(x):
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------- layers


class Affine(Module):
    """y = x W + b, W of shape (in, out) as in the book."""

    def __init__(self, n_in=3, n_out=2, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.W = Parameter(rng.normal(size=(n_in, n_out)))
        self.b = Parameter(rng.normal(size=n_out))

    def forward(self, x):
        self.x = x
        self.out = x @ self.W.data + self.b.data
        return self.out

    def backward(self, dout):
        self.W.accumulate(self.x.T @ dout)
        self.b.accumulate(dout.sum(axis=0))
        return dout @ self.W.data.T


class TorchLinear(Module):
    """y = x Wᵀ + b, W of shape (out, in) as in PyTorch."""

    def __init__(self, n_in=3, n_out=3, seed=1):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weight = Parameter(rng.normal(size=(n_out, n_in)))
        self.bias = Parameter(rng.normal(size=n_out))

    def forward(self, x):
        self.x = x
        return x @ self.weight.data.T + self.bias.data

    def backward(self, dout):
        self.weight.accumulate(dout.T @ self.x)
        self.bias.accumulate(dout.sum(axis=0))
        return dout @ self.weight.data


class ReLU(Module):
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)


class Sigmoid(Module):
    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Tanh(Module):
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out**2)


class LeakyReLU(Module):
    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        return np.where(self.x > 0, dout, self.alpha * dout)


class Softmax(Module):
    """Softmax over each row, backward through the explicit Jacobian diag(y) − y yᵀ."""

    def forward(self, x):
        self.y = softmax(x)
        return self.y

    def backward(self, dout):
        y = self.y
        J = -y[:, :, None] * y[:, None, :]
        i = np.arange(y.shape[1])
        J[:, i, i] += y
        return np.einsum("nij,ni->nj", J, dout)


class SoftmaxFast(Module):
    """Softmax over each row, backward as y * (g − Σ g y)."""

    def forward(self, x):
        self.y = softmax(x)
        return self.y

    def backward(self, dout):
        return self.y * (dout - np.sum(dout * self.y, axis=1, keepdims=True))


class LogSoftmax(Module):
    def forward(self, x):
        z = x - x.max(axis=1, keepdims=True)
        out = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.softmax = np.exp(out)
        return out

    def backward(self, dout):
        return dout - self.softmax * dout.sum(axis=1, keepdims=True)


class Dropout(Module):
    """The book's Dropout: the mask comes from NumPy's global generator (np.random.rand)."""

    def __init__(self, dropout_ratio=0.5):
        super().__init__()
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask


class InvertedDropout(Module):
    """Dropout scaled by 1/(1 − p) in training, drawing from its own generator."""

    def __init__(self, p=0.5, seed=0):
        super().__init__()
        self.p = p
        self.rng = np.random.default_rng(seed)

    def forward(self, x):
        self.mask = (self.rng.random(x.shape) >= self.p) / (1.0 - self.p)
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class BatchNorm(Module):
    """The book's BatchNorm (training mode), gamma and beta as Parameters."""

    def __init__(self, n=3, momentum=0.9):
        super().__init__()
        self.gamma = Parameter(np.linspace(0.8, 1.2, n))
        self.beta = Parameter(np.linspace(-0.1, 0.1, n))
        self.momentum = momentum
        self.running_mean = None

    def forward(self, x):
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1])
        mu = x.mean(axis=0)
        xc = x - mu
        var = np.mean(xc**2, axis=0)
        std = np.sqrt(var + 10e-7)
        self.batch_size, self.xc, self.std = x.shape[0], xc, std
        self.xn = xc / std
        self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
        return self.gamma.data * self.xn + self.beta.data

    def backward(self, dout):
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma.data * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc = dxc + (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        self.gamma.accumulate(dgamma)
        self.beta.accumulate(dbeta)
        return dxc - dmu / self.batch_size


class Flatten(Module):
    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.x_shape)


class Scale(Module):
    """Element-wise affine: y = x * gamma + beta, one gamma and beta per feature."""

    def __init__(self, n=3):
        super().__init__()
        self.gamma = Parameter(np.linspace(0.5, 1.5, n))
        self.beta = Parameter(np.linspace(-0.2, 0.2, n))

    def forward(self, x):
        self.x = x
        self.out = x * self.gamma.data + self.beta.data
        return self.out

    def backward(self, dout):
        self.gamma.accumulate((dout * self.x).sum(axis=0))
        self.beta.accumulate(dout.sum(axis=0))
        return dout * self.gamma.data


class TwoLayerNet(Module):
    """Affine → ReLU → Affine as one module, the gradients written by hand."""

    def __init__(self, n_in=3, hidden=3, n_out=2, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.W1 = Parameter(rng.normal(size=(n_in, hidden)))
        self.b1 = Parameter(rng.normal(size=hidden))
        self.W2 = Parameter(rng.normal(size=(hidden, n_out)))
        self.b2 = Parameter(rng.normal(size=n_out))

    def forward(self, x):
        self.x = x
        self.a1 = x @ self.W1.data + self.b1.data
        self.h = np.maximum(self.a1, 0.0)
        return self.h @ self.W2.data + self.b2.data

    def backward(self, dout):
        self.W2.accumulate(self.h.T @ dout)
        self.b2.accumulate(dout.sum(axis=0))
        da1 = (dout @ self.W2.data.T) * (self.a1 > 0)
        self.W1.accumulate(self.x.T @ da1)
        self.b1.accumulate(da1.sum(axis=0))
        return da1 @ self.W1.data.T


class DenseSigmoid(Module):
    """Affine and sigmoid fused in one layer: y = sigmoid(x W + b)."""

    def __init__(self, n=3, seed=2):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.W = Parameter(rng.normal(size=(n, n)))
        self.b = Parameter(rng.normal(size=n))

    def forward(self, x):
        self.x = x
        self.z = x @ self.W.data + self.b.data
        self.y = sigmoid(self.z)
        return self.y

    def backward(self, dout):
        dz = dout * self.y * (1.0 - self.y)
        self.W.accumulate(self.x.T @ dz)
        self.b.accumulate(dz.sum(axis=0))
        return dz @ self.W.data.T


# ---------------------------------------------------------------------------- losses


class MSE(Loss):
    def forward(self, pred, target):
        self.diff = pred - target
        return float(np.mean(self.diff**2))

    def backward(self):
        return 2.0 * self.diff / self.diff.size


class SoftmaxWithLoss(Loss):
    """The book's SoftmaxWithLoss: targets as class indices or one-hot rows."""

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        n = x.shape[0]
        if t.size == self.y.size:
            return float(-np.sum(t * np.log(self.y + 1e-7)) / n)
        return float(-np.sum(np.log(self.y[np.arange(n), t] + 1e-7)) / n)

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            return (self.y - self.t) / batch_size
        dx = self.y.copy()
        dx[np.arange(batch_size), self.t] -= 1
        return dx / batch_size


class BCE(Loss):
    """Binary cross-entropy on probabilities, the log guarded by + 1e-7 as in the book."""

    def forward(self, p, t):
        self.p, self.t = p, t
        return float(-np.mean(t * np.log(p + 1e-7) + (1 - t) * np.log(1 - p + 1e-7)))

    def backward(self):
        return (-self.t / (self.p + 1e-7) + (1 - self.t) / (1 - self.p + 1e-7)) / self.p.size


class BCEWithLogits(Loss):
    def forward(self, x, t):
        self.p, self.t = sigmoid(x), t
        return float(np.mean(np.logaddexp(0.0, x) - t * x))

    def backward(self):
        return (self.p - self.t) / self.p.size


class L1(Loss):
    def forward(self, pred, target):
        self.diff = pred - target
        return float(np.mean(np.abs(self.diff)))

    def backward(self):
        return np.sign(self.diff) / self.diff.size


class NLL(Loss):
    """Negative log-likelihood of log-probabilities, targets as class indices."""

    def forward(self, logp, t):
        self.shape, self.t = logp.shape, t
        return float(-np.mean(logp[np.arange(len(t)), t]))

    def backward(self):
        g = np.zeros(self.shape)
        g[np.arange(len(self.t)), self.t] = -1.0 / len(self.t)
        return g


class Huber(Loss):
    def __init__(self, delta=1.0):
        super().__init__()
        self.delta = delta

    def forward(self, pred, target):
        self.d = pred - target
        a = np.abs(self.d)
        return float(np.mean(np.where(a <= self.delta, 0.5 * self.d**2, self.delta * (a - 0.5 * self.delta))))

    def backward(self):
        return np.where(np.abs(self.d) <= self.delta, self.d, self.delta * np.sign(self.d)) / self.d.size


class CrossEntropy(Loss):
    """The book's cross_entropy_error on probabilities with one-hot targets."""

    def forward(self, y, t):
        self.y, self.t = y, t
        return float(-np.sum(t * np.log(y + 1e-7)) / y.shape[0])

    def backward(self):
        return -self.t / (self.y + 1e-7) / self.y.shape[0]
