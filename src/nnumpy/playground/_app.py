"""The playground's web app (Starlette): two pages, their static files and a small JSON API.

Routes:

========================================  ==============================================================
``GET /``, ``GET /digits``                the 2-D playground and the Digits page (``?lang=ko`` in Korean)
``GET /static/…``                         the pages' JavaScript and CSS (from the package, nothing else)
``GET /api/options``                      choices and bounds for the 2-D page's form
``POST /api/sessions``                    new 2-D session from a configuration → ``{id, frame, points}``
``POST /api/sessions/{id}/config``        new configuration (data, network, optimizer) → ``{frame, points}``
``POST /api/sessions/{id}/control``       ``{"action": "start"|"pause"|"step"|"reset", "steps_per_frame"?}``
``POST /api/sessions/{id}/probe``         ``{"index": i}``: the training point whose activations are drawn
``POST /api/sessions/{id}/backprop``      ``{"index": i}``: one sample's forward and backward, layer by layer
``GET /api/sessions/{id}/frame``          the latest frame
``GET /api/sessions/{id}/events``         server-sent events: a ``frame`` event each time one is rendered
``GET /api/digits/status``                whether the Digits model is ready (it may be training)
``POST /api/digits/predict``              ``{"width", "height", "pixels"}`` → prepared image, probabilities
========================================  ==============================================================

Every body is validated by :mod:`._schema`; errors answer ``{"error", "field"}``
with a 4xx status. The server reads no path a request names.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
import time
from importlib import resources
from typing import Any

from ._schema import (ACTIVATIONS, DATASETS, DEFAULT_CONFIG, LIMITS, LOSSES, OPTIMIZERS, RequestError, check_fields,
                      get_choice, get_int, parse_json, session_config)
from ._session import GRID, Session

__all__ = ["create_app", "Sessions"]

_HEARTBEAT_S = 15.0
_POLL_S = 0.005


class Sessions:
    """The live 2-D sessions, at most ``LIMITS['max_sessions']``; the least recently used goes first."""

    def __init__(self, limit: int = LIMITS["max_sessions"]):
        self.limit = limit
        self._lock = threading.Lock()
        self._items: collections.OrderedDict[str, Session] = collections.OrderedDict()

    def new(self, config: dict[str, Any]) -> Session:
        """A new session; the oldest is closed when there are already ``limit``."""
        s = Session(config)
        with self._lock:
            while len(self._items) >= self.limit:
                _, old = self._items.popitem(last=False)
                old.close()
            self._items[s.id] = s
        return s

    def get(self, sid: str) -> Session:
        """The session ``sid``; :class:`RequestError` 404 when there is none (expired or never made)."""
        with self._lock:
            s = self._items.get(sid)
            if s is None:
                raise RequestError(f"no session {sid!r}; it was closed (at most {self.limit} live at once) "
                                   "or never made: reload the page", "session", 404)
            self._items.move_to_end(sid)
        s.last_seen = time.monotonic()
        return s

    def close_all(self) -> None:
        """End every session's thread (the server is stopping)."""
        with self._lock:
            for s in self._items.values():
                s.close()
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def _static_text(name: str) -> str:
    return resources.files("nnumpy.playground").joinpath("static", name).read_text(encoding="utf-8")


