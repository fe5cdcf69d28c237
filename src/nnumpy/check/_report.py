"""What a check returns and how it reads: TensorCheck, GradcheckReport, Failure, LayerReport.

Also the few phrases every report shares (how to name a parameter, its ``.grad``,
an exception), so the gradient check, the hints and the learner reports word
things the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from ._diagnoses import Diagnosis, L

__all__ = ["TensorCheck", "GradcheckReport", "Failure", "LayerReport"]


def ranked(diagnoses: Iterable[Diagnosis], lang: str) -> list[Diagnosis]:
    """The diagnoses, most likely root cause first (stable by rank), each (code, tensor) once, in ``lang``."""
    seen, out = set(), []
    for d in sorted(diagnoses, key=lambda d: d.rank):
        if (d.code, d.tensor) not in seen:
            seen.add((d.code, d.tensor))
            out.append(d.in_lang(lang))
    return out


def hint_line(d: Diagnosis, lang: str) -> str:
    """``hint [code]: sentence`` (힌트 in Korean)."""
    return f"{'힌트' if lang == 'ko' else 'hint'} [{d.code}]: {d.text_in(lang)}"


@dataclass
class TensorCheck:
    """The comparison for one tensor (the input, or one parameter).

    ``analytic_array`` and ``numeric_array`` hold the full gradients (the
    hand-written one may have a wrong shape or be ``None``); ``n_bad`` counts
    the entries outside the tolerance and ``diagnoses`` name a recognisable
    pattern in the error (``hints`` are their English sentences).
    """

    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...] | None
    analytic: float  # value of the hand-written gradient at the worst entry
    numeric: float  # value of the central difference at the worst entry
    ok: bool
    problem: str = ""  # a structural problem (wrong shape, missing grad, ...) if any
    n_bad: int = 0
    analytic_array: np.ndarray | None = field(default=None, repr=False, compare=False)
    numeric_array: np.ndarray | None = field(default=None, repr=False, compare=False)
    diagnoses: list[Diagnosis] = field(default_factory=list)

    @property
    def hints(self) -> list[str]:
        return [d.text for d in self.diagnoses]

    def problem_in(self, lang: str) -> str:
        """:attr:`problem` in ``lang`` (the attribute itself stays English: code compares it)."""
        if lang != "ko" or not self.problem:
            return self.problem
        if self.problem.startswith("backward left no gradient"):
            return "backward가 기울기를 남기지 않음 (grad가 None)"
        if self.problem.startswith("backward returned shape") and self.analytic_array is not None:
            return f"backward가 돌려준 모양 {self.analytic_array.shape}, 기대한 모양 {self.shape}"
        if self.problem == "non-finite analytic gradient":
            return "backward의 기울기에 inf 또는 NaN이 있음"
        return self.problem

    def row(self, lang: str = "en") -> str:
        idx = "-" if self.worst_index is None else str(self.worst_index)
        status = "ok" if self.ok else "FAIL"
        text = (
            f"{self.name:<16} {str(self.shape):<14} {self.max_abs_error:>11.3e} {self.max_rel_error:>11.3e} "
            f"{idx:<12} {self.analytic:>12.5g} {self.numeric:>12.5g}  {status}"
        )
        return text + (f"  ({self.problem_in(lang)})" if self.problem else "")


@dataclass
class GradcheckReport:
    """Result of :func:`gradcheck`: ``ok``, ``max_rel_error`` and a per-tensor table."""

    target: str
    checks: list[TensorCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3
    lang: str = "en"
    problem_diagnoses: list[Diagnosis] = field(default_factory=list)
    problem_phrases: list[L] = field(default_factory=list, repr=False)  # each of ``problems`` in both languages

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.ok for c in self.checks)

    def _problem(self, phrase: L) -> None:
        """Record a problem: its English sentence in ``problems``, both languages in ``problem_phrases``."""
        self.problems.append(phrase.en)
        self.problem_phrases.append(phrase)

    def problem_phrase(self, i: int) -> L:
        """``problems[i]`` in both languages (English twice for a problem appended as plain text)."""
        p = self.problems[i]
        return next((ph for ph in self.problem_phrases if ph.en == p), L(p, p))

    @property
    def diagnoses(self) -> list[Diagnosis]:
        """Every named bug, most likely first: ``report.diagnoses[0].code``."""
        return ranked(self.problem_diagnoses + [d for c in self.checks for d in c.diagnoses], self.lang)

    @property
    def max_rel_error(self) -> float:
        return max((c.max_rel_error for c in self.checks), default=0.0)

    @property
    def max_abs_error(self) -> float:
        return max((c.max_abs_error for c in self.checks), default=0.0)

    @property
    def worst(self) -> TensorCheck | None:
        return max(self.checks, key=lambda c: c.max_rel_error, default=None)

    @property
    def hints(self) -> list[str]:
        """Every hint of every tensor, as ``"name: hint"`` strings, in the report's language."""
        return [f"{c.name}: {d.text_in(self.lang)}" for c in self.checks for d in c.diagnoses]

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        ko = self.lang == "ko"
        settings = f"float64, eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}"
        if ko:
            verdict = "통과" if self.ok else "실패"
            head = f"{self.target}의 gradcheck: {verdict} (최대 상대 오차 {self.max_rel_error:.3e}; {settings})"
        else:
            verdict = "OK" if self.ok else "FAILED"
            head = f"gradcheck of {self.target}: {verdict} (max relative error {self.max_rel_error:.3e}; {settings})"
        lines = [
            head,
            f"{'tensor':<16} {'shape':<14} {'max abs err':>11} {'max rel err':>11} {'worst index':<12} "
            f"{'analytic':>12} {'numeric':>12}  status",
        ]
        lines += [c.row(self.lang) for c in self.checks]
        lines += [f"{'문제' if ko else 'problem'}: {self.problem_phrase(i).get(self.lang)}"
                  for i in range(len(self.problems))]
        lines += [hint_line(d, self.lang) for d in self.problem_diagnoses]
        lines += [f"{hint_line(d, self.lang).split(': ', 1)[0]}: {c.name}: {d.text_in(self.lang)}"
                  for c in self.checks for d in c.diagnoses]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from .._html import report_html

        return report_html(str(self), self.ok)


