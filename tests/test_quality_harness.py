"""Self-tests of tests/quality.py: the harness must catch real problems.

Each checker is run for real (vnu.jar, Chromium + axe-core) on small
hand-written pages in tmp_path, once on a page with a known fault and once on
a clean page, so that a harness that reports nothing (or everything) fails.
"""

from __future__ import annotations

import http.client
import struct
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from quality import (
    REPO_ROOT,
    ToolMissing,
    axe_violations,
    blocked_external_requests,
    browser,
    format_axe,
    format_vnu,
    in_ci,
    is_local_url,
    require_axe,
    require_vnu,
    screenshot,
    static_server,
    vnu_check,
    vnu_messages,
)

# --------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------

VALID_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>A valid page</title>
</head>
<body>
<main>
<h1>Briefing</h1>
<p>Everything here is <em>valid</em> HTML.</p>
<img src="pic.svg" alt="A dark square" width="40" height="40">
</main>
</body>
</html>
"""

# Line 11 puts a <div> directly inside a <ul>: a content-model error.
INVALID_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>An invalid page</title>
</head>
<body>
<main>
<h1>Broken</h1>
<ul>
<div>not allowed here</div>
</ul>
</main>
</body>
</html>
"""
INVALID_LINE = 11

# Valid, but without html[lang]: vnu gives only a warning ("info" subtype warning).
WARNING_ONLY_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Only a warning</title>
</head>
<body>
<p>No lang attribute, which is a warning and not an error.</p>
</body>
</html>
"""

# Missing end tag, on line 8 of a page in a nested folder with an awkward name.
NESTED_INVALID_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Nested</title>
</head>
<body>
<p><span>never closed</p>
</body>
</html>
"""

PIC_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
           '<rect width="40" height="40" fill="#222"/></svg>')

IMG_WITHOUT_ALT = VALID_PAGE.replace(' alt="A dark square"', "")

LOW_CONTRAST = VALID_PAGE.replace(
    "<p>Everything",
    '<p style="color:#999999;background-color:#aaaaaa">Barely readable grey on grey.</p>\n<p>Everything',
)

CSP_IMG_WITHOUT_ALT = IMG_WITHOUT_ALT.replace(
    '<meta charset="utf-8">',
    '<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="default-src \'self\'">',
)

NOT_FOUND_PAGE = VALID_PAGE.replace("<title>A valid page", "<title>Not found").replace(
    "<h1>Briefing</h1>", "<h1>Page not found (custom 404)</h1>")

