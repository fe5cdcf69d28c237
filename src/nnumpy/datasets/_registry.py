"""``load(name, split)`` and ``available()``: one entry point for every data set."""

from __future__ import annotations

import inspect
import numbers
import os
from dataclasses import dataclass

import numpy as np

from .._random import as_generator
from .._validation import check_bool, check_choice, check_int, param_error
from ..errors import DataError
from . import _download
from ._bundled import BUNDLED_DIR, load_digits, load_iris, load_mnist_sample
from ._toy import blob_centers, make_blobs, make_circles, make_moons, make_spiral, make_xor

__all__ = ["DatasetInfo", "load", "available", "format_available", "dataset_names", "class_names"]

# name -> (loader, size, source)
_BUNDLED = {
    "mnist-sample": (
        load_mnist_sample,
        "10,000 images 1x28x28 (8,000 train / 2,000 test)",
        "official MNIST test set (LeCun, Cortes, Burges), CC BY-SA 3.0",
    ),
    "iris": (load_iris, "150 x 4 features, 3 classes (120 / 30)", "Fisher's iris, UCI ML Repository, CC BY 4.0"),
    "digits": (
        load_digits,
        "1,797 images 1x8x8, 10 classes (1,442 / 355)",
        "UCI optical digits (Alpaydin, Kaynak), CC BY 4.0",
    ),
}
_GENERATED = {
    "xor": make_xor,
    "blobs": make_blobs,
    "moons": make_moons,
    "circles": make_circles,
    "spiral": make_spiral,
}
_REMOTE = {
    "mnist": ("70,000 images 1x28x28 (60,000 / 10,000)", "Y. LeCun, C. Cortes, C. Burges; CC BY-SA 3.0"),
    "fashion-mnist": ("70,000 images 1x28x28 (60,000 / 10,000)", "Zalando Research (H. Xiao et al.); MIT"),
}
_REMOTE_KWARGS = ("verify", "progress")
_DIGITS = tuple(str(d) for d in range(10))
#: Class names by label index. Fashion-MNIST's are Zalando's (github.com/zalandoresearch/fashion-mnist,
#: "Labels"); iris's are the species of the bundled file's header (Iris setosa, versicolor, virginica).
_CLASS_NAMES = {
    "mnist-sample": _DIGITS,
    "mnist": _DIGITS,
    "digits": _DIGITS,
    "iris": ("setosa", "versicolor", "virginica"),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                      "Ankle boot"),
}
_SEED_SPLIT = {"train": 0, "test": 1}
_SEED_CENTERS = 2  # spawn key of the stream blob centres come from (shared by both splits)


def dataset_names() -> list[str]:
    """Every name :func:`load` accepts."""
    return [*_BUNDLED, *_GENERATED, *_REMOTE]


@dataclass(frozen=True)
class DatasetInfo:
    """One row of :func:`available`.

    Attributes:
        name: the name to pass to :func:`load`.
        kind: ``"bundled"`` (ships with nnumpy), ``"generated"`` (drawn on
            demand) or ``"download"`` (looked up locally, else downloaded).
        size: samples and shape, with the train/test sizes.
        source: origin and licence.
        present: whether :func:`load` can return it without a download.
        location: where the files are (directory), or ``""``.
    """

    name: str
    kind: str
    size: str
    source: str
    present: bool
    location: str


def _canonical(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"The 'name' parameter of load must be a str. Got {type(name).__name__} instead.")
    key = name.strip().lower().replace("_", "-")
    if key not in dataset_names():
        raise DataError(f"unknown data set {name!r}; available: {', '.join(dataset_names())}")
    return key


def _check_kwargs(name: str, kwargs: dict, allowed) -> None:
    extra = sorted(set(kwargs) - set(allowed))
    if extra:
        allowed_text = ", ".join(allowed) if allowed else "none"
        raise TypeError(
            f"load({name!r}) got unexpected keyword argument(s) {', '.join(extra)}; accepted: {allowed_text}"
        )


