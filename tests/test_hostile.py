"""Hostile and broken input: a clear error naming file and line, no traceback, and the last good site kept."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ARTICLE, REPO, project_files, write_project
from test_errors import CASES

from generator.cli import main
from generator.pipeline import load_briefing, render_site

A = "content/articles/leaders-meet.md"

# (case id, changed files, path named, line named, words of the message); a value of None removes the file.
MORE_CASES = [
    ("latin-1-article", {A: ARTICLE.encode().replace(b"the capital", b"the capital caf\xe9", 1)}, A, 16,
     "not UTF-8 text: byte 0xe9 at byte offset"),
    ("latin-1-leader", {"content/leaders/anna-berg.yaml": "name: Anna Bérg\nrole: PM\n".encode("latin-1")},
     "content/leaders/anna-berg.yaml", 1, "not UTF-8"),
    ("nul-byte", {A: ARTICLE.replace("Tuesday", "Tues\x00day")}, A, 27, "NUL byte"),
    ("binary-site", {"content/site.yaml": bytes(range(256))}, "content/site.yaml", 1, "NUL byte"),
    ("empty-article", {A: ""}, A, 1, "no front matter"),
    ("empty-site", {"content/site.yaml": ""}, "content/site.yaml", 1, "must be a mapping"),
    ("empty-leader", {"content/leaders/anna-berg.yaml": ""}, "content/leaders/anna-berg.yaml", 1, "must be a mapping"),
    ("front-matter-scalar", {A: "---\njust words\n---\nBody.\n"}, A, 2, "must be a mapping"),
    ("front-matter-list", {A: "---\n- title: x\n---\nBody.\n"}, A, 2, "must be a mapping"),
    ("front-matter-empty", {A: "---\n---\nBody.\n"}, A, 2, "must be a mapping"),
    ("site-is-list", {"content/site.yaml": "- title: x\n"}, "content/site.yaml", 1, "must be a mapping"),
    ("leader-is-scalar", {"content/leaders/anna-berg.yaml": "Anna Berg\n"}, "content/leaders/anna-berg.yaml", 1,
     "must be a mapping"),
    ("ids-differ-in-case", {"content/leaders/Anna-Berg.yaml": "name: A B\nrole: R\n"},
     "content/leaders/Anna-Berg.yaml", 1, "not a valid id"),
    ("via-javascript", {A: ARTICLE.replace("  agencies: [AFP]\n", "  via: {outlet: X, url: 'javascript:alert(1)'}\n")},
     A, 6, "http or https"),
    ("data-url", {A: ARTICLE.replace("https://example.org/leaders-meet", "data:text/html,hi")}, A, 7, "http or https"),
    ("unterminated-quote", {A: ARTICLE.replace("title: Leaders meet", "title: 'Leaders meet")}, A, 2, "invalid YAML"),
    ("tab-indent", {"content/site.yaml": "title: x\n\tdescription: y\n"}, "content/site.yaml", 2, "invalid YAML"),
    ("yaml-merge-key", {"content/leaders/anna-berg.yaml": "base: &b {role: PM}\n<<: *b\nname: A\n"},
     "content/leaders/anna-berg.yaml", 2, "merge keys"),
]


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built_project(tmp_path_factory) -> Path:
    root = write_project(tmp_path_factory.mktemp("good"), project_files())
    assert main(["build", str(root)]) == 0
    return root


ALL = [(c[0], c[1], c[2], c[3], c[4], c[5] == "warning") for c in CASES] + [(*c, False) for c in MORE_CASES]


def test_the_suite_is_large_enough():
    assert len(ALL) >= 60


@pytest.mark.parametrize("files, path, line, words, warning", [c[1:] for c in ALL], ids=[c[0] for c in ALL])
def test_bad_input_fails_cleanly_and_keeps_the_site(tmp_path, capsys, built_project, files, path, line, words, warning):
    project = tmp_path / "p"
    shutil.copytree(built_project, project)
    before = _digest(project / "site")
    for rel, data in files.items():
        if data is None:
            (project / rel).unlink()
        else:
            write_project(project, {rel: data})
    status = main(["build", "--strict", str(project)] if warning else ["build", str(project)])
    out = capsys.readouterr()
    assert status == 1, out.err
    assert "Traceback" not in out.err + out.out
    named = [line_ for line_ in out.err.splitlines() if line_.startswith(f"{path}:{line}:") and words in line_]
    assert named, f"expected '{path}:{line}:… {words}' in:\n{out.err}"
    assert _digest(project / "site") == before
    assert sorted(p.name for p in project.iterdir() if p.name != ".briefing-cache") == ["content", "site"]


def test_symlinks_out_of_content_are_refused(tmp_path, capsys):
    outside = tmp_path / "outside.yaml"
    outside.write_text("name: Secret Person\nrole: Spy\n")
    project = write_project(tmp_path / "p", project_files())
    (project / "content/leaders/secret.yaml").symlink_to(outside)
    assert main(["check", str(project)]) == 1
    assert "content/leaders/secret.yaml:1:1: error: this file is a symbolic link to a place outside content/" in \
        capsys.readouterr().err


def test_symlinks_inside_content_are_fine(tmp_path):
    project = write_project(tmp_path / "p", project_files())
    (project / "content/shared").mkdir()
    shutil.move(project / "content/leaders/jonas-vik.yaml", project / "content/shared/jonas-vik.yaml")
    (project / "content/leaders/jonas-vik.yaml").symlink_to(project / "content/shared/jonas-vik.yaml")
    briefing, _ = load_briefing(project)
    assert "jonas-vik" in briefing.leader_by_id


def test_a_huge_body_and_ten_thousand_events_build(tmp_path):
    paragraph = "Anna Berg and Jonas Vik met in the capital on Tuesday. " * 20 + "\n\n"
    events = "".join(f"  - when: 2025-03-{i % 28 + 1:02d}\n    what: Event number {i}\n    who: [anna-berg]\n"
                     f"    anchor: met in the capital\n" for i in range(10_000))
    files = project_files(**{
        "content__articles__huge.md": ARTICLE.replace("id: meeting", "id: meeting-huge") + paragraph * (20_000_000 // len(paragraph)),
        "content__articles__many.md": ARTICLE.replace("id: meeting", "id: meeting-many").replace("quotes:", events + "quotes:", 1),
    })
    project = write_project(tmp_path / "p", files)
    assert main(["build", str(project)]) == 0
    assert (project / "site/articles/huge/index.html").stat().st_size > 20_000_000
    assert (project / "site/timeline/index.html").read_text().count("Event number") >= 10_000


# --- Nothing from a field runs in a reader's browser -------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</script><script>alert(2)</script>",
           "javascript:alert(3)", "\u202eevil", "' onmouseover='alert(4)", "<svg onload=alert(5)>", "]]>&amp;<!--",
           "{{ 7*7 }}", "<a href=javascript:alert(6)>x</a>", "\ud800"]
hostile_text = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=5), min_size=1, max_size=3).map("".join)


class _ScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value and \
                    value.strip().lower().startswith(("javascript:", "data:text", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value}>")
        if tag == "script":
            kind = dict(attrs).get("type", "")
            if kind != "application/ld+json" and not (dict(attrs).get("src") or "").count("assets/"):
                self.problems.append(f"<script {attrs}>")


def _no_surrogates(text: str) -> str:
    """A file's text cannot hold a lone surrogate; only a YAML escape can."""
    return "".join(c for c in text if not "\ud800" <= c <= "\udfff")