@dataclass
class Failure:
    """One failed check: which ``check``, which ``tensor``, what happened, and the ``diagnoses``."""

    check: str
    tensor: str
    message: str
    diagnoses: list[Diagnosis] = field(default_factory=list)
    lang: str = "en"

    @property
    def hints(self) -> list[str]:
        """The diagnoses' sentences in the report's language."""
        return [d.text_in(self.lang) for d in self.diagnoses]

    def __str__(self) -> str:
        return self.message + "".join(f"\n   {hint_line(d, self.lang)}" for d in self.diagnoses)


@dataclass
class LayerReport:
    """Result of :func:`check_layer` / :func:`check_loss`.

    Attributes:
        target: the checked class's name.
        input_shape: the input (or prediction) shape used.
        checks: ``{check name: "ok" | "FAIL" | "skipped"}`` in the order run (a check
            is skipped when an earlier failure makes it impossible to run).
        findings: a :class:`Failure` per problem found.
        gradcheck: the :class:`GradcheckReport` of the float64 gradient check
            (``None`` when forward or backward could not run).
        notes: observations that are not failures.
        lang: ``'en'`` or ``'ko'``, the language of the diagnoses and of ``print(report)``.
        diagnoses: every named bug, most likely root cause first (``report.diagnoses[0].code``).
    """

    target: str
    input_shape: tuple[int, ...]
    kind: str = "layer"
    checks: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict, repr=False)
    findings: list[Failure] = field(default_factory=list)
    gradcheck: GradcheckReport | None = None
    notes: list[str] = field(default_factory=list)
    lang: str = "en"

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def diagnoses(self) -> list[Diagnosis]:
        """Every named bug of every failure, most likely root cause first."""
        return ranked([d for f in self.findings for d in f.diagnoses], self.lang)

    @property
    def failures(self) -> list[str]:
        """Each failure in plain words, with its hints."""
        return [str(f) for f in self.findings]

    @property
    def failed(self) -> list[str]:
        """Names of the failed checks (``'gradient'``, ``'grad_output'``, ...)."""
        return [name for name, status in self.checks.items() if status == "FAIL"]

    @property
    def hints(self) -> list[str]:
        return [h for f in self.findings for h in f.hints]

    def __bool__(self) -> bool:
        return self.ok

    def _fail(self, check: str, tensor: str, message: str | L, diagnoses: Iterable[Diagnosis | None] = ()) -> Failure:
        """Record a failed ``check``; ``message`` is an :class:`L` (or text already in the report's language)."""
        self.checks[check] = "FAIL"
        text = message.get(self.lang) if isinstance(message, L) else message
        failure = Failure(check, tensor, text, [d for d in diagnoses if d is not None], self.lang)
        self.findings.append(failure)
        return failure

    def _note(self, text: L) -> None:
        self.notes.append(text.get(self.lang))

    def _pass(self, check: str) -> None:
        if self.checks.get(check) != "FAIL":
            self.checks[check] = "ok"

    def __str__(self) -> str:
        what = "input" if self.kind == "layer" else "pred"
        fn = "check_layer" if self.kind == "layer" else "check_loss"
        n_fail, n = len(self.failed), len(self.checks)
        ko = self.lang == "ko"
        if ko:
            verdict = "통과" if self.ok else f"실패 (검사 {n}개 중 {n_fail}개 실패)"
            lines = [f"{fn}({self.target}), {what} 모양 {self.input_shape}: {verdict}"]
        else:
            verdict = "OK" if self.ok else f"FAILED ({n_fail} of {n} checks failed)"
            lines = [f"{fn}({self.target}) on {what} shape {self.input_shape}: {verdict}"]
        for name, status in self.checks.items():
            lines.append(f"  {'[' + status + ']':<9} {self.titles.get(name, name)}")
        for i, f in enumerate(self.findings, start=1):
            lines.append(f"{i}. {f}")
        lines += [f"{'참고' if ko else 'note'}: {n}" for n in self.notes]
        if self.gradcheck is not None and not self.ok:
            table = str(self.gradcheck).split("\n")
            lines.append("기울기 검사 표 (float64):" if ko else "gradient check table (float64):")
            lines += ["  " + row for row in table[1:] if not row.startswith(("hint", "힌트", "problem:", "문제:"))]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from .._html import report_html

        return report_html(str(self), self.ok)


