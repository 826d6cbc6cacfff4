"""Real-tool quality-check helpers for the test suite (no tests in here).

The helpers drive real checkers rather than imitations of them:

* the W3C Nu HTML checker (``vnu.jar`` from the npm package ``vnu-jar``, run
  with the machine's ``java``) -- :func:`vnu_check`;
* Debian's Chromium driven through Python Playwright -- :func:`browser`;
* axe-core (``node_modules/axe-core/axe.min.js``) injected into a page --
  :func:`axe_violations`;

plus small pieces of plumbing the browser tests need: :func:`static_server`
(a GitHub-Pages-like static server on 127.0.0.1 under a path prefix),
:func:`screenshot` and :func:`blocked_external_requests`.

Missing tools: ``vnu_check`` and ``axe_violations`` raise :class:`ToolMissing`.
The ``require_*`` helpers and :func:`browser` turn a missing tool into
``pytest.skip`` on a developer machine, but into a hard failure when the
environment variable ``CI`` is set (``CI=true``), so CI can never silently
skip a quality check.  ``.ci/run`` installs every tool.

Overrides (rarely needed): ``BRIEFING_JAVA``, ``BRIEFING_VNU_JAR``,
``BRIEFING_AXE_JS``, ``BRIEFING_CHROMIUM``, ``BRIEFING_ARTIFACTS``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import ipaddress
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent

VNU_JAR = REPO_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
SCREENSHOT_DIR = ARTIFACTS_DIR / "screenshots"

#: Flags Chromium needs here: running as root, no GPU, and no background
#: traffic to Google (this machine has no network but the registries).
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: axe-core rule tags checked by :func:`axe_violations` (WCAG 2.1 A and AA).
WCAG_TAGS: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

SCREENSHOT_WIDTHS: tuple[int, ...] = (1280, 390)
SCREENSHOT_HEIGHT = 900

# Keep each vnu command line comfortably below the kernel's ARG_MAX.
_VNU_MAX_ARGV_CHARS = 100_000


class ToolMissing(RuntimeError):
    """A real checker (java, vnu.jar, Chromium, Playwright, axe-core) is not installed."""


class VnuError(RuntimeError):
    """The Nu checker ran but could not check the documents (bad output, I/O error, ...)."""


# --------------------------------------------------------------------------
# CI awareness
# --------------------------------------------------------------------------

def in_ci() -> bool:
    """True when running in CI (environment variable ``CI`` set, e.g. ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _skip_or_fail(reason: str) -> NoReturn:
    import pytest

    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip; .ci/run must install it)",
                    pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------
# Nu HTML checker
# --------------------------------------------------------------------------

def _vnu_jar() -> Path:
    return Path(os.environ.get("BRIEFING_VNU_JAR") or VNU_JAR)


def _java() -> str | None:
    return shutil.which(os.environ.get("BRIEFING_JAVA") or "java")


