"""Serve a built site with a real nginx and crawl it — test helpers, stdlib only.

    with start_nginx(site_dir, "/briefing/") as (base_url, stop):
        result = crawl(base_url)
        assert not result.broken, format_broken(result.broken)

`start_nginx` runs nginx on 127.0.0.1 on a free port with its own prefix,
config, pid file, logs and temp directories (nothing outside them is written;
/etc/nginx/mime.types is used when installed, like a real server), serving `root_dir` under `prefix` the way GitHub Pages does:
a directory URL without its slash redirects to it, a directory serves its
index.html, `/about` serves `about.html`, and anything missing gets
`PREFIX404.html` with status 404. Pass `server_conf` (the text of a `server {}`
block, e.g. a shipped deploy/nginx.conf) to test that configuration instead:
its `listen` lines are replaced by the test port and its `root` by a directory
in which `prefix` leads to `root_dir`.

`crawl` follows every same-origin href/src/srcset from the start URL and
records each URL's final status; `.broken` lists (page, link, status) for
links that did not answer 200.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections import deque
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

# --- nginx -------------------------------------------------------------------------------------

MIME_TYPES = {
    "text/html": "html htm",
    "text/css": "css",
    "text/plain": "txt",
    "text/javascript": "js mjs",
    "application/json": "json",
    "application/xml": "xml",
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/manifest+json": "webmanifest",
    "image/svg+xml": "svg svgz",
    "image/png": "png",
    "image/jpeg": "jpg jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "image/x-icon": "ico",
    "font/woff": "woff",
    "font/woff2": "woff2",
    "application/pdf": "pdf",
}

_PAGES_LIKE = """\
server {{
    listen 127.0.0.1:{port};
    server_name localhost;
    root "{www}";
    absolute_redirect off;
{exact}
    location {prefix} {{
        index index.html;
        try_files $uri $uri.html $uri/ =404;
        error_page 404 {prefix}404.html;
    }}
}}
"""


def nginx_binary() -> str | None:
    """Path of the nginx executable, or None when it is not installed."""
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(tuple):
    """(base_url, stop) that is also a context manager stopping the server on exit."""

    def __new__(cls, base_url: str, stop):
        return super().__new__(cls, (base_url, stop))

    @property
    def base_url(self) -> str:
        return self[0]

    def stop(self) -> None:
        self[1]()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _modules_missing(nginx: str) -> set[str]:
    done = subprocess.run([nginx, "-V"], capture_output=True, text=True)
    return set(re.findall(r"--without-http_(\w+)_module", done.stderr + done.stdout))


def _main_conf(prefix_dir: Path, server_block: str, nginx: str) -> str:
    temp = [f'client_body_temp_path "{prefix_dir}/temp/client_body";']
    missing = _modules_missing(nginx)
    for module in ("proxy", "fastcgi", "uwsgi", "scgi"):
        if module not in missing:
            temp.append(f'{module}_temp_path "{prefix_dir}/temp/{module}";')
    system_types = Path("/etc/nginx/mime.types")  # what a real server includes, when installed
    if system_types.is_file():
        types = f'    include "{system_types}";'
    else:
        types = "    types {\n" + "\n".join(f"        {m} {e};" for m, e in MIME_TYPES.items()) + "\n    }"
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read files under a 0700 tmp dir
    return f"""\
{user}worker_processes 1;
daemon off;
pid "{prefix_dir}/nginx.pid";
error_log "{prefix_dir}/logs/error.log" warn;
events {{ worker_connections 64; }}
http {{
{types}
    default_type application/octet-stream;
    charset utf-8;
    sendfile off;
    access_log "{prefix_dir}/logs/access.log";
    {chr(10).join('    ' + t for t in temp).strip()}
{server_block}
}}
"""


def _adapt(server_conf: str, port: int, www: Path) -> str:
    """A shipped server block, listening on the test port and rooted at `www`."""
    text = re.sub(r"^\s*listen\s+[^;]*;\s*$", "", server_conf, flags=re.M)
    text = re.sub(r"^(\s*)root\s+[^;]*;", rf'\g<1>root "{www}";', text, flags=re.M)
    text, n = re.subn(r"\bserver\s*\{", f"server {{\n    listen 127.0.0.1:{port};", text, count=1)
    if not n:
        raise ValueError("server_conf holds no server { } block")
    return text


def start_nginx(root_dir, prefix: str = "/briefing/", *, server_conf: str | None = None,
                workdir=None, timeout: float = 10.0) -> Server:
    """Start nginx serving `root_dir` at http://127.0.0.1:PORT{prefix}; return (base_url, stop)."""
    nginx = nginx_binary()
    if nginx is None:
        raise RuntimeError("nginx is not installed")
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ValueError("prefix must start and end with '/'")
    root_dir = Path(root_dir).resolve()
    own_workdir = workdir is None
    base = Path(tempfile.mkdtemp(prefix="nginx-")) if own_workdir else Path(workdir)
    for sub in ("logs", "temp", "conf", "www"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    # www/<prefix> is a link to root_dir, so `root www;` maps PREFIX/x to root_dir/x.
    if prefix == "/":
        www = root_dir
    else:
        www = base / "www"
        link = www / prefix.strip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(root_dir, target_is_directory=True)

    last_error = ""
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = free_port()
        if server_conf is None:
            exact = f"    location = {prefix.rstrip('/')} {{ return 301 {prefix}; }}\n" if prefix != "/" else ""
            block = _PAGES_LIKE.format(port=port, www=www, prefix=prefix, exact=exact)
        else:
            block = _adapt(server_conf, port, www)
        conf = base / "conf" / "nginx.conf"
        conf.write_text(_main_conf(base, block, nginx))
        log = base / "logs" / "error.log"
        proc = subprocess.Popen([nginx, "-p", str(base), "-c", str(conf), "-e", str(log)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            def stop(proc=proc) -> None:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                if proc.stderr:
                    proc.stderr.close()
                if own_workdir:
                    shutil.rmtree(base, ignore_errors=True)

            return Server(f"http://127.0.0.1:{port}{prefix}", stop)
        last_error = (proc.stderr.read().decode(errors="replace") if proc.stderr else "")
        last_error += log.read_text(errors="replace") if log.exists() else ""
        if "Address already in use" not in last_error:
            break
    if own_workdir:
        shutil.rmtree(base, ignore_errors=True)
    raise RuntimeError(f"nginx did not start:\n{last_error}")


def nginx_fixture():
    """A pytest fixture: `nginx(root_dir, prefix='/briefing/', **kw) -> base_url`, stopped at teardown,
    the test skipped where nginx is not installed. Use as `nginx = webtools.nginx_fixture()` in a test module."""
    import pytest

    @pytest.fixture
    def nginx(tmp_path):
        if nginx_binary() is None:
            pytest.skip("nginx is not installed (Debian: apt-get install nginx-light)")
        servers = []

        def start(root_dir, prefix: str = "/briefing/", **kw) -> str:
            kw.setdefault("workdir", tmp_path / f"nginx-{len(servers)}")
            servers.append(start_nginx(root_dir, prefix, **kw))
            return servers[-1].base_url

        yield start
        for server in servers:
            server.stop()

    return nginx


# --- HTTP --------------------------------------------------------------------------------------

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


class Response:
    def __init__(self, url: str, status: int, headers, body: bytes):
        self.url, self.status, self.headers, self.body = url, status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def fetch(url: str, timeout: float = 10.0) -> Response:
    """GET `url`, following redirects; errors are answers too (status 404, 500...)."""
    try:
        with _OPENER.open(url, timeout=timeout) as r:
            return Response(r.geturl(), r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        with e:
            return Response(e.geturl() or url, e.code, e.headers, e.read())


# --- crawling ----------------------------------------------------------------------------------

class _Links(HTMLParser):
    ATTRS = {"href", "src", "poster", "data"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if tag == "base" and name == "href":
                self.base = value
            elif name in self.ATTRS:
                self.links.append(value)
            elif name in ("srcset", "imagesrcset"):
                self.links += [part.strip().split()[0] for part in value.split(",") if part.strip()]

    handle_startendtag = handle_starttag


def links_in(html: str, page_url: str) -> list[str]:
    """Absolute URLs (no fragments) of everything a page links to or loads."""
    parser = _Links()
    parser.feed(html)
    base = urllib.parse.urljoin(page_url, parser.base) if parser.base else page_url
    out = []
    for link in parser.links:
        link = link.strip()
        if not link or link.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        out.append(urllib.parse.urldefrag(urllib.parse.urljoin(base, link))[0])
    return out


class CrawlResult(dict):
    """url -> final status; `.links` (page, link) pairs seen; `.broken` the ones not 200."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.pages: dict[str, Response] = {}

    @property
    def broken(self) -> list[tuple[str, str, int]]:
        return sorted({(page, link, self[link]) for page, link in self.links if self.get(link) != 200})


def format_broken(broken) -> str:
    return "\n".join(f"{page} -> {link}: {status}" for page, link, status in broken) or "no broken links"


def crawl(start_url: str, *, scope: str | None = None, limit: int = 5000) -> CrawlResult:
    """Fetch `start_url` and everything it reaches on the same origin.

    Every same-origin link is fetched and its final status recorded (so a link
    that escapes the site's sub-path shows up as broken); only HTML pages under
    `scope` (default: the start URL's directory) are parsed for more links.
    """
    origin = urllib.parse.urlsplit(start_url)[:2]
    scope = scope or urllib.parse.urljoin(start_url, ".")
    result = CrawlResult()
    queue = deque([start_url])
    while queue:
        url = queue.popleft()
        if url in result:
            continue
        if len(result) >= limit:
            raise RuntimeError(f"crawl of {start_url} passed {limit} URLs")
        response = fetch(url)
        result[url] = response.status
        ctype = response.headers.get("Content-Type", "") if response.headers else ""
        if response.status != 200 or "html" not in ctype or not response.url.startswith(scope):
            continue
        result.pages[url] = response
        for link in links_in(response.text, response.url):
            if urllib.parse.urlsplit(link)[:2] != origin:
                continue
            result.links.append((url, link))
            if link not in result:
                queue.append(link)
    return result
