"""The order in which hints are tried on a wrong gradient: :data:`TENSOR_HINTS`.

Each entry adapts one hint of ``_hints.py`` or one detector of ``_detectors.py``
to a :class:`~._hints.HintCase`; :func:`add_hints` tries them in order on every
failing tensor of a report. A new diagnosis is one function and one entry here.
This table imports both modules, so neither imports the other back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _detectors as d
from ._diagnoses import Diagnosis, diagnosis
from ._hints import (HintCase, batchwise_shape_hint, jacobian_hint, linearity_hint, mask_hint, ratio_hint,
                     shape_hint, size_names, transpose_hint, weights_hint)
from ._numerics import nearly_equal
from ._report import GradcheckReport, advice, grad_ref_l


def _missing_gradient(c: HintCase) -> Diagnosis | None:
    if c.analytic is None and c.check.problem.startswith("backward left no gradient"):
        return diagnosis("grad-never-set", c.name, grad_ref=grad_ref_l(c.name), advice=advice(c.name))
    return None


def _weights(c: HintCase) -> Diagnosis | None:
    if c.analytic is None or c.numeric is None:
        return None
    return weights_hint(c.name, c.analytic, c.params)


def _transposed(c: HintCase) -> Diagnosis | None:
    if c.analytic is None or c.numeric is None:
        return None
    return transpose_hint(c.name, c.analytic, c.numeric)


def _batchwise(c: HintCase) -> Diagnosis | None:
    if c.analytic is None or c.numeric is None or c.comparable:
        return None
    return batchwise_shape_hint(c.name, c.analytic.shape, c.numeric.shape, c.batch)


def _reshape_missing(c: HintCase) -> Diagnosis | None:
    a, n = c.analytic, c.numeric
    if c.name != "input" or a is None or n is None or c.comparable or a.size != n.size:
        return None
    if nearly_equal(a.reshape(n.shape), n):
        return diagnosis("reshape-missing", c.name, got=a.shape, shape=n.shape)
    return None


def _wrong_shape(c: HintCase) -> Diagnosis | None:
    if c.analytic is None or c.numeric is None or c.comparable:
        return None
    has_matrix = any(w.ndim == 2 for w in c.params.values())
    return shape_hint(c.name, c.analytic, c.numeric.shape, c.out_shape, has_matrix)


def _non_finite(c: HintCase) -> Diagnosis | None:
    if c.comparable and not np.all(np.isfinite(c.analytic)):
        return diagnosis("non-finite-gradient", c.name)
    return None


def _all_zeros(c: HintCase) -> Diagnosis | None:
    if c.comparable and not np.any(c.analytic) and np.any(c.numeric):
        return diagnosis("gradient-all-zero", c.name)
    return None


def _constant_ratio(c: HintCase) -> Diagnosis | None:
    if not c.comparable:
        return None
    # The sizes come from the input even for a parameter's gradient: a bias
    # gradient off by N is off by the batch size, not by a size of its own shape.
    sizes = size_names(c.x.shape if c.x is not None else c.numeric.shape, c.out_shape)
    return ratio_hint(c.name, c.analytic, c.numeric, sizes)


def _wrong_branch(c: HintCase) -> Diagnosis | None:
    if not c.comparable or c.x is None or c.name != "input":
        return None
    return mask_hint(c.name, c.analytic, c.numeric, c.x, c.atol, c.rtol)


def _ignores_grad_output(c: HintCase) -> Diagnosis | None:
    if not c.can_rerun_input:
        return None
    return linearity_hint(c.run, c.backward, c.R, c.x.shape)


def _jacobian_pattern(c: HintCase) -> Diagnosis | None:
    if not c.can_rerun_input:
        return None
    return jacobian_hint(c.run, c.backward, c.x, c.out_shape, c.eps, c.atol, c.rtol, d.batch_coupled(c))


@dataclass(frozen=True)
class Hint:
    """One diagnosis: ``find(case)`` returns a :class:`Diagnosis` or None.

    An ``alone`` hint is only tried while no earlier hint has spoken for the
    tensor: it explains the error as a whole, so it must not contradict them.
    """

    find: Callable[[HintCase], Diagnosis | None]
    alone: bool = False


def _hint_list() -> list[Hint]:
    return [
        Hint(d.mask_redrawn),
        Hint(_missing_gradient),
        Hint(_weights),
        Hint(_transposed),
        Hint(_batchwise, alone=True),
        Hint(_reshape_missing, alone=True),
        Hint(_wrong_shape, alone=True),
        Hint(_non_finite),
        Hint(_all_zeros),
        Hint(d.transposed_input, alone=True),
        Hint(d.summed_wrong_axis, alone=True),
        Hint(d.wrong_cache, alone=True),
        Hint(d.logits_gradient, alone=True),
        Hint(d.dropout_scale, alone=True),
        Hint(d.fixed_batch_ratio, alone=True),
        Hint(_constant_ratio, alone=True),
        Hint(_ignores_grad_output, alone=True),
        Hint(d.batch_coupling, alone=True),
        Hint(d.mask_from_grad_output, alone=True),
        Hint(d.mask_not_applied, alone=True),
        Hint(d.derivative_at_input, alone=True),
        Hint(d.derivative_at_output, alone=True),
        Hint(_wrong_branch, alone=True),
        Hint(d.loss_branch, alone=True),
        Hint(_jacobian_pattern, alone=True),
    ]


#: The hints tried on every failing tensor, in this order.
TENSOR_HINTS: list[Hint] = _hint_list()


def add_hints(report: GradcheckReport, params: dict[str, np.ndarray], x: np.ndarray, out_shape,
              run=None, backward=None, R=None, eps: float = 1e-6, **facts) -> None:
    """Attach diagnoses to every failing tensor check of ``report``."""
    out_shape = tuple(out_shape)
    for tc in report.checks:
        if tc.ok:
            continue
        case = HintCase(tc, params, x, out_shape, report.atol, report.rtol, eps, run, backward, R, facts)
        for hint in TENSOR_HINTS:
            if hint.alone and tc.diagnoses:
                continue
            try:
                found = hint.find(case)
            except Exception:  # a detector re-runs user code; its failure is not the report's
                found = None
            if found is not None:
                tc.diagnoses.append(found)
