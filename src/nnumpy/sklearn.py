"""scikit-learn estimators backed by nnumpy: ``MLPClassifier`` and ``MLPRegressor``.

They follow scikit-learn's estimator contract (``fit``, ``partial_fit``,
``predict``, ``score``, ``get_params``/``set_params``, ``clone``), pass its
``check_estimator`` and work inside ``Pipeline`` and ``GridSearchCV``. Inside,
each is an ``nnumpy.nn.Sequential`` of ``Linear`` layers and activations,
trained by :func:`nnumpy.train.fit` with an ``nnumpy.optim`` optimizer, in
float64. The trained network is ``model_``: save it with ``nnumpy.save`` or
export it with ``nnumpy.onnx.export``.

scikit-learn (1.6 or later) is an optional dependency, imported when an
estimator is first used (``from nnumpy.sklearn import MLPClassifier``), not by
``import nnumpy.sklearn``; the core of nnumpy never imports this module.
``pip install "nnumpy[sklearn]"`` installs it.

Example:
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from nnumpy.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), MLPClassifier((16,), lr=0.01, max_iter=50, random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
"""

from __future__ import annotations

__all__ = ["MLPClassifier", "MLPRegressor"]
# Also read from _sklearn_estimators on first use: the names the estimators accept.
_LAZY = {*__all__, "ACTIVATIONS", "OPTIMIZERS"}


def __getattr__(name: str):
    """PEP 562: an estimator is imported on first use, and scikit-learn with it."""
    if name in _LAZY:
        from . import _sklearn_estimators

        return getattr(_sklearn_estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
