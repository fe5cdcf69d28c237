"""``serve``: run the playground on uvicorn, bound to 127.0.0.1 by default, and open the browser."""

from __future__ import annotations

import errno
import socket
import sys
import threading
import webbrowser

__all__ = ["serve", "check_port", "DEFAULT_HOST", "DEFAULT_PORT"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def check_port(port, name: str = "port") -> int:
    """``port`` as a TCP port number, 0 (any free port) to 65535; ValueError naming ``name`` otherwise."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"{name} must be from 0 to 65535, got {port!r}")
    return port


def serve(model: str | None = None, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          open_browser: bool = True, log_level: str = "warning") -> None:
    """Serve the playground until interrupted (Ctrl-C).

    Args:
        model: a model file for the Digits page, or None for the main job's
            model (trained on first use, then kept in nnumpy's cache).
        host: the address to bind. Default ``127.0.0.1`` (this machine only);
            ``0.0.0.0`` shows the playground to the network, and anyone who can
            reach it can start training on this machine.
        port: the TCP port. Default 8765.
        open_browser: open the 2-D page in the default browser once listening.
        log_level: uvicorn's log level. Default ``"warning"``.

    Raises:
        ImportError: Starlette or uvicorn missing (``pip install "nnumpy[playground]"``).
        ValueError: a bad port, or a model file that does not read 28x28 digits.
        OSError: the port is taken.
    """
    port = check_port(port)
    try:
        import uvicorn
    except ImportError as e:
        raise ImportError('nnumpy playground needs uvicorn: pip install "nnumpy[playground]"') from e
    from ._app import create_app

    app = create_app(model)
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level=log_level, lifespan="on")
    server = uvicorn.Server(config)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{f'[{shown}]' if ':' in shown else shown}:{bound}/"

    def announce():
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            print(f"nnumpy playground at {url}  (Digits: {url}digits; Ctrl-C stops)", flush=True)
            if host not in ("127.0.0.1", "localhost", "::1"):
                print(f"nnumpy: note: listening on {host}, not only this machine: anyone who can reach it "
                      "can train networks here", file=sys.stderr, flush=True)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or an OSError that says what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        why = "the port is taken" if e.errno == errno.EADDRINUSE else (e.strerror or str(e))
        raise OSError(f"could not listen on {host}:{port}: {why}; pick another with --port (0: any free port)") \
            from None
    return sock