@functools.lru_cache(maxsize=None)
def _java_works(java: str) -> bool:
    try:
        return subprocess.run([java, "-version"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def vnu_problem() -> str | None:
    """Why the Nu checker cannot run here, or None when it can."""
    java = _java()
    if java is None:
        return "java not found on PATH (Debian package default-jre-headless)"
    if not _java_works(java):
        return f"{java} -version failed: java is installed but does not run"
    jar = _vnu_jar()
    if not jar.is_file():
        return f"Nu checker not found at {jar} (run `npm ci --ignore-scripts` at the repo root)"
    return None


def require_vnu() -> None:
    """In a test: skip (locally) or fail (CI=true) unless the Nu checker can run."""
    problem = vnu_problem()
    if problem:
        _skip_or_fail(problem)


def _file_url_to_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise VnuError(f"unexpected document URL in vnu output: {url!r}")
    return Path(unquote(parts.path))


def _vnu_batches(paths: list[Path]) -> Iterator[list[Path]]:
    batch: list[Path] = []
    size = 0
    for p in paths:
        n = len(str(p)) + 1
        if batch and size + n > _VNU_MAX_ARGV_CHARS:
            yield batch
            batch, size = [], 0
        batch.append(p)
        size += n
    if batch:
        yield batch


def vnu_messages(paths: list[Path], *, timeout: float = 1200) -> list[dict[str, Any]]:
    """Every message (errors, warnings, info) the Nu checker gives for ``paths``.

    One JVM is started for all paths (several only for a huge argument list).
    Each message is vnu's JSON message plus ``file`` (the :class:`Path` as
    given) and ``line`` (first line of the problem).  A directory in ``paths``
    stands for every ``*.html`` below it.  Files are checked by
    extension: ``*.html`` with the HTML parser, ``*.xhtml`` as XML.
    """
    expanded: list[Path] = []
    for p in map(Path, paths):
        # A directory stands for every *.html file below it.
        expanded.extend(sorted(p.rglob("*.html")) if p.is_dir() else [p])
    paths = expanded
    problem = vnu_problem()
    if problem:
        raise ToolMissing(problem)
    if not paths:
        return []
    by_resolved: dict[Path, Path] = {}
    for p in paths:
        if not p.is_file():
            # vnu silently ignores a path that does not exist: refuse instead.
            raise FileNotFoundError(f"vnu_check: no such file: {p}")
        by_resolved.setdefault(p.resolve(), p)

    java = _java()
    assert java is not None
    messages: list[dict[str, Any]] = []
    for batch in _vnu_batches(list(by_resolved)):
        cmd = [java, "-Xss4m", "-jar", str(_vnu_jar()), "--format", "json", "--stdout",
               "--exit-zero-always", *map(str, batch)]
        proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8",
                              errors="replace", timeout=timeout)
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise VnuError(f"vnu exited {proc.returncode} without a JSON report.\n"
                           f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}") from None
        for m in report.get("messages", []):
            if m.get("type") == "non-document-error":
                raise VnuError(f"vnu could not check a document: {m.get('url', '?')}: {m.get('message')}")
            url = m.get("url")
            if url is None:
                raise VnuError(f"vnu message without a document: {m}")
            resolved = _file_url_to_path(url)
            m["file"] = by_resolved.get(resolved, resolved)
            m["line"] = m.get("firstLine", m.get("lastLine"))
            messages.append(m)
    messages.sort(key=lambda m: (str(m["file"]), m["line"] or 0, m.get("firstColumn") or 0))
    return messages


def vnu_check(paths: list[Path]) -> list[dict[str, Any]]:
    """The Nu checker's *errors* for ``paths`` (warnings and info messages excluded).

    Returns a list of ``{"file": Path, "line": int | None, "column": int | None,
    "message": str, "extract": str}`` sorted by file and line; ``[]`` means
    valid.  Raises :class:`ToolMissing` if java/vnu.jar are missing,
    :class:`FileNotFoundError` for a missing path, :class:`VnuError` if vnu
    could not check a document.
    """
    return [
        {
            "file": m["file"],
            "line": m["line"],
            "column": m.get("firstColumn", m.get("lastColumn")),
            "message": m.get("message", ""),
            "extract": m.get("extract", ""),
        }
        for m in vnu_messages(paths)
        if m.get("type") == "error"
    ]


def format_vnu(errors: list[dict[str, Any]]) -> str:
    """Human-readable lines ``file:line:column: message`` for an assertion message."""
    return "\n".join(f"{e['file']}:{e['line']}:{e.get('column')}: {e['message']}" for e in errors)


# --------------------------------------------------------------------------
# Static server (GitHub-Pages-like, 127.0.0.1 only)
# --------------------------------------------------------------------------

_OUTSIDE_PREFIX_BODY = b"404: outside the site's path prefix\n"
_PLAIN_404_BODY = b"404: not found (and the site has no 404.html)\n"


def _normalise_prefix(prefix: str) -> str:
    prefix = "/" + prefix.strip("/")
    return prefix if prefix == "/" else prefix + "/"


def _make_handler(root: Path, prefix: str) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {
            **http.server.SimpleHTTPRequestHandler.extensions_map,
            ".html": "text/html; charset=utf-8",
            ".htm": "text/html; charset=utf-8",
            ".css": "text/css; charset=utf-8",
            ".js": "text/javascript; charset=utf-8",
            ".mjs": "text/javascript; charset=utf-8",
            ".json": "application/json",
            ".xml": "application/xml",
            ".atom": "application/atom+xml",
            ".rss": "application/rss+xml",
            ".svg": "image/svg+xml",
            ".webmanifest": "application/manifest+json",
            ".woff2": "font/woff2",
            ".txt": "text/plain; charset=utf-8",
        }

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass  # keep pytest output clean

        def _send_bytes(self, status: int, body: bytes, ctype: str) -> io.BytesIO:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)

        def _redirect(self, location: str) -> None:
            self.send_response(301)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _not_found(self) -> io.BytesIO:
            page = root / "404.html"
            if page.is_file():
                return self._send_bytes(404, page.read_bytes(), "text/html; charset=utf-8")
            return self._send_bytes(404, _PLAIN_404_BODY, "text/plain; charset=utf-8")

        def send_head(self) -> Any:
            split = urlsplit(self.path)
            raw_path = split.path or "/"
            query = f"?{split.query}" if split.query else ""
            try:
                path = unquote(raw_path, errors="strict")
            except UnicodeDecodeError:
                return self._not_found()
            if prefix != "/" and path == prefix.rstrip("/"):
                self._redirect(prefix + query)
                return None
            if not path.startswith(prefix):
                return self._send_bytes(404, _OUTSIDE_PREFIX_BODY, "text/plain; charset=utf-8")
            rel = path[len(prefix):]
            parts = [p for p in rel.split("/") if p not in ("", ".")]
            if any(p == ".." or "\\" in p or "\x00" in p for p in parts):
                return self._not_found()
            target = root.joinpath(*parts)
            try:
                target.resolve().relative_to(root.resolve())
            except ValueError:  # a symlink leading out of the site
                return self._not_found()
            if target.is_dir():
                if not raw_path.endswith("/"):
                    self._redirect(quote(path + "/") + query)
                    return None
                target = target / "index.html"  # never a directory listing
            if not target.is_file():
                return self._not_found()
            body = target.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(target)))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            return io.BytesIO(body)

    return Handler


