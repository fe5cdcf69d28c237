"""Data sets: bundled files, toy generators, MNIST/Fashion-MNIST and the IDX format.

``load(name, split)`` returns ``(X, y)`` with X float32 and y int64:

* bundled, no network ever: ``mnist-sample`` (the official MNIST test set,
  first 8,000 images = train, last 2,000 = test), ``iris``, ``digits``;
* generated: ``xor``, ``blobs``, ``moons``, ``circles``, ``spiral`` (also as
  ``make_xor(...)`` etc.);
* ``mnist`` and ``fashion-mnist``: looked up in ``data_dir``, ``$NNUMPY_DATA``,
  the user cache and (Fashion-MNIST) Debian's package directory, else
  downloaded and checksum-verified.

``available()`` lists them; ``class_names(name)`` names the classes (Fashion-MNIST's
"T-shirt/top" ... "Ankle boot", iris's species); ``read_idx`` / ``write_idx`` handle IDX files.
"""

from __future__ import annotations

from ._download import cache_dir, download, search_dirs
from ._idx import read_idx, read_idx_pair, write_idx
from ._registry import DatasetInfo, available, class_names, dataset_names, format_available, load
from ._toy import make_blobs, make_circles, make_moons, make_spiral, make_xor

__all__ = [
    "load",
    "class_names",
    "available",
    "format_available",
    "dataset_names",
    "DatasetInfo",
    "download",
    "cache_dir",
    "search_dirs",
    "read_idx",
    "write_idx",
    "read_idx_pair",
    "make_xor",
    "make_blobs",
    "make_moons",
    "make_circles",
    "make_spiral",
]
