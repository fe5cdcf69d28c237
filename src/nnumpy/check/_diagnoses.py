"""Diagnoses: what a failing check means, as a stable code and a sentence in English and Korean.

A :class:`Diagnosis` is data: ``code`` (stable, e.g. ``"bias-not-summed"``,
documented in docs/debugging-backward.md), the ``tensor`` it is about, and the
``facts`` its sentence is written from. :data:`CODES` holds, for every code, its
rank (lower is more likely the root cause: a layer that updates its own weights
explains every later mismatch), a short title and the sentence template, each
in both languages. A fact may itself be an :class:`L` (a phrase in both
languages), so a detector that computes words still gives both.

Adding a diagnosis: one entry in :data:`CODES`, one detector in ``_hints.py`` or
``_detectors.py`` that returns ``diagnosis(code, tensor, **facts)``, and its place
in ``_hint_table.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

__all__ = ["Diagnosis", "L", "CODES", "LANGS", "diagnosis", "check_lang"]

LANGS = ("en", "ko")


@dataclass(frozen=True)
class L:
    """A phrase in both languages."""

    en: str
    ko: str

    def get(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en


@dataclass(frozen=True)
class Code:
    rank: int
    title: L
    text: L


def check_lang(owner: str, lang) -> str:
    """``lang`` validated: ``'en'`` or ``'ko'``."""
    if lang not in LANGS:
        raise ValueError(f"The 'lang' parameter of {owner} must be 'en' or 'ko'. Got {lang!r} instead.")
    return lang


def what(tensor: str) -> L:
    """The gradient a sentence is about: the input gradient, d(loss)/d(pred) or a parameter's."""
    if tensor == "input":
        return L("the input gradient", "입력 기울기")
    if tensor == "pred":
        return L("d(loss)/d(pred)", "d(loss)/d(pred)")
    return L(f"the gradient of '{tensor}'", f"'{tensor}'의 기울기")


@dataclass(frozen=True)
class Diagnosis:
    """One named bug: ``code``, the ``tensor`` it concerns and ``text`` in the report's language.

    ``text_in('ko')`` gives the sentence in another language; ``title`` is the
    bug's short name. Compare codes, not sentences: the codes are stable.
    """

    code: str
    tensor: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    lang: str = "en"

    @property
    def rank(self) -> int:
        return CODES[self.code].rank

    @property
    def title(self) -> str:
        return CODES[self.code].title.get(self.lang)

    def text_in(self, lang: str) -> str:
        facts = {"what": what(self.tensor), "tensor": self.tensor, **self.facts}
        resolved = {k: (v.get(lang) if isinstance(v, L) else v) for k, v in facts.items()}
        return CODES[self.code].text.get(lang).format(**resolved)

    @property
    def text(self) -> str:
        return self.text_in(self.lang)

    def renamed(self, tensor: str) -> "Diagnosis":
        return replace(self, tensor=tensor)

    def in_lang(self, lang: str) -> "Diagnosis":
        return replace(self, lang=lang)

    def __str__(self) -> str:
        return self.text


def diagnosis(code: str, tensor: str = "", **facts) -> Diagnosis:
    """A :class:`Diagnosis` of a known ``code`` (a KeyError names an unknown one at once)."""
    CODES[code]
    return Diagnosis(code, tensor, facts)


def _c(rank: int, title_en: str, title_ko: str, en: str, ko: str) -> Code:
    return Code(rank, L(title_en, title_ko), L(en, ko))