@contextlib.contextmanager
def static_server(root: Path, prefix: str = "/") -> Iterator[str]:
    """Serve directory ``root`` over HTTP on 127.0.0.1 (free port) under ``prefix``.

    GitHub-Pages-like: ``<prefix>`` maps to ``root``; a directory serves its
    ``index.html`` (a directory URL without the trailing slash, and the bare
    prefix without it, get a 301 to the slashed URL; no directory listings);
    a missing file gets ``root/404.html`` with status 404; any path outside
    the prefix gets a plain-text 404.  Yields the base URL, ending with the
    prefix, e.g. ``http://127.0.0.1:PORT/briefing/``.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"static_server: {root} is not a directory")
    prefix = _normalise_prefix(prefix)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(root, prefix))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name=f"static_server:{root}", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --------------------------------------------------------------------------
# Browser (Debian Chromium through Playwright) and axe-core
# --------------------------------------------------------------------------

def _chromium() -> Path:
    return Path(os.environ.get("BRIEFING_CHROMIUM") or CHROMIUM)


def browser_problem() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python package playwright is not installed (pip install '.[test]')"
    exe = _chromium()
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        return f"Chromium not found at {exe} (Debian package chromium)"
    return None


def require_browser() -> None:
    """In a test: skip (locally) or fail (CI=true) unless Playwright + Chromium are there."""
    problem = browser_problem()
    if problem:
        _skip_or_fail(problem)


def _axe_js() -> Path:
    return Path(os.environ.get("BRIEFING_AXE_JS") or AXE_JS)


def require_axe() -> None:
    """In a test: skip (locally) or fail (CI=true) unless axe-core is installed."""
    if not _axe_js().is_file():
        _skip_or_fail(f"axe-core not found at {_axe_js()} (run `npm ci --ignore-scripts` at the repo root)")


@contextlib.contextmanager
def browser() -> Iterator[Any]:
    """A Playwright chromium ``Browser`` running Debian's ``/usr/bin/chromium`` headless.

    Skips (locally) or fails (CI=true) when Playwright or Chromium is missing.
    Uses ``launch`` (Playwright gives it a fresh temporary profile), never a
    persistent context, and never a Playwright-downloaded browser.  Do not nest
    two ``browser()`` blocks in one thread: open several pages/contexts on one
    browser instead.
    """
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(_chromium()), args=list(CHROMIUM_ARGS),
                               headless=True)
        try:
            yield b
        finally:
            b.close()


_AXE_RUN = """
async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  const sel = (t) => Array.isArray(t) ? t.join(' >>> ') : String(t);
  return results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    help_url: v.helpUrl,
    targets: v.nodes.map(n => n.target.map(sel).join(' | ')),
    nodes: v.nodes.map(n => ({target: n.target.map(sel).join(' | '), html: n.html,
                             summary: n.failureSummary || ''})),
  }));
}
"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page's current document.

    Each: ``{"id", "impact", "help", "help_url", "targets": [css selector, ...],
    "nodes": [{"target", "html", "summary"}, ...]}``; ``[]`` means none.  axe
    is injected with ``page.add_script_tag``; if the page's Content-Security-
    Policy refuses that inline script, the source is evaluated through the
    DevTools protocol instead (which CSP does not govern).  Raises
    :class:`ToolMissing` if axe-core is not installed.
    """
    js = _axe_js()
    if not js.is_file():
        raise ToolMissing(f"axe-core not found at {js} (run `npm ci --ignore-scripts` at the repo root)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        try:
            page.add_script_tag(path=str(js))
        except Exception:  # noqa: BLE001 - e.g. CSP refusing inline script
            pass
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(js.read_text(encoding="utf-8") + "\n;undefined")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            raise RuntimeError("axe-core could not be injected into the page")
    return page.evaluate(_AXE_RUN, list(WCAG_TAGS))


def format_axe(violations: list[dict[str, Any]]) -> str:
    """Human-readable summary of :func:`axe_violations` for an assertion message."""
    return "\n".join(f"[{v['impact']}] {v['id']}: {v['help']} -> {', '.join(v['targets'])}"
                     for v in violations)


# --------------------------------------------------------------------------
# Screenshots and network isolation
# --------------------------------------------------------------------------

def _artifacts_dir() -> Path:
    return Path(os.environ.get("BRIEFING_ARTIFACTS") or ARTIFACTS_DIR)


def screenshot(page: Any, name: str, width: int) -> Path:
    """Full-page screenshot at viewport ``width`` x 900 (width 1280 or 390).

    Written to ``test-artifacts/screenshots/<name>-<width>.png`` at the repo
    root (git-ignored); returns the path.  The viewport stays at that size.
    """
    if not isinstance(width, int) or width <= 0:
        raise ValueError(f"screenshot width must be a positive int, not {width!r}")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "page"
    out = _artifacts_dir() / "screenshots" / f"{safe}-{width}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": SCREENSHOT_HEIGHT})
    page.screenshot(path=str(out), full_page=True)
    return out


def is_local_url(url: str) -> bool:
    """True for URLs that stay on this machine (loopback hosts, data:, blob:, about:, file:)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return True
    host = (parts.hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def blocked_external_requests(page: Any) -> list[str]:
    """Abort every request from ``page`` (or a BrowserContext) to a non-loopback host.

    Install it *before* navigating.  Returns the live list of the URLs it
    aborted (in order), so a test can ``assert blocked == []`` after loading a
    page.  Requests to 127.0.0.1 / localhost / ::1 go through untouched.
    """
    blocked: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        if is_local_url(url):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    page.route("**/*", handle)
    return blocked


__all__ = [
    "ARTIFACTS_DIR", "AXE_JS", "CHROMIUM", "CHROMIUM_ARGS", "REPO_ROOT", "SCREENSHOT_DIR",
    "SCREENSHOT_WIDTHS", "VNU_JAR", "WCAG_TAGS", "ToolMissing", "VnuError",
    "axe_violations", "blocked_external_requests", "browser", "browser_problem", "format_axe",
    "format_vnu", "in_ci", "is_local_url", "require_axe", "require_browser", "require_vnu",
    "screenshot", "static_server", "vnu_check", "vnu_messages", "vnu_problem",
]
