"""Full MNIST and Fashion-MNIST: find the IDX files locally, or download them.

Lookup order for ``load("mnist" | "fashion-mnist", split)``; the first
directory holding both files of the split (images and labels, each either
``*.gz`` or uncompressed) wins:

1. ``data_dir/<name>/`` then ``data_dir/`` itself, when ``data_dir`` is given;
2. ``$NNUMPY_DATA/<name>/`` then ``$NNUMPY_DATA/``, when the variable is set;
3. the user cache ``$XDG_CACHE_HOME/nnumpy/<name>/`` (default ``~/.cache/nnumpy/<name>/``);
4. Fashion-MNIST only: Debian's ``/usr/share/datasets/fashion-mnist/``
   (``apt-get install dataset-fashion-mnist``).

Otherwise, with ``download=True``, the files are fetched from the mirrors in
:data:`MIRRORS` (tried in order) into ``data_dir/<name>/``, else
``$NNUMPY_DATA/<name>/``, else the cache directory; each transfer is checked for
completeness and against :data:`CHECKSUMS` before it is written atomically.

Checksums (see :data:`CHECKSUMS`) and what backs each one:

* ``gz_md5``: md5 of the gzip file as published. MNIST: the four sums given in
  the project's data README for the official files; of these only the two t10k
  sums were checked here against real files. Fashion-MNIST: upstream's sums as
  published in the zalandoresearch/fashion-mnist repository (not checked here
  against a download), plus the sums of Debian's recompressed files (checked).
* ``raw_md5`` / ``raw_sha256``: digests of the *decompressed* bytes, which hold
  for any recompression. MNIST t10k: computed here from the official files.
  Fashion-MNIST (all four): computed here from Debian's package
  dataset-fashion-mnist 0.0~git20200523.55506a9-1; Debian only recompressed the
  upstream files, so these should equal upstream's decompressed bytes, but that
  was not checked against an upstream download. MNIST train: no decompressed
  digest is known here, so a train file is verified by its gzip md5 only.

A file is *verified* when its gzip md5 or its decompressed digest matches,
*rejected* (:class:`nnumpy.DataError`) when a digest applies to it and none
matches, and accepted *unverified* only when no digest applies (an uncompressed
MNIST train file, or a name missing from the table).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_bytes
from .._validation import check_bool
from ..errors import DataError
from ._bundled import mnist_to_xy
from ._idx import _check_pair, _load_idx, is_gzip, parse_idx_bytes

__all__ = [
    "MIRRORS",
    "FILES",
    "CHECKSUMS",
    "DEBIAN_DIRS",
    "ENV_VAR",
    "TIMEOUT",
    "MAX_DOWNLOAD_BYTES",
    "cache_dir",
    "search_dirs",
    "locate",
    "download",
    "load_remote",
]

ENV_VAR = "NNUMPY_DATA"
TIMEOUT = 30.0  # seconds per connection attempt / read
MAX_DOWNLOAD_BYTES = 64 * 2**20  # the largest file (Fashion train images) is ~26 MiB
_CHUNK = 1 << 16

MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}

FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# See the module docstring for which of these were checked against real files.
CHECKSUMS: dict[str, dict[str, dict]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": {"gz_md5": ("f68b3c2dcbeaaa9fbdd348bbdeb94873",)},
        "train-labels-idx1-ubyte.gz": {"gz_md5": ("d53e105ee54ea40749a09fcbcd1e9432",)},
        "t10k-images-idx3-ubyte.gz": {
            "gz_md5": ("9fb629c4189551a2d022fa330f9573f3",),
            "raw_md5": "2646ac647ad5339dbf082846283269ea",
            "raw_sha256": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        },
        "t10k-labels-idx1-ubyte.gz": {
            "gz_md5": ("ec29112dd5afa0611ce80d1b7f02629c",),
            "raw_md5": "27ae3e4e09519cfbb04c329615203637",
            "raw_sha256": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
    },
    "fashion-mnist": {
        # gz_md5: (upstream, Debian's recompressed file)
        "train-images-idx3-ubyte.gz": {
            "gz_md5": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "cf8536b0aa1a6ac5fa3f23001093305c"),
            "raw_md5": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
            "raw_sha256": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        },
        "train-labels-idx1-ubyte.gz": {
            "gz_md5": ("25c81989df183df01b3e8a0aad5dffbe", "10bea18fdb374794d4bb42e356e600c9"),
            "raw_md5": "9018921c3c673c538a1fc5bad174d6f9",
            "raw_sha256": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        },
        "t10k-images-idx3-ubyte.gz": {
            "gz_md5": ("bef4ecab320f06d8554ea6380940ec79", "f78720b4224f21cce2f2ccf2d7a94c9a"),
            "raw_md5": "8181f5470baa50b63fa0f6fddb340f0a",
            "raw_sha256": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        },
        "t10k-labels-idx1-ubyte.gz": {
            "gz_md5": ("bb300cfdad3c16e7a12a480ee83cd310", "0d30e22e447f3c33dab9ed536400ac01"),
            "raw_md5": "15d484375f8d13e6eb1aabb0c3f46965",
            "raw_sha256": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
    },
}

DEBIAN_DIRS: dict[str, tuple[str, ...]] = {
    "fashion-mnist": ("/usr/share/datasets/fashion-mnist",),
}

_APT_PACKAGES = {"fashion-mnist": "dataset-fashion-mnist"}  # installs into DEBIAN_DIRS


def _check_name(name: str) -> None:
    if name not in MIRRORS:
        raise DataError(f"no downloadable data set named {name!r}; downloadable: {', '.join(sorted(MIRRORS))}")


def cache_dir() -> Path:
    """The user cache root: ``$XDG_CACHE_HOME/nnumpy``, default ``~/.cache/nnumpy``."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "nnumpy"


