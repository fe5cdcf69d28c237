"""The estimators of :mod:`nnumpy.sklearn`, defined on scikit-learn's base classes.

This module imports scikit-learn at the top; :mod:`nnumpy.sklearn` imports it
on first use of an estimator, so ``import nnumpy.sklearn`` alone does not.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import nn, optim
from ._validation import check_bool, check_choice, check_float, check_int, param_error
from .train import EarlyStopping
from .train import fit as train_fit

_EXTRA = 'pip install "nnumpy[sklearn]"'

__all__ = ["MLPClassifier", "MLPRegressor"]

#: Activation names (scikit-learn's four, and nnumpy's layers by their PyTorch names) -> layer class.
ACTIVATIONS = {
    "identity": nn.Identity, "logistic": nn.Sigmoid, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU,
}
#: Optimizer names -> class in ``nnumpy.optim``.
OPTIMIZERS = {"adam": optim.Adam, "sgd": optim.SGD, "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}
_DTYPE = np.float64


def _generator(random_state) -> np.random.Generator:
    """A Generator from scikit-learn's ``random_state``; ``None`` uses OS entropy, never the global RNG."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):  # the caller's own stream: draw a seed from it
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelEncoder
    from sklearn.utils.multiclass import check_classification_targets, unique_labels
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as err:  # scikit-learn missing, or older than 1.6 (no validate_data)
    raise ImportError(f"nnumpy.sklearn needs scikit-learn 1.6 or later; install it with: {_EXTRA}") from err


