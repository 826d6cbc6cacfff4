"""The preview's web server: the built site under its base path, livereload, and the preview's own files.

* `/livereload` is livereload's websocket (its LiveReloadHandler and protocol);
  a build tells every open page to reload, or, when it failed, to fetch
  `/__briefing__/errors.json` and show the errors over the last good page.
* `/__briefing__/...` are served from memory (preview.js, livereload.js,
  errors.json); the built site on disk stays exactly what deploys.
* Everything else is the built site, mapped by `resolve()`, which refuses any
  path that could name a file outside the site (`..`, encoded slashes and
  dots, backslashes, NUL, symbolic links out of the site).
"""

from __future__ import annotations

import json
import mimetypes
import ipaddress
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote, urlsplit

import livereload
from livereload.handlers import LiveReloadHandler
from tornado import web
from tornado.websocket import WebSocketClosedError

from . import serve_client as client

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".mjs": "application/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".jsonld": "application/ld+json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_LIVERELOAD_JS = Path(livereload.__file__).parent / "vendors" / "livereload.js"  # livereload's own client


def content_type(path: Path, head: bytes = b"") -> str:
    suffix = path.suffix.lower()
    if suffix == ".xml":
        start = head[:2048]
        if b"<feed" in start:
            return "application/atom+xml"
        if b"<rss" in start:
            return "application/rss+xml"
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def inject(document: bytes, tag: bytes) -> bytes:
    """`document` with `tag` just before </head> (or </body>, or at the end)."""
    for pattern in (_HEAD_END, _BODY_END):
        match = pattern.search(document)
        if match:
            return document[: match.start()] + tag + document[match.start():]
    return document + tag


def path_prefix(base_url: str) -> str:
    """The path part of a base URL, as '/x/y/' ('/' for a site at the root)."""
    path = urlsplit(base_url).path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path if path.endswith("/") else path + "/"


# --------------------------------------------------------------------------
# Mapping a request path to a file of the site
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    kind: str  # "file", "redirect" or "missing"
    file: Path | None = None
    location: str | None = None


MISSING = Target("missing")


