"""Implementation of :mod:`nnumpy.io` (model files and checkpoints); import from there."""