def _yaml_string(value: str) -> str:
    return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(title=hostile_text, name=hostile_text, what=hostile_text, detail=hostile_text, body=hostile_text,
       topic=hostile_text)
def test_hostile_fields_never_become_script(tmp_path_factory, title, name, what, detail, body, topic):
    article = ARTICLE.replace("title: Leaders meet", f"title: {_yaml_string(title)}") \
        .replace("what: Berg and Vik meet", f"what: {_yaml_string(what)}") \
        .replace("detail: Only if aid stops.", f"detail: {_yaml_string(detail)}") \
        .replace("Anna Berg and Jonas Vik met", f"{_no_surrogates(body)}\n\nAnna Berg and Jonas Vik met")
    site = f"title: {_yaml_string(title)}\ndescription: {_yaml_string(detail)}\ntopics:\n  ceasefire:\n" \
           f"    title: {_yaml_string(topic)}\n  aid: {{title: Aid}}\n"
    files = project_files(**{"content__articles__leaders-meet.md": article, "content__site.yaml": site,
                             "content__leaders__jonas-vik.yaml": f"name: {_yaml_string(name)}\naliases: [Vik]\nrole: R\n"})
    project = write_project(tmp_path_factory.mktemp("hostile"), files)
    try:
        briefing, _ = load_briefing(project)
    except Exception as error:  # a clear content error is an acceptable answer to hostile input
        from generator.errors import ContentError
        assert isinstance(error, ContentError) and error.diagnostics
        return
    for path, data in render_site(project, briefing):
        if path.endswith((".html", ".svg")):
            finder = _ScriptFinder()
            finder.feed(data.decode("utf-8"))
            assert not finder.problems, (path, finder.problems)
            if path.endswith(".html"):
                assert b'http-equiv="Content-Security-Policy"' in data, path


