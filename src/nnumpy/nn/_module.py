"""Parameter, Module and Sequential: the explicit-backprop building blocks.

A ``Module`` computes ``forward(x)`` and caches what its ``backward`` needs;
``backward(grad_output)`` adds dL/dθ into every ``Parameter.grad`` it owns and
returns dL/dx. Nothing is recorded behind the user's back: there is no autograd
graph, only the chain of modules the user built.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator, Mapping

import numpy as np

from ._summary import ModelSummary, layers_html, summary as _summary

__all__ = ["Parameter", "Module", "Sequential", "resolve_dtype", "as_float_array", "check_grad_output"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def resolve_dtype(dtype, owner: str = "nnumpy") -> np.dtype:
    """Return ``dtype`` as ``np.dtype``, accepting only float32 and float64."""
    try:
        dt = np.dtype(dtype if dtype is not None else np.float32)
    except TypeError:
        raise TypeError(f"The 'dtype' parameter of {owner} must be float32 or float64. Got {dtype!r} instead.") from None
    if dt not in _FLOAT_DTYPES:
        raise TypeError(f"The 'dtype' parameter of {owner} must be float32 or float64. Got {dt.name} instead.")
    return dt


def as_float_array(x, owner: str, name: str = "input") -> np.ndarray:
    """Return ``x`` as a floating ndarray (ints and bools become float32).

    float32 and float64 arrays pass through untouched (no copy), so the
    caller's dtype is preserved.
    """
    if isinstance(x, Parameter):
        x = x.data
    arr = np.asarray(x)
    if arr.dtype in _FLOAT_DTYPES:
        return arr
    if arr.dtype.kind == "f" and arr.dtype.newbyteorder("=") in _FLOAT_DTYPES:
        return arr.astype(arr.dtype.newbyteorder("="))  # big-endian (IDX data from np.frombuffer): to native
    if arr.dtype.kind in "biu" or arr.dtype == np.float16:
        return arr.astype(np.float32)
    raise TypeError(f"{owner} expected a numeric {name} array, got dtype {arr.dtype}.")


def check_grad_output(owner: str, grad_output, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``grad_output`` as an array, or raise ``ValueError`` unless its shape is ``shape``.

    Every backward checks this: a gradient of another shape would broadcast or
    reshape silently into a wrong result.
    """
    g = np.asarray(grad_output)
    if g.shape != tuple(shape):
        raise ValueError(f"{owner}.backward expected grad_output of shape {tuple(shape)}, got {g.shape}.")
    return g


