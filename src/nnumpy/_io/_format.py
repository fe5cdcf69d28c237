"""The safetensors container: defensive header parsing, checksums and atomic writes.

A safetensors file is ``u64 little-endian N`` + ``N`` bytes of JSON header +
the tensor bytes. The header maps each tensor name to
``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets relative to the
end of the header) and may hold ``"__metadata__"``, a ``str -> str`` map.
(Format reference: https://github.com/huggingface/safetensors, "Format".)

Every file is checked here, in Python, before the bytes reach the
``safetensors`` package: the declared header length, the JSON, every dtype,
shape and offset. The tensors must tile the data section exactly (no gaps, no
overlaps, nothing left over), which also rejects truncated files. Nothing is
allocated from a declared size before it has been compared with the real
file size.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from .._atomic import atomic_write_bytes, remove_stale_temps
from ..errors import ModelFileError

__all__ = [
    "FORMAT_VERSION",
    "MAX_HEADER_BYTES",
    "RawFile",
    "file_error",
    "read_file",
    "strict_json",
    "write_file",
]

#: Version of nnumpy's metadata layout inside the safetensors container.
FORMAT_VERSION = 1
#: Largest accepted JSON header: real headers are kilobytes; a corrupt length
#: field must not make the reader decode gigabytes.
MAX_HEADER_BYTES = 100 * 1024 * 1024
#: Tensor rank limit (PyTorch and NumPy both stop at 64 dimensions).
MAX_DIMS = 64

# safetensors dtype codes that have an exact NumPy equivalent.
_DTYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16),
    "I16": np.dtype(np.int16),
    "U32": np.dtype(np.uint32),
    "I32": np.dtype(np.int32),
    "U64": np.dtype(np.uint64),
    "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16),
    "F32": np.dtype(np.float32),
    "F64": np.dtype(np.float64),
}
_CODES: dict[np.dtype, str] = {dt: code for code, dt in _DTYPES.items()}

# Metadata keys written into every nnumpy file.
KEY_FORMAT = "format"
KEY_FORMAT_VERSION = "format_version"
KEY_VERSION = "nnumpy_version"
KEY_CHECKSUM = "checksum"
KEY_META_CHECKSUM = "metadata_checksum"
BASE_KEYS = (KEY_FORMAT, KEY_FORMAT_VERSION, KEY_VERSION, KEY_CHECKSUM, KEY_META_CHECKSUM)


def file_error(path, problem: str) -> ModelFileError:
    """The one error form for unreadable files: ``cannot load <path>: <problem>``."""
    return ModelFileError(f"cannot load {path}: {problem}")


def strict_json(text: str, path, what: str, *, allow_nan: bool = False) -> Any:
    """Parse JSON, refusing duplicate keys (and NaN/Infinity unless ``allow_nan``).

    Any parse problem, including nesting deep enough to exhaust the parser's
    recursion limit, becomes :class:`ModelFileError`.
    """

    def pairs(items):
        out = {}
        for key, value in items:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out

    def constant(name):
        if allow_nan:
            return float(name)
        raise ValueError(f"non-standard JSON constant {name}")

    def number(s):
        value = float(s)
        if value in (float("inf"), float("-inf")) and not allow_nan:
            raise ValueError(f"number {s[:40]} overflows a float")
        return value

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_float=number)
    except RecursionError:
        raise file_error(path, f"{what} is nested too deeply") from None
    except ValueError as err:  # json.JSONDecodeError, our hooks, int digit limit
        raise file_error(path, f"{what} is not valid JSON ({err})") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class _Entry:
    name: str
    code: str
    shape: tuple[int, ...]
    begin: int  # absolute offsets into the file
    end: int


@dataclass
class RawFile:
    """A file whose container structure has been validated (tensors not decoded yet)."""

    path: Path
    data: bytes
    metadata: dict[str, str]
    entries: dict[str, _Entry]
    header_len: int

    @property
    def is_nnumpy(self) -> bool:
        """True when the file claims to be written by nnumpy (then every check is mandatory)."""
        meta = self.metadata
        return (
            str(meta.get(KEY_FORMAT, "")).startswith("nnumpy.")
            or KEY_CHECKSUM in meta
            or KEY_META_CHECKSUM in meta
        )

    @property
    def format(self) -> str | None:
        return self.metadata.get(KEY_FORMAT) if self.is_nnumpy else None

    def num_values(self, names: Iterable[str] | None = None) -> int:
        """Total number of elements of the named tensors (all tensors by default)."""
        names = self.entries if names is None else names
        return sum(math.prod(self.entries[n].shape) for n in names)

    def tensor_info(self) -> dict[str, dict[str, Any]]:
        return {
            n: {"dtype": _DTYPES[e.code].name, "shape": list(e.shape)} for n, e in self.entries.items()
        }

    def verify(self, expected_format: str | None = None) -> None:
        """Check the nnumpy header fields and both checksums; no-op for foreign files.

        Args:
            expected_format: when given, the file must be an nnumpy file with
                this ``format`` tag.
        """
        meta = self.metadata
        if not self.is_nnumpy:
            if expected_format is not None:
                raise file_error(
                    self.path,
                    f"not an nnumpy file (no '{KEY_FORMAT}: {expected_format}' metadata); a plain safetensors "
                    "state_dict loads with nnumpy.load_state(model, path) into a model you build in code",
                )
            return
        missing = [k for k in BASE_KEYS if k not in meta]
        if missing:
            raise file_error(self.path, f"corrupt: nnumpy metadata lacks {missing}")
        if metadata_checksum(meta) != meta[KEY_META_CHECKSUM]:
            raise file_error(self.path, "corrupt: metadata checksum mismatch (the header was altered or damaged)")
        if tensor_checksum(self._raw_items()) != meta[KEY_CHECKSUM]:
            raise file_error(self.path, "corrupt: checksum mismatch (tensor data or header damaged)")
        version = meta[KEY_FORMAT_VERSION]
        if version != str(FORMAT_VERSION):
            newer = version.isdigit() and int(version) > FORMAT_VERSION
            raise file_error(
                self.path,
                f"format version {version!r} is not supported by this nnumpy (reads version {FORMAT_VERSION})"
                + ("; it was written by a newer nnumpy: upgrade nnumpy" if newer else ""),
            )
        if expected_format is not None and meta[KEY_FORMAT] != expected_format:
            hint = {
                "nnumpy.checkpoint": "it is a checkpoint: use nnumpy.io.load_checkpoint(path)",
                "nnumpy.state": "it holds weights only: use nnumpy.load_state(model, path)",
                "nnumpy.model": "it is a model file: use nnumpy.load(path)",
            }.get(meta[KEY_FORMAT], "unknown format tag")
            raise file_error(self.path, f"expected a '{expected_format}' file, got '{meta[KEY_FORMAT]}' ({hint})")

    def _raw_items(self):
        view = memoryview(self.data)
        for e in self.entries.values():
            yield e.name, e.code, e.shape, view[e.begin : e.end]

    def arrays(self) -> dict[str, np.ndarray]:
        """Decode every tensor with ``safetensors.numpy`` (after the checks above)."""
        from safetensors import SafetensorError
        from safetensors.numpy import load as st_load

        try:
            arrays = st_load(self.data)
        except (SafetensorError, ValueError, TypeError) as err:  # our checks should have caught it first
            raise file_error(self.path, f"safetensors could not decode the file ({err})") from None
        return {name: arrays[name] for name in self.entries}


def read_file(path) -> RawFile:
    """Read ``path`` and validate its safetensors structure.

    Raises:
        ModelFileError: missing file, or any structural problem, naming both.
    """
    path = Path(path)
    remove_stale_temps(path)
    try:
        if stat.S_ISFIFO(os.stat(path).st_mode):  # opening a named pipe waits for a writer: refuse it unopened
            raise file_error(path, "not a regular file (a named pipe), not a safetensors file")
        f = open(path, "rb")
    except FileNotFoundError:
        raise ModelFileError(f"cannot load {path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"cannot load {path}: it is a directory, not a model file") from None
    except OSError as err:
        raise ModelFileError(f"cannot load {path}: {err.strerror or err}") from None
    with f:
        # Sizes first, then only the bytes the header announces: /dev/zero or a 256 MiB
        # stranger file fails after reading 8 bytes, not after filling memory.
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise file_error(path, "not a regular file (a device, pipe or socket), not a safetensors file")
        size = st.st_size
        head = f.read(8)
        n = _check_length(path, head, size)
        header = f.read(min(n, 1))  # one byte says whether a JSON object follows, before reading up to 100 MiB
        if header != b"{":
            raise file_error(path, "not a safetensors file (its header is not a JSON object)")
        header += f.read(n - 1)
        meta, entries = _parse_header(path, header, size)
        data = head + header + f.read(size - 8 - n)  # the data section, its length checked against the header
    if len(data) != size:
        raise file_error(path, f"file changed while it was read ({len(data)} of {size} bytes)")
    return RawFile(path, data, meta, entries, n)


#: First bytes of files people mistake for model files, and what to say about them.
_MAGIC = (
    (b"\x89PNG", "it is a PNG image"),
    (b"\xff\xd8\xff", "it is a JPEG image"),
    (b"\x93NUMPY", "it is a NumPy .npy file: load it with np.load and pass it to model.load_state_dict"),
    (b"PK\x03\x04", "it is a zip archive, e.g. a PyTorch .pt/.pth file; convert it in PyTorch with "
     "safetensors.torch.save_file(state_dict, 'model.safetensors') after loading it with torch, then nnumpy.load_state(model, ...)"),
    (b"\x80", "it looks like a pickle (an old PyTorch .pt file); convert it in PyTorch with "
     "safetensors.torch.save_file(state_dict, 'model.safetensors') after loading it with torch, then nnumpy.load_state(model, ...)"),
    (b"\x1f\x8b", "it is gzip-compressed"),
)


def _check_length(path: Path, head: bytes, size: int) -> int:
    """The header length from the first 8 bytes, checked against the limit and the file's size."""
    n = int.from_bytes(head, "little")
    if len(head) < 8 or n > size - 8 or n > MAX_HEADER_BYTES:  # only then: a real length may start with 0x80
        for magic, what in _MAGIC:
            if head.startswith(magic):
                raise file_error(path, f"not a safetensors file ({what})")
    if len(head) < 8:
        raise file_error(path, f"file is {len(head)} bytes, shorter than the 8-byte safetensors length field (truncated?)")
    n = int.from_bytes(head, "little")
    if n > MAX_HEADER_BYTES:
        raise file_error(
            path, f"not a safetensors file: declared header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit (corrupt?)"
        )
    if n > size - 8:
        raise file_error(path, f"declared header length {n} exceeds the {size - 8} bytes that follow (truncated?)")
    return n


