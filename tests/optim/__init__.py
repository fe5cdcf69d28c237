"""Tests of nnumpy.optim, one file per optimizer plus the base class and lr schedulers
(tests/README.md has the map; a package so its basenames stay private)."""