def _stream(rng, key: int, owner: str) -> np.random.Generator:
    """Stream ``key`` of an int seed, ``SeedSequence(seed, spawn_key=(key,))``; None/Generator pass through."""
    g = as_generator(rng, owner)  # validates: None, an int seed >= 0 or a Generator
    if rng is None or isinstance(rng, np.random.Generator):
        return g
    return np.random.default_rng(np.random.SeedSequence(int(rng), spawn_key=(key,)))


def _shared_centers(kwargs: dict, seed, owner: str) -> dict:
    """With an int seed, draw blob centres from their own stream so train and test share them."""
    centers = kwargs.get("centers", inspect.signature(make_blobs).parameters["centers"].default)
    if any(not isinstance(v, numbers.Integral) or isinstance(v, bool) for v in (seed, centers)):
        return kwargs
    k = check_int("make_blobs", "centers", centers, ge=1)
    d = check_int("make_blobs", "n_features", kwargs.get("n_features", 2), ge=1)
    return {**kwargs, "centers": blob_centers(k, d, _stream(seed, _SEED_CENTERS, owner))}


def load(name: str, split: str = "train", data_dir=None, download: bool = True, **kwargs):
    """Load a data set by name as ``(X, y)``.

    Names (see :func:`available`): bundled ``mnist-sample``, ``iris``,
    ``digits`` (never any network); generated ``xor``, ``blobs``, ``moons``,
    ``circles``, ``spiral``; full ``mnist`` and ``fashion-mnist`` (found
    locally or downloaded; see :mod:`nnumpy.datasets._download` for the lookup
    order and checksums). Underscores and case are ignored (``Fashion_MNIST``).

    Splits: ``mnist-sample`` is the official MNIST *test* set, first 8,000
    images as ``train``, last 2,000 as ``test``; ``iris`` and ``digits`` are
    split stratified 80/20 (every fifth sample of each class is ``test``);
    these three also accept ``split="all"``. Generated sets draw ``train`` and
    ``test`` from different random streams derived from the seed.

    Args:
        name (str): the data set.
        split (str): ``"train"``, ``"test"`` or (bundled sets) ``"all"``. Default ``"train"``.
        data_dir (str | os.PathLike | None): first place to look for (and to
            download) ``mnist``/``fashion-mnist`` files. Default None.
        download (bool): fetch missing ``mnist``/``fashion-mnist`` files. Default True.
        **kwargs: generated sets: the generator's arguments (``n_samples``,
            ``noise``, ...) and ``rng`` (default 0, so ``load`` is
            deterministic; pass None for fresh entropy). With an int seed,
            ``blobs`` train and test share their centres. ``mnist``/
            ``fashion-mnist``: ``verify`` (default True), ``progress`` (default True).

    Shape:
        MNIST-like: X (N, 1, 28, 28) float32 in [0, 1]; digits: X (N, 1, 8, 8)
        float32 in [0, 1]; iris: X (N, 4) float32; generated: X (N, 2) float32
        (blobs: (N, n_features)). y: (N,) int64.

    Raises:
        DataError: unknown name (the message lists the names), or missing /
            corrupt data files. ValueError: a bad split. TypeError: an
            unexpected keyword argument.

    Example:
        >>> X, y = load("iris", split="test")
        >>> X.shape, X.dtype, y.dtype
        ((30, 4), dtype('float32'), dtype('int64'))
    """
    key = _canonical(name)
    owner = f"load({key!r})"
    check_bool(owner, "download", download)
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise param_error(owner, "data_dir", "None, a str or an os.PathLike", data_dir, TypeError)
    if key in _BUNDLED:
        check_choice(owner, "split", split, ("train", "test", "all"))
        _check_kwargs(key, kwargs, ())
        return _BUNDLED[key][0](split)
    check_choice(owner, "split", split, ("train", "test"))
    if key in _GENERATED:
        make = _GENERATED[key]
        _check_kwargs(key, kwargs, tuple(inspect.signature(make).parameters))
        seed = kwargs.pop("rng", 0)
        if key == "blobs":
            kwargs = _shared_centers(kwargs, seed, owner)
        return make(**kwargs, rng=_stream(seed, _SEED_SPLIT[split], owner))
    _check_kwargs(key, kwargs, _REMOTE_KWARGS)
    return _download.load_remote(key, split, data_dir, download, **kwargs)


