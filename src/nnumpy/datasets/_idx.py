"""Strict reader and writer for IDX files, the format of MNIST and Fashion-MNIST.

Layout (Y. LeCun, "THE MNIST DATABASE of handwritten digits", file format
section): two zero bytes; one byte giving the element type (0x08 uint8, 0x09
int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64); one byte giving the
number of dimensions; then each dimension as a big-endian uint32; then the
elements, big-endian, in C order. Files may be gzip-compressed (detected by the
gzip magic bytes, not by the file name).

Every problem with a file -- missing, unreadable, wrong magic, unknown type
code, dimensions that disagree with the number of bytes present, a truncated or
corrupt gzip stream -- raises :class:`nnumpy.DataError` naming the file and the
problem. Declared sizes are checked against the bytes actually present before
anything of the declared size is allocated, so a crafted header cannot make the
reader allocate gigabytes.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import stat
import zlib
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_bytes
from ..errors import DataError

__all__ = ["read_idx", "write_idx", "read_idx_pair"]

_GZIP_MAGIC = b"\x1f\x8b"

# IDX type code -> big-endian dtype (from the MNIST page's format description).
_CODE_TO_DTYPE = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_KIND_SIZE_TO_CODE = {(dt.kind, dt.itemsize): code for code, dt in _CODE_TO_DTYPE.items()}

# DEFLATE cannot expand data by more than 1032:1 (RFC 1951: a 258-byte match
# costs at least 2 bits). A header declaring more decompressed bytes than this
# bound allows for the compressed size is rejected before decompression.
_MAX_DEFLATE_RATIO = 1032
_CHUNK = 1 << 20


def _read_file_bytes(path: Path) -> bytes:
    """The file's bytes, read only after its header agrees with its size (raw IDX) or it is gzip.

    A device (``/dev/zero``), a pipe or a large file that is not IDX fails after a few bytes.
    """
    try:
        if stat.S_ISFIFO(os.stat(path).st_mode):  # opening a named pipe waits for a writer: refuse it unopened
            raise DataError(f"{path}: not a regular file (a named pipe), expected an IDX file")
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise DataError(f"{path}: not a regular file (a device, pipe or socket), expected an IDX file")
            head = f.read(4)
            if head[:2] == _GZIP_MAGIC:  # sizes are checked while decompressing (_parse_gz)
                return head + f.read(st.st_size - len(head))
            dtype, ndim = _parse_header(path, head, "the file")
            dims = f.read(4 * ndim)
            if len(dims) < 4 * ndim:
                raise DataError(f"{path}: truncated header: {ndim} dimensions need {4 + 4 * ndim} bytes, "
                                f"file holds {len(head) + len(dims)}")
            shape = tuple(int(d) for d in np.frombuffer(dims, dtype=">u4"))
            _check_length(path, shape, dtype, st.st_size - len(head) - len(dims))
            return head + dims + f.read(st.st_size - len(head) - len(dims))
    except FileNotFoundError:
        raise DataError(f"IDX file not found: {path}") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, expected an IDX file") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read file ({e.strerror or e})") from None


def _parse_header(path: Path, head: bytes, what: str) -> tuple[np.dtype, int]:
    """Check the 4-byte magic; return (big-endian dtype, ndim)."""
    if len(head) < 4:
        raise DataError(f"{path}: {what} is {len(head)} bytes long, too short for an IDX header (4 bytes)")
    if head[0] != 0 or head[1] != 0:
        raise DataError(
            f"{path}: not an IDX file (magic bytes {head[:4].hex()}; an IDX file starts with two zero bytes)"
        )
    code, ndim = head[2], head[3]
    if code not in _CODE_TO_DTYPE:
        known = ", ".join(f"0x{c:02X}" for c in _CODE_TO_DTYPE)
        raise DataError(f"{path}: unsupported IDX type code 0x{code:02X} (supported: {known})")
    if ndim == 0:
        raise DataError(f"{path}: IDX header declares 0 dimensions")
    return _CODE_TO_DTYPE[code], ndim


def _check_length(path: Path, shape: tuple, dtype: np.dtype, got: int) -> None:
    want = math.prod(shape) * dtype.itemsize
    if got < want:
        raise DataError(
            f"{path}: truncated: the header declares shape {shape} of {dtype.name} "
            f"({want} bytes of data) but the file holds only {got}"
        )
    if got > want:
        raise DataError(
            f"{path}: the header declares shape {shape} of {dtype.name} ({want} bytes of data) "
            f"but more bytes follow; the dimensions disagree with the file length"
        )


def _parse_raw(path: Path, blob: bytes) -> tuple[np.ndarray, bytes, memoryview]:
    dtype, ndim = _parse_header(path, blob[:4], "the file")
    hlen = 4 + 4 * ndim
    if len(blob) < hlen:
        raise DataError(f"{path}: truncated header: {ndim} dimensions need {hlen} bytes, file holds {len(blob)}")
    shape = tuple(int(d) for d in np.frombuffer(blob, dtype=">u4", count=ndim, offset=4))
    _check_length(path, shape, dtype, len(blob) - hlen)
    data = memoryview(blob)[hlen:]
    return _to_array(data, dtype, shape), blob[:hlen], data


def _gz_read(path: Path, f, n: int) -> bytes:
    try:
        return f.read(n)
    except (OSError, EOFError, zlib.error) as e:
        # EOFError: stream ends before its end marker; BadGzipFile (an OSError):
        # bad header or CRC/length trailer; zlib.error: corrupt deflate data.
        raise DataError(f"{path}: truncated or corrupt gzip data ({type(e).__name__}: {e})") from None


def _parse_gz(path: Path, blob: bytes) -> tuple[np.ndarray, bytes, bytearray]:
    with gzip.GzipFile(fileobj=io.BytesIO(blob), mode="rb") as f:
        head = _gz_read(path, f, 4)
        dtype, ndim = _parse_header(path, head, "the decompressed content")
        dims = _gz_read(path, f, 4 * ndim)
        if len(dims) < 4 * ndim:
            raise DataError(f"{path}: truncated header: {ndim} dimensions declared, stream ends inside the header")
        shape = tuple(int(d) for d in np.frombuffer(dims, dtype=">u4"))
        want = math.prod(shape) * dtype.itemsize
        if want > _MAX_DEFLATE_RATIO * len(blob):
            raise DataError(
                f"{path}: the header declares shape {shape} of {dtype.name} ({want} bytes) but a "
                f"{len(blob)}-byte gzip file cannot hold that much; the header is corrupt"
            )
        # Read in bounded chunks up to one byte past the declared size: memory
        # grows only with data actually present, and reading to the end makes
        # gzip verify its CRC-32 and length trailer.
        buf = bytearray()
        while len(buf) <= want:
            chunk = _gz_read(path, f, min(_CHUNK, want + 1 - len(buf)))
            if not chunk:
                break
            buf += chunk
    _check_length(path, shape, dtype, len(buf))
    return _to_array(buf, dtype, shape), head + dims, buf


def _to_array(data, dtype: np.dtype, shape: tuple) -> np.ndarray:
    arr = np.frombuffer(data, dtype=dtype, count=math.prod(shape))
    # astype copies: the result owns its memory, is writable and native-endian.
    return arr.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def is_gzip(blob: bytes) -> bool:
    """True when ``blob`` starts with the gzip magic bytes."""
    return blob[:2] == _GZIP_MAGIC


def parse_idx_bytes(path, blob: bytes) -> tuple[np.ndarray, bytes, bytes | bytearray | memoryview]:
    """Parse the content ``blob`` of an IDX file (``path`` only names it in errors).

    Returns (array, decompressed header bytes, decompressed data bytes); the
    last two let callers hash the decompressed content without decoding twice.
    """
    path = Path(path)
    return _parse_gz(path, blob) if is_gzip(blob) else _parse_raw(path, blob)


def _load_idx(path) -> tuple[np.ndarray, bytes, bytes | bytearray | memoryview, bytes]:
    """Read ``path``; return (array, raw header, raw data, file bytes as stored)."""
    path = Path(path)
    blob = _read_file_bytes(path)
    return (*parse_idx_bytes(path, blob), blob)


def read_idx(path) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a native-endian ndarray.

    Args:
        path (str | os.PathLike): the file; gzip is detected from its content.

    Returns:
        A writable array of the stored dtype (uint8, int8, int16, int32,
        float32 or float64) and the declared shape.

    Raises:
        DataError: the file is missing or unreadable, is not IDX, uses an
            unknown type code, is truncated or has trailing bytes, or its gzip
            stream is corrupt. The message names the file.

    Example:
        >>> import os, tempfile, numpy as np
        >>> p = os.path.join(tempfile.mkdtemp(), "a.idx.gz")
        >>> _ = write_idx(p, np.arange(6, dtype=np.int16).reshape(2, 3))
        >>> read_idx(p)
        array([[0, 1, 2],
               [3, 4, 5]], dtype=int16)
    """
    return _load_idx(path)[0]


