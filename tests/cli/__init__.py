"""Tests of the ``nnumpy`` command, one file per subcommand (``src/nnumpy/cli/``).

Most tests call ``nnumpy.cli.main(argv)`` in-process; test_main.py also runs
``python -m nnumpy`` in a subprocess to prove the real exit status and that no
traceback leaks. Training runs use iris or a few hundred MNIST images so the
tests stay fast. Shared helpers live in ``_helpers.py``, the shared runs in
``conftest.py``.
"""