def class_names(name: str, **kwargs) -> list[str]:
    """The name of each class of data set ``name``, indexed by label: ``class_names(name)[y[i]]``.

    MNIST-like digits (``mnist``, ``mnist-sample``, ``digits``) are ``"0"`` to
    ``"9"``; Fashion-MNIST's are ``"T-shirt/top"``, ``"Trouser"``, ...,
    ``"Ankle boot"``; iris's the species. Generated sets have no names, so
    their classes are ``"0"``, ``"1"``, ...; their count follows the
    generator's arguments as :func:`load` takes them (``n_classes`` for
    ``spiral``, ``centers`` for ``blobs``). Nothing is loaded or downloaded.

    Args:
        name (str): a data set name, as for :func:`load`.
        **kwargs: for generated sets, the generator arguments that set the class count.

    Raises:
        DataError: unknown name. TypeError: an argument the data set does not take.

    Example:
        >>> class_names("fashion-mnist")[9]
        'Ankle boot'
        >>> class_names("iris")
        ['setosa', 'versicolor', 'virginica']
        >>> class_names("spiral", n_classes=4)
        ['0', '1', '2', '3']
    """
    key = _canonical(name)
    if key in _CLASS_NAMES:
        _check_kwargs(key, kwargs, ())
        return list(_CLASS_NAMES[key])
    make = _GENERATED[key]
    params = inspect.signature(make).parameters
    _check_kwargs(key, kwargs, tuple(params))
    if key == "spiral":
        n = check_int(f"class_names({key!r})", "n_classes", kwargs.get("n_classes", params["n_classes"].default), ge=1)
    elif key == "blobs":
        centers = kwargs.get("centers", params["centers"].default)
        n = len(centers) if not isinstance(centers, numbers.Integral) else check_int(
            f"class_names({key!r})", "centers", centers, ge=1)
    else:
        n = 2
    return [str(i) for i in range(n)]


def available(data_dir=None) -> list[DatasetInfo]:
    """List every data set with its size, source and whether it is present.

    Args:
        data_dir (str | os.PathLike | None): also look here for downloadable
            sets, as :func:`load` would. Default None.

    Example:
        >>> rows = available()
        >>> [r.name for r in rows if r.kind == "bundled"]
        ['mnist-sample', 'iris', 'digits']
    """
    rows = []
    for name, (_, size, source) in _BUNDLED.items():
        rows.append(DatasetInfo(name, "bundled", size, source, True, str(BUNDLED_DIR)))
    for name, make in _GENERATED.items():
        n = inspect.signature(make).parameters["n_samples"].default
        summary = (inspect.getdoc(make) or "").splitlines()[0].replace("``", "")  # reST literals read as plain text
        source = f"nnumpy.datasets.{make.__name__}(): " + summary
        rows.append(DatasetInfo(name, "generated", f"{n} x 2 by default (n_samples=...)", source, True, ""))
    for name, (size, source) in _REMOTE.items():
        pairs = [_download.locate(name, s, data_dir) for s in _download.FILES]
        present = all(p is not None for p in pairs)
        where = sorted({str(p[0].parent) for p in pairs if p is not None})
        rows.append(DatasetInfo(name, "download", size, source, present, os.pathsep.join(where)))
    return rows


def format_available(rows=None, data_dir=None) -> str:
    """Return :func:`available` as a plain-text table (for ``nnumpy datasets``).

    Args:
        rows (list[DatasetInfo] | None): rows to show. Default None: ``available(data_dir)``.
        data_dir (str | os.PathLike | None): passed to :func:`available`. Default None.
    """
    rows = available(data_dir) if rows is None else rows
    header = ("name", "kind", "present", "size", "source / location")
    table = [
        (r.name, r.kind, "yes" if r.present else "no", r.size, r.source + (f" [{r.location}]" if r.location else ""))
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *table]:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * len(header[-1]))
    return "\n".join(lines)