def _encode_idx(array) -> bytes:
    arr = np.asarray(array)
    code = _KIND_SIZE_TO_CODE.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None:
        raise TypeError(
            f"write_idx cannot store dtype {arr.dtype}; IDX supports uint8, int8, int16, int32, "
            f"float32 and float64. Convert with array.astype(...) first."
        )
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"write_idx needs an array with 1 to 255 dimensions, got {arr.ndim}.")
    if any(d >= 2**32 for d in arr.shape):
        raise ValueError(f"write_idx: every dimension must be < 2**32, got shape {arr.shape}.")
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(arr, dtype=_CODE_TO_DTYPE[code]).tobytes()


def write_idx(path, array, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file, atomically; return the path.

    Args:
        path (str | os.PathLike): destination; parent directories are created.
        array (array_like): uint8, int8, int16, int32, float32 or float64 data
            with 1 to 255 dimensions (each < 2**32).
        compress (bool | None): gzip the file. Default ``None``: compress when
            the name ends in ``.gz``.

    Raises:
        TypeError: the dtype has no IDX type code.
        ValueError: zero or more than 255 dimensions, or a dimension >= 2**32.

    Example:
        >>> import os, tempfile, numpy as np
        >>> p = write_idx(os.path.join(tempfile.mkdtemp(), "x.idx"), np.zeros((2, 2), np.uint8))
        >>> p.read_bytes()[:4].hex()
        '00000802'
    """
    path = Path(path)
    payload = _encode_idx(array)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        # mtime=0 keeps the output byte-identical for identical arrays.
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    return atomic_write_bytes(path, payload)


def read_idx_pair(images_path, labels_path) -> tuple[np.ndarray, np.ndarray]:
    """Read an images file and its labels file, checking that they match.

    Args:
        images_path (str | os.PathLike): IDX file of samples, first axis = sample.
        labels_path (str | os.PathLike): 1-D IDX file with one label per sample.

    Returns:
        ``(images, labels)`` as stored (uint8 for MNIST).

    Raises:
        DataError: either file is unreadable (see :func:`read_idx`), the labels
            are not 1-D, or the two files hold different numbers of samples.
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    _check_pair(images_path, images, labels_path, labels)
    return images, labels


def _check_pair(images_path, images: np.ndarray, labels_path, labels: np.ndarray) -> None:
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: a labels file must be 1-D, this one has shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{images_path} holds {images.shape[0]} samples but {labels_path} holds "
            f"{labels.shape[0]} labels; the two files do not belong together"
        )
