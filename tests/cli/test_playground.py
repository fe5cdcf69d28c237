"""``nnumpy playground``: options, one-line errors, and a real server that answers and stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request

import pytest
from ._helpers import assert_one_line_error, run_quiet

pytest.importorskip("starlette", reason='the playground needs Starlette: pip install "nnumpy[playground]"')


def test_help_names_every_option():
    code, out, _ = run_quiet(["playground", "--help"])
    assert code == 0
    for option in ("--model", "--host", "--port", "--no-browser"):
        assert option in out


@pytest.mark.parametrize("argv,expected", [
    (["--port", "70000"], "--port must be from 0 to 65535"),
    (["--port", "http"], "invalid int value"),
    (["--frobnicate"], "unrecognized arguments"),
])
def test_bad_options_are_one_line_usage_errors(argv, expected):
    code, _, err = run_quiet(["playground", "--no-browser", *argv])
    assert_one_line_error(code, err, 2)
    assert expected in err


def test_a_model_that_is_not_a_digits_model_is_one_line(tmp_path):
    import nnumpy
    from nnumpy import nn

    path = tmp_path / "iris.safetensors"
    nnumpy.save(nn.Sequential(nn.Linear(4, 3)), path)
    code, _, err = run_quiet(["playground", "--no-browser", "--model", str(path)])
    assert_one_line_error(code, err, 1)
    assert "784" in err


def test_a_missing_model_file_is_one_line(tmp_path):
    code, _, err = run_quiet(["playground", "--no-browser", "--model", str(tmp_path / "none.safetensors")])
    assert_one_line_error(code, err, 1)
    assert "none.safetensors" in err


def test_serves_on_localhost_and_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}  # no Digits model is trained: nobody asks
    proc = subprocess.Popen([sys.executable, "-m", "nnumpy", "playground", "--no-browser", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
        base = m.group(0)
        with urllib.request.urlopen(base, timeout=10) as r:
            assert r.status == 200 and b'id="boundary"' in r.read()
        with urllib.request.urlopen(base + "digits", timeout=10) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode in (0, 130), err
    assert "Traceback" not in err and "note: listening" not in err


def test_port_in_use_is_one_line():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "nnumpy", "playground", "--no-browser", "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("nnumpy: error: ") and str(port) in lines[-1] and "Traceback" not in proc.stderr


def test_listening_beyond_this_machine_says_so(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "nnumpy", "playground", "--no-browser", "--port", "0",
                             "--host", "0.0.0.0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert "nnumpy playground at http://127.0.0.1:" in proc.stdout.readline()
        assert "note: listening on 0.0.0.0, not only this machine" in proc.stderr.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode in (0, 130) and "Traceback" not in err  # 130: Ctrl-C before uvicorn took the signal


@pytest.mark.parametrize("missing", ["uvicorn", "starlette"])
def test_missing_extra_names_it(monkeypatch, missing):
    for name in [m for m in sys.modules if m == missing or m.startswith(missing + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # import fails as if not installed
    code, _, err = run_quiet(["playground", "--no-browser", "--port", "0"])
    assert_one_line_error(code, err, 1)
    assert 'pip install "nnumpy[playground]"' in err
