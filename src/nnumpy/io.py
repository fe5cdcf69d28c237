"""Model files and training checkpoints in the safetensors format, without pickle.

- :func:`save` / :func:`load`: a model built from ``nnumpy.nn`` layers,
  architecture included. Tensors carry PyTorch's ``state_dict`` names, so
  ``safetensors.torch.load_file(path)`` + ``load_state_dict`` fill the same
  architecture in PyTorch.
- :func:`save_state` / :func:`load_state`: weights only, for models with
  user-defined layers (and for ``safetensors.torch.save_file`` files).
- :func:`save_checkpoint` / :func:`load_checkpoint`: model, optimizer,
  scheduler, History, RNG state, epoch and step.
- :func:`inspect`: what a file holds, without building it.
- :func:`register` / :func:`unregister`: let ``save``/``load`` handle your own
  layers (``@register`` on a Module subclass with ``get_config``).

Every write is atomic (temp file in the same directory, fsync, ``os.replace``,
directory fsync). Every read validates the header before allocating, checks
sha256 checksums of the tensors and of the metadata, and treats the
architecture as data checked against ``nnumpy.nn.LAYERS`` and the layers
registered in the running process; any problem is a
:class:`nnumpy.ModelFileError` naming the file.

Example:
    >>> import tempfile, os, numpy as np, nnumpy
    >>> from nnumpy import nn
    >>> model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=1))
    >>> path = os.path.join(tempfile.mkdtemp(), "mlp.safetensors")
    >>> _ = nnumpy.save(model, path)
    >>> x = np.ones((1, 4), dtype=np.float32)
    >>> bool(np.array_equal(nnumpy.load(path)(x), model(x)))
    True
    >>> nnumpy.io.inspect(path)["num_parameters"]
    23
"""

from ._io._checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ._io._inspect import inspect
from ._io._model import load, load_state, save, save_state
from ._io._registry import register, registered, unregister

__all__ = [
    "save", "load", "save_state", "load_state", "save_checkpoint", "load_checkpoint", "Checkpoint", "inspect",
    "register", "unregister", "registered",
]