def test_raw_html_is_removed_unless_trusted_and_then_sanitized(tmp_path):
    raw = "<script>alert(1)</script>\n\nHello <b onclick=\"alert(2)\">bold</b> [x](javascript:alert(3)).\n\n"
    article = ARTICLE.replace("Anna Berg and Jonas Vik met", raw + "Anna Berg and Jonas Vik met")
    plain = write_project(tmp_path / "plain", project_files(**{"content__articles__leaders-meet.md": article}))
    trusted = write_project(tmp_path / "trusted", project_files(**{
        "content__articles__leaders-meet.md": article,
        "content__site.yaml": project_files()["content/site.yaml"] + "allow_raw_html: true\n"}))
    for project, bold in ((plain, False), (trusted, True)):
        briefing, _ = load_briefing(project)
        html = briefing.articles[0].body_html
        assert "<script" not in html and "alert(1)" not in html and "onclick" not in html and "javascript:" not in html
        assert ("<b>bold</b>" in html) is bold


# --- Atomic and reproducible ------------------------------------------------------------------------

def _big_project(root: Path, n: int, marker: str) -> Path:
    files = project_files()
    for i in range(n):
        files[f"content/articles/a-{i:04d}.md"] = ARTICLE.replace("id: meeting", f"id: meeting-{i}").replace(
            "Leaders meet", f"Leaders meet {marker} {i}")
    return write_project(root, files)


def test_a_killed_build_leaves_the_old_site_or_the_new_one(tmp_path):
    project = _big_project(tmp_path / "p", 150, "first")
    subprocess.run([sys.executable, "-m", "generator", "build", str(project)], check=True, capture_output=True)
    # A second site, so that the killed builds start from the first, kept (see write.py).
    _big_project(project.parent / "p", 150, "old")
    subprocess.run([sys.executable, "-m", "generator", "build", str(project)], check=True, capture_output=True)
    old = _digest(project / "site")
    _big_project(project.parent / "p", 150, "new")
    new = None
    rng = random.Random(7)
    for attempt in range(6):
        process = subprocess.Popen([sys.executable, "-m", "generator", "build", str(project)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = _digest(project / "site") if (project / "site").exists() else None
        if new is None and state != old and state is not None:
            new = state
        assert state in (old, new), f"attempt {attempt}: a mix of old and new"
    # The next build cleans up whatever a killed one left beside site/, and its site is a fresh build's.
    subprocess.run([sys.executable, "-m", "generator", "build", str(project)], check=True, capture_output=True)
    assert sorted(p.name for p in project.iterdir() if p.name != ".briefing-cache") == ["content", "site"]
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "generator", "build", str(project), "--out", str(fresh)], check=True,
                   capture_output=True)
    assert _digest(project / "site") == _digest(fresh)