class Parameter:
    """A trainable array: ``.data`` holds the values, ``.grad`` the accumulated gradient.

    ``grad`` is ``None`` until the first ``backward`` and after ``zero_grad()``
    (as in PyTorch, where ``set_to_none=True`` is the default). Backward passes
    *add* into ``grad`` (:meth:`accumulate`), so two backward calls without a
    ``zero_grad`` in between sum their gradients.

    Example:
        >>> p = Parameter(np.zeros(3))
        >>> p.accumulate(np.ones(3)); p.accumulate(np.ones(3)); p.grad
        array([2., 2., 2.])
    """

    __slots__ = ("data", "grad")

    def __init__(self, data, dtype=None):
        arr = np.array(data, dtype=dtype, copy=True)
        if arr.dtype not in _FLOAT_DTYPES:
            arr = arr.astype(np.float32)
        self.data: np.ndarray = arr
        self.grad: np.ndarray | None = None

    def accumulate(self, grad: np.ndarray) -> None:
        """``self.grad += grad``; into an empty gradient, ``grad`` itself is stored (cast to ``data``'s dtype).

        Like PyTorch, which keeps a fresh gradient rather than copying it, the
        first call does not copy: pass a new array that nothing else writes
        to, such as the result of a product or a sum (``g.T @ x``,
        ``g.sum(axis=0)``), as every built-in layer does. The next call adds
        into it in place.
        """
        if grad.shape != self.data.shape:
            raise ValueError(f"gradient of shape {grad.shape} does not match parameter of shape {self.data.shape}")
        if self.grad is None:
            self.grad = grad.astype(self.data.dtype, copy=False)
        else:
            self.grad += grad

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradient: ``None`` by default, or an array of zeros."""
        if set_to_none or self.grad is None:
            self.grad = None if set_to_none else np.zeros_like(self.data)
        else:
            self.grad.fill(0)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype.name})"


class Module:
    """Base class of every layer, loss and model.

    Subclasses implement ``forward`` and ``backward`` and assign their
    ``Parameter``s and sub-``Module``s as attributes; they are registered
    automatically, so ``parameters()``, ``state_dict()``, ``zero_grad()`` and
    ``train()``/``eval()`` see them.

    Example (a layer that scales its input by a learned vector):
        >>> class Scale(Module):
        ...     def __init__(self, n):
        ...         super().__init__()
        ...         self.weight = Parameter(np.ones(n))
        ...     def forward(self, x):
        ...         self.x = x
        ...         return x * self.weight.data
        ...     def backward(self, grad_output):
        ...         self.weight.accumulate((grad_output * self.x).sum(axis=0))
        ...         return grad_output * self.weight.data
        >>> m = Scale(2); y = m(np.array([[1.0, 2.0]])); m.backward(np.ones((1, 2)))
        array([[1., 1.]])
    """

    #: ``True`` when ``backward`` accepts ``input_grad=False`` (then it only fills the
    #: parameter gradients and returns ``None``). ``Sequential.backward(...,
    #: input_grad=False)`` passes it to its first module with parameters.
    can_skip_input_grad: bool = False

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if params is None:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before assigning attributes."
            )
        if not isinstance(value, (Parameter, Module)) and name not in params and name not in d["_modules"] \
                and name not in d["_buffers"]:
            # A plain attribute (a forward cache, a hyperparameter): nothing to register or
            # unregister. The common case in every forward, so it takes the short path.
            object.__setattr__(self, name, value)
            return
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            # Assigning to a registered buffer (also ``self.running_mean *= m``) updates it.
            self._buffers[name] = value
            object.__setattr__(self, name, value)
            return
        for store in (self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: np.ndarray | None) -> None:
        """Register a non-trainable array saved in ``state_dict`` (e.g. running stats)."""
        object.__setattr__(self, name, value)
        self._buffers[name] = value

    def _set_buffer(self, name: str, value: np.ndarray) -> None:
        object.__setattr__(self, name, value)
        self._buffers[name] = value

    # ------------------------------------------------------------------ computation
    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x).")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_output).")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def _saved(self, name: str):
        """Return the forward cache ``name``; RuntimeError if forward has not run."""
        value = self.__dict__.get(name)
        if value is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): "
                "call the module on an input first."
            )
        return value

    # ------------------------------------------------------------------ traversal
    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        yield from self._modules.items()

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, Parameter)`` with PyTorch's dotted names (``0.weight``)."""
        seen: set[int] = set()
        for mod_name, mod in self.named_modules(prefix):
            for name, p in mod._parameters.items():
                if id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for mod_name, mod in self.named_modules(prefix):
            for name, b in mod._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> Iterator[np.ndarray]:
        for _, b in self.named_buffers():
            yield b

    # ------------------------------------------------------------------ state
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradient of every parameter (to ``None`` by default)."""
        for p in self.parameters():
            p.zero_grad(set_to_none)

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (Dropout active, BatchNorm uses batch statistics)."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        """Set evaluation mode; same as ``train(False)``."""
        return self.train(False)

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Return copies of all parameters and buffers under PyTorch's names."""
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        for mod_name, mod in self.named_modules():
            for name, p in mod._parameters.items():
                out[f"{mod_name}.{name}" if mod_name else name] = p.data.copy()
            for name, b in mod._buffers.items():
                if b is not None:
                    out[f"{mod_name}.{name}" if mod_name else name] = np.array(b, copy=True)
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True):
        """Copy arrays from ``state_dict`` into this module's parameters and buffers.

        Values may be NumPy arrays or anything ``np.asarray`` accepts (a PyTorch
        state_dict converted with ``{k: v.numpy() for k, v in sd.items()}``
        loads as is). Values are cast to each parameter's dtype. With
        ``strict=True`` missing or unexpected keys raise ``KeyError``-free
        ``ValueError`` listing them; a shape mismatch always raises.

        Returns:
            ``(missing_keys, unexpected_keys)`` as two lists.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expected a mapping of name -> array, got {type(state_dict).__name__}.")
        targets: dict[str, tuple[Module, str, bool]] = {}
        for mod_name, mod in self.named_modules():
            for name in mod._parameters:
                targets[f"{mod_name}.{name}" if mod_name else name] = (mod, name, True)
            for name, b in mod._buffers.items():
                if b is not None:
                    targets[f"{mod_name}.{name}" if mod_name else name] = (mod, name, False)
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            raise ValueError(
                f"Error loading state_dict into {type(self).__name__}: "
                f"missing keys {missing}, unexpected keys {unexpected}."
            )
        # All or nothing: every entry is checked and converted before the first is assigned.
        new: list[tuple[Module, str, bool, np.ndarray]] = []
        for key, (mod, name, is_param) in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
                value = value.detach().cpu().numpy()
            arr = np.asarray(value)
            current = mod._parameters[name].data if is_param else mod._buffers[name]
            if arr.shape != current.shape:
                raise ValueError(
                    f"size mismatch for {key!r}: expected shape {current.shape}, got {arr.shape}."
                )
            if arr.dtype.kind not in "biuf":
                raise TypeError(
                    f"state_dict entry {key!r} must be a numeric array, got dtype {arr.dtype}; "
                    "pass NumPy arrays (for torch tensors: {k: v.numpy() for k, v in sd.items()})."
                )
            if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
                raise ValueError(f"state_dict entry {key!r} contains NaN or infinity.")
            new.append((mod, name, is_param, arr.astype(current.dtype, copy=True)))
        for mod, name, is_param, arr in new:
            if is_param:
                mod._parameters[name].data = arr
            else:
                mod._set_buffer(name, arr)
        return missing, unexpected

    def to(self, dtype) -> "Module":
        """Convert every parameter and floating buffer to ``dtype`` in place.

        Gradients are dropped (set to ``None``). Returns ``self``.
        """
        dt = resolve_dtype(dtype, f"{type(self).__name__}.to")
        for mod in self.modules():
            for p in mod._parameters.values():
                p.data = p.data.astype(dt)
                p.grad = None
            for name, b in list(mod._buffers.items()):
                if b is not None and np.asarray(b).dtype.kind == "f":
                    mod._set_buffer(name, np.asarray(b).astype(dt))
            if "dtype" in mod.__dict__:
                object.__setattr__(mod, "dtype", dt)
        return self

    def float(self) -> "Module":
        """Convert to float32; same as ``to(np.float32)``."""
        return self.to(np.float32)

    def double(self) -> "Module":
        """Convert to float64; same as ``to(np.float64)``."""
        return self.to(np.float64)

    # ------------------------------------------------------------------ description
    def summary(self, input_shape, *, dtype=None) -> ModelSummary:
        """Layer-by-layer table of one forward pass: output shape, parameter count, dtype; totals.

        Runs on a copy of the model in eval mode, so the model is untouched.

        Args:
            input_shape: shape of one input batch, batch first, e.g. ``(32, 784)``.
            dtype: input dtype (default: the dtype of the first parameter, else float32).

        Returns:
            ModelSummary; ``print(model.summary((32, 784)))`` shows the table.

        Example:
            >>> from nnumpy import nn
            >>> nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU()).summary((8, 4)).total_params
            15
        """
        return _summary(self, input_shape, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this module (used by model files).

        Built-in layers return plain JSON-able values. A user subclass that
        wants to be saved with its architecture overrides this.
        """
        return {}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.get_config().items())

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not self._modules:
            return head + ")"
        lines = [head]
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        return "\n".join(lines) + "\n)"

    def _repr_html_(self) -> str:
        """Jupyter's view: the layers, their arguments and parameter counts (no forward pass is run)."""
        return layers_html(self)