def create_app(model: str | None = None, *, digits: Any = None, sessions_limit: int = LIMITS["max_sessions"]):
    """The playground's Starlette app.

    Args:
        model: a model file for the Digits page (``--model``), or None for the
            main job's model, trained on first use and kept in nnumpy's cache.
        digits: a ready :class:`~nnumpy.playground._digits.DigitsModel` (tests), overriding ``model``.
        sessions_limit: how many 2-D sessions may live at once.

    Raises:
        ImportError: when Starlette is missing (``pip install "nnumpy[playground]"``).
    """
    try:
        from starlette.applications import Starlette
        from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
        from starlette.routing import Mount, Route
        from starlette.staticfiles import StaticFiles
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError('nnumpy playground needs Starlette and uvicorn: pip install "nnumpy[playground]"') from e
    if digits is None:
        from ._digits import DigitsModel

        digits = DigitsModel(model)
    digits_model = digits
    sessions = Sessions(sessions_limit)
    static_dir = str(resources.files("nnumpy.playground").joinpath("static"))

    def error(e: RequestError) -> JSONResponse:
        return JSONResponse(e.to_json(), status_code=e.status)

    def handler(fn):
        async def wrapped(request):
            try:
                return await fn(request)
            except RequestError as e:
                return error(e)
            except Exception as e:  # one line, never a traceback, to the page
                msg = " ".join(str(e).split()) or type(e).__name__
                return JSONResponse({"error": f"internal error: {type(e).__name__}: {msg}", "field": None},
                                    status_code=500)
        return wrapped

    async def body_of(request) -> dict[str, Any]:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > LIMITS["max_body_bytes"]:
            raise RequestError(f"request body too large: {int(length):,} bytes, at most "
                               f"{LIMITS['max_body_bytes']:,}", None, 413)
        return parse_json(await request.body())

    def page(name: str):
        async def endpoint(request):
            return HTMLResponse(_static_text(name))
        return endpoint

    @handler
    async def options(request):
        return JSONResponse({"datasets": list(DATASETS), "activations": list(ACTIVATIONS), "losses": list(LOSSES),
                             "optimizers": list(OPTIMIZERS), "limits": LIMITS, "defaults": DEFAULT_CONFIG,
                             "grid": GRID})

    @handler
    async def new_session(request):
        config = session_config(await body_of(request))
        s = await asyncio.to_thread(sessions.new, config)
        return JSONResponse({"id": s.id, "frame": s.frame, "points": s.points()}, status_code=201)

    @handler
    async def configure(request):
        s = sessions.get(request.path_params["sid"])
        config = session_config(await body_of(request), s.config)
        await asyncio.to_thread(s.configure, config)
        return JSONResponse({"frame": s.frame, "points": s.points()})

    @handler
    async def control(request):
        s = sessions.get(request.path_params["sid"])
        body = await body_of(request)
        check_fields(body, {"action", "steps_per_frame"})
        if "action" not in body:
            raise RequestError("action is missing; send start, pause, step or reset", "action")
        action = get_choice(body, "action", "", ("start", "pause", "step", "reset"))
        if "steps_per_frame" in body:  # 0: as many steps as fit in a frame
            s.steps_per_frame = get_int(body, "steps_per_frame", 0, 0, 1000)
        await asyncio.to_thread(getattr(s, action))
        return JSONResponse({"frame": s.frame})

    def index_of(body: dict[str, Any], s: Session) -> int:
        check_fields(body, {"index"})
        if "index" not in body:
            raise RequestError("index is missing; send the index of a training point", "index")
        return get_int(body, "index", 0, 0, len(s.X) - 1)

    @handler
    async def probe(request):
        s = sessions.get(request.path_params["sid"])
        i = index_of(await body_of(request), s)

        def move():
            with s.lock:
                s.probe = i
                s.render()
        await asyncio.to_thread(move)
        return JSONResponse({"frame": s.frame})

    @handler
    async def backprop(request):
        from ._backprop import walk

        s = sessions.get(request.path_params["sid"])
        i = index_of(await body_of(request), s)

        def run():
            with s.lock:
                return walk(s.model, s.loss_fn, s.X[i], s.T[i:i + 1], int(s.y[i]))
        result = await asyncio.to_thread(run)
        result["index"] = i
        return JSONResponse(result)

    @handler
    async def frame(request):
        s = sessions.get(request.path_params["sid"])
        return Response(s.frame_json, media_type="application/json")

    @handler
    async def events(request):
        s = sessions.get(request.path_params["sid"])

        async def stream():
            sent, beat = -1, time.monotonic()
            while not await request.is_disconnected():
                if s._closed:  # evicted for a newer session: the page reloads its own
                    return
                s.last_seen = time.monotonic()
                if s.version != sent:
                    sent = s.version
                    yield f"event: frame\ndata: {s.frame_json}\n\n"
                    beat = time.monotonic()
                elif time.monotonic() - beat > _HEARTBEAT_S:
                    yield ": keep-alive\n\n"
                    beat = time.monotonic()
                await asyncio.sleep(_POLL_S)
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @handler
    async def digits_status(request):
        digits_model.ensure_started()
        return JSONResponse(digits_model.status())

    @handler
    async def digits_predict(request):
        body = await body_of(request)
        result = await asyncio.to_thread(digits_model.predict, body)
        return JSONResponse(result)

    async def not_found(request, exc):
        return JSONResponse({"error": f"no such page or endpoint: {request.url.path}", "field": None},
                            status_code=exc.status_code if hasattr(exc, "status_code") else 404)

    routes = [
        Route("/", page("playground.html")),
        Route("/digits", page("digits.html")),
        Route("/api/options", options),
        Route("/api/sessions", new_session, methods=["POST"]),
        Route("/api/sessions/{sid}/config", configure, methods=["POST"]),
        Route("/api/sessions/{sid}/control", control, methods=["POST"]),
        Route("/api/sessions/{sid}/probe", probe, methods=["POST"]),
        Route("/api/sessions/{sid}/backprop", backprop, methods=["POST"]),
        Route("/api/sessions/{sid}/frame", frame),
        Route("/api/sessions/{sid}/events", events),
        Route("/api/digits/status", digits_status),
        Route("/api/digits/predict", digits_predict, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=static_dir), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        sessions.close_all()
        close = getattr(digits_model, "close", None)
        if close is not None:  # a Digits model still training stops after its batch
            close()

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found}, lifespan=lifespan)
    app.state.sessions = sessions
    app.state.digits = digits_model
    return app