def test_two_builds_are_byte_identical(tmp_path):
    project = write_project(tmp_path / "p", project_files())
    assert main(["build", str(project), "--out", str(tmp_path / "one")]) == 0
    assert main(["build", str(project), "--out", str(tmp_path / "two")]) == 0
    assert _digest(tmp_path / "one") == _digest(tmp_path / "two")


def test_bundled_site_does_not_depend_on_the_clock(tmp_path, monkeypatch):
    one, two = tmp_path / "one", tmp_path / "two"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1742342400")
    assert main(["build", str(REPO), "--out", str(one)]) == 0
    os.utime(REPO / "content/site.yaml")  # a touched file must not change the output
    time.sleep(1.1)  # nor a later second on the clock
    assert main(["build", str(REPO), "--out", str(two)]) == 0
    assert _digest(one) == _digest(two)


def _generated_at(site: Path) -> tuple[str, str, str]:
    """What the summary page, data/briefing.json and the site feed say of when the site was made."""
    summary = re.search(r'<p class="generated">Site generated <time datetime="([^"]+)">([^<]+)</time>',
                        (site / "index.html").read_text())
    feed = re.search(r"<updated>([^<]+)</updated>", (site / "feed.xml").read_text())
    data = json.loads((site / "data/briefing.json").read_text())["site"]["generated_at"]
    return summary.group(1) + " / " + summary.group(2), data, feed.group(1)


def test_generated_at_is_source_date_epoch_else_the_newest_article(tmp_path, monkeypatch):
    project = write_project(tmp_path / "p", project_files())
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert main(["build", str(project)]) == 0
    # The only article was published on 19 March 2025 (a date: midnight in the site's zone, UTC+1).
    assert _generated_at(project / "site") == ("2025-03-19T00:00:00+01:00 / 19 March 2025, 00:00 (UTC+01:00)",
                                               "2025-03-19T00:00:00+01:00", "2025-03-19T00:00:00+01:00")
    before = _digest(project / "site")

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    monkeypatch.setenv("BRIEFING_VERIFY_INCREMENTAL", "1")  # a page its key would wrongly skip fails the build
    assert main(["build", str(project)]) == 0
    assert _generated_at(project / "site") == ("2026-01-01T01:00:00+01:00 / 1 January 2026, 01:00 (UTC+01:00)",
                                               "2026-01-01T01:00:00+01:00", "2026-01-01T01:00:00+01:00")
    after = _digest(project / "site")
    changed = {path for path in before.keys() | after.keys()
               if before.get(path) != after.get(path) and not path.startswith("pagefind/")}
    assert changed == {"index.html", "feed.xml", "data/briefing.json"}

    # The incremental result is what a clean build gives.
    assert main(["build", str(project), "--out", str(tmp_path / "clean")]) == 0
    assert _digest(tmp_path / "clean") == after


@pytest.mark.parametrize("value", ["yesterday", "1.5", "-1", "1e9", "99999999999999999999", " 12 3"])
def test_a_bad_source_date_epoch_is_a_usage_error(tmp_path, monkeypatch, capsys, value):
    project = write_project(tmp_path / "p", project_files())
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert main(["build", str(project)]) == 0
    before = _digest(project / "site")
    capsys.readouterr()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert main(["build", str(project)]) == 2
    err = capsys.readouterr().err
    assert "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC" in err
    assert f"not '{value}'" in err and "Traceback" not in err
    assert _digest(project / "site") == before


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["deploy", "--to", "DEST"]])
def test_serve_and_deploy_refuse_a_bad_source_date_epoch_too(tmp_path, command):
    project = write_project(tmp_path / "p", project_files())
    args = [str(tmp_path / "dest") if part == "DEST" else part for part in command]
    result = subprocess.run([sys.executable, "-m", "generator", args[0], str(project), *args[1:]],
                            capture_output=True, text=True, timeout=60, cwd=REPO,
                            env=dict(os.environ, SOURCE_DATE_EPOCH="last tuesday"))
    assert result.returncode == 2, result.stderr
    assert "SOURCE_DATE_EPOCH must be a whole number of seconds" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "site").exists() and not (tmp_path / "dest").exists()
