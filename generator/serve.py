"""`briefing serve`: build, serve under the base path, watch, rebuild once per burst of saves, reload the browser.

The pieces:

* `serve_watch` polls content/, templates/ (the project's and the built-in
  ones) and debounces bursts of saves into one build, run in a child process
  (`serve_worker`) into a private temporary directory (never the project's
  site/), swapped in atomically by the pipeline;
* `serve_http` serves the last good build under the base URL's path, with
  livereload's websocket, and preview-only files from memory under
  /__briefing__/ (nothing preview-only is ever written into the site);
* `serve_client` is the script injected into HTML responses: live reload, the
  error overlay, and the save-to-reload latency measurement.

Log lines (stdout) a benchmark can parse:
  `HH:MM:SS rebuilt in 0.31 s: 25 pages (content/articles/x.md); reload sent 0.45 s after the save`
  `HH:MM:SS reload latency: 0.62 s from the save to /articles/x/ loaded in a browser (build 3)`
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import webbrowser
from pathlib import Path

from . import builtin_templates

TEMP_PREFIX = "briefing-serve-"


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    parser.add_argument("--open", action="store_true", help="open the preview in the web browser once it is built")
    parser.add_argument("--base-url", metavar="URL",
                        help="where the site will live, overriding site.yaml's base_url; the preview serves under its path")


def run(args, project) -> int:
    import asyncio  # here, not above: `briefing build` imports this module for its arguments alone

    from .cli import source_date_option

    source_date_option(os.environ.get("SOURCE_DATE_EPOCH"))  # a bad value stops here, not in every build
    return asyncio.run(_serve(args, Path(project)))


# --------------------------------------------------------------------------

def log(message: str, stream=None) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=stream or sys.stdout, flush=True)


def configured_base_url(project: Path, override: str | None) -> str | None:
    """The base URL the build uses: --base-url, else site.yaml's; None when site.yaml cannot say."""
    if override is not None:
        value = override.strip() or "/"
        return value if value.endswith("/") else value + "/"
    from .errors import Report
    from .settings import parse_site
    from .sources import SourceFile, decode

    for suffix in (".yaml", ".yml"):
        path = project / "content" / f"site{suffix}"
        if path.is_file():
            report = Report()
            rel = path.relative_to(project).as_posix()
            try:
                text = decode(path.read_bytes(), rel, report)
            except OSError:
                return None
            settings = parse_site(SourceFile(rel, "site", text), report) if text is not None else None
            return settings.base_url if settings else None
    return None


def watched_roots(project: Path) -> list[Path]:
    """content/ (site.yaml included), the project's templates/, and the built-in templates."""
    roots = [project / "content", project / "templates"]
    builtin = builtin_templates()
    if builtin.resolve() not in {r.resolve() for r in roots}:
        roots.append(builtin)
    return roots


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


def site_url(host: str, port: int, prefix: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}{prefix}"


def remove_stale_temp_dirs() -> None:
    """Temporary directories left by a preview that was killed (SIGKILL, power loss): their process is gone."""
    base = Path(tempfile.gettempdir())
    for path in base.glob(TEMP_PREFIX + "*-*"):
        try:
            pid = int(path.name[len(TEMP_PREFIX):].split("-", 1)[0])
            if not path.is_dir() or path.is_symlink() or path.stat().st_uid != os.getuid():
                continue
            os.kill(pid, 0)
        except (ValueError, PermissionError, OSError) as error:
            if isinstance(error, ProcessLookupError):
                shutil.rmtree(path, ignore_errors=True)
            continue


def _describe_changes(changed: list[str]) -> str:
    if not changed:
        return ""
    shown = ", ".join(changed[:3])
    return f" ({shown}{f' and {len(changed) - 3} more' if len(changed) > 3 else ''})"


