"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Temp file in the same directory, write, flush + fsync, ``os.replace``, then
fsync the directory so the rename itself is durable.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Callable, IO

__all__ = ["atomic_write", "atomic_write_bytes", "remove_stale_temps"]

#: A temp file whose name carries no process id is stale after this many seconds.
_STALE_AFTER_S = 600


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temps(path) -> int:
    """Delete temp files of saves to ``path`` that were killed before their rename; returns how many.

    The temp files are named ``.<name>.<pid>.<random>.tmp``: one whose process is
    gone is left over from a killed save (a live process may still be writing its
    own, so those stay). Called by every save and load of ``path``.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    prefix = _temp_prefix(path)
    removed = 0
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return 0
    for name in names:
        pid_text = name[len(prefix) :].split(".", 1)[0]
        tmp = directory / name
        try:
            stale = not _alive(int(pid_text)) if pid_text.isdigit() else (
                time.time() - os.stat(tmp).st_mtime > _STALE_AFTER_S
            )
            if stale and int(pid_text or 0) != os.getpid():
                os.unlink(tmp)
                removed += 1
        except (OSError, ValueError):
            pass
    return removed


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(fileobj)`` on a temp file beside ``path``, then atomically move it to ``path``."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path)
        fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=directory)
    except OSError as err:  # name the user's path, not the hidden temp file
        raise OSError(err.errno, f"cannot save {path}: {err.strerror}") from None
    try:
        # mkstemp creates 0600; keep the replaced file's mode, else the usual 0666 & ~umask.
        try:
            mode = os.stat(path).st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError) and err.errno is not None:
            raise OSError(err.errno, f"cannot save {path}: {err.strerror}") from None
        raise
    _fsync_dir(directory)
    return path


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda f: f.write(data))
