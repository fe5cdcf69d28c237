"""Downloader tests against a local HTTP server on 127.0.0.1 (no test touches the network)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import socket
import sys
import threading
import time

import numpy as np
import pytest

from nnumpy import datasets
from nnumpy.datasets import _download
from nnumpy.errors import DataError

TEST_FILES = _download.FILES["test"]


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (mode, body)``; HTTP/1.0, so each reply closes the connection."""

    def do_GET(self):  # noqa: N802 (http.server naming)
        self.server.requests.append(self.path)
        mode, body = self.server.routes.get(self.path, ("missing", b""))
        if mode == "missing":
            self.send_error(404, "Not Found")
            return
        if mode == "hang":
            time.sleep(1.0)
            return
        self.send_response(200)
        if mode == "truncate":  # promise the whole body, deliver half, close
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            return
        if mode != "nolength":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.routes, httpd.requests = {}, []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def refused_url():
    """A URL whose port had a listener a moment ago: connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setattr(_download, "MIRRORS", {"mnist": [], "fashion-mnist": []})
    monkeypatch.setattr(_download, "DEBIAN_DIRS", {})
    monkeypatch.setattr(_download, "TIMEOUT", 5.0)
    monkeypatch.delenv("NNUMPY_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def _idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def _fake_split(label: int = 3, n: int = 4) -> dict[str, bytes]:
    rng = np.random.default_rng(label)
    return {
        TEST_FILES[0]: _idx_gz(rng.integers(0, 256, size=(n, 28, 28))),
        TEST_FILES[1]: _idx_gz(np.full(n, label)),
    }


def _serve(server, prefix: str, files: dict[str, bytes], mode: str = "ok") -> str:
    for fname, body in files.items():
        server.routes[f"/{prefix}/{fname}"] = (mode, body)
    return f"{server.base}/{prefix}/"


def _trust(monkeypatch, files: dict[str, bytes], name: str = "mnist") -> None:
    table = {f: {"gz_md5": (hashlib.md5(b).hexdigest(),)} for f, b in files.items()}
    monkeypatch.setattr(_download, "CHECKSUMS", {name: table})


def _assert_no_temp_files(directory):
    assert not [f for f in os.listdir(directory) if f.endswith(".tmp")]


def test_download_good_file_verified_written_and_reused(server, monkeypatch, tmp_path):
    files = _fake_split()
    _trust(monkeypatch, files)
    monkeypatch.setitem(_download.MIRRORS, "mnist", [_serve(server, "good", files)])
    X, y = datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)
    assert X.shape == (4, 1, 28, 28) and X.dtype == np.float32 and y.tolist() == [3] * 4
    dest = tmp_path / "mnist"
    assert sorted(os.listdir(dest)) == sorted(TEST_FILES)
    assert all((dest / f).read_bytes() == files[f] for f in TEST_FILES)
    _assert_no_temp_files(dest)
    n_requests = len(server.requests)
    X2, _ = datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)
    assert len(server.requests) == n_requests == 2 and np.array_equal(X, X2)  # second load is local


FAILURES = [
    ("missing", "HTTP 404"),
    ("bad-checksum", "checksum mismatch"),
    ("truncate", "truncated transfer: received"),
    ("html", "not an IDX file"),
]


def _serve_failures(server, files):
    urls = []
    for prefix, _ in FAILURES:
        if prefix == "bad-checksum":
            urls.append(_serve(server, prefix, _fake_split(label=7)))
        elif prefix == "html":
            urls.append(_serve(server, prefix, {f: b"<html>moved</html>" for f in files}))
        elif prefix == "truncate":
            urls.append(_serve(server, prefix, files, mode="truncate"))
        else:
            urls.append(f"{server.base}/{prefix}/")
    return urls


def test_download_falls_back_through_mirrors_in_order(server, monkeypatch, tmp_path, refused_url):
    files = _fake_split()
    _trust(monkeypatch, files)
    mirrors = [refused_url, *_serve_failures(server, files), _serve(server, "good", files)]
    monkeypatch.setitem(_download.MIRRORS, "mnist", mirrors)
    _, y = datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)
    assert y.tolist() == [3] * 4
    first_file = [r for r in server.requests if r.endswith(TEST_FILES[0])]
    assert [r.split("/")[1] for r in first_file] == [p for p, _ in FAILURES] + ["good"]


def test_download_all_mirrors_fail_raises_with_placement_help(server, monkeypatch, tmp_path, refused_url):
    files = _fake_split()
    _trust(monkeypatch, files)
    monkeypatch.setitem(_download.MIRRORS, "mnist", [refused_url, *_serve_failures(server, files)])
    with pytest.raises(DataError) as info:
        datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)
    msg = str(info.value)
    assert f"could not download mnist file {TEST_FILES[0]}" in msg
    assert refused_url in msg and "cannot connect" in msg
    for _, fragment in FAILURES:
        assert fragment in msg
    assert f"place {TEST_FILES[0]}, {TEST_FILES[1]}" in msg and str(tmp_path / "mnist") in msg
    assert not (tmp_path / "mnist").exists() or not os.listdir(tmp_path / "mnist")  # nothing written


def test_download_server_down_offline_error(monkeypatch, tmp_path, refused_url):
    monkeypatch.setitem(_download.MIRRORS, "fashion-mnist", [refused_url])
    with pytest.raises(DataError, match="(?s)every mirror failed.*cannot connect.*apt-get install"):
        datasets.load("fashion-mnist", split="test", data_dir=tmp_path, progress=False)


def test_download_timeout_reported(server, monkeypatch, tmp_path):
    monkeypatch.setattr(_download, "TIMEOUT", 0.2)
    files = _fake_split()
    monkeypatch.setitem(_download.MIRRORS, "mnist", [_serve(server, "slow", files, mode="hang")])
    with pytest.raises(DataError, match="timed out"):
        datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)


def test_download_accepts_decompressed_digest_of_recompressed_file(server, monkeypatch, tmp_path):
    files = _fake_split()
    recompressed = {f: gzip.compress(gzip.decompress(b), compresslevel=1, mtime=123) for f, b in files.items()}
    table = {
        f: {
            "gz_md5": ("0" * 32,),  # the upstream gzip sum, which a recompressed file cannot match
            "raw_md5": hashlib.md5(gzip.decompress(b)).hexdigest(),
            "raw_sha256": hashlib.sha256(gzip.decompress(b)).hexdigest(),
        }
        for f, b in files.items()
    }
    monkeypatch.setattr(_download, "CHECKSUMS", {"mnist": table})
    monkeypatch.setitem(_download.MIRRORS, "mnist", [_serve(server, "re", recompressed)])
    _, y = datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)
    assert y.tolist() == [3] * 4
    table[TEST_FILES[1]]["raw_sha256"] = "f" * 64  # md5 still matches, sha256 does not: rejected
    with pytest.raises(DataError, match="checksum mismatch"):
        datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)


def test_download_real_checksum_table_rejects_impostor(server, monkeypatch, tmp_path):
    monkeypatch.setitem(_download.MIRRORS, "mnist", [_serve(server, "fake", _fake_split())])
    with pytest.raises(DataError, match="checksum mismatch for mnist file t10k-images-idx3-ubyte.gz"):
        datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)


def test_download_real_t10k_through_server_verified_by_real_table(server, monkeypatch, tmp_path):
    bundled = _download.FILES["test"]
    from nnumpy.datasets._bundled import BUNDLED_DIR

    files = {f: (BUNDLED_DIR / f).read_bytes() for f in bundled}
    monkeypatch.setitem(_download.MIRRORS, "mnist", [_serve(server, "mnist", files)])
    X, y = datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)
    assert X.shape == (10000, 1, 28, 28) and y[:3].tolist() == [7, 2, 1]


@pytest.mark.parametrize("tqdm_installed", [True, False])
def test_download_progress_bar_optional(server, monkeypatch, tmp_path, tqdm_installed, capsys):
    files = _fake_split()
    _trust(monkeypatch, files)
    if not tqdm_installed:
        monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `from tqdm import tqdm` raise ImportError
    monkeypatch.setitem(_download.MIRRORS, "mnist", [_serve(server, "p", files)])
    _, y = datasets.load("mnist", split="test", data_dir=tmp_path, progress=True)
    assert y.tolist() == [3] * 4


def test_download_without_content_length(server, monkeypatch, tmp_path):
    files = _fake_split()
    _trust(monkeypatch, files)
    monkeypatch.setitem(_download.MIRRORS, "mnist", [_serve(server, "nl", files, mode="nolength")])
    _, y = datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)
    assert y.tolist() == [3] * 4


def test_download_size_limit(server, monkeypatch, tmp_path):
    files = _fake_split()
    _trust(monkeypatch, files)
    monkeypatch.setattr(_download, "MAX_DOWNLOAD_BYTES", 50)
    monkeypatch.setitem(_download.MIRRORS, "mnist", [_serve(server, "big", files), _serve(server, "nl", files, "nolength")])
    with pytest.raises(DataError, match="(?s)more than the 50 allowed.*exceeds 50 bytes"):
        datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)


def test_download_function_fetches_all_files_once(server, monkeypatch, tmp_path):
    files = {**_fake_split()}
    rng = np.random.default_rng(0)
    files[_download.FILES["train"][0]] = _idx_gz(rng.integers(0, 256, size=(6, 28, 28)))
    files[_download.FILES["train"][1]] = _idx_gz(np.arange(6))
    _trust(monkeypatch, files, name="fashion-mnist")
    monkeypatch.setitem(_download.MIRRORS, "fashion-mnist", [_serve(server, "f", files)])
    dest = datasets.download("fashion-mnist", data_dir=tmp_path, progress=False)
    assert dest == tmp_path / "fashion-mnist" and sorted(os.listdir(dest)) == sorted(files)
    assert datasets.download("fashion-mnist", data_dir=tmp_path, progress=False) == dest
    assert len(server.requests) == 4
    _, y = datasets.load("fashion-mnist", data_dir=tmp_path, download=False)
    assert y.tolist() == list(range(6))


@pytest.mark.parametrize("where", ["env", "cache"])
def test_download_destination_without_data_dir(server, monkeypatch, tmp_path, where):
    files = _fake_split()
    _trust(monkeypatch, files)
    monkeypatch.setitem(_download.MIRRORS, "mnist", [_serve(server, "d", files)])
    if where == "env":
        monkeypatch.setenv("NNUMPY_DATA", str(tmp_path / "env"))
        expected = tmp_path / "env" / "mnist"
    else:
        expected = tmp_path / "xdg" / "nnumpy" / "mnist"
    datasets.load("mnist", split="test", progress=False)
    assert sorted(os.listdir(expected)) == sorted(TEST_FILES)
    assert datasets.search_dirs("mnist")[-1] == datasets.cache_dir() / "mnist"


def test_download_malformed_mirror_url(monkeypatch, tmp_path):
    monkeypatch.setitem(_download.MIRRORS, "mnist", ["not a url/"])
    with pytest.raises(DataError, match="transfer failed|cannot connect"):
        datasets.load("mnist", split="test", data_dir=tmp_path, progress=False)