# ---------------------------------------------------------------------------- shared phrases


def param_ref(name: str) -> str:
    """How a learner would write the parameter: self.weight (or '0.weight' when nested)."""
    return f"self.{name}" if name.isidentifier() else f"'{name}'"


def grad_ref(name: str) -> str:
    """How a learner would write the parameter's gradient."""
    return f"self.{name}.grad" if name.isidentifier() else f"the .grad of parameter '{name}'"


def accumulate_advice(name: str) -> str:
    """How to add into the parameter's gradient, and what not to write."""
    short = name.split(".")[-1]
    if name.isidentifier():
        return f"self.{name}.accumulate(d{short}) or self.{name}.grad += ..., never self.{name}.grad = ..."
    return f"param.accumulate(d{short}) or param.grad += ... for parameter '{name}', never param.grad = ..."


def advice(name: str) -> L:
    """:func:`accumulate_advice` in both languages."""
    short = name.split(".")[-1]
    if name.isidentifier():
        ko = f"self.{name}.accumulate(d{short}) 또는 self.{name}.grad += ... (self.{name}.grad = ...는 안 됩니다)"
    else:
        ko = f"파라미터 '{name}'에 param.accumulate(d{short}) 또는 param.grad += ... (param.grad = ...는 안 됩니다)"
    return L(accumulate_advice(name), ko)


def grad_ref_l(name: str) -> L:
    """:func:`grad_ref` in both languages."""
    if name.isidentifier():
        return L(grad_ref(name), grad_ref(name))
    return L(grad_ref(name), f"파라미터 '{name}'의 .grad")


def error_text(e: BaseException) -> str:
    """``"ValueError: what it said"`` without a trailing full stop."""
    return f"{type(e).__name__}: {str(e).rstrip('.')}"


def worst_entry_text(tc: TensorCheck) -> L:
    """A failed value comparison in words: how many entries, the worst one, the size of its error."""
    what = "the input gradient dL/dx" if tc.name == "input" else f"the gradient of '{tc.name}'"
    what_ko = "입력 기울기 dL/dx" if tc.name == "input" else f"'{tc.name}'의 기울기"
    total = int(np.prod(tc.shape)) if tc.shape else 1
    idx = ", ".join(str(i) for i in tc.worst_index) if tc.worst_index is not None else ""
    err = abs(tc.analytic - tc.numeric)
    return L(f"gradient check: {what} is wrong at {tc.n_bad} of {total} entries. Worst entry {tc.name}[{idx}]: "
             f"backward gives {tc.analytic:.6g}, central difference gives {tc.numeric:.6g} "
             f"(abs error {err:.2e}, relative error {tc.max_rel_error:.2e}).",
             f"기울기 검사: {what_ko}가 항목 {total}개 중 {tc.n_bad}개에서 틀립니다. 가장 틀린 항목 {tc.name}[{idx}]: "
             f"backward는 {tc.analytic:.6g}, 중심 차분은 {tc.numeric:.6g}입니다 "
             f"(절대 오차 {err:.2e}, 상대 오차 {tc.max_rel_error:.2e}).")
