"""Datasets and mini-batch loading: ``Dataset``, ``TensorDataset``, ``DataLoader``."""

from __future__ import annotations

from ._loader import DataLoader, Dataset, TensorDataset

__all__ = ["Dataset", "TensorDataset", "DataLoader"]
