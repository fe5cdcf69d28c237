"""nnumpy.sklearn: scikit-learn's own estimator checks, Pipeline + GridSearchCV, labels, partial_fit, seeds.

``parametrize_with_checks`` runs every check scikit-learn applies to its own
estimators. None is marked expected-to-fail (``EXPECTED_FAILED`` is empty);
two may report as skipped because the environment lacks what they need:
``check_array_api_input`` (needs ``SCIPY_ARRAY_API=1`` and an array API
library) and ``check_*_data_not_an_array`` (needs pandas).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from nnumpy.sklearn import ACTIVATIONS, OPTIMIZERS, MLPClassifier, MLPRegressor  # noqa: E402

#: Small networks and few epochs keep the ~110 checks to a few seconds.
FAST = dict(hidden_layer_sizes=(16,), lr=0.01, max_iter=50)
#: Checks marked expected-to-fail, with the reason: none.
EXPECTED_FAILED: dict[str, str] = {}


@parametrize_with_checks([MLPClassifier(**FAST), MLPRegressor(**FAST)], expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_check_estimator(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_sklearn_classifier_in_pipeline_with_grid_search(iris):
    X, y = iris
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier(max_iter=40, random_state=0))])
    grid = GridSearchCV(pipe, {"mlp__hidden_layer_sizes": [(8,), (16,)], "mlp__lr": [0.003, 0.03]}, cv=3)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"mlp__hidden_layer_sizes", "mlp__lr"}
    assert grid.best_score_ > 0.85
    assert grid.score(X, y) > 0.9


def test_sklearn_regressor_in_pipeline_with_grid_search():
    X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", MLPRegressor((32,), max_iter=100, random_state=0))])
    grid = GridSearchCV(pipe, {"mlp__lr": [0.01, 0.03], "mlp__activation": ["relu", "tanh"]}, cv=3)
    grid.fit(X, y / y.std())
    assert grid.best_score_ > 0.8  # R²


def test_sklearn_string_labels_and_probabilities(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = MLPClassifier((16,), lr=0.01, max_iter=60, random_state=0).fit(StandardScaler().fit_transform(X), names)
    Xs = StandardScaler().fit_transform(X)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    pred = clf.predict(Xs)
    assert pred.dtype == names.dtype and set(pred) <= set(names)
    proba = clf.predict_proba(Xs)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(clf.classes_[proba.argmax(axis=1)], pred)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(Xs)), proba, rtol=1e-12)
    assert clf.score(Xs, names) > 0.9


def test_sklearn_loss_curve_and_n_iter(iris):
    X, y = iris
    clf = MLPClassifier((16,), lr=0.01, max_iter=30, n_iter_no_change=30, random_state=0).fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 30
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]


def test_sklearn_stops_when_loss_stops_improving(iris):
    X, y = iris
    clf = MLPClassifier((4,), lr=1e-6, max_iter=200, tol=1e-3, n_iter_no_change=3, random_state=0).fit(X, y)
    assert clf.n_iter_ == 4  # lr too small to move the loss by tol: 1 epoch, then 3 without progress


def test_sklearn_early_stopping_keeps_best_validation_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 2, size=200)  # noise: the validation loss soon rises
    clf = MLPClassifier((64,), lr=0.01, max_iter=300, early_stopping=True, n_iter_no_change=5,
                        validation_fraction=0.2, random_state=0).fit(X, y)
    assert clf.n_iter_ < 300
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.best_validation_loss_ == min(clf.validation_loss_curve_)
    assert np.argmin(clf.validation_loss_curve_) == clf.n_iter_ - 1 - 5  # best epoch, then patience epochs


def test_sklearn_early_stopping_needs_enough_samples():
    with pytest.raises(ValueError, match="early_stopping=True cannot split 1 samples"):
        MLPRegressor(early_stopping=True, validation_fraction=0.1).fit(np.ones((1, 2)), np.ones(1))


def test_sklearn_partial_fit_continues_training(iris):
    X, y = iris
    Xs = StandardScaler().fit_transform(X)
    clf = MLPClassifier((16,), lr=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes="):
        clf.partial_fit(Xs[:10], y[:10])
    clf.partial_fit(Xs[:50], y[:50], classes=[0, 1, 2])  # the first batch holds only class 0
    assert clf.classes_.tolist() == [0, 1, 2] and clf.n_iter_ == 1
    for _ in range(30):
        clf.partial_fit(Xs, y)
    assert clf.n_iter_ == 31 and len(clf.loss_curve_) == 31
    assert clf.score(Xs, y) > 0.9
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes_"):
        clf.partial_fit(Xs[:2], [0, 7])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(Xs[:, :3], y)


def test_sklearn_regressor_multi_output_and_partial_fit():
    X, Y = make_regression(n_samples=80, n_features=4, n_targets=3, random_state=0)
    reg = MLPRegressor((32,), lr=0.01, max_iter=150, random_state=0).fit(X, Y / Y.std(axis=0))
    assert reg.predict(X).shape == (80, 3) and reg.predict(X).dtype == np.float64
    assert reg.score(X, Y / Y.std(axis=0)) > 0.8
    one = MLPRegressor((8,), random_state=0).partial_fit(X, Y[:, 0])
    assert one.predict(X).shape == (80,) and one.n_iter_ == 1


def test_sklearn_random_state_makes_fits_identical_and_leaves_global_rng_alone(iris):
    X, y = iris
    state = np.random.get_state()
    a = MLPClassifier((8,), max_iter=5, random_state=3).fit(X, y)
    b = MLPClassifier((8,), max_iter=5, random_state=3).fit(X, y)
    c = MLPClassifier((8,), max_iter=5, random_state=4).fit(X, y)
    MLPClassifier((8,), max_iter=5).fit(X, y)  # random_state=None: OS entropy, not the global RNG
    after = np.random.get_state()
    assert a.loss_curve_ == b.loss_curve_ and np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ != c.loss_curve_
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_sklearn_get_set_params_and_clone():
    clf = MLPClassifier((8, 4), activation="tanh", optimizer="sgd", lr=0.1)
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (8, 4) and params["optimizer"] == "sgd" and params["lr"] == 0.1
    assert clf.set_params(lr=0.5, max_iter=3) is clf and clf.lr == 0.5
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and twin is not clf


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_sklearn_every_optimizer_and_activation_trains(iris, optimizer, activation):
    X, y = iris
    Xs = StandardScaler().fit_transform(X)
    clf = MLPClassifier((8,), activation=activation, optimizer=optimizer, lr=0.05, max_iter=15, random_state=0)
    assert clf.fit(Xs, y).loss_curve_[-1] < clf.loss_curve_[0]
    names = [type(m).__name__ for m in clf.model_]
    assert names == ["Linear", ACTIVATIONS[activation].__name__, "Linear"]


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"lr": -1}, ValueError, r"The 'lr' parameter of MLPClassifier must be a float > 0\. Got -1 instead\."),
        ({"activation": "softsign"}, ValueError, r"'activation' parameter .* one of 'identity'"),
        ({"optimizer": "lbfgs"}, ValueError, r"'optimizer' parameter"),
        ({"hidden_layer_sizes": (8, 0)}, ValueError, r"'hidden_layer_sizes' parameter"),
        ({"hidden_layer_sizes": None}, TypeError, r"'hidden_layer_sizes' parameter"),
        ({"batch_size": 0}, ValueError, r"'batch_size' parameter"),
        ({"validation_fraction": 1.0}, ValueError, r"'validation_fraction' parameter"),
        ({"momentum": -0.1}, ValueError, r"'momentum' parameter"),
        ({"random_state": "seed"}, TypeError, r"'random_state' parameter"),
        ({"early_stopping": 1}, TypeError, r"'early_stopping' parameter"),
    ],
    ids=lambda v: None if isinstance(v, dict) else "",
)
def test_sklearn_bad_parameters_fail_at_fit_with_the_standard_message(params, error, match):
    clf = MLPClassifier(**params)  # __init__ only stores (scikit-learn's rule)
    with pytest.raises(error, match=match):
        clf.fit(np.ones((4, 2)), [0, 1, 0, 1])


def test_sklearn_one_class_is_an_error_naming_it():
    with pytest.raises(ValueError, match="at least 2 classes.*1 class"):
        MLPClassifier().fit(np.ones((4, 2)), ["a"] * 4)


def test_sklearn_model_exports_to_onnx(iris):
    ort = pytest.importorskip("onnxruntime")
    import io

    from nnumpy import onnx as nnonnx

    X, y = iris
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    buffer = io.BytesIO()
    nnonnx.export(clf.model_, buffer, (1, 4))
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"input": X})
    np.testing.assert_allclose(logits, clf.model_(X), atol=1e-12)  # float64 model, float64 graph
    assert np.array_equal(clf.classes_[logits.argmax(axis=1)], clf.predict(X))


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=120)


def test_sklearn_core_and_module_import_do_not_import_sklearn():
    code = "import sys, nnumpy, nnumpy.io, nnumpy.train, nnumpy.sklearn\nassert 'sklearn' not in sys.modules, 'imported'\n"
    done = _run(code)
    assert done.returncode == 0, done.stderr


def test_sklearn_missing_package_names_the_extra():
    done = _run("import sys\nsys.modules['sklearn'] = None\nimport nnumpy.sklearn\nnnumpy.sklearn.MLPClassifier\n")
    assert done.returncode != 0
    assert 'pip install "nnumpy[sklearn]"' in done.stderr
    unknown = _run("import nnumpy.sklearn\nnnumpy.sklearn.MLPClassifer\n")
    assert "has no attribute 'MLPClassifer'" in unknown.stderr