class _BaseMLP(BaseEstimator):
    """What both estimators share: parameters, their checks, the network, the training loop."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, optimizer="adam", lr=0.001,
                 weight_decay=0.0, momentum=0.9, batch_size=32, max_iter=200, tol=1e-4, n_iter_no_change=10,
                 early_stopping=False, validation_fraction=0.1, random_state=None, verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks, once per fit
    def _check_params(self) -> None:
        owner = type(self).__name__
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise param_error(owner, "hidden_layer_sizes", "a tuple of ints >= 1", self.hidden_layer_sizes, TypeError) from None
        self._hidden = tuple(check_int(owner, "hidden_layer_sizes", s, ge=1) for s in sizes)
        check_choice(owner, "activation", self.activation, tuple(ACTIVATIONS))
        check_choice(owner, "optimizer", self.optimizer, tuple(OPTIMIZERS))
        check_float(owner, "lr", self.lr, gt=0)
        check_float(owner, "weight_decay", self.weight_decay, ge=0)
        check_float(owner, "momentum", self.momentum, ge=0, lt=1)
        check_int(owner, "batch_size", self.batch_size, ge=1)
        check_int(owner, "max_iter", self.max_iter, ge=1)
        check_float(owner, "tol", self.tol, ge=0)
        check_int(owner, "n_iter_no_change", self.n_iter_no_change, ge=1)
        check_bool(owner, "early_stopping", self.early_stopping)
        check_float(owner, "validation_fraction", self.validation_fraction, gt=0, lt=1)
        check_bool(owner, "verbose", self.verbose)
        ok = self.random_state is None or isinstance(self.random_state, (np.random.RandomState, np.random.Generator)) or (
            isinstance(self.random_state, numbers.Integral) and not isinstance(self.random_state, bool))
        if not ok:
            raise param_error(owner, "random_state", "None, an int, a RandomState or a Generator", self.random_state, TypeError)

    # ------------------------------------------------------------------ the network
    def _build(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        layers: list[nn.Module] = []
        width = n_in
        for size in self._hidden:
            layers += [nn.Linear(width, size, dtype=_DTYPE, rng=rng), ACTIVATIONS[self.activation]()]
            width = size
        layers.append(nn.Linear(width, n_out, dtype=_DTYPE, rng=rng))
        self.model_ = nn.Sequential(*layers)
        kwargs = {"lr": float(self.lr), "weight_decay": float(self.weight_decay)}
        if self.optimizer == "sgd":
            kwargs["momentum"] = float(self.momentum)
        self.optimizer_ = OPTIMIZERS[self.optimizer](self.model_.parameters(), **kwargs)
        self.loss_curve_: list[float] = []
        self.n_iter_ = 0

    def _train(self, X, y, *, epochs: int, val=None) -> None:
        """Run nnumpy.train.fit for up to ``epochs`` epochs; extend ``loss_curve_``."""
        monitor = "loss" if val is None else "val_loss"
        # scikit-learn's rule: stop once the loss has not improved by tol for n_iter_no_change epochs
        stop = EarlyStopping(monitor, patience=self.n_iter_no_change, restore_best=val is not None,
                             min_delta=float(self.tol), mode="min")
        history = train_fit(self.model_, self._loss(), self.optimizer_, (X, y), epochs=epochs,
                            batch_size=self.batch_size, val=val, metrics=(), callbacks=[stop] if epochs > 1 else [],
                            rng=self._shuffle_rng, progress=False, verbose=bool(self.verbose))
        self.model_.eval()
        self.loss_curve_ += [float(v) for v in history["loss"]]
        if val is not None:
            self.validation_loss_curve_ = [float(v) for v in history["val_loss"]]
            self.best_validation_loss_ = float(min(self.validation_loss_curve_))
        self.n_iter_ += len(history["loss"])

    def _fit(self, X, y, *, incremental: bool, classes=None):
        first = not (incremental and hasattr(self, "model_"))
        if first:
            self._check_params()
        X, y = validate_data(self, X, y, reset=first, dtype=_DTYPE, multi_output=self._multi_output,
                             y_numeric=not self._is_classifier)
        y = self._encode(y, first, classes)
        if first:
            rng = _generator(self.random_state)
            self._shuffle_rng = np.random.default_rng(rng.integers(2**63))
            self._build(X.shape[1], self._n_outputs(y), rng)
        if incremental:
            self._train(X, y, epochs=1)
            return self
        val = None
        if self.early_stopping:
            stratify = y if self._is_classifier else None
            seed = int(self._shuffle_rng.integers(2**31))
            try:
                X, X_val, y, y_val = train_test_split(X, y, test_size=self.validation_fraction, random_state=seed,
                                                      stratify=stratify)
            except ValueError as err:
                raise ValueError(
                    f"{type(self).__name__}: early_stopping=True cannot split {X.shape[0]} samples with "
                    f"validation_fraction={self.validation_fraction} ({err}); use more samples or early_stopping=False."
                ) from None
            val = (X_val, y_val)
        self._train(X, y, epochs=self.max_iter, val=val)
        return self

    def fit(self, X, y):
        """Train a new network on ``(X, y)`` for up to ``max_iter`` epochs.

        Training stops early once the loss (the validation loss with
        ``early_stopping=True``, whose best weights are then kept) has not
        improved by ``tol`` for ``n_iter_no_change`` epochs.

        Args:
            X: array-like ``(n_samples, n_features)``.
            y: targets, ``(n_samples,)`` (or ``(n_samples, n_outputs)`` for the regressor).

        Returns:
            ``self``.
        """
        return self._fit(X, y, incremental=False)

    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=_DTYPE)
        return self.model_.eval()(X)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: softmax over the last layer, trained on cross-entropy.

    The network is ``Linear → activation`` for each hidden size, then
    ``Linear`` to one logit per class; ``predict_proba`` is the softmax of the
    logits, ``predict`` the class of the largest. Labels may be any values
    scikit-learn accepts (ints, strings): ``classes_`` holds them sorted.

    Args:
        hidden_layer_sizes: width of each hidden layer (default ``(100,)``).
        activation: ``'relu'`` (default), ``'tanh'``, ``'logistic'`` (= ``'sigmoid'``),
            ``'identity'``, ``'leaky_relu'``, ``'elu'`` or ``'gelu'``.
        optimizer: ``'adam'`` (default), ``'sgd'``, ``'rmsprop'`` or ``'adagrad'`` (nnumpy.optim).
        lr: learning rate (default 0.001).
        weight_decay: L2 penalty as the optimizer applies it (default 0.0).
        momentum: momentum of ``'sgd'`` (default 0.9).
        batch_size: samples per mini-batch (default 32).
        max_iter: most epochs ``fit`` runs (default 200).
        tol: smallest loss decrease that counts as progress (default 1e-4).
        n_iter_no_change: epochs without progress before ``fit`` stops (default 10).
        early_stopping: hold out ``validation_fraction`` of the data (stratified)
            and stop on its loss, keeping the best epoch's weights (default False).
        validation_fraction: share held out with ``early_stopping`` (default 0.1).
        random_state: None (default), an int, a RandomState or a Generator:
            seeds the initial weights, the shuffling and the split.
        verbose: print nnumpy's per-epoch line (default False).

    Attributes:
        classes_: the class labels. model_: the trained ``nnumpy.nn.Sequential``
        (outputs logits). optimizer_: its optimizer. loss_curve_: training loss
        per epoch. validation_loss_curve_, best_validation_loss_: with early
        stopping. n_iter_: epochs run. n_features_in_: input width.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10)
        >>> y = np.array(["no", "yes", "yes", "no"] * 10)
        >>> clf = MLPClassifier((16,), activation="tanh", lr=0.05, max_iter=200, random_state=0).fit(X, y)
        >>> clf.predict([[0.0, 1.0], [1.0, 1.0]]).tolist(), clf.classes_.tolist()
        (['yes', 'no'], ['no', 'yes'])
    """

    _is_classifier = True
    _multi_output = False

    def _loss(self):
        return nn.CrossEntropyLoss()

    def _encode(self, y, first: bool, classes):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first:
            labels = unique_labels(y) if classes is None else unique_labels(np.asarray(classes))
            if len(labels) < 2:
                raise ValueError(
                    f"MLPClassifier needs at least 2 classes to train, got 1 class: {labels.tolist()!r:.80}."
                )
            self._encoder = LabelEncoder().fit(labels)
            self.classes_ = self._encoder.classes_
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"MLPClassifier: y has labels {unknown.tolist()!r:.80} that are not in classes_ "
                f"{self.classes_.tolist()!r:.80}; pass every class to the first partial_fit call (classes=...)."
            )
        return self._encoder.transform(y).astype(np.int64)

    def _n_outputs(self, y) -> int:
        return len(self.classes_)

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``(X, y)``, continuing from the current network (a new one on the first call).

        Args:
            X: array-like ``(n_samples, n_features)``.
            y: labels ``(n_samples,)``.
            classes: every class label; required on the first call (later
                batches may lack some classes), ignored afterwards.

        Returns:
            ``self``.
        """
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("MLPClassifier.partial_fit: pass classes=... (every label) on the first call.")
        return self._fit(X, y, incremental=True, classes=classes)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in the order of ``classes_``."""
        return nn.functional.softmax(self._forward(X), axis=1)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of :meth:`predict_proba`, computed stably (log-softmax of the logits)."""
        return nn.functional.log_softmax(self._forward(X), axis=1)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample, as labels from ``classes_``."""
        logits = self._forward(X)  # checks that the estimator is fitted
        return self.classes_[np.argmax(logits, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor: a linear last layer trained on the squared error.

    Same network and arguments as :class:`MLPClassifier` (see there), with
    one output per target; ``y`` may be ``(n_samples,)`` or
    ``(n_samples, n_outputs)``. ``score`` is R².

    Attributes:
        model_: the trained ``nnumpy.nn.Sequential``. optimizer_, loss_curve_,
        validation_loss_curve_, best_validation_loss_, n_iter_, n_features_in_:
        as in :class:`MLPClassifier`.

    Example:
        >>> import numpy as np
        >>> X = np.linspace(-1, 1, 64).reshape(-1, 1)
        >>> reg = MLPRegressor((32,), activation="tanh", lr=0.01, max_iter=300, random_state=0)
        >>> reg.fit(X, 2 * X.ravel() + 1).score(X, 2 * X.ravel() + 1) > 0.99
        True
    """

    _is_classifier = False
    _multi_output = True

    def _loss(self):
        return nn.MSELoss()

    def _encode(self, y, first: bool, classes):
        y = np.asarray(y, dtype=_DTYPE)
        if first:
            self._y_ndim = y.ndim
        return y.reshape(len(y), -1)  # (N, n_outputs): the model's output shape

    def _n_outputs(self, y) -> int:
        return y.shape[1]

    def partial_fit(self, X, y):
        """One epoch over ``(X, y)``, continuing from the current network (a new one on the first call).

        Returns:
            ``self``.
        """
        return self._fit(X, y, incremental=True)

    def predict(self, X) -> np.ndarray:
        """Predicted targets, ``(n_samples,)`` or ``(n_samples, n_outputs)`` as ``y`` was."""
        out = self._forward(X)
        return out.ravel() if self._y_ndim == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


for _cls in (_BaseMLP, MLPClassifier, MLPRegressor):
    _cls.__module__ = "nnumpy.sklearn"  # where users import them from (repr, pickle-free clone)
