"""Datasets and mini-batch loading: ``Dataset``, ``TensorDataset``, ``DataLoader``.

What lives where:

- ``_dataset.py``: :class:`Dataset` (samples by index) and :class:`TensorDataset`
  (rows of in-memory arrays).
- ``_loader.py``: :class:`DataLoader`, mini-batches reshuffled every epoch,
  with a ``state_dict`` that resumes an interrupted epoch bit for bit.
- ``_sampler.py``: :class:`DistributedSampler`, each rank's shard of an epoch
  (data-parallel training, ``nnumpy.distributed``).
"""

from __future__ import annotations

from ._dataset import Dataset, TensorDataset
from ._loader import DataLoader
from ._sampler import DistributedSampler

__all__ = ["Dataset", "TensorDataset", "DataLoader", "DistributedSampler"]
