"""Probes of forward that the gradient check cannot see: an ignored argument, randomness not replayed.

:func:`probe_forward` runs forward on fresh copies of the layer: twice on the same
input with NumPy's global generator rewound (each copy carries its own ``rng`` in
the same state), then on a different input. Different outputs the first time
mean randomness the check cannot replay; the same output the second time means
forward does not use its argument.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..nn._module import Module
from ._diagnoses import L, diagnosis
from ._numerics import nearly_equal, same_state
from ._report import LayerReport

GLOBAL_RNG_NOTE = L(
    "forward draws from NumPy's global random generator (np.random.rand, np.random.randn, ...): the check saved its "
    "state, replayed the same numbers at every evaluation and left it as it was. nnumpy's own layers take an rng "
    "argument instead (Dropout(p, rng=seed)).",
    "forward가 NumPy의 전역 난수 생성기(np.random.rand, np.random.randn 등)에서 난수를 뽑습니다. 검사는 그 상태를 "
    "저장해 매번 같은 난수를 재현했고, 끝난 뒤 원래대로 돌려놓았습니다. nnumpy의 레이어는 대신 rng 인자를 받습니다"
    "(Dropout(p, rng=seed)).")


def _output(fresh: Callable[[], Module], x: np.ndarray) -> np.ndarray:
    return np.array(fresh()(x.copy()), dtype=np.float64)


def probe_forward(rep: LayerReport, fresh: Callable[[], Module], x: np.ndarray, out: np.ndarray) -> bool:
    """Record a forward that ignores its argument or draws unreplayable random numbers; True when it ignores x."""
    state = np.random.get_state()
    try:
        o1 = _output(fresh, x)
        used_global = not same_state(state, np.random.get_state())
        np.random.set_state(state)
        o2 = _output(fresh, x)
        np.random.set_state(state)
        o3 = _output(fresh, np.random.default_rng(4242).standard_normal(x.shape))
    except Exception:  # forward ran once already; a failure here is for the later checks to report
        return False
    finally:
        np.random.set_state(state)
    if o1.shape != o2.shape or not np.array_equal(o1, o2, equal_nan=True):
        diff = float(np.nanmax(np.abs(o1 - o2))) if o1.shape == o2.shape else float("nan")
        rep._fail("forward", "output", L("two runs of forward on the same input, with every random generator rewound, "
                                         f"gave different outputs (largest difference {diff:.3g}).",
                                         "모든 난수 생성기를 되돌리고 같은 입력으로 forward를 두 번 실행했더니 출력이 "
                                         f"달랐습니다(최대 차이 {diff:.3g})."), [diagnosis("rng-not-replayed", "output")])
        return False
    if x.size and o3.shape == o1.shape and o1.size and nearly_equal(o1, o3):
        rep._fail("forward", "input", L("forward returned the same output for two different inputs: the output does "
                                        "not depend on the argument x.",
                                        "서로 다른 두 입력에 forward가 같은 출력을 돌려줬습니다. 출력이 인자 x에 "
                                        "따라 달라지지 않습니다."), [diagnosis("forward-ignores-input", "input")])
        return True
    if used_global:
        rep._note(GLOBAL_RNG_NOTE)
    return False