def _segment(raw: str) -> str | None:
    """One path segment, percent-decoded, or None when it could lead anywhere but down the site."""
    try:
        text = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None
    if text in (".", "..") or any(c in text for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    return text


def resolve(root: Path, prefix: str, raw_path: str, query: str = "") -> Target:
    """Where a request's raw (still percent-encoded) path leads within the site at `root`, served at `prefix`."""
    if not raw_path.startswith("/") or "\\" in raw_path:
        return MISSING
    parts = raw_path[1:].split("/")
    decoded = []
    for i, raw in enumerate(parts):
        if raw == "":
            if i != len(parts) - 1:  # '//' anywhere: never a path of the site (and never an absolute one)
                return MISSING
            decoded.append("")
            continue
        text = _segment(raw)
        if text is None:
            return MISSING
        decoded.append(text)
    suffix = "?" + query if query else ""
    wanted = [unquote(s) for s in prefix.strip("/").split("/") if s]
    if decoded[: len(wanted)] != wanted:
        if raw_path == "/":
            return Target("redirect", location=quote(prefix, safe="/%:@!$&'()*+,;=-._~") + suffix)
        return MISSING
    rest = decoded[len(wanted):]
    if not rest:  # the prefix without its slash
        return Target("redirect", location=raw_path + "/" + suffix)
    names = [s for s in rest if s]
    candidate = root.joinpath(*names) if names else root
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    if real != real_root and not real.startswith(real_root + os.sep):
        return MISSING  # a symbolic link out of the site
    try:
        info = os.stat(real)
    except (OSError, ValueError):
        return MISSING
    if stat.S_ISDIR(info.st_mode):
        if rest[-1] != "":
            return Target("redirect", location=raw_path + "/" + suffix)
        index = os.path.join(real, "index.html")
        try:
            if os.path.islink(index) or not stat.S_ISREG(os.stat(index).st_mode):
                return MISSING
        except OSError:
            return MISSING
        return Target("file", file=Path(index))
    if stat.S_ISREG(info.st_mode) and rest[-1] != "":
        return Target("file", file=Path(real))
    return MISSING


# --------------------------------------------------------------------------
# What the server knows about the builds
# --------------------------------------------------------------------------

@dataclass
class PreviewState:
    """Shared by the handlers; changed only on the server's event loop."""

    root: Path  # the output directory the builds are swapped into
    prefix: str = "/"
    session: str = field(default_factory=lambda: secrets.token_hex(4))  # tells pages of an earlier run apart
    loopback_only: bool = True  # bound to this machine only: refuse other Host names (DNS rebinding)
    build: int = 0  # number of the last good build; 0 before the first
    message: str = ""  # why the last build failed; "" when it succeeded
    errors: list[dict] = field(default_factory=list)
    saved_at: dict[int, float] = field(default_factory=dict)  # build -> wall time of the save it shows
    latencies: list[dict] = field(default_factory=list)  # measured save-to-reload latencies, newest last
    on_loaded: Callable[[dict], None] | None = None  # called with each new latency measurement

    def status(self) -> dict:
        return {"session": self.session, "build": self.build, "ok": not self.errors, "message": self.message,
                "errors": self.errors, "latencies": self.latencies[-20:]}

    def shown(self, build: int, saved_at: float | None) -> None:
        """Build `build` is now served; `saved_at` is when the save it shows was made (None: no save)."""
        self.build = build
        if saved_at is not None:
            self.saved_at[build] = saved_at
            for old in [b for b in self.saved_at if b <= build - 100]:
                del self.saved_at[old]

    def loaded(self, build: int, path: str) -> None:
        """A page reloaded after a save has loaded in a browser: measure the save-to-reload latency."""
        path = "".join(c for c in path if c.isprintable())  # it is printed to the terminal
        saved = self.saved_at.get(build)
        if saved is None or any(m["build"] == build and m["path"] == path for m in self.latencies):
            return
        latency = time.time() - saved
        if not 0 <= latency < 60:  # a manual reload long after the save measures nothing
            return
        measurement = {"build": build, "path": path, "seconds": round(latency, 3)}
        self.latencies.append(measurement)
        del self.latencies[:-100]
        if self.on_loaded:
            self.on_loaded(measurement)


def broadcast(path: str) -> int:
    """Send livereload's reload command to every connected page; returns how many were told."""
    message = {"command": "reload", "path": path, "liveCSS": False, "liveImg": False}
    told = 0
    for waiter in list(LiveReloadHandler.waiters):
        try:
            waiter.write_message(message)
            told += 1
        except WebSocketClosedError:
            LiveReloadHandler.waiters.discard(waiter)
    return told


def close_sockets() -> None:
    for waiter in list(LiveReloadHandler.waiters):
        waiter.close()
    LiveReloadHandler.waiters.clear()


# --------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------

def local_host_name(host_header: str) -> bool:
    """Whether a Host header names this machine (a page of another site rebound to 127.0.0.1 does not)."""
    name = (urlsplit("//" + host_header).hostname or "").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class ReloadSocket(LiveReloadHandler):
    """livereload's websocket, for pages served by this server only."""

    def initialize(self, state: PreviewState):
        self.state = state

    def prepare(self) -> None:
        if self.state.loopback_only and not local_host_name(self.request.host or ""):
            raise web.HTTPError(403)

    def check_origin(self, origin: str) -> bool:
        return urlsplit(origin).netloc.lower() == (self.request.host or "").lower()


class _Base(web.RequestHandler):
    def initialize(self, state: PreviewState):
        self.state = state

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.clear_header("Server")

    def prepare(self) -> None:
        if self.state.loopback_only and not local_host_name(self.request.host or ""):
            self.send(403, b"403 Forbidden: this preview answers only to localhost and loopback addresses\n",
                      "text/plain; charset=utf-8")

    def compute_etag(self):
        return None

    def send(self, status: int, body: bytes, ctype: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", ctype)
        self.finish(body)

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n".encode())


class Memory(_Base):
    """A preview-only file, served from memory."""

    def initialize(self, state: PreviewState, body: bytes, ctype: str):
        super().initialize(state)
        self.body, self.ctype = body, ctype

    def get(self) -> None:
        self.send(200, self.body, self.ctype)

    head = get


class Status(_Base):
    def get(self) -> None:
        self.send(200, json.dumps(self.state.status(), ensure_ascii=False).encode(), "application/json")

    head = get


class Loaded(_Base):
    def post(self) -> None:
        origin = self.request.headers.get("Origin")
        if origin and urlsplit(origin).netloc.lower() != (self.request.host or "").lower():
            raise web.HTTPError(403)
        try:
            build = int(self.get_query_argument("build", "0"))
        except ValueError:
            build = 0
        self.state.loaded(build, self.get_query_argument("path", "")[:300])
        self.set_status(204)
        self.finish()


class ReservedMissing(_Base):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished:
            self.send(404, b"404 Not Found\n", "text/plain; charset=utf-8")


class Site(_Base):
    def get(self) -> None:
        state = self.state
        target = resolve(state.root, state.prefix, self.request.path, self.request.query)
        if target.kind == "redirect":
            self.set_status(302)
            self.set_header("Location", target.location)
            self.finish()
            return
        if state.build == 0:
            title = "The preview could not be built" if state.message else "Building the preview…"
            text = (state.message + ".") if state.message else "The first build is running."
            self.send(503, client.placeholder_page(title, text, 0, state.session), "text/html; charset=utf-8")
            return
        if target.kind == "file":
            try:
                data = target.file.read_bytes()
            except OSError:  # swapped away between resolving and reading
                data = None
            if data is not None:
                self.serve(200, target.file, data)
                return
        self.not_found()

    head = get

    def serve(self, status: int, path: Path, data: bytes) -> None:
        ctype = content_type(path, data)
        if ctype.startswith("text/html"):
            data = inject(data, client.script_tag(self.state.build, self.state.session))
        self.send(status, data, ctype)

    def not_found(self) -> None:
        page = resolve(self.state.root, "/", "/404.html")
        if page.kind == "file":
            try:
                self.serve(404, page.file, page.file.read_bytes())
                return
            except OSError:
                pass
        self.send(404, b"404 Not Found\n", "text/plain; charset=utf-8")


def application(state: PreviewState) -> web.Application:
    kw = {"state": state}
    return web.Application(
        [
            (r"/livereload", ReloadSocket, kw),
            (r"/__briefing__/preview\.js", Memory,
             dict(kw, body=client.PREVIEW_JS.encode(), ctype="application/javascript; charset=utf-8")),
            (r"/__briefing__/livereload\.js", Memory,
             dict(kw, body=_LIVERELOAD_JS.read_bytes(), ctype="application/javascript; charset=utf-8")),
            (r"/__briefing__/errors\.json", Status, kw),
            (r"/__briefing__/loaded", Loaded, kw),
            (r"/__briefing__/.*", ReservedMissing, kw),
            (r".*", Site, kw),
        ],
        log_function=lambda handler: None,
        compress_response=False,
        autoreload=False,
        xsrf_cookies=False,
    )
