"""The `briefing` command as a user runs it: help, exit statuses, messages instead of tracebacks."""

from __future__ import annotations

import hashlib

import pytest

from helpers import REPO, project_files, run_cli, write_project

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