def _parse(path: Path, data: bytes) -> RawFile:
    """Validate the safetensors structure of the bytes ``data`` of a whole file."""
    n = _check_length(path, data[:8], len(data))
    meta, entries = _parse_header(path, data[8 : 8 + n], len(data))
    return RawFile(path, data, meta, entries, n)


def _parse_header(path: Path, raw: bytes, size: int) -> tuple[dict[str, str], dict[str, _Entry]]:
    """Check the JSON header ``raw`` of a file of ``size`` bytes; returns metadata and tensor entries."""
    n = len(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise file_error(path, "header is not UTF-8 text (corrupt or not a safetensors file)") from None
    header = strict_json(text, path, "header")
    if not isinstance(header, dict):
        raise file_error(path, f"header is a JSON {type(header).__name__}, expected an object")
    meta = header.pop("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise file_error(path, "'__metadata__' must map strings to strings")
    start = 8 + n
    data_len = size - start
    entries = []
    for name, spec in header.items():
        entries.append(_entry(path, name, spec, data_len, start))
    pos = 0
    for e in sorted(entries, key=lambda e: (e.begin, e.end)):
        if e.begin != start + pos:
            problem = "overlaps the previous tensor" if e.begin < start + pos else "leaves a gap before it"
            raise file_error(path, f"tensor {e.name!r} {problem} (data_offsets start at {e.begin - start})")
        pos = e.end - start
    if pos != data_len:
        raise file_error(path, f"tensors cover {pos} bytes but the data section holds {data_len} (truncated or padded?)")
    return meta, {e.name: e for e in entries}


def _entry(path: Path, name: str, spec: Any, data_len: int, start: int) -> _Entry:
    where = f"tensor {name[:80]!r}"
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
        raise file_error(path, f"{where} must be an object with exactly 'dtype', 'shape' and 'data_offsets'")
    code, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if not isinstance(code, str) or code not in _DTYPES:
        raise file_error(path, f"{where} has unsupported dtype {str(code)[:20]!r} (nnumpy reads {', '.join(_DTYPES)})")
    if not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(_is_int(d) and d >= 0 for d in shape):
        raise file_error(path, f"{where} has an invalid shape (expected a list of at most {MAX_DIMS} ints >= 0)")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)):
        raise file_error(path, f"{where} has invalid data_offsets (expected [begin, end] ints)")
    begin, end = offsets
    if not 0 <= begin <= end <= data_len:
        raise file_error(path, f"{where} has data_offsets {[begin, end]} outside the {data_len}-byte data section")
    # Multiply with an early exit: a crafted shape must not build a huge integer.
    nbytes = _DTYPES[code].itemsize
    for d in shape:
        nbytes *= d
        if nbytes > data_len:
            break
    if nbytes != end - begin:
        raise file_error(path, f"{where}: shape {shape[:8]} of {code} needs {nbytes} bytes, data_offsets give {end - begin}")
    return _Entry(name, code, tuple(shape), start + begin, start + end)


