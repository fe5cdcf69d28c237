"""Optimizer: the base class that owns parameter groups, per-parameter state and checkpoints.

Layout and semantics follow ``torch.optim.Optimizer``: ``param_groups`` is a
list of dicts (``'params'`` plus one value per hyperparameter), ``state`` maps
each ``Parameter`` to a dict of buffers, and ``state_dict()`` replaces
parameters by their position across all groups so a checkpoint does not hold
object identities.
"""

from __future__ import annotations

import math
import numbers
from functools import partial
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np

from .._validation import check_bool, check_float, param_error
from ..nn._module import Parameter

__all__ = ["Optimizer"]

# Hyperparameter checkers shared by the optimizers: ``checker(owner, name, value)``
# returns the value as a Python scalar (never a NumPy scalar, which would promote
# float32 arithmetic to float64 under NumPy 2) or raises the standard error.
positive_float = partial(check_float, gt=0)
nonnegative_float = partial(check_float, ge=0)


def _to_builtin(value: Any) -> Any:
    """NumPy scalars and 0-d arrays become Python scalars; lists/tuples are converted element-wise."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_builtin(v) for v in value)
    return value


def _ordered(owner: str, params: Any) -> list:
    """``list(params)``, refusing sets (their order, hence the state_dict indices, varies between runs)."""
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            f"{owner} needs parameters in an ordered collection (their order defines the "
            "state_dict indices); got a set: use a list instead."
        )
    try:
        return list(params)
    except TypeError:
        raise TypeError(
            f"{owner} expects an iterable of Parameters or of parameter-group dicts, got {type(params).__name__}."
        ) from None


class Optimizer:
    """Base class of every optimizer: ``θ ← update(θ, ∇θ, state)`` for each parameter group.

    Subclasses declare ``_param_specs`` (hyperparameter name -> checker) and
    implement ``_step_group(group, **hyperparameters)``. Parameters whose ``grad`` is ``None``
    are skipped, as in PyTorch.

    Args:
        params: an iterable of ``Parameter``s, or of dicts (parameter groups)
            each with a ``'params'`` entry and optional per-group hyperparameters.
        defaults: hyperparameter values used by groups that do not set them.

    Example:
        >>> import numpy as np
        >>> from nnumpy.nn import Parameter
        >>> from nnumpy.optim import SGD
        >>> w, b = Parameter(np.ones(2)), Parameter(np.zeros(1))
        >>> opt = SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.5]
        >>> w.grad = np.ones(2); opt.step(); w.data
        array([0.9, 0.9])
    """

    # Hyperparameter name -> checker; every optimizer has these three, subclasses extend the dict.
    _param_specs: dict[str, Callable[[str, str, Any], Any]] = {
        "lr": positive_float,
        "weight_decay": nonnegative_float,
        "maximize": check_bool,
    }

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], defaults: Mapping[str, Any]) -> None:
        owner = type(self).__name__
        if isinstance(params, (Parameter, np.ndarray, dict)):
            raise TypeError(
                f"{owner} expects an iterable of Parameters or of parameter-group dicts, "
                f"got a single {type(params).__name__}: wrap it in a list, e.g. {owner}([param])."
            )
        self.defaults: dict[str, Any] = self._checked(dict(defaults))
        self.state: dict[Parameter, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = _ordered(owner, params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def _checked(self, group: dict[str, Any]) -> dict[str, Any]:
        """Check every known hyperparameter of ``group`` (in place) and return it."""
        owner = type(self).__name__
        for name, checker in self._param_specs.items():
            if name in group:
                group[name] = checker(owner, name, group[name])
        self._check_combination(group)
        return group

    def _check_combination(self, group: dict[str, Any]) -> None:
        """Hook for constraints that involve several hyperparameters (e.g. SGD's nesterov)."""

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters, with optional hyperparameters overriding ``defaults``.

        Useful to unfreeze layers during fine-tuning. A parameter may belong to
        one group only.
        """
        owner = type(self).__name__
        if not isinstance(param_group, Mapping):
            raise TypeError(f"{owner}.add_param_group expects a dict, got {type(param_group).__name__}.")
        if "params" not in param_group:
            raise ValueError(f"A parameter group of {owner} must have a 'params' entry; got keys {sorted(param_group)}.")
        params = param_group["params"]
        params = [params] if isinstance(params, Parameter) else _ordered(owner, params)
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{owner} can only optimize nnumpy.nn.Parameter objects, but item {i} of "
                    f"'params' is a {type(p).__name__}: wrap arrays as Parameter(array)."
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"A parameter group of {owner} lists the same parameter more than once.")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(
                f"{owner}: some parameters appear in more than one parameter group; a Parameter "
                "may belong to one group only."
            )
        group = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        group = self._checked(group)
        group["params"] = params
        self.param_groups.append(group)

    def _with_grad(self, group: dict[str, Any]) -> Iterator[Parameter]:
        """Yield the parameters of ``group`` that have a gradient (of the parameter's shape and dtype)."""
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            if grad.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: gradient of shape {grad.shape} does not match "
                    f"parameter of shape {p.data.shape}."
                )
            if grad.dtype != p.data.dtype:
                # As PyTorch refuses such a .grad: a float64 gradient would silently make the
                # update (and the optimizer's buffers) float64.
                raise TypeError(
                    f"{type(self).__name__}.step: gradient of dtype {grad.dtype} does not match parameter "
                    f"of dtype {p.data.dtype}: use Parameter.accumulate(), which casts, or .astype({p.data.dtype})."
                )
            yield p

    def _active(self, group: dict[str, Any]) -> Iterator[tuple[Parameter, dict[str, Any]]]:
        """Yield ``(param, state)`` for the parameters of ``group`` that have a gradient."""
        state = self.state
        for p in self._with_grad(group):
            st = state.get(p)
            if st is None:
                st = state[p] = self._init_state(p, group)
            yield p, st

    def _init_state(self, param: Parameter, group: dict[str, Any]) -> dict[str, Any]:
        """Return the fresh state of ``param`` (created at its first update)."""
        return {}

    # ------------------------------------------------------------------ stepping
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` if one is given.

        Args:
            closure: optional function that recomputes the gradients and returns
                the loss; it is called before the update. Default: ``None``.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            self._step_group(group, **{name: group[name] for name in self._param_specs})
        return loss

    def _step_group(self, group: dict[str, Any], **hyperparameters: Any) -> None:
        """Update the parameters of ``group``; its ``_param_specs`` values come as keyword arguments."""
        raise NotImplementedError(f"{type(self).__name__} must implement _step_group(group, **hyperparameters).")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: ``None`` by default, or zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad(set_to_none)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Return ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``.

        Parameters are numbered by position across all groups, as in PyTorch.
        Arrays are copies; the other values are Python ints, floats, bools,
        ``None``, strings, lists or tuples.
        """
        groups: list[dict[str, Any]] = []
        state: dict[int, dict[str, Any]] = {}
        start = 0
        for group in self.param_groups:
            ids = list(range(start, start + len(group["params"])))
            start += len(ids)
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
            for i, p in zip(ids, group["params"]):
                entry = self.state.get(p)
                if entry:  # PyTorch omits parameters without state
                    state[i] = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in entry.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters, step counts and buffers saved by ``state_dict()``.

        The structure (number of groups, parameters per group, buffer shapes)
        must match this optimizer; arrays are copied and cast to each
        parameter's dtype. Nothing is changed when validation fails.
        """
        owner = type(self).__name__
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                f"{owner}.load_state_dict expects a dict with 'state' and 'param_groups' entries "
                "(as returned by state_dict())."
            )
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, but {owner} has "
                f"{len(self.param_groups)}."
            )
        by_index: dict[int, Parameter] = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            saved_ids = list(saved.get("params", ()))
            if len(saved_ids) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict has {len(saved_ids)} parameters in group {i}, but {owner} "
                    f"has {len(group['params'])}."
                )
            for idx, p in zip(saved_ids, group["params"]):
                by_index[int(idx)] = p
            # Saved values win; a hyperparameter the saved group lacks keeps its current value.
            hyper = {k: _to_builtin(v) for k, v in saved.items() if k != "params"}
            foreign = sorted(k for k in hyper if k not in self._param_specs and k in _all_specs())
            if foreign:
                raise ValueError(
                    f"loaded state dict group {i} has hyperparameters {foreign} that {owner} does not have: it was "
                    f"saved by another optimizer. Build the optimizer the checkpoint was written with."
                )
            try:  # every value read from a file is checked as if passed by hand
                merged = {**{k: v for k, v in group.items() if k != "params"}, **hyper}
                lr = merged.pop("lr", None)  # a scheduler may have set it to 0 (LambdaLR, OneCycleLR's end)
                checked = self._checked(merged)
                if lr is not None:
                    checked["lr"] = check_float(owner, "lr", lr, ge=0)
                hyper = {k: checked[k] for k in (*group, *hyper) if k != "params"}  # the group's key order
            except (TypeError, ValueError) as e:
                raise type(e)(f"loaded state dict group {i}: {e}") from None
            new_groups.append({**hyper, "params": group["params"]})

        new_state: dict[Parameter, dict[str, Any]] = {}
        for idx, saved_state in state_dict["state"].items():
            try:
                p = by_index[int(idx)]
            except (KeyError, ValueError, TypeError):
                raise ValueError(f"loaded state dict has state for unknown parameter index {idx!r}.") from None
            entry = {}
            for key, value in saved_state.items():
                if isinstance(value, np.ndarray) and (
                    value.dtype.kind not in "biuf" or (value.dtype.kind == "f" and not np.isfinite(value).all())
                ):
                    raise ValueError(
                        f"loaded state dict entry {key!r} of parameter {idx} must be a finite numeric array, "
                        f"got dtype {value.dtype}{'' if value.dtype.kind not in 'f' else ' with NaN or infinity'}."
                    )
                if isinstance(value, np.ndarray) and value.ndim > 0:
                    if value.shape != p.data.shape:
                        raise ValueError(
                            f"loaded state dict entry {key!r} of parameter {idx} has shape {value.shape}, "
                            f"expected {p.data.shape}."
                        )
                    entry[key] = value.astype(p.data.dtype, copy=True)
                else:
                    value = _to_builtin(value)
                    if key == "step":
                        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
                            math.isfinite(value) and float(value).is_integer() and value >= 0
                        ):
                            raise ValueError(
                                f"loaded state dict 'step' of parameter {idx} must be an int >= 0, got {value!r}."
                            )
                        value = int(value)
                    entry[key] = value
            new_state[p] = entry
        for group, new in zip(self.param_groups, new_groups):
            group.clear()
            group.update(new)
        self.state = new_state

    # ------------------------------------------------------------------ description
    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines) + "\n)"

    def _repr_html_(self) -> str:
        """Jupyter's view: one row per parameter group, its size and hyperparameters."""
        from .._html import block, table

        keys = sorted({k for group in self.param_groups for k in group if k != "params"})
        rows = [[i, len(g["params"]), sum(p.data.size for p in g["params"]), *(g.get(k, "") for k in keys)]
                for i, g in enumerate(self.param_groups)]
        return block(type(self).__name__, table(["group", "tensors", "parameters", *keys], rows, right={1, 2}))


def _all_specs() -> set[str]:
    """Hyperparameter names of every optimizer class (to recognise a state dict saved by another one)."""
    names: set[str] = set()
    todo = [Optimizer]
    while todo:
        cls = todo.pop()
        names.update(cls._param_specs)
        todo.extend(cls.__subclasses__())
    return names


def check_betas(owner: str, name: str, value: Any) -> tuple[float, float]:
    """Check Adam's ``betas``: a pair of floats, each in [0, 1)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise param_error(owner, name, "a tuple of two floats in [0, 1)", value, TypeError)
    return tuple(check_float(owner, f"{name}[{i}]", b, ge=0, lt=1) for i, b in enumerate(value))
