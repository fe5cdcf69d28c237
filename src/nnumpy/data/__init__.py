"""Datasets and mini-batch loading: ``Dataset``, ``TensorDataset``, ``DataLoader``.

What lives where:

- ``_dataset.py``: :class:`Dataset` (samples by index) and :class:`TensorDataset`
  (rows of in-memory arrays).
- ``_loader.py``: :class:`DataLoader`, mini-batches reshuffled every epoch,
  with a ``state_dict`` that resumes an interrupted epoch bit for bit.
- :class:`DistributedSampler`, each rank's shard of an epoch for data-parallel
  training, lives in ``nnumpy.distributed`` and is re-exported here.
"""

from __future__ import annotations

from ._dataset import Dataset, TensorDataset
from ._loader import DataLoader
from ..distributed import DistributedSampler

__all__ = ["Dataset", "TensorDataset", "DataLoader", "DistributedSampler"]