# ---------------------------------------------------------------------------- checksums
def _feed(h, chunk) -> None:
    # Length-prefixed fields: no two different sequences hash the same input.
    h.update(len(chunk).to_bytes(8, "little"))
    h.update(chunk)


def tensor_checksum(items: Iterable[tuple[str, str, tuple[int, ...], memoryview]]) -> str:
    """sha256 over (name, dtype code, shape, little-endian bytes) of every tensor, sorted by name."""
    h = hashlib.sha256()
    for name, code, shape, raw in sorted(items, key=lambda item: item[0]):
        _feed(h, name.encode("utf-8", "surrogatepass"))
        _feed(h, code.encode())
        _feed(h, json.dumps(list(shape)).encode())
        _feed(h, raw)
    return h.hexdigest()


def metadata_checksum(metadata: Mapping[str, str]) -> str:
    """sha256 over every metadata (key, value) except the two checksums, sorted by key."""
    h = hashlib.sha256()
    for key in sorted(metadata):
        if key in (KEY_CHECKSUM, KEY_META_CHECKSUM):
            continue
        _feed(h, key.encode("utf-8", "surrogatepass"))
        _feed(h, metadata[key].encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _le_bytes(arr: np.ndarray) -> memoryview:
    le = arr.astype(arr.dtype.newbyteorder("<"), order="C", copy=False)
    return memoryview(le.reshape(-1).view(np.uint8))


# ---------------------------------------------------------------------------- writing
def check_tensor(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a contiguous native-order array of a safetensors dtype."""
    arr = np.asarray(value)
    dt = arr.dtype.newbyteorder("=")
    if dt not in _CODES:
        raise TypeError(
            f"cannot store {name!r}: dtype {arr.dtype} has no safetensors equivalent "
            f"(supported: {', '.join(d.name for d in _CODES)})."
        )
    return arr.astype(dt, order="C", copy=False)  # keeps 0-d arrays 0-d (np.ascontiguousarray would not)


def write_file(path, tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str], fmt: str) -> Path:
    """Serialise ``tensors`` with ``safetensors.numpy`` and write ``path`` atomically.

    Adds the format tag, format version, nnumpy version and both checksums to
    ``metadata``. Returns ``Path(path)``.
    """
    from safetensors.numpy import save as st_save

    from .._version import __version__

    arrays = {name: check_tensor(name, value) for name, value in tensors.items()}
    meta = {KEY_FORMAT: fmt, KEY_FORMAT_VERSION: str(FORMAT_VERSION), KEY_VERSION: __version__, **metadata}
    meta[KEY_CHECKSUM] = tensor_checksum((n, _CODES[a.dtype], a.shape, _le_bytes(a)) for n, a in arrays.items())
    meta[KEY_META_CHECKSUM] = metadata_checksum(meta)
    blob = st_save(arrays, metadata=meta)
    return atomic_write_bytes(Path(path), _canonical(blob))


def _canonical(blob: bytes) -> bytes:
    """Re-emit the header of a safetensors blob with sorted metadata keys.

    safetensors writes ``__metadata__`` in hash-map order, which changes from
    process to process; sorting it makes identical models give identical
    files. Tensor entries and bytes are kept as written (offsets are relative
    to the data section), and the header is padded with spaces to a multiple
    of 8 bytes, as safetensors does, so the tensors stay aligned.
    """
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8 : 8 + n])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    return len(text).to_bytes(8, "little") + text + blob[8 + n :]


def dtype_name(code: str) -> str:
    return _DTYPES[code].name
