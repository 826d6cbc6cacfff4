"""The `briefing` command as a user runs it: help, exit statuses, messages instead of tracebacks."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys

import pytest

from helpers import ARTICLE, LEADERS, REPO, project_files, run_cli, write_project

from generator import __version__


def tree_digest(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"briefing {__version__}"


@pytest.mark.parametrize("command", ["check", "build", "serve", "deploy"])
def test_each_command_has_its_own_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert f"usage: briefing {command}" in result.stdout and "PROJECT" in result.stdout


def test_no_command_prints_help_and_exits_2():
    result = run_cli()
    assert result.returncode == 2 and "check" in result.stdout


def test_unknown_option_is_a_usage_error():
    result = run_cli("build", "--no-such-option")
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr


def test_missing_project_is_a_usage_error(tmp_path):
    result = run_cli("check", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "no such project directory" in result.stderr
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 2 and "no content/ directory" in result.stderr


def test_check_passes_on_the_bundled_briefing_and_writes_nothing():
    before = tree_digest(REPO / "content")
    site_before = (REPO / "site").exists()
    result = run_cli("check", str(REPO))
    assert result.returncode == 0, result.stderr
    assert "content is valid" in result.stdout
    assert tree_digest(REPO / "content") == before and (REPO / "site").exists() == site_before


def test_check_defaults_to_the_current_directory(tmp_path):
    write_project(tmp_path, project_files())
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_content_errors_exit_1_without_traceback(tmp_path):
    write_project(tmp_path, project_files(**{"content__leaders__anna-berg.yaml": "name: [unclosed\n"}))
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 1
    assert "content/leaders/anna-berg.yaml:2:1: error: invalid YAML" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_failed_build_leaves_the_previous_site_as_it_was(tmp_path):
    write_project(tmp_path, project_files())
    first = run_cli("build", str(tmp_path))
    assert first.returncode == 0, first.stderr
    before = tree_digest(tmp_path / "site")
    write_project(tmp_path, {"content/site.yaml": "title: [broken\n"})
    second = run_cli("build", str(tmp_path))
    assert second.returncode == 1 and "nothing was written" in second.stderr
    assert tree_digest(tmp_path / "site") == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".briefing-cache") == ["content", "site"]


def test_build_writes_to_out_and_takes_a_base_url(tmp_path):
    write_project(tmp_path, project_files())
    result = run_cli("build", str(tmp_path), "--out", str(tmp_path / "public"), "--base-url", "https://example.org/b")
    assert result.returncode == 0, result.stderr
    home = (tmp_path / "public" / "index.html").read_text()
    assert 'href="https://example.org/b/"' in home


def test_a_bad_base_url_is_a_usage_error(tmp_path):
    write_project(tmp_path, project_files())
    result = run_cli("build", str(tmp_path), "--base-url", "ftp://example.org/")
    assert result.returncode == 2 and "--base-url must be" in result.stderr
    assert not (tmp_path / "site").exists()


# ---------------------------------------------------------------------------
# A build with nothing to do (generator/noop.py)

# Runs `briefing build` as the command does, then says whether the rest of the pipeline was imported.
_BUILD_AND_SAY_WHAT_LOADED = (
    "import sys; from generator.cli import main; status = main(['build', *sys.argv[1:]]); "
    "print('status', status, 'loaded', 'generator.pipeline' in sys.modules, 'jinja2' in sys.modules)")


def build_and_say_what_loaded(project, *options):
    result = subprocess.run([sys.executable, "-c", _BUILD_AND_SAY_WHAT_LOADED, str(project), *options],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def site_stamps(site):
    return {p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_build_with_nothing_to_do_reports_the_last_one_without_loading_the_pipeline(tmp_path):
    article = ARTICLE.replace("summary:", "evnets: []\nsummary:")  # a warning, which a no-op reports again
    write_project(tmp_path, project_files(**{"content__articles__leaders-meet.md": article}))
    first = build_and_say_what_loaded(tmp_path)
    assert "loaded True True" in first.stdout
    stamps = site_stamps(tmp_path / "site")

    again = build_and_say_what_loaded(tmp_path)
    assert "status 0 loaded False False" in again.stdout
    assert re.search(r"wrote \d+ pages", again.stdout).group() == re.search(r"wrote \d+ pages", first.stdout).group()
    assert "unknown key 'evnets'" in again.stderr and again.stderr.count("warning") == first.stderr.count("warning")
    assert site_stamps(tmp_path / "site") == stamps


@pytest.mark.parametrize("change", ["content", "site file", "option"])
def test_a_changed_input_site_or_option_is_built_again(tmp_path, change):
    write_project(tmp_path, project_files())
    build_and_say_what_loaded(tmp_path)
    site = tmp_path / "site"
    page = site / "leaders" / "anna-berg" / "index.html"
    options = ()
    if change == "content":
        write_project(tmp_path, {"content/leaders/anna-berg.yaml": LEADERS["content/leaders/anna-berg.yaml"]
                                 .replace("Prime Minister", "Foreign Minister")})
    elif change == "site file":
        page.unlink()
    else:
        options = ("--base-url", "https://example.org/b/")
    result = build_and_say_what_loaded(tmp_path, *options)
    assert "loaded True True" in result.stdout
    assert ("Foreign Minister" if change == "content" else "Prime Minister") in page.read_text()
    if change == "option":
        assert 'href="https://example.org/b/leaders/anna-berg/"' in page.read_text()


def test_a_damaged_cache_is_reported_once_and_the_site_built(tmp_path):
    write_project(tmp_path, project_files())
    assert run_cli("build", str(tmp_path)).returncode == 0
    [cache] = (tmp_path / ".briefing-cache").glob("cache-*.sqlite")
    cache.write_bytes(b"not a database" * 100)
    result = run_cli("build", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning: the build cache") == 1, result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