def search_dirs(name: str, data_dir=None) -> list[Path]:
    """Directories searched for ``name``'s files, in lookup order (see module docstring)."""
    dirs: list[Path] = []
    env = os.environ.get(ENV_VAR)
    for root in (data_dir, env or None):
        if root is not None:
            root = Path(root).expanduser()
            dirs += [root / name, root]
    dirs.append(cache_dir() / name)
    dirs += [Path(p) for p in DEBIAN_DIRS.get(name, ())]
    return dirs


def _download_dir(name: str, data_dir=None) -> Path:
    env = os.environ.get(ENV_VAR)
    root = Path(data_dir).expanduser() if data_dir is not None else (Path(env).expanduser() if env else cache_dir())
    return root / name


def _find_file(directory: Path, fname: str) -> Path | None:
    for candidate in (fname, fname[: -len(".gz")]):
        path = directory / candidate
        if path.is_file():
            return path
    return None


def locate(name: str, split: str, data_dir=None) -> tuple[Path, Path] | None:
    """Return ``(images_path, labels_path)`` from the first directory holding both, or None."""
    images, labels = FILES[split]
    for directory in search_dirs(name, data_dir):
        found = _find_file(directory, images), _find_file(directory, labels)
        if found[0] is not None and found[1] is not None:
            return found
    return None


def _verify(name: str, fname: str, path, blob: bytes, header: bytes, data) -> bool:
    """Check a file's content against :data:`CHECKSUMS`; True if verified, False if no digest applies."""
    sums = CHECKSUMS.get(name, {}).get(fname)
    if not sums:
        return False
    gz_md5 = hashlib.md5(blob).hexdigest() if is_gzip(blob) else None
    if gz_md5 is not None and gz_md5 in sums.get("gz_md5", ()):
        return True
    got = {}
    for algo in ("md5", "sha256"):
        if f"raw_{algo}" in sums:
            h = hashlib.new(algo, header)
            h.update(data)
            got[algo] = h.hexdigest()
    if got:
        if all(got[a] == sums[f"raw_{a}"] for a in got):
            return True
    elif gz_md5 is None:
        return False  # uncompressed file and only gzip digests known: nothing applies
    found = f"gzip md5 {gz_md5}, " if gz_md5 else ""
    found += ", ".join(f"decompressed {a} {v}" for a, v in got.items())
    raise DataError(
        f"{path}: checksum mismatch for {name} file {fname} ({found.rstrip(', ')}); the file is corrupt, "
        f"incomplete or belongs to another data set. Delete it and load again to re-download it."
    )


def _read_verified(name: str, fname: str, path: Path, verify: bool) -> np.ndarray:
    arr, header, data, blob = _load_idx(path)
    if verify:
        _verify(name, fname, path, blob, header, data)
    return arr


class _NullBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int | None, desc: str, enabled: bool):
    if not enabled:
        return _NullBar()
    try:
        from tqdm import tqdm
    except ImportError:  # optional dependency (pip install nnumpy[progress])
        return _NullBar()
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False)