# The sentence of a code is its template with the facts filled in; {what} is the
# gradient the diagnosis is about ("the input gradient", "the gradient of 'bias'").
CODES: dict[str, Code] = {
    # ------------------------------------------------------------ root causes first
    "params-changed": _c(
        0, "the layer changes its own parameters", "레이어가 자기 파라미터를 바꿈",
        "{where} changed {params} (largest change {change:.3g}): a layer must not update its own weights (no "
        "W -= lr * dW inside the layer). Backward only adds the gradient into param.grad; the optimizer changes "
        "the weights after backward",
        "{where}가 {params}의 값을 바꿨습니다(최대 변화 {change:.3g}). 레이어가 스스로 가중치를 갱신하면 안 됩니다"
        "(레이어 안의 W -= lr * dW 금지). backward는 기울기를 param.grad에 더하기만 하고, 가중치는 backward가 끝난 뒤 "
        "옵티마이저가 바꿉니다"),
    "forward-ignores-input": _c(
        1, "forward ignores its argument", "forward가 인자를 쓰지 않음",
        "forward gave the same output for two different inputs: it does not use its argument. It reads another "
        "array (a global variable such as x or x_train, or an attribute) where it should use its parameter x",
        "서로 다른 두 입력에 forward가 같은 출력을 냈습니다. 인자를 쓰지 않는 것입니다. 매개변수 x 대신 다른 배열"
        "(x나 x_train 같은 전역 변수, 또는 속성)을 읽고 있습니다"),
    "rng-not-replayed": _c(
        2, "randomness the check cannot replay", "되돌릴 수 없는 난수",
        "forward gave two different outputs for the same input with every generator rewound: it draws from a "
        "generator created inside forward (np.random.default_rng() with no seed?). Create it once in __init__ "
        "(self.rng = np.random.default_rng(seed)) and draw from self.rng in forward",
        "모든 난수 생성기를 되돌린 상태에서 같은 입력에 forward가 서로 다른 출력을 냈습니다. forward 안에서 새로 만든 "
        "생성기(시드 없는 np.random.default_rng()?)에서 난수를 뽑고 있습니다. 생성기는 __init__에서 한 번 만들고"
        "(self.rng = np.random.default_rng(seed)) forward에서는 self.rng에서 뽑으세요"),
    "mask-redrawn": _c(
        3, "the mask is drawn again in backward", "backward에서 마스크를 다시 뽑음",
        "backward draws new random numbers, so its mask is not the one forward used: draw the mask once in "
        "forward, keep it (self.mask) and reuse it in backward (dx = grad_output * self.mask)",
        "backward가 난수를 새로 뽑아서 forward가 쓴 마스크와 다른 마스크를 씁니다. 마스크는 forward에서 한 번 뽑아 "
        "저장하고(self.mask) backward에서 다시 쓰세요(dx = grad_output * self.mask)"),
    "target-form": _c(
        4, "targets in the wrong form (one-hot vs class indices)", "타깃 형식 오류(원-핫 대 클래스 인덱스)",
        "{detail}", "{detail}"),
    "forward-error": _c(
        5, "forward raises", "forward에서 예외 발생",
        "forward raised {error}: run it by hand on an input of shape {shape} and read the traceback",
        "forward가 {error}를 일으켰습니다. 모양 {shape}의 입력으로 직접 실행해 트레이스백을 읽어 보세요"),
    # ------------------------------------------------------------ writes into arrays
    "grad-output-modified": _c(
        6, "backward writes into grad_output", "backward가 grad_output을 덮어씀",
        "{fix}", "{fix}"),
    "input-modified": _c(
        6, "forward writes into its input", "forward가 입력 배열을 덮어씀",
        "forward writes into the caller's array ({example}): compute into a new array ({fix})",
        "forward가 호출한 쪽의 배열에 씁니다({example}). 새 배열로 계산하세요({fix})"),
    "cache-modified": _c(
        6, "backward changes its cache in place", "backward가 캐시를 제자리에서 바꿈",
        "compute into a new array (return self.grad / n) so every call returns the same gradient",
        "새 배열로 계산해서(return self.grad / n) 몇 번을 호출해도 같은 기울기를 돌려주게 하세요"),
    # ------------------------------------------------------------ shapes
    "returns-weights": _c(
        10, "backward returns the weights", "backward가 가중치를 반환함",
        "{detail}", "{detail}"),
    "returns-none": _c(
        10, "backward returns nothing", "backward가 아무것도 반환하지 않음",
        "backward must end with return dx, the gradient of the input (shape {shape})",
        "backward는 입력의 기울기 dx(모양 {shape})를 return해야 합니다"),
    "bias-not-summed": _c(
        10, "a shared parameter's gradient not summed over the batch", "공유 파라미터의 기울기를 배치에 대해 합하지 않음",
        "the gradient of '{tensor}' has shape {got}, one row per sample, but the parameter has shape {shape}: every "
        "sample adds to the same parameter, so sum over the batch (e.g. db = grad_output.sum(axis=0))",
        "'{tensor}'의 기울기 모양이 {got}로 샘플마다 한 행씩인데, 파라미터 모양은 {shape}입니다. 모든 샘플이 같은 "
        "파라미터에 기여하므로 배치 축으로 합하세요(예: db = grad_output.sum(axis=0))"),
    "bias-summed-wrong-axis": _c(
        10, "a parameter's gradient summed over the wrong axis", "파라미터 기울기를 엉뚱한 축으로 합함",
        "the gradient of '{tensor}' is summed over the wrong axis ({evidence}): sum over axis 0, the batch "
        "(grad.sum(axis=0)), and keep the feature axis",
        "'{tensor}'의 기울기를 엉뚱한 축으로 합했습니다({evidence}). 배치 축인 axis 0으로 합하고"
        "(grad.sum(axis=0)) 특성 축은 남기세요"),
    "bias-keepdims": _c(
        10, "keepdims=True left an axis of size 1", "keepdims=True가 크기 1인 축을 남김",
        "the gradient of '{tensor}' has shape {got} where the parameter has shape {shape}: keepdims=True kept the "
        "summed batch axis. Drop keepdims (grad.sum(axis=0))",
        "'{tensor}'의 기울기 모양이 {got}인데 파라미터 모양은 {shape}입니다. keepdims=True가 합한 배치 축을 남겼습니다. "
        "keepdims를 빼세요(grad.sum(axis=0))"),
    "transposed-weight-gradient": _c(
        10, "transposed weight gradient", "전치된 가중치 기울기",
        "{detail}", "{detail}"),
    "transposed-input-gradient": _c(
        10, "transposed weight in the input gradient", "입력 기울기에 전치된 가중치를 씀",
        "{detail}", "{detail}"),
    "reshape-missing": _c(
        10, "the gradient is not reshaped back", "기울기를 원래 모양으로 되돌리지 않음",
        "backward returns grad_output in the output's shape {got}; its values are right, only the shape is not: "
        "return grad_output.reshape(self.x_shape), the input's shape {shape} saved in forward",
        "backward가 grad_output을 출력 모양 {got} 그대로 돌려줍니다. 값은 맞고 모양만 틀립니다. forward에서 저장한 "
        "입력 모양 {shape}으로 되돌려 return grad_output.reshape(self.x_shape) 하세요"),
    "grad-shape": _c(
        40, "gradient of the wrong shape", "기울기 모양 오류",
        "{detail}", "{detail}"),
    "batch-axis-dropped": _c(
        12, "np.squeeze drops the batch axis", "np.squeeze가 배치 축을 없앰",
        "np.squeeze() drops the batch axis when the batch has one sample: squeeze only the axis you mean "
        "(np.squeeze(y, axis=1)) or reshape with x.shape[0]",
        "배치에 샘플이 하나뿐이면 np.squeeze()가 배치 축까지 없앱니다. 원하는 축만 지정하거나"
        "(np.squeeze(y, axis=1)) x.shape[0]으로 reshape하세요"),
    "fixed-batch-size": _c(
        8, "a constant where the batch size belongs", "배치 크기 자리에 상수를 씀",
        "a constant is used where the batch size belongs: {evidence}. Use N = {source}.shape[0] at every call",
        "배치 크기가 들어갈 자리에 상수를 썼습니다: {evidence}. 호출할 때마다 N = {source}.shape[0]을 쓰세요"),
    "batch-of-one": _c(
        30, "the layer needs several samples", "샘플이 여러 개 필요한 레이어",
        "a layer that needs several samples by design (BatchNorm in training) can be checked with batch_sizes=(2, N)",
        "설계상 샘플이 여러 개 필요한 레이어(학습 모드의 BatchNorm)는 batch_sizes=(2, N)으로 검사하세요"),
    # ------------------------------------------------------------ which array backward reads
    "mask-from-grad-output": _c(
        9, "mask taken from grad_output", "grad_output에서 마스크를 만듦",
        "backward takes its mask from the sign of grad_output (grad_output > 0); the mask belongs to forward's "
        "input: save it in forward (self.mask = x > 0) and use np.where(self.mask, grad_output, {other})",
        "backward가 grad_output의 부호(grad_output > 0)로 마스크를 만듭니다. 마스크는 forward 입력의 것입니다. "
        "forward에서 저장하고(self.mask = x > 0) np.where(self.mask, grad_output, {other})를 쓰세요"),
    "mask-not-applied": _c(
        11, "the mask is not applied in backward", "backward에서 마스크를 적용하지 않음",
        "the true gradient is 0 at {k} entries (where forward zeroed or dropped the value) but backward passes "
        "grad_output through there: multiply by the mask forward saved (grad_output * self.mask)",
        "forward가 값을 0으로 만든(버린) {k}개 원소에서 참 기울기는 0인데 backward는 grad_output을 그대로 흘려보냅니다. "
        "forward에서 저장한 마스크를 곱하세요(grad_output * self.mask)"),
    "dropout-scale": _c(
        9, "dropout scale in one pass only", "드롭아웃 배율을 한쪽에서만 적용",
        "forward draws a random mask, and where it keeps a value backward gives {c:.4g}× the true gradient: forward "
        "and backward must apply the same scale (inverted dropout multiplies by mask / (1 − p) in both)",
        "forward가 무작위 마스크를 쓰는데, 값을 남긴 자리에서 backward가 참 기울기의 {c:.4g}배를 냅니다. forward와 "
        "backward는 같은 배율을 써야 합니다(inverted dropout은 양쪽 모두 mask / (1 − p)를 곱합니다)"),
    "derivative-at-input": _c(
        9, "derivative evaluated at the input instead of the output", "도함수를 출력 대신 입력에서 계산함",
        "backward evaluates the derivative formula at the input x where it needs forward's output y: for sigmoid "
        "f'(x) = y(1 − y) and for tanh 1 − y², with y = the output cached in forward (self.out), not x",
        "backward가 도함수 식을 forward의 출력 y 대신 입력 x에 적용합니다. sigmoid는 f'(x) = y(1 − y), tanh는 "
        "1 − y²이고, 여기서 y는 x가 아니라 forward에서 저장한 출력(self.out)입니다"),
    "derivative-at-output": _c(
        9, "derivative evaluated at the output instead of the input", "도함수를 입력 대신 출력에서 계산함",
        "backward evaluates f' at forward's output y where it needs the input x (sigmoid(self.out) or "
        "np.tanh(self.out) applies the function a second time): use y(1 − y) or 1 − y² with y = self.out directly",
        "backward가 f'을 입력 x 대신 forward의 출력 y에서 계산합니다(sigmoid(self.out)나 np.tanh(self.out)는 함수를 "
        "한 번 더 적용한 것). y = self.out을 그대로 써서 y(1 − y) 또는 1 − y²로 계산하세요"),
    "wrong-cache": _c(
        9, "gradient computed from the wrong cached tensor", "엉뚱한 캐시 텐서로 기울기를 계산함",
        "the gradient of '{tensor}' is computed from {used} where {right} belongs: a weight's gradient pairs "
        "grad_output with the input of its product (dW = input.T @ delta), not with that product's output or "
        "the pre-activation",
        "'{tensor}'의 기울기를 {right} 대신 {used}로 계산했습니다. 가중치의 기울기는 grad_output과 그 곱셈의 입력을 "
        "짝지어 얻습니다(dW = input.T @ delta). 곱셈의 출력이나 활성화 전 값이 아닙니다"),
    "batchnorm-terms-missing": _c(
        9, "BatchNorm backward without the mean and variance terms", "BatchNorm backward에 평균·분산 항이 빠짐",
        "each sample's output depends on the whole batch (through the batch mean and variance), but backward treats "
        "them as constants (grad_output * gamma / std): add their terms, dx = (1/N)·(1/std)·(N·dxn − Σdxn − "
        "xn·Σ(dxn·xn)) with dxn = grad_output·gamma and sums over the batch",
        "각 샘플의 출력은 배치 평균과 분산을 통해 배치 전체에 의존하는데, backward는 이 둘을 상수로 취급합니다"
        "(grad_output * gamma / std). 두 항을 더하세요: dx = (1/N)·(1/std)·(N·dxn − Σdxn − xn·Σ(dxn·xn)), "
        "dxn = grad_output·gamma, 합은 배치 축"),
    "sums-over-batch": _c(
        9, "a sum over the batch axis where the feature axis belongs", "특성 축 대신 배치 축으로 합함",
        "backward mixes the samples of the batch, but forward treats each sample on its own: a sum or mean in "
        "backward runs over axis 0 (the batch) where it belongs to the feature axis (axis=1, keepdims=True)",
        "forward는 샘플을 각각 따로 처리하는데 backward는 배치의 샘플을 섞습니다. backward의 합이나 평균이 특성 축"
        "(axis=1, keepdims=True) 대신 배치 축(axis 0)으로 계산됩니다"),
    "offdiagonal-missing": _c(
        9, "only the Jacobian's diagonal used", "야코비안의 대각만 사용함",
        "backward uses only the diagonal of the Jacobian (each output on its own input), but every output of a row "
        "depends on the whole row: for softmax dx = y * (g − Σ_j g_j y_j), for log-softmax dx = g − softmax(x)·Σ_j g_j",
        "backward가 야코비안의 대각(각 출력이 자기 입력에만 의존)만 씁니다. 그런데 한 행의 모든 출력은 행 전체에 "
        "의존합니다. softmax는 dx = y * (g − Σ_j g_j y_j), log-softmax는 dx = g − softmax(x)·Σ_j g_j입니다"),
    "logits-gradient": _c(
        9, "the logits' gradient in a loss on probabilities", "확률 입력 손실에 로짓의 기울기를 씀",
        "backward returns (p − t)/{n}, the gradient with respect to the logits (where the sigmoid or softmax "
        "derivative cancels); this loss takes probabilities, so its own gradient is {fix}",
        "backward가 (p − t)/{n}을 돌려줍니다. 이것은 로짓에 대한 기울기입니다(sigmoid나 softmax의 도함수가 약분된 "
        "형태). 이 손실은 확률을 입력받으므로 기울기는 {fix}입니다"),
    "kink-nan": _c(
        9, "0/0 at the kink", "꺾이는 점에서 0/0",
        "at pred == target backward gives NaN ({error}): diff / np.abs(diff) is 0/0 there. Use np.sign(diff), "
        "which is 0 at the kink (a valid subgradient)",
        "pred == target에서 backward가 NaN을 냅니다({error}). diff / np.abs(diff)가 그 점에서 0/0입니다. "
        "꺾이는 점에서 0이 되는 np.sign(diff)(올바른 서브그래디언트)을 쓰세요"),
    # ------------------------------------------------------------ the gradient's values
    "ignores-grad-output": _c(
        14, "backward ignores grad_output", "backward가 grad_output을 쓰지 않음",
        "backward's result does not change when grad_output is doubled: it ignores grad_output. The input "
        "gradient is grad_output pushed back through the layer (grad_output @ W for a linear map, "
        "grad_output * f'(x) for an activation)",
        "grad_output을 두 배로 해도 backward의 결과가 그대로입니다. grad_output을 쓰지 않는 것입니다. 입력 기울기는 "
        "grad_output을 레이어를 거쳐 거꾸로 보낸 것입니다(선형 사상은 grad_output @ W, 활성화는 grad_output * f'(x))"),
    "nonlinear-in-grad-output": _c(
        30, "backward not linear in grad_output", "backward가 grad_output에 선형이 아님",
        "backward is not linear in grad_output (doubling grad_output does not double the result): it must multiply "
        "grad_output by a Jacobian that depends only on what forward cached",
        "backward가 grad_output에 선형이 아닙니다(grad_output을 두 배로 해도 결과가 두 배가 되지 않음). "
        "forward가 저장한 값에만 의존하는 야코비안을 grad_output에 곱해야 합니다"),
    "softmax-jacobian-diagonal": _c(
        9, "wrong diagonal of the softmax Jacobian", "softmax 야코비안의 대각 오류",
        "only the diagonal of the Jacobian is wrong (every off-diagonal ∂y_i/∂x_j matches): {example}. For "
        "softmax ∂y_i/∂x_j = y_i(δ_ij − y_j), i.e. J = diag(y) − y yᵀ with diagonal y_i(1 − y_i): check the δ_ij "
        "term (added, not assigned; y_i, not 1)",
        "야코비안의 대각만 틀렸습니다(대각 밖의 ∂y_i/∂x_j는 모두 맞음): {example}. softmax는 "
        "∂y_i/∂x_j = y_i(δ_ij − y_j), 즉 J = diag(y) − y yᵀ이고 대각은 y_i(1 − y_i)입니다. δ_ij 항을 확인하세요"
        "(대입이 아니라 더하기, 1이 아니라 y_i)"),
    "offdiagonal-wrong": _c(
        20, "wrong off-diagonal Jacobian entries", "야코비안의 대각 밖 원소 오류",
        "only the off-diagonal entries of the Jacobian (∂y_i/∂x_j, i ≠ j) are wrong; the diagonal matches",
        "야코비안의 대각 밖 원소(∂y_i/∂x_j, i ≠ j)만 틀렸고 대각은 맞습니다"),
    "elementwise-derivative": _c(
        25, "wrong derivative of an element-wise function", "원소별 함수의 도함수 오류",
        "the layer is element-wise (its Jacobian is diagonal), so grad_input = grad_output * f'(x), and f'(x) is "
        "wrong: {example}",
        "이 레이어는 원소별 함수(야코비안이 대각)이므로 grad_input = grad_output * f'(x)인데, f'(x)가 틀렸습니다: "
        "{example}"),
    "elementwise-uses-matmul": _c(
        20, "a matrix product where an element-wise one belongs", "원소별 곱 대신 행렬곱을 씀",
        "each output depends only on its own input (element-wise layer), but backward mixes entries: use an "
        "element-wise product (*) where a matrix product (@) was used",
        "각 출력은 자기 입력에만 의존하는데(원소별 레이어) backward가 원소들을 섞습니다. 행렬곱(@) 대신 원소별 "
        "곱(*)을 쓰세요"),
    "wrong-branch": _c(
        15, "one branch of a piecewise derivative is wrong", "구간별 도함수의 한 갈래가 틀림",
        "{what} is wrong only where {region} ({count} entries): check that branch of the derivative (the mask)",
        "{what}가 {region}인 곳({count}개 원소)에서만 틀립니다. 도함수의 그 갈래(마스크)를 확인하세요"),
    "missing-division": _c(
        18, "a missing division (e.g. 1/N)", "나눗셈 누락(예: 1/N)", "{detail}", "{detail}"),
    "extra-division": _c(
        18, "a division too many", "불필요한 나눗셈", "{detail}", "{detail}"),
    "wrong-sign": _c(
        18, "wrong sign", "부호 오류",
        "{what} has the wrong sign everywhere (backward / numeric = -1): a minus sign is missing or extra",
        "{what}의 부호가 모든 곳에서 반대입니다(backward / numeric = -1). 빼기 부호가 빠졌거나 하나 더 있습니다"),
    "constant-factor": _c(
        19, "a wrong constant factor", "상수 배율 오류",
        "{what} is {c:.6g}× the true one everywhere: a constant factor is wrong",
        "{what}가 모든 곳에서 참값의 {c:.6g}배입니다. 상수 배율이 틀렸습니다"),
    "non-finite-gradient": _c(
        20, "inf or NaN in the gradient", "기울기에 inf 또는 NaN",
        "backward produced inf or NaN where the true gradient is finite: an overflow or a division by zero",
        "참 기울기는 유한한데 backward가 inf나 NaN을 냈습니다. 오버플로나 0으로 나누기입니다"),
    "gradient-all-zero": _c(
        20, "the gradient is all zeros", "기울기가 모두 0",
        "backward gives all zeros for {tensor!r}: is the gradient computed but not returned/accumulated?",
        "backward가 {tensor!r}에 대해 모두 0을 냅니다. 기울기를 계산만 하고 반환하거나 누적하지 않았나요?"),
    # ------------------------------------------------------------ param.grad bookkeeping
    "grad-never-set": _c(
        12, "param.grad never set", "param.grad를 설정하지 않음",
        "backward never added a gradient into {grad_ref}: in backward use {advice}",
        "backward가 {grad_ref}에 기울기를 더하지 않았습니다. backward에서 {advice}를 쓰세요"),
    "grad-overwritten": _c(
        12, "param.grad overwritten", "param.grad를 덮어씀",
        "gradients accumulate until zero_grad() (as in PyTorch): use {advice}",
        "기울기는 zero_grad() 전까지 누적됩니다(PyTorch와 같음). {advice}를 쓰세요"),
    "grad-accumulate-wrong": _c(
        12, "param.grad not added once per call", "param.grad를 호출당 한 번씩 더하지 않음",
        "backward must add exactly its own gradient into param.grad, once per call",
        "backward는 호출마다 자기 기울기를 param.grad에 정확히 한 번 더해야 합니다"),
    # ------------------------------------------------------------ losses and numerics
    "loss-not-reduced": _c(
        10, "the loss is not reduced to one number", "손실을 숫자 하나로 줄이지 않음",
        "reduce it: return float(per_sample.mean())",
        "하나로 줄이세요: return float(per_sample.mean())"),
    "extreme-inputs": _c(
        30, "overflow or log(0) on extreme inputs", "극단적 입력에서 오버플로나 log(0)",
        "{fix}", "{fix}"),
    # ------------------------------------------------------------ no specific pattern
    "backward-error": _c(
        50, "backward raises", "backward에서 예외 발생",
        "backward raised {error}: check each array's shape against the formula (shape comments such as # (N, C) help)",
        "backward가 {error}를 일으켰습니다. 각 배열의 모양을 식과 대조해 보세요(# (N, C) 같은 모양 주석이 도움이 됩니다)"),
    "batch-error": _c(
        50, "fails for another batch size", "다른 배치 크기에서 실패",
        "the layer fails at batch size {b} only: look for a shape computed from something other than x.shape[0]",
        "배치 크기 {b}에서만 실패합니다. x.shape[0]이 아닌 다른 것으로 계산한 모양을 찾아보세요"),
    "gradient-mismatch": _c(
        60, "the gradient does not match", "기울기가 맞지 않음",
        "no known pattern: compare {what} with the central difference entry by entry (report.gradcheck) and derive "
        "the formula again for one sample",
        "알려진 패턴이 없습니다. {what}를 중심 차분과 원소별로 비교하고(report.gradcheck) 샘플 하나에 대해 식을 "
        "다시 유도해 보세요"),
}
