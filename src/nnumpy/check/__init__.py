"""Numerical gradient checking: compare a hand-written backward with central differences.

``gradcheck(module, x)`` checks dL/dx and dL/dθ for every parameter θ of a
Module, with L = Σ (module(x) ⊙ R) for a fixed random R, so every entry of
the backward's vector-Jacobian product is compared with
(L(θ + ε) − L(θ − ε)) / 2ε. ``gradcheck(loss_fn, pred, target)`` checks
d(loss)/d(pred) of a Loss.

Checks always run in float64: float32 central differences carry ~1e-3 noise and
would hide real bugs. float32 modules and inputs are upcast on a copy (the
caller's objects are never modified).

Besides the values, the check reports a backward that modifies its incoming
gradient in place, or returns a gradient of the wrong shape, and for a wrong
gradient it looks for the learner's bug behind it (a missing 1/N, a transposed
matrix, the weights returned as the input gradient, a bias not summed over the
batch, the derivative taken at the input instead of the output, ...) and names
it: ``report.diagnoses`` holds :class:`Diagnosis` objects with a stable
``code`` and the bug and its fix in words, in English or Korean (``lang``).
docs/debugging-backward.md explains every code.

``check_layer(layer, input_shape)`` and ``check_loss(loss_fn, pred_shape,
target)`` are the learner's reports: the gradient check plus the structural
rules every backward must follow (leave ``grad_output`` alone, return the
input's shape, add into ``param.grad``, work for batch sizes 1 and N, stay
finite on inputs of size ±1000), each failure explained in plain words.

What lives where (one job per file, all private, re-exported here):

- ``_numerics.py``: central differences, the comparison of two gradients,
  float64 copies, replaying a module's random generator;
- ``_gradcheck.py``: :func:`gradcheck`;
- ``_diagnoses.py``: the diagnosis codes, their ranks and their sentences in both languages;
- ``_hints.py``: the learner hints, functions that each look at one wrong gradient;
- ``_hint_table.py``: ``TENSOR_HINTS``, the order the hints and detectors are tried in;
- ``_detectors.py``: the hints that re-run the layer or loss to test one hypothesis each;
- ``_probes.py``: forward ignoring its argument, randomness the check cannot replay;
- ``_batch.py``: the batch check at other batch sizes, and what its failures mean;
- ``_report.py``: :class:`TensorCheck`, :class:`GradcheckReport`,
  :class:`Failure`, :class:`LayerReport` and how they print;
- ``_steps.py``: what check_layer and check_loss share (the copy under check,
  read-only arguments, the gradient and extreme-input steps);
- ``_layer.py``: :func:`check_layer`; ``_loss.py``: :func:`check_loss`.
"""

from ._diagnoses import Diagnosis as Diagnosis
from ._gradcheck import gradcheck as gradcheck
from ._layer import check_layer as check_layer
from ._loss import check_loss as check_loss
from ._report import Failure as Failure
from ._report import GradcheckReport as GradcheckReport
from ._report import LayerReport as LayerReport
from ._report import TensorCheck as TensorCheck

__all__ = [
    "gradcheck",
    "check_layer",
    "check_loss",
    "GradcheckReport",
    "TensorCheck",
    "LayerReport",
    "Failure",
    "Diagnosis",
]