async def _serve(args, project: Path) -> int:
    import asyncio

    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    from . import serve_http
    from .serve_watch import BuildOutcome, Rebuilder

    remove_stale_temp_dirs()
    temp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    server = rebuilder = None
    handled = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)
    try:
        base_url = configured_base_url(project, args.base_url)
        state = serve_http.PreviewState(root=temp / "site", prefix=serve_http.path_prefix(base_url or "/"),
                                        loopback_only=is_loopback(args.host))
        state.on_loaded = lambda m: log(f"reload latency: {m['seconds']:.2f} s from the save to {m['path']} "
                                        f"loaded in a browser (build {m['build']})")
        try:
            sockets = bind_sockets(args.port, args.host)
        except (OSError, socket.gaierror) as error:
            print(f"briefing serve: cannot listen on {args.host}:{args.port}: {error.strerror or error}"
                  + (" (is another preview running? pick another --port)"
                     if getattr(error, "errno", None) == errno.EADDRINUSE else ""),
                  file=sys.stderr, flush=True)
            return 1
        server = HTTPServer(serve_http.application(state), xheaders=False)
        server.add_sockets(sockets)
        port = sockets[0].getsockname()[1]
        for sig in handled:
            loop.add_signal_handler(sig, stop.set)

        if not state.loopback_only:
            log(f"warning: listening on {args.host}, so other machines can reach this preview; "
                "it is meant for this machine only (the default --host is 127.0.0.1)", sys.stderr)
        log(f"briefing serve: previewing {project} at {site_url(args.host, port, state.prefix)} "
            "(press Ctrl-C to stop)")

        def outcome(result: BuildOutcome) -> None:  # on the event loop
            first = state.build == 0 and not result.changed
            if result.ok:
                opening = args.open and state.build == 0
                state.shown(state.build + 1, result.saved_at)
                state.message, state.errors = "", []
                for d in result.diagnostics:  # warnings; a build with errors does not succeed
                    print(d["text"], file=sys.stderr, flush=True)
                prefix = serve_http.path_prefix(configured_base_url(project, args.base_url) or state.prefix)
                if prefix != state.prefix:
                    state.prefix = prefix
                    log(f"the base URL changed: now previewing at {site_url(args.host, port, prefix)}")
                serve_http.broadcast("*")
                after = f"; reload sent {time.time() - result.saved_at:.2f} s after the save" if result.saved_at else ""
                log(f"{'built' if first else 'rebuilt'} in {result.seconds:.2f} s: {result.pages} pages"
                    f"{_describe_changes(result.changed)}{after}")
                if opening:
                    loop.run_in_executor(None, webbrowser.open, site_url(args.host, port, state.prefix))
            else:
                errors = [d for d in result.diagnostics if d["severity"] == "error"] or result.diagnostics
                state.message = result.message
                state.errors = errors or [{"path": "", "line": 0, "col": 0, "severity": "error",
                                           "message": result.message, "text": result.message}]
                for d in result.diagnostics:  # exactly as `briefing check` prints them
                    print(d["text"], file=sys.stderr, flush=True)
                keeping = "still serving the last good build" if state.build else "nothing to serve until it builds"
                log(f"build failed{_describe_changes(result.changed)}: {result.message}; {keeping}", sys.stderr)
                serve_http.broadcast(serve_http.client.ERRORS_MESSAGE_PATH)

        def report(result: BuildOutcome) -> None:  # on the rebuilder's thread
            with contextlib.suppress(RuntimeError):  # the loop is already closed: we are stopping
                loop.call_soon_threadsafe(outcome, result)

        rebuilder = Rebuilder(project, state.root, args.base_url, watched_roots(project), report, note=log)
        rebuilder.start()
        await stop.wait()
        return 0
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        if rebuilder is not None:
            rebuilder.stop()  # kills a build in progress
        if server is not None:
            server.stop()
            serve_http.close_sockets()
            with contextlib.suppress(Exception):  # a connection that will not close in time is dropped at exit
                await asyncio.wait_for(server.close_all_connections(), timeout=0.3)
        if rebuilder is not None:
            rebuilder.join(timeout=0.5)
        shutil.rmtree(temp, ignore_errors=True)
        if stop.is_set():
            log("briefing serve: stopped")
