"""Tests of nnumpy.data: test_dataloader.py (Dataset, TensorDataset, DataLoader and its
mid-epoch resume). A package, so its basenames stay private."""