class Sequential(Module):
    """Chain modules: ``forward`` runs them in order, ``backward`` in reverse.

    Parameters are named by position (``0.weight``, ``2.bias``) as in PyTorch,
    so a PyTorch ``nn.Sequential`` state_dict loads directly.

    Example:
        >>> from nnumpy import nn
        >>> model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=1))
        >>> model(np.ones((5, 4))).shape
        (5, 2)
        >>> [name for name, _ in model.named_parameters()]
        ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential expects Module instances, got {type(m).__name__} at position {name}.")
            setattr(self, name, m)

    def append(self, module: Module) -> "Sequential":
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append expects a Module, got {type(module).__name__}.")
        setattr(self, str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return Sequential(*mods[idx])
        try:
            return mods[idx]
        except IndexError:
            raise IndexError(f"Sequential index {idx} out of range for {len(mods)} modules.") from None

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        self._out_shape = np.shape(x)  # what backward's grad_output must match
        return x

    can_skip_input_grad = True

    def backward(self, grad_output, *, input_grad: bool = True):
        """Run every module's backward in reverse order and return dL/dx.

        Args:
            grad_output: dL/d(output) of the last module.
            input_grad: ``True`` (default) returns dL/dx. ``False`` returns
                ``None`` and skips work that no parameter gradient needs: the
                modules before the first one with parameters, and that
                module's own input gradient when it can skip it
                (``can_skip_input_grad``; for a first ``Linear(784, 512)``
                that is a third of its backward FLOPs). Training loops use
                it, as PyTorch skips the gradient of an input that does not
                require one. Parameter gradients are the same either way.
        """
        shape = getattr(self, "_out_shape", None)
        if shape is not None:
            check_grad_output("Sequential", grad_output, shape)
        mods = list(self._modules.values())
        if input_grad:
            for m in reversed(mods):
                grad_output = m.backward(grad_output)
            return grad_output
        first = next((i for i, m in enumerate(mods) if next(m.parameters(), None) is not None), None)
        if first is None:
            return None
        for m in reversed(mods[first + 1 :]):
            grad_output = m.backward(grad_output)
        if mods[first].can_skip_input_grad:
            mods[first].backward(grad_output, input_grad=False)
        else:
            mods[first].backward(grad_output)
        return None