EXTERNAL_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>External loads</title>
<link rel="stylesheet" href="https://fonts.example.invalid/font.css">
</head>
<body>
<main>
<h1>External</h1>
<img id="local" src="pic.svg" alt="local picture" width="40" height="40">
<img id="external" src="http://cdn.example.invalid/pixel.png" alt="external picture">
</main>
</body>
</html>
"""

TALL_PAGE = VALID_PAGE.replace("</main>", '<div style="height:2400px">tall</div>\n</main>')


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _fetch(url: str, method: str = "GET") -> tuple[int, http.client.HTTPResponse, bytes]:
    """One raw HTTP request (no proxy, no redirect following)."""
    u = urlsplit(url)
    assert u.hostname == "127.0.0.1"
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""))
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, resp, body
    finally:
        conn.close()


def _outcome(fn) -> tuple[str, str]:
    """Run fn and say how it ended: "ok", "skip" or "fail" (pytest outcomes are caught,
    so a skip where a failure is wanted fails this test instead of skipping it)."""
    try:
        fn()
    except pytest.fail.Exception as e:
        return "fail", str(e)
    except pytest.skip.Exception as e:
        return "skip", str(e)
    return "ok", ""


def _enter_browser() -> None:
    with browser():
        pass


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    _write(root / "index.html", VALID_PAGE)
    _write(root / "pic.svg", PIC_SVG)
    _write(root / "404.html", NOT_FOUND_PAGE)
    _write(root / "img-no-alt.html", IMG_WITHOUT_ALT)
    _write(root / "low-contrast.html", LOW_CONTRAST)
    _write(root / "csp.html", CSP_IMG_WITHOUT_ALT)
    _write(root / "external.html", EXTERNAL_PAGE)
    _write(root / "tall.html", TALL_PAGE)
    _write(root / "sub" / "index.html", VALID_PAGE.replace("A valid page", "Sub page"))
    (root / "noindex").mkdir()
    _write(root / "noindex" / "other.html", VALID_PAGE)
    _write(tmp_path / "secret.txt", "outside the site root")
    return root


# --------------------------------------------------------------------------
# Nu HTML checker
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vnu_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require_vnu()
    d = tmp_path_factory.mktemp("vnu")
    return {
        "invalid": _write(d / "invalid.html", INVALID_PAGE),
        "valid": _write(d / "valid.html", VALID_PAGE),
        "warning": _write(d / "warning.html", WARNING_ONLY_PAGE),
        "nested_dir": d / "dir",
        "nested": _write(d / "dir" / "deep" / "an odd name é.html", NESTED_INVALID_PAGE),
    }


@pytest.fixture(scope="module")
def vnu_errors(vnu_pages: dict[str, Path]) -> list[dict]:
    # One JVM for all pages, as the real suite does.
    return vnu_check([vnu_pages["invalid"], vnu_pages["valid"], vnu_pages["warning"],
                      vnu_pages["nested_dir"]])


def test_vnu_reports_error_for_invalid_page(vnu_pages, vnu_errors):
    errors = [e for e in vnu_errors if e["file"] == vnu_pages["invalid"]]
    assert errors, "vnu found nothing wrong with a <div> inside a <ul>"
    assert any(e["line"] == INVALID_LINE and "div" in e["message"] and "ul" in e["message"]
               for e in errors), format_vnu(errors)
    for e in errors:
        assert set(e) >= {"file", "line", "message"}
        assert isinstance(e["line"], int) and isinstance(e["message"], str) and e["message"]


def test_vnu_valid_page_has_no_errors(vnu_pages, vnu_errors):
    assert [e for e in vnu_errors if e["file"] == vnu_pages["valid"]] == []


def test_vnu_excludes_warnings(vnu_pages, vnu_errors):
    # The page really draws a warning from vnu ...
    raw = vnu_messages([vnu_pages["warning"]])
    assert any(m["type"] == "info" and m.get("subType") == "warning" for m in raw), raw
    assert not any(m["type"] == "error" for m in raw), raw
    # ... which vnu_check leaves out.
    assert [e for e in vnu_errors if e["file"] == vnu_pages["warning"]] == []


def test_vnu_directory_and_odd_file_names(vnu_pages, vnu_errors):
    nested = [e for e in vnu_errors if e["file"] == vnu_pages["nested"]]
    assert nested, format_vnu(vnu_errors)
    assert all(e["line"] == 8 for e in nested), format_vnu(nested)
    # Every error maps back to one of the files checked.
    known = {vnu_pages["invalid"], vnu_pages["nested"]}
    assert {e["file"] for e in vnu_errors} == known, format_vnu(vnu_errors)


def test_vnu_refuses_missing_file(tmp_path):
    require_vnu()
    # vnu itself silently ignores a missing path; the harness must not.
    with pytest.raises(FileNotFoundError):
        vnu_check([tmp_path / "no-such-page.html"])


def test_vnu_missing_tool_is_skip_locally_and_failure_in_ci(tmp_path, monkeypatch):
    page = _write(tmp_path / "p.html", VALID_PAGE)
    monkeypatch.setenv("BRIEFING_VNU_JAR", str(tmp_path / "missing" / "vnu.jar"))
    with pytest.raises(ToolMissing, match="vnu.jar"):
        vnu_check([page])
    monkeypatch.delenv("CI", raising=False)
    assert not in_ci()
    outcome, reason = _outcome(require_vnu)
    assert outcome == "skip" and "vnu.jar" in reason
    monkeypatch.setenv("CI", "true")
    assert in_ci()
    outcome, reason = _outcome(require_vnu)
    assert outcome == "fail" and "vnu.jar" in reason and "CI" in reason


def test_vnu_missing_java(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIEFING_JAVA", str(tmp_path / "no-java"))
    with pytest.raises(ToolMissing, match="java"):
        vnu_check([_write(tmp_path / "p.html", VALID_PAGE)])
    monkeypatch.setenv("CI", "true")
    assert _outcome(require_vnu)[0] == "fail"
    monkeypatch.setenv("CI", "false")
    assert _outcome(require_vnu)[0] == "skip"


# --------------------------------------------------------------------------
# Static server
# --------------------------------------------------------------------------

def test_static_server_serves_under_prefix(site):
    with static_server(site, "/briefing/") as base:
        assert base.startswith("http://127.0.0.1:") and base.endswith("/briefing/")
        status, resp, body = _fetch(base)
        assert status == 200 and b"<title>A valid page</title>" in body
        assert resp.getheader("Content-Type").startswith("text/html")
        status, _, body = _fetch(base + "index.html")
        assert status == 200 and b"A valid page" in body
        status, resp, body = _fetch(base + "pic.svg")
        assert status == 200 and body == PIC_SVG.encode()
        assert resp.getheader("Content-Type") == "image/svg+xml"
        status, _, body = _fetch(base + "sub/")
        assert status == 200 and b"Sub page" in body
        status, _, _ = _fetch(base + "index.html", method="HEAD")
        assert status == 200


def test_static_server_redirects_to_slash(site):
    with static_server(site, "briefing") as base:  # prefix is normalised
        assert base.endswith("/briefing/")
        origin = base[: -len("/briefing/")]
        status, resp, _ = _fetch(origin + "/briefing")
        assert status == 301 and resp.getheader("Location") == "/briefing/"
        status, resp, _ = _fetch(base + "sub")
        assert status == 301 and resp.getheader("Location") == "/briefing/sub/"


def test_static_server_404_page(site):
    with static_server(site, "/briefing/") as base:
        for missing in ("nope.html", "sub/nope/", "noindex/"):
            status, resp, body = _fetch(base + missing)
            assert status == 404, missing
            assert b"Page not found (custom 404)" in body, missing
            assert resp.getheader("Content-Type").startswith("text/html")
        assert _fetch(base + "noindex/other.html")[0] == 200


def test_static_server_refuses_outside_prefix(site):
    with static_server(site, "/briefing/") as base:
        origin = base[: -len("/briefing/")]
        for path in ("/", "/index.html", "/pic.svg", "/other/index.html", "/briefingx/index.html"):
            status, _, body = _fetch(origin + path)
            assert status == 404, path
            assert b"A valid page" not in body and b"<svg" not in body, path
        for sneaky in ("/briefing/../secret.txt", "/briefing/%2e%2e/secret.txt",
                       "/briefing/sub/../../secret.txt", "/briefing/..%2fsecret.txt"):
            status, _, body = _fetch(origin + sneaky)
            assert status == 404, sneaky
            assert b"outside the site root" not in body, sneaky


def test_static_server_root_prefix_and_shutdown(site):
    with static_server(site) as base:
        assert urlsplit(base).path == "/"
        assert _fetch(base + "index.html")[0] == 200
        assert _fetch(base + "missing")[0] == 404
    with pytest.raises(OSError):
        _fetch(base)


def test_static_server_without_404_page(tmp_path):
    _write(tmp_path / "index.html", VALID_PAGE)
    with static_server(tmp_path, "/briefing/") as base:
        status, _, body = _fetch(base + "missing.html")
        assert status == 404 and b"A valid page" not in body


# --------------------------------------------------------------------------
# Browser, axe-core, screenshots, external requests
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def served(site):
    with static_server(site, "/briefing/") as base:
        yield base


def test_browser_is_debian_chromium(chromium):
    assert chromium.browser_type.name == "chromium"
    assert chromium.version.split(".")[0].isdigit()


def test_axe_clean_page_has_no_violations(page, served):
    require_axe()
    page.goto(served)
    assert axe_violations(page) == []


def test_axe_reports_image_without_alt(page, served):
    require_axe()
    page.goto(served + "img-no-alt.html")
    violations = axe_violations(page)
    ids = {v["id"] for v in violations}
    assert "image-alt" in ids, format_axe(violations)
    v = next(v for v in violations if v["id"] == "image-alt")
    assert v["impact"] == "critical" and v["help"]
    assert v["targets"] and all("img" in t for t in v["targets"]), v


def test_axe_reports_low_contrast(page, served):
    require_axe()
    page.goto(served + "low-contrast.html")
    violations = axe_violations(page)
    assert "color-contrast" in {v["id"] for v in violations}, format_axe(violations)
    v = next(v for v in violations if v["id"] == "color-contrast")
    assert len(v["targets"]) == 1 and "p" in v["targets"][0], v
    assert "Barely readable" in v["nodes"][0]["html"]


def test_axe_runs_despite_csp(page, served):
    require_axe()
    page.goto(served + "csp.html")
    assert "image-alt" in {v["id"] for v in axe_violations(page)}


def test_axe_missing_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIEFING_AXE_JS", str(tmp_path / "axe.min.js"))
    with pytest.raises(ToolMissing, match="axe"):
        axe_violations(None)
    monkeypatch.setenv("CI", "true")
    assert _outcome(require_axe)[0] == "fail"
    monkeypatch.delenv("CI")
    assert _outcome(require_axe)[0] == "skip"


def test_browser_missing_is_skip_locally_and_failure_in_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIEFING_CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    assert _outcome(_enter_browser)[0] == "skip"
    monkeypatch.setenv("CI", "true")
    outcome, reason = _outcome(_enter_browser)
    assert outcome == "fail" and "Chromium" in reason


@pytest.mark.parametrize("width", [390, 1280])
def test_screenshot_full_page(page, served, width):
    page.goto(served + "tall.html")
    out = screenshot(page, "harness selftest/tall", width)
    assert out == REPO_ROOT / "test-artifacts" / "screenshots" / f"harness_selftest_tall-{width}.png"
    w, h = _png_size(out)
    assert w == width
    assert h > 2400  # the whole page, not just the 900px viewport
    assert page.viewport_size == {"width": width, "height": 900}


def test_blocked_external_requests(page, served):
    blocked = blocked_external_requests(page)
    failures: dict[str, str] = {}
    page.on("requestfailed", lambda r: failures.__setitem__(r.url, r.failure or ""))
    page.goto(served + "external.html")
    page.evaluate("() => fetch('https://api.example.invalid/data.json').catch(() => null)")
    expected = {
        "https://fonts.example.invalid/font.css",
        "http://cdn.example.invalid/pixel.png",
        "https://api.example.invalid/data.json",
    }
    assert set(blocked) == expected
    # They were aborted by the harness, not merely failed on their own.
    for url in expected:
        assert "ERR_BLOCKED_BY_CLIENT" in failures.get(url, ""), (url, failures)
    # Local resources still load.
    assert page.evaluate("() => document.getElementById('local').naturalWidth") == 40
    assert not any("127.0.0.1" in u for u in failures)


def test_blocked_external_requests_clean_page(page, served):
    blocked = blocked_external_requests(page)
    page.goto(served)
    assert page.evaluate("() => document.querySelector('img').naturalWidth") == 40
    assert blocked == []


@pytest.mark.parametrize(("url", "local"), [
    ("http://127.0.0.1:8000/x", True),
    ("http://localhost/x", True),
    ("http://[::1]:80/", True),
    ("data:image/png;base64,AAAA", True),
    ("https://example.com/x", False),
    ("http://10.0.0.1/x", False),
    ("http://127.0.0.1.example.com/x", False),
    ("wss://example.com/socket", False),
])
def test_is_local_url(url, local):
    assert is_local_url(url) is local