def _http_get(url: str, progress: bool) -> bytes:
    """Fetch ``url`` completely; any failure becomes a ``DataError`` saying what went wrong."""
    # Imported here: urllib.request pulls in ssl/email/http, which offline use never needs.
    import http.client
    import urllib.error
    import urllib.request

    from .._version import __version__

    bar = None
    try:
        req = urllib.request.Request(url, headers={"User-Agent": f"nnumpy/{__version__}"})
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.strip().isdigit() else None
            if total is not None and total > MAX_DOWNLOAD_BYTES:
                raise DataError(f"server announces {total} bytes, more than the {MAX_DOWNLOAD_BYTES} allowed")
            bar = _progress_bar(total, url.rsplit("/", 1)[-1], progress)
            buf = bytearray()
            while True:
                chunk = resp.read(_CHUNK)
                if not chunk:
                    break
                buf += chunk
                bar.update(len(chunk))
                if len(buf) > MAX_DOWNLOAD_BYTES:
                    raise DataError(f"transfer exceeds {MAX_DOWNLOAD_BYTES} bytes; refusing")
    except DataError:
        raise
    except urllib.error.HTTPError as e:
        raise DataError(f"HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise DataError(f"cannot connect ({e.reason})") from None
    except (http.client.HTTPException, OSError, ValueError) as e:
        # OSError covers timeouts and resets; HTTPException malformed replies;
        # ValueError a malformed URL in a user-edited mirror list.
        raise DataError(f"transfer failed ({type(e).__name__}: {e})") from None
    finally:
        if bar is not None:
            bar.close()
    # http.client returns short data without raising when the peer closes
    # early, so completeness is checked here against Content-Length.
    if total is not None and len(buf) != total:
        raise DataError(f"truncated transfer: received {len(buf)} of {total} bytes")
    return bytes(buf)


def _placement_help(name: str, split: str | None, data_dir=None) -> str:
    files = [f for s in ((split,) if split else FILES) for f in FILES[s]]
    where = ", ".join(str(d) for d in search_dirs(name, data_dir))
    text = (
        f"To use {name} offline, place {', '.join(files)} (gzip-compressed or not) in one of: {where} "
        f"(or pass data_dir=..., or set ${ENV_VAR})."
    )
    if name in _APT_PACKAGES:
        text += f" On Debian/Ubuntu: apt-get install {_APT_PACKAGES[name]}."
    return text


def _fetch(name: str, fname: str, dest_dir: Path, progress: bool, split: str | None, data_dir) -> Path:
    """Download ``fname`` from the first mirror that delivers a complete, verified copy."""
    errors = []
    for mirror in MIRRORS[name]:
        url = mirror if mirror.endswith("/") else mirror + "/"
        url += fname
        try:
            blob = _http_get(url, progress)
            _, header, data = parse_idx_bytes(url, blob)
            _verify(name, fname, url, blob, header, data)
        except DataError as e:
            errors.append(f"  {url}: {e}")
            continue
        return atomic_write_bytes(dest_dir / fname, blob)
    tried = "\n".join(errors) if errors else "  (no mirrors configured)"
    raise DataError(
        f"could not download {name} file {fname}; every mirror failed:\n{tried}\n"
        f"{_placement_help(name, split, data_dir)}"
    )


def download(name: str, *, data_dir=None, split: str | None = None, progress: bool = True) -> Path:
    """Download ``name``'s IDX files (skipping those already there); return their directory.

    Args:
        name (str): ``"mnist"`` or ``"fashion-mnist"``.
        data_dir (str | os.PathLike | None): files go to ``data_dir/<name>/``.
            Default None: ``$NNUMPY_DATA/<name>/`` or the user cache directory.
        split (str | None): ``"train"`` or ``"test"`` to fetch only that split's
            two files. Default None: all four.
        progress (bool): show a tqdm progress bar if tqdm is installed. Default True.

    Raises:
        DataError: every mirror failed for some file; the message lists each
            mirror's error and which files to place where.
    """
    _check_name(name)
    dest = _download_dir(name, data_dir)
    for s in (split,) if split else FILES:
        for fname in FILES[s]:
            if _find_file(dest, fname) is None:
                _fetch(name, fname, dest, progress, split, data_dir)
    return dest


_download = download  # load_remote's ``download`` flag shadows the function name


def load_remote(
    name: str, split: str, data_dir=None, download: bool = True, *, verify: bool = True, progress: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Load full MNIST or Fashion-MNIST as ``(X float32 (N,1,28,28) in [0,1], y int64)``.

    See the module docstring for the lookup order and the checksum policy.
    ``verify=False`` skips the checksums of local files (downloads are always verified).
    """
    _check_name(name)
    verify = check_bool(f"load({name!r})", "verify", verify)
    progress = check_bool(f"load({name!r})", "progress", progress)
    pair = locate(name, split, data_dir)
    if pair is None:
        if not download:
            raise DataError(f"{name} {split} files not found and download=False. {_placement_help(name, split, data_dir)}")
        dest = _download(name, data_dir=data_dir, split=split, progress=progress)
        pair = (_find_file(dest, FILES[split][0]), _find_file(dest, FILES[split][1]))
    images_path, labels_path = pair
    images = _read_verified(name, FILES[split][0], images_path, verify)
    labels = _read_verified(name, FILES[split][1], labels_path, verify)
    _check_pair(images_path, images, labels_path, labels)
    return mnist_to_xy(images, labels, str(images_path))
