"""The ``nnumpy`` command: train, evaluate, predict, datasets, info, gradcheck.

``nnumpy train`` with no options is the main job: the 784-512-256-10 sigmoid
MLP trained with SGD (lr 0.5, batch 32) on the bundled ``mnist-sample``,
validated each epoch on a held-out tenth of the training split and tested once
at the end, then the model, a checkpoint, ``history.csv``, ``run.toml`` (which
replays the run) and (with matplotlib) ``curves.png`` in
``runs/<dataset>-<timestamp>/``.

Exit status: 0 success; 1 a runtime error (missing or corrupt file, bad data,
a failed gradient check); 2 a usage error (bad option or option value); 130
interrupted (Ctrl-C); 141 stdout closed early (``_output``). Errors print one line, ``nnumpy: error: ...``, on
stderr; ``--debug`` shows the traceback instead.

Layout of this package (the implementation lives in private modules; this
file re-exports the public names once):

- ``_main``: :func:`main`, errors to one line and an exit status (``_errors``).
- ``_argparser``: the argument parser; one module per subcommand adds its
  options and the function that runs it: ``_train``, ``_evaluate``,
  ``_predict``, ``_datasets``, ``_info``, ``_gradcheck``, ``_export``, ``_sweep``
  (a grid or random search, one run per MPI rank).
- ``_settings``: a train run's settings from defaults, run.toml, TOML and
  flags; ``_config``: the TOML format, names and builders; ``_runfile``:
  run.toml, written and read back.
- ``_data`` (data sets, the validation hold-out, model files), ``_inputs``
  (predict's files), ``_imageprep`` (MNIST-style image preparation),
  ``_chart`` (ASCII charts), ``_plots`` (figures), ``_rundir`` (run files),
  ``_output`` (a stdout that closes early).

Example:
    >>> from nnumpy.cli import main
    >>> main(["datasets"])  # doctest: +SKIP
    0
"""

from ._chart import ascii_chart
from ._errors import UsageError
from ._argparser import build_parser
from ._main import main
# The file names of a run directory stay reachable here (nnumpy.cli.MODEL_FILE, ...).
from ._rundir import (ANIMATION_FILE, CHECKPOINT_FILE, CURVES_FILE, HISTORY_FILE,  # noqa: F401
                      MODEL_FILE, RUN_FILE, TRACE_FILE)

__all__ = ["main", "UsageError", "ascii_chart"]

# tests/test_readme.py reads the subcommands and their options from ``cli._parser()``.
_parser = build_parser
