"""``nnumpy export``: write a model file as an ONNX model (``nnumpy.onnx.export``), batch dimension dynamic."""

from __future__ import annotations

import argparse
import json

from ._data import load_model, model_metadata
from ._errors import EXIT_OK, UsageError, usage_errors
from ._gradcheck import _int_list

__all__ = ["add_parser", "run"]


def add_parser(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``export`` and its options to the subparsers ``sub``."""
    e = sub.add_parser("export", parents=parents, help="write a model file as an ONNX model",
                       description="Write MODEL (a file from 'nnumpy train' or nnumpy.save) as an ONNX model that "
                                   "onnxruntime and other runtimes load; the batch dimension is dynamic. Needs the "
                                   "onnx package: pip install \"nnumpy[onnx]\".")
    e.add_argument("model", help="model file (.safetensors)")
    e.add_argument("output", help="ONNX file to write (.onnx)")
    e.add_argument("--input-shape", type=_int_list, default=None,
                   help="example input batch shape, batch first, e.g. 1,1,28,28 (default: the shape stored by "
                        "'nnumpy train', else 1,N for a model that starts with Linear(N, ...))")
    e.add_argument("--opset", type=int, default=None, help="ONNX opset to write (default 17; 13 or later)")
    e.set_defaults(func=run)


def _stored_shape(model, path) -> tuple[int, ...] | None:
    """``(1, *shape)`` from the file's ``input_shape`` metadata, else ``(1, N)`` when the first layer is Linear(N, …)."""
    from ..nn import BatchNorm1d, Linear, Sequential

    try:
        shape = json.loads(model_metadata(path)["input_shape"])
        if isinstance(shape, list) and shape and all(isinstance(d, int) and not isinstance(d, bool) and d >= 1
                                                     for d in shape):
            return (1, *shape)
    except (KeyError, ValueError):
        pass
    first = model
    while type(first) is Sequential and len(first):
        first = first[0]
    if isinstance(first, Linear):
        return (1, first.in_features)
    if isinstance(first, BatchNorm1d):
        return (1, first.num_features)
    return None


def run(args) -> int:
    """Export ``args.model`` to ``args.output``; return the exit status."""
    from ..onnx import DEFAULT_OPSET, MIN_OPSET, export

    with usage_errors():
        if args.opset is not None and args.opset < MIN_OPSET:
            raise ValueError(f"--opset must be {MIN_OPSET} or later, got {args.opset}.")
    model = load_model(args.model)
    shape = args.input_shape or _stored_shape(model, args.model)
    if shape is None:
        raise UsageError(
            f"cannot tell the input shape of the model in {args.model}: pass --input-shape, e.g. "
            "--input-shape 1,1,28,28 (batch first) for 28x28 grayscale images."
        )
    proto = export(model, args.output, shape, opset=args.opset)
    dims = lambda v: ["batch" if d.dim_param else (d.dim_value or "?") for d in v.type.tensor_type.shape.dim]  # noqa: E731
    (inp,), (out,) = proto.graph.input, proto.graph.output
    print(f"wrote {args.output}: ONNX opset {args.opset or DEFAULT_OPSET}, {len(proto.graph.node)} nodes, "
          f"input 'input' {dims(inp)}, output 'output' {dims(out)}")
    return EXIT_OK
