"""Crash-safe file writes: temp file in the target directory, fsync, rename, fsync dir.

A reader never sees a half-written file: either the old file (or none) or the
complete new one. ``os.replace`` is atomic on POSIX and Windows when source and
target are on the same file system, which is why the temp file lives beside the
target rather than in ``/tmp``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes"]


def _fsync_dir(directory: Path) -> None:
    # Persist the rename itself. Windows cannot open a directory for fsync;
    # there the rename is durable once MoveFileEx returns.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and durably; return the path.

    Parent directories are created. On any failure the temp file is removed and
    the previous content of ``path`` (if any) is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)
    return path
