"""Tests of nnumpy.nn, one file per source file (tests/README.md has the map; a package so its
basenames stay private)."""
