"""ONNX export: write a ``Sequential`` of nnumpy's layers as an ONNX model, with a dynamic batch.

``export(model, f, input_shape)`` walks the model's layers in order, emits the
ONNX operators that compute what each layer computes in eval mode (Dropout is
the identity, BatchNorm uses its running statistics), checks the graph with
``onnx.checker`` and writes it. The exported model runs in onnxruntime or any
ONNX runtime.

The ``onnx`` package builds the graph; it is an optional dependency, imported
only when ``export`` runs (``pip install "nnumpy[onnx]"`` installs it and
onnxruntime). The core of nnumpy never imports this module.

Layer by layer (the operators follow the ONNX operator specs):

- Linear → ``Gemm`` (transB=1, weight kept as ``(out, in)``) on 2-D input,
  ``MatMul`` + ``Add`` on more dimensions; Flatten → ``Reshape``;
  Identity, Dropout, Dropout2d → ``Identity``.
- ReLU, Sigmoid, Tanh, LeakyReLU, ELU, Softmax, LogSoftmax → the operator
  of the same name (Softmax's axis resolved as the layer resolves it).
- GELU → ``Gelu`` from opset 20, else its formula with ``Erf`` (or ``Tanh``
  for ``approximate='tanh'``); Softplus(β, threshold) →
  ``Where(βx > threshold, x, Softplus(βx)/β)``.
- BatchNorm1d, BatchNorm2d → ``BatchNormalization`` with the running stats.
- Conv2d → ``Conv`` (``Pad`` first for reflect/replicate/circular padding).
- MaxPool2d, AvgPool2d → ``Pad`` (−∞ or 0) + ``MaxPool``/``AveragePool``
  without padding attributes, then for AvgPool a constant per-window factor:
  the padding, ``ceil_mode`` windows, ``count_include_pad`` and
  ``divisor_override`` are computed here from the layer itself, because
  runtimes have disagreed on ONNX's ``ceil_mode`` rules.
- AdaptiveAvgPool2d → ``GlobalAveragePool`` for a 1×1 output, else two
  ``MatMul`` with the layer's averaging matrices (its windows may overlap).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import nn
from ._atomic import atomic_write_bytes
from ._validation import check_int, check_shape
from ._version import __version__

__all__ = ["export", "DEFAULT_OPSET", "MIN_OPSET"]

#: Opset written when ``opset=None``: ONNX 1.12's, run by onnxruntime >= 1.13 and most runtimes.
DEFAULT_OPSET = 17
#: Oldest opset ``export`` writes: Softmax and LogSoftmax act on one axis from opset 13 on.
MIN_OPSET = 13
_EXTRA = 'pip install "nnumpy[onnx]"'
_OWNER = "nnumpy.onnx.export"
_BATCH = "batch"


def _import_onnx():
    try:
        import onnx
        from onnx import checker, helper, numpy_helper  # noqa: F401 - loaded for the graph builder
    except ImportError as err:
        raise ImportError(f"{_OWNER} needs the onnx package; install it with: {_EXTRA}") from err
    return onnx


class _Graph:
    """The nodes and initializers of the graph being built, and the shapes flowing through it.

    ``x`` is the current tensor's name, ``shape`` its shape for the example
    batch, ``batch_axis`` the axis whose size follows the batch (``None`` once
    no axis does).
    """

    def __init__(self, onnx, dtype: np.dtype, opset: int):
        self.onnx, self.helper = onnx, onnx.helper
        self.dtype, self.opset = dtype, opset
        self.nodes: list = []
        self.initializers: list = []
        self._names: set[str] = {"input", "output"}
        self.batch_axis: int | None = 0

    def _fresh(self, name: str) -> str:
        out, i = name, 1
        while out in self._names:
            i += 1
            out = f"{name}_{i}"
        self._names.add(out)
        return out

    def const(self, where: str, what: str, value, dtype=None) -> str:
        """Add an initializer (in the model's dtype unless ``dtype`` says otherwise) and return its name."""
        arr = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        name = self._fresh(f"{where}.{what}" if where else what)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def op(self, where: str, op_type: str, inputs: list[str], **attrs) -> str:
        """Add one node; return the name of its output."""
        out = self._fresh(f"{where}/{op_type}" if where else op_type)
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


# ---------------------------------------------------------------------------- converters
# Each takes (graph, layer, x, in_shape, out_shape, where) and returns the name of its output tensor.
def _identity(g: _Graph, layer, x, in_shape, out_shape, where):
    return g.op(where, "Identity", [x])


def _simple(op_type: str, **attr_of: Callable[[Any], Any]):
    """A converter to one operator whose attributes are read from the layer."""

    def convert(g: _Graph, layer, x, in_shape, out_shape, where):
        return g.op(where, op_type, [x], **{k: f(layer) for k, f in attr_of.items()})

    return convert


def _linear(g: _Graph, layer, x, in_shape, out_shape, where):
    w = layer.weight.data  # (out, in)
    bias = [] if layer.bias is None else [g.const(where, "bias", layer.bias.data)]
    if len(in_shape) == 2:  # Y = X Wᵀ + b
        return g.op(where, "Gemm", [x, g.const(where, "weight", w)] + bias, transB=1)
    y = g.op(where, "MatMul", [x, g.const(where, "weight_t", w.T)])  # (N, *, out)
    return g.op(where, "Add", [y] + bias) if bias else y


def _flatten(g: _Graph, layer, x, in_shape, out_shape, where):
    target = list(out_shape)
    if g.batch_axis is not None:
        target[g.batch_axis] = -1  # the dim that grows with the batch is inferred at run time
    return g.op(where, "Reshape", [x, g.const(where, "shape", target, np.int64)])


def _gelu(g: _Graph, layer, x, in_shape, out_shape, where):
    if g.opset >= 20:
        return g.op(where, "Gelu", [x], approximate=layer.approximate)
    if layer.approximate == "tanh":  # ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        x3 = g.op(where, "Mul", [g.op(where, "Mul", [x, x]), x])
        inner = g.op(where, "Add", [x, g.op(where, "Mul", [x3, g.const(where, "c", 0.044715)])])
        t = g.op(where, "Tanh", [g.op(where, "Mul", [inner, g.const(where, "sqrt_2_over_pi", math.sqrt(2 / math.pi))])])
    else:  # x·½(1 + erf(x/√2))
        t = g.op(where, "Erf", [g.op(where, "Mul", [x, g.const(where, "inv_sqrt2", 1 / math.sqrt(2))])])
    half = g.op(where, "Mul", [g.op(where, "Add", [t, g.const(where, "one", 1.0)]), g.const(where, "half", 0.5)])
    return g.op(where, "Mul", [x, half])


def _softplus(g: _Graph, layer, x, in_shape, out_shape, where):
    # y = x where βx > threshold, else log(1 + e^{βx})/β, as the layer computes it
    bx = x if layer.beta == 1.0 else g.op(where, "Mul", [x, g.const(where, "beta", layer.beta)])
    soft = g.op(where, "Softplus", [bx])
    if layer.beta != 1.0:
        soft = g.op(where, "Div", [soft, g.const(where, "beta_div", layer.beta)])
    linear = g.op(where, "Greater", [bx, g.const(where, "threshold", layer.threshold)])
    return g.op(where, "Where", [linear, x, soft])


def _softmax(op_type: str):
    def convert(g: _Graph, layer, x, in_shape, out_shape, where):
        axis = layer._axis(np.broadcast_to(np.zeros((), g.dtype), in_shape))  # the layer's own rule for dim=None
        return g.op(where, op_type, [x], axis=int(axis))

    return convert


def _batchnorm(g: _Graph, layer, x, in_shape, out_shape, where):
    if not layer.track_running_stats:
        raise ValueError(
            f"{_OWNER}: {type(layer).__name__} at {where!r} has track_running_stats=False, so even in eval mode "
            "it normalises with each batch's own statistics; only running statistics export (build the layer "
            "with track_running_stats=True and train it)."
        )
    c = layer.num_features
    scale = layer.weight.data if layer.affine else np.ones(c)
    shift = layer.bias.data if layer.affine else np.zeros(c)
    inputs = [x, g.const(where, "weight", scale), g.const(where, "bias", shift),
              g.const(where, "running_mean", layer.running_mean), g.const(where, "running_var", layer.running_var)]
    return g.op(where, "BatchNormalization", inputs, epsilon=float(layer.eps))


def _pad(g: _Graph, x, where, pads, mode: str = "constant", value: float | None = None) -> str:
    """``Pad`` the two spatial axes of an NCHW tensor by ``((top, bottom), (left, right))``; no-op if all 0."""
    (top, bottom), (left, right) = pads
    if not any((top, bottom, left, right)):
        return x
    inputs = [x, g.const(where, "pads", [0, 0, top, left, 0, 0, bottom, right], np.int64)]
    if value is not None:
        inputs.append(g.const(where, "pad_value", value))
    return g.op(where, "Pad", inputs, mode=mode)


#: Conv2d's padding_mode -> ONNX Pad's mode and the first opset that has it.
_PAD_MODES = {"reflect": ("reflect", 11), "replicate": ("edge", 11), "circular": ("wrap", 19)}


def _conv(g: _Graph, layer, x, in_shape, out_shape, where):
    (top, bottom), (left, right) = layer._pads
    if layer.padding_mode != "zeros":
        mode, since = _PAD_MODES[layer.padding_mode]
        if g.opset < since:
            raise ValueError(
                f"{_OWNER}: Conv2d at {where!r} uses padding_mode={layer.padding_mode!r}, which needs ONNX Pad "
                f"mode {mode!r} from opset {since}; pass opset={since} or later."
            )
        x = _pad(g, x, where, layer._pads, mode)
        top = bottom = left = right = 0
    inputs = [x, g.const(where, "weight", layer.weight.data)]
    if layer.bias is not None:
        inputs.append(g.const(where, "bias", layer.bias.data))
    return g.op(where, "Conv", inputs, kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
                dilations=list(layer.dilation), pads=[top, left, bottom, right], group=layer.groups)


def _maxpool(g: _Graph, layer, x, in_shape, out_shape, where):
    _, pads = layer._geometry(in_shape)  # the layer's padding, grown for ceil_mode's last windows
    x = _pad(g, x, where, pads, value=-np.inf)  # −∞ never wins a max
    return g.op(where, "MaxPool", [x], kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
                dilations=list(layer.dilation))


def _avgpool(g: _Graph, layer, x, in_shape, out_shape, where):
    out_hw, pads = layer._geometry(in_shape)
    x = _pad(g, x, where, pads, value=0.0)
    y = g.op(where, "AveragePool", [x], kernel_shape=list(layer.kernel_size), strides=list(layer.stride))
    # AveragePool divided each window's sum by kH·kW; the layer divides by D_ij (count_include_pad,
    # ceil_mode's clipped windows, divisor_override): multiply by kH·kW / D_ij, shape (OH, OW).
    factor = math.prod(layer.kernel_size) / layer._divisor(in_shape, out_hw, np.float64)
    if np.all(factor == 1.0):
        return y
    return g.op(where, "Mul", [y, g.const(where, "divisor_factor", factor)])


def _adaptive_avgpool(g: _Graph, layer, x, in_shape, out_shape, where):
    (h, w), (oh, ow) = in_shape[2:], out_shape[2:]
    if (oh, ow) == (1, 1):
        return g.op(where, "GlobalAveragePool", [x])
    a_h = layer._averaging_matrix(h, oh, g.dtype)  # (OH, H)
    a_w = layer._averaging_matrix(w, ow, g.dtype)  # (OW, W)
    y = g.op(where, "MatMul", [x, g.const(where, "avg_w_t", a_w.T)])  # (N, C, H, OW)
    return g.op(where, "MatMul", [g.const(where, "avg_h", a_h), y])  # (N, C, OH, OW)


def _converters() -> dict[type, Callable]:
    """Layer class -> converter. Exact classes: a subclass may compute something else, so it is refused."""
    table = {
        nn.Linear: _linear, nn.Identity: _identity, nn.Flatten: _flatten,
        nn.Dropout: _identity, nn.Dropout2d: _identity,
        nn.ReLU: _simple("Relu"), nn.Sigmoid: _simple("Sigmoid"), nn.Tanh: _simple("Tanh"),
        nn.LeakyReLU: _simple("LeakyRelu", alpha=lambda m: float(m.negative_slope)),
        nn.ELU: _simple("Elu", alpha=lambda m: float(m.alpha)),
        nn.GELU: _gelu, nn.Softplus: _softplus,
        nn.Softmax: _softmax("Softmax"), nn.LogSoftmax: _softmax("LogSoftmax"),
        nn.BatchNorm1d: _batchnorm, nn.BatchNorm2d: _batchnorm,
        nn.Conv2d: _conv, nn.MaxPool2d: _maxpool, nn.AvgPool2d: _avgpool, nn.AdaptiveAvgPool2d: _adaptive_avgpool,
    }
    return table


# ---------------------------------------------------------------------------- the walk
def _layers(module, prefix: str = ""):
    """``(path, layer)`` for every layer in forward order, nested Sequentials flattened."""
    if type(module) is nn.Sequential:
        for name, child in module.named_children():
            yield from _layers(child, f"{prefix}.{name}" if prefix else name)
    else:
        yield prefix, module


def _model_dtype(model) -> np.dtype:
    found = {p.data.dtype for p in model.parameters() if p is not None}
    found |= {np.asarray(b).dtype for b in model.buffers() if np.asarray(b).dtype.kind == "f"}
    if len(found) > 1:
        raise ValueError(
            f"{_OWNER}: the model's tensors mix dtypes {sorted(d.name for d in found)}; "
            "call model.to(np.float32) first."
        )
    return found.pop() if found else np.dtype(np.float32)


def _flatten_batch_axis(layer, batch_axis: int | None, ndim: int) -> int | None:
    """Where the batch-sized axis goes through Flatten (merged axes keep the first one's place)."""
    if batch_axis is None:
        return None
    start = layer.start_dim % ndim if ndim else 0
    end = layer.end_dim % ndim if ndim else 0
    if batch_axis < start:
        return batch_axis
    if batch_axis <= end:
        return start
    return batch_axis - (end - start)


def _value_info(helper, name: str, elem_type: int, shape, batch_axis: int | None, example_batch: int):
    dims: list[Any] = list(shape)
    if batch_axis is not None:
        dims[batch_axis] = _BATCH if shape[batch_axis] == example_batch else None  # merged axes: unnamed
    return helper.make_tensor_value_info(name, elem_type, dims)


def export(model, f, input_shape, *, opset: int | None = None):
    """Write ``model`` as an ONNX model to ``f``, with a dynamic batch dimension.

    The graph computes what ``model.eval()`` computes: Dropout is the
    identity and BatchNorm uses its running statistics. It is checked with
    ``onnx.checker`` (full check, with shape inference) before it is written.
    The model is run once on a zero batch of ``input_shape`` to learn each
    layer's input shape; its train/eval mode is left as it was.

    Args:
        model: a ``Sequential`` (nested ones too) of nnumpy's built-in layers
            (``nnumpy.nn.LAYERS``), or one such layer.
        f: a path (written atomically) or a binary file object.
        input_shape: the shape of an example input batch, batch first, e.g.
            ``(1, 784)`` or ``(1, 1, 28, 28)``; the batch size is exported as
            the dynamic dimension ``"batch"``, the others as fixed sizes.
        opset: the ONNX opset to write, ``MIN_OPSET`` (13) or later
            (default ``None``: ``DEFAULT_OPSET``, 17).

    Returns:
        The ``onnx.ModelProto`` written (input ``"input"``, output ``"output"``).

    Raises:
        ImportError: the onnx package is missing (``pip install "nnumpy[onnx]"``).
        TypeError: a layer is not one export supports; the message names it
            and where it is in the model.
        ValueError: a bad argument, an input shape the model does not take,
            or a layer setting with no ONNX equivalent (named in the message).

    Example:
        >>> import io, numpy as np
        >>> import onnxruntime as ort
        >>> from nnumpy import nn, onnx
        >>> model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
        >>> buffer = io.BytesIO()
        >>> _ = onnx.export(model, buffer, (1, 4))
        >>> session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
        >>> x = np.ones((5, 4), np.float32)
        >>> (y,) = session.run(None, {"input": x})
        >>> y.shape, bool(np.allclose(y, model.eval()(x), atol=1e-6))
        ((5, 3), True)
    """
    onnx = _import_onnx()
    if not isinstance(model, nn.Module) or isinstance(model, nn.Loss):
        raise TypeError(f"{_OWNER} expects an nnumpy.nn.Module, got {type(model).__name__}.")
    shape = check_shape(_OWNER, "input_shape", input_shape, "(1, 784)")
    opset = DEFAULT_OPSET if opset is None else check_int(_OWNER, "opset", opset, ge=MIN_OPSET,
                                                          le=onnx.defs.onnx_opset_version())
    if not (isinstance(f, (str, Path)) or hasattr(f, "write")):
        raise TypeError(f"The 'f' parameter of {_OWNER} must be a path or a binary file object. Got {type(f).__name__} instead.")
    table = _converters()
    layers = list(_layers(model))
    unsupported = [(where, layer) for where, layer in layers if type(layer) not in table]
    if unsupported:
        listed = ", ".join(f"{type(m).__module__}.{type(m).__qualname__} at {w or 'the root'!r}" for w, m in unsupported)
        names = ", ".join(sorted(c.__name__ for c in table))
        raise TypeError(
            f"{_OWNER} cannot export {listed}: ONNX export supports nnumpy's built-in layers ({names}) in "
            "Sequential containers. Rewrite the model with those layers (a subclass of one is refused too: "
            "its forward may differ)."
        )
    dtype = _model_dtype(model)
    g = _Graph(onnx, dtype, opset)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        x_val = np.zeros(shape, dtype=dtype)  # the example batch: gives each layer its input shape
        x = "input"
        for where, layer in layers:
            in_shape = x_val.shape
            x_val = np.asarray(layer(x_val))
            x = table[type(layer)](g, layer, x, in_shape, x_val.shape, where)
            if isinstance(layer, nn.Flatten):
                g.batch_axis = _flatten_batch_axis(layer, g.batch_axis, len(in_shape))
    finally:
        for m, mode in modes:
            object.__setattr__(m, "training", mode)  # as Module.train sets it, one module at a time
    if x == "input":  # an empty Sequential
        x = g.op("", "Identity", [x])
    last = next(node for node in g.nodes if node.output[0] == x)
    last.output[0] = last.name = "output"  # name the graph's result
    helper = onnx.helper
    elem = helper.np_dtype_to_tensor_dtype(dtype)
    graph = helper.make_graph(
        g.nodes, "nnumpy",
        [_value_info(helper, "input", elem, shape, 0, shape[0])],
        [_value_info(helper, "output", elem, x_val.shape, g.batch_axis, shape[0])],
        initializer=g.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="nnumpy", producer_version=__version__)
    proto.ir_version = helper.find_min_ir_version_for(opsets)  # the oldest IR that holds this opset: widest reach
    onnx.checker.check_model(proto, full_check=True)
    data = proto.SerializeToString()
    if isinstance(f, (str, Path)):
        atomic_write_bytes(f, data)
    else:
        f.write(data)
    return proto
