"""`briefing deploy`: directory deploys, git-branch deploys, shipped server configuration.

Real git, real files, a real nginx (skipped only where it is not installed).
The site is a small fake one made here until the build pipeline lands; one
end-to-end test builds the bundled content through the CLI.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from generator import publish_dir
from generator.cli import main
from generator.deploy import _site_cname
from generator.errors import BriefingError

from webtools import crawl, fetch, format_broken, nginx_binary, nginx_fixture, start_nginx

nginx = nginx_fixture()

REPO_ROOT = Path(__file__).resolve().parents[1]
OLD = 1_000_000_000  # an mtime in 2001

# --- a fake built site -------------------------------------------------------------------------

CSS = "assets/style.abc123.css"


def site_files(version: int = 1) -> dict[str, bytes]:
    """A small site with relative links, pretty directory URLs, hashed assets and a 404 page."""
    head = '<link rel="stylesheet" href="{up}assets/style.abc123.css"><script src="{up}assets/app.def456.js"></script>'
    files = {
        "index.html": f"""<!doctype html><title>Briefing v{version}</title>{head.format(up='')}
            <a href="topics/">Topics</a> <a href="topics/ukraine/">Ukraine</a>
            <a href="articles/2024/first-article.html#quotes">First</a> <a href="about">About</a>
            <a href="feed.xml">Feed</a> <img src="assets/logo.9f8e7d.svg" alt="">
            <a href="https://example.org/elsewhere">out</a> <a href="mailto:desk@example.org">mail</a>""",
        "about.html": f"""<!doctype html>{head.format(up='')}<a href="./">Home</a>""",
        "topics/index.html": f"""<!doctype html>{head.format(up='../')}<a href="../">Home</a>
            <a href="ukraine/">Ukraine</a>""",
        "topics/ukraine/index.html": f"""<!doctype html>{head.format(up='../../')}
            <a href="../../articles/2024/first-article.html">First</a>
            <a href="../../articles/2024/second-article.html">Second</a>""",
        "articles/2024/first-article.html": f"""<!doctype html>{head.format(up='../../')}
            <a href="../../">Home</a> <a href="#top">top</a> <a href="../../topics/ukraine/">Ukraine</a>""",
        "articles/2024/second-article.html": f"""<!doctype html>{head.format(up='../../')}
            <img srcset="../../assets/logo.9f8e7d.svg 1x, ../../assets/logo.9f8e7d.svg 2x" alt="">""",
        "404.html": """<!doctype html><title>Not found</title><p>No such page in this briefing.</p>
            <a href="/briefing/">Home</a>""",
        "feed.xml": '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>',
        CSS: "body { font-family: serif }",
        "assets/app.def456.js": "console.log('briefing')",
        "assets/logo.9f8e7d.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
    }
    return {rel: text.encode() for rel, text in files.items()}


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def read_tree(root: Path, skip=(publish_dir.MANIFEST,)) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.relative_to(root).as_posix() not in skip}


def all_dirs(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


@pytest.fixture
def project(tmp_path) -> Path:
    """A project with content/site.yaml and an already built site/."""
    project = tmp_path / "proj"
    (project / "content").mkdir(parents=True)
    (project / "content" / "site.yaml").write_text("title: Test briefing\ncname: news.example.org\n")
    write_tree(project / "site", site_files())
    return project


def deploy(*args) -> int:
    return main(["deploy", *map(str, args)])


# --- command line ------------------------------------------------------------------------------

def test_needs_a_destination(project, capsys):
    assert deploy(project, "--no-build") == 2
    err = capsys.readouterr().err
    assert "--to DIR" in err and "--git-branch BRANCH" in err
    assert "Traceback" not in err


def test_git_options_need_git_branch(project, tmp_path, capsys):
    assert deploy(project, "--no-build", "--to", tmp_path / "out", "--push") == 2
    assert "--push only goes with --git-branch" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_no_build_needs_a_built_site(project, tmp_path, capsys):
    shutil.rmtree(project / "site")
    assert deploy(project, "--no-build", "--to", tmp_path / "out") == 1
    assert "run `briefing build` first" in capsys.readouterr().err
    (project / "site" / "empty-dir").mkdir(parents=True)
    assert deploy(project, "--no-build", "--to", tmp_path / "out") == 1
    assert "is empty" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_site_cname(tmp_path):
    (tmp_path / "content").mkdir()
    assert _site_cname(tmp_path) is None
    site_yaml = tmp_path / "content" / "site.yaml"
    site_yaml.write_text("title: x\n")
    assert _site_cname(tmp_path) is None
    site_yaml.write_text("title: x\ncname: ' news.example.org '\n")
    assert _site_cname(tmp_path) == "news.example.org"
    site_yaml.write_text("title: x\ncname: https://news.example.org/\n")
    with pytest.raises(BriefingError, match="content/site.yaml has errors") as raised:
        _site_cname(tmp_path)
    (problem,) = raised.value.diagnostics
    assert (problem.path, problem.line, problem.col) == ("content/site.yaml", 2, 8)
    assert "bare domain name" in problem.message and "news.example.org" in problem.hint
    site_yaml.unlink()  # the other spelling a build reads
    (tmp_path / "content" / "site.yml").write_text("title: x\ncname: news.example.org\n")
    assert _site_cname(tmp_path) == "news.example.org"


def test_a_bad_cname_fails_the_build_with_its_line(project, capsys):
    (project / "content" / "site.yaml").write_text("title: Test briefing\ncname: news.example.org/briefing\n")
    before = read_tree(project / "site")
    assert main(["build", str(project)]) == 1
    assert "content/site.yaml:2:8: error: 'cname' must be a bare domain name" in capsys.readouterr().err
    assert read_tree(project / "site") == before


# --- directory deploys -------------------------------------------------------------------------

def test_dir_deploy_makes_an_exact_copy_and_leaves_unchanged_files_alone(project, tmp_path, capsys):
    target = tmp_path / "www" / "briefing"
    assert deploy(project, "--no-build", "--to", target) == 0
    assert read_tree(target) == site_files()
    assert all_dirs(target) == all_dirs(project / "site")
    manifest = json.loads((target / publish_dir.MANIFEST).read_text())
    assert manifest["generator"] == "briefing" and sorted(manifest["files"]) == sorted(site_files())
    assert "11 new" in capsys.readouterr().out
    mode = (target / "index.html").stat().st_mode & 0o777
    assert mode & 0o444 == 0o444, "a web server running as another user must read the files"

    for path in target.rglob("*"):
        os.utime(path, (OLD, OLD), follow_symlinks=False)

    # A rebuild: one page changes, one article and its directory go, one page appears.
    site = project / "site"
    (site / "about.html").write_bytes(b"<!doctype html><p>About us, revised")
    shutil.rmtree(site / "articles")
    (site / "topics" / "ukraine" / "index.html").write_bytes(b"<!doctype html><a href='../'>up</a>")
    (site / "topics" / "russia").mkdir()
    (site / "topics" / "russia" / "index.html").write_bytes(b"<!doctype html>Russia")
    assert deploy(project, "--no-build", "--to", target) == 0
    out = capsys.readouterr().out
    assert "1 new, 2 changed, 2 removed" in out, out

    assert read_tree(target) == read_tree(site)
    assert all_dirs(target) == all_dirs(site), "emptied directories are removed"
    changed = {"about.html", "topics/ukraine/index.html", "topics/russia/index.html"}
    for rel in read_tree(site):
        mtime = (target / rel).stat().st_mtime
        assert (mtime == OLD) == (rel not in changed), rel

    # Nothing changed: nothing written, not even the manifest.
    for path in target.rglob("*"):
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    assert deploy(project, "--no-build", "--to", target) == 0
    assert "0 new, 0 changed, 0 removed" in capsys.readouterr().out
    assert {p.stat().st_mtime for p in target.rglob("*")} == {OLD}


def test_dir_deploy_replaces_files_by_dirs_and_dirs_by_files(project, tmp_path):
    target = tmp_path / "out"
    assert deploy(project, "--no-build", "--to", target) == 0
    site = project / "site"
    shutil.rmtree(site / "topics")
    (site / "topics").write_bytes(b"now a file")
    (site / "about.html").unlink()
    (site / "about.html").mkdir()
    (site / "about.html" / "index.html").write_bytes(b"now a directory")
    (target / "stray-link").symlink_to(tmp_path / "elsewhere")
    assert deploy(project, "--no-build", "--to", target) == 0
    assert read_tree(target) == read_tree(site)
    assert not (target / "stray-link").is_symlink()


def snapshot(root: Path) -> dict:
    """Every entry under root with its bytes (files) and mtime, to prove nothing was touched."""
    if not root.exists():
        return {}
    out = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        out[path.relative_to(root).as_posix()] = (st.st_mode, st.st_mtime_ns,
                                                  path.read_bytes() if path.is_file() else None)
    return out


def test_dir_deploy_refuses_dangerous_targets(project, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    (home / "notes").mkdir(parents=True)
    (home / "notes" / "todo.txt").write_text("mine")
    monkeypatch.setenv("HOME", str(home))
    (project / "content" / "drafts").mkdir()
    (project / "content" / "drafts" / "a.md").write_text("draft")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "index.php").write_text("<?php echo 'someone else'; ?>")
    before = {root: snapshot(root) for root in (project, home, foreign)}

    refused = {
        "/": "root of the file system",
        home: "home directory",
        project: "the project itself",
        tmp_path: "contains the project",
        project / "content": "content/",
        project / "content" / "drafts": "content/",
        project / "content" / "new": "content/",
        project / "site": "build output",
        project / "site" / "topics": "build output",
        foreign: "holds no site deployed by briefing",
        project / "content" / "site.yaml": "content/",
    }
    for target, why in refused.items():
        assert deploy(project, "--no-build", "--to", target) == 1, target
        err = capsys.readouterr().err
        assert "refusing to deploy" in err and why in err, (target, err)
        assert "Traceback" not in err
    assert not Path("/", publish_dir.MANIFEST).exists()
    assert {root: snapshot(root) for root in (project, home, foreign)} == before

    # --force takes over a foreign directory (and only that): it becomes an exact copy.
    assert deploy(project, "--no-build", "--to", foreign, "--force") == 0
    assert read_tree(foreign) == site_files()
    assert deploy(project, "--no-build", "--to", home, "--force") == 1
    # ... and from then on it is ours: no --force needed.
    assert deploy(project, "--no-build", "--to", foreign) == 0


def test_dir_deploy_takes_an_empty_directory(project, tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    assert deploy(project, "--no-build", "--to", target) == 0
    assert read_tree(target) == site_files()


def test_dir_deploy_refuses_a_file_target(project, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert deploy(project, "--no-build", "--to", tmp_path / "file") == 1
    assert "not a directory" in capsys.readouterr().err


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(publish_dir.TMP_SUFFIX)]


def assert_old_or_new(target: Path, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    for rel, data in read_tree(target).items():
        assert data in (old.get(rel), new.get(rel)), f"{rel} holds neither its old nor its new bytes"
    assert not temp_files(target), temp_files(target)


@pytest.mark.parametrize("fail_after", [0, 1, 3])
def test_dir_deploy_interrupted_by_a_failing_rename(project, tmp_path, monkeypatch, capsys, fail_after):
    target = tmp_path / "out"
    assert deploy(project, "--no-build", "--to", target) == 0
    old = site_files(1)
    new = {rel: data + b"<!-- v2 -->" if rel.endswith(".html") else data for rel, data in old.items()}
    new |= {CSS: b"body { color: black }", "extra/page.html": b"new page"}
    shutil.rmtree(project / "site")
    write_tree(project / "site", new)

    real_replace = os.replace
    calls = []

    def failing_replace(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) > fail_after:
            raise OSError(28, "No space left on device (injected)")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    assert deploy(project, "--no-build", "--to", target) == 1
    monkeypatch.setattr(os, "replace", real_replace)
    err = capsys.readouterr().err
    assert "could not deploy" in err and "injected" in err and "Traceback" not in err
    assert_old_or_new(target, old, new)
    assert read_tree(target) != new

    # The next deploy finishes the job, without --force: the directory is still ours.
    assert deploy(project, "--no-build", "--to", target) == 0
    assert read_tree(target) == new


def test_dir_deploy_interrupted_while_writing_a_file(project, tmp_path, monkeypatch):
    target = tmp_path / "out"
    assert deploy(project, "--no-build", "--to", target) == 0
    (project / "site" / CSS).write_bytes(b"x" * 3_000_000)  # a big file, cut off halfway

    def half_copy(src, dst, length=0):
        dst.write(src.read(1_000_000))
        raise OSError(5, "Input/output error (injected)")

    monkeypatch.setattr(publish_dir.shutil, "copyfileobj", half_copy)
    assert deploy(project, "--no-build", "--to", target) == 1
    assert (target / CSS).read_bytes() == site_files()[CSS]
    assert not temp_files(target)


# --- git-branch deploys ------------------------------------------------------------------------

def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    done = subprocess.run(["git", "-c", "user.name=Test User", "-c", "user.email=test@example.org",
                           "-C", str(cwd), *args], input=input, capture_output=True, check=True)
    return done.stdout.decode().strip()


@pytest.fixture
def isolated_git(tmp_path, monkeypatch):
    """No global or system git configuration: identities and defaults come from the test alone."""
    config = tmp_path / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
                "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def user_repo(tmp_path, project, isolated_git) -> Path:
    """The project checked in to a repository, with a bare remote, in the middle of someone's work:
    a commit, a stash entry, a staged change, an unstaged change and an untracked file."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    repo = project
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", str(remote))
    (repo / ".gitignore").write_text("site/\n")
    (repo / "content" / "a.md").write_text("first\n")
    (repo / "content" / "b.md").write_text("second\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "content")
    git(repo, "push", "-q", "origin", "main")
    (repo / "content" / "a.md").write_text("stashed change\n")
    git(repo, "stash", "-q")
    (repo / "content" / "b.md").write_text("staged change\n")
    git(repo, "add", "content/b.md")
    (repo / "content" / "a.md").write_text("unstaged change\n")
    (repo / "content" / "untracked.md").write_text("new, not added\n")
    return repo


def checkout_state(repo: Path) -> dict:
    """What the user sees of their checkout (read without letting git refresh the index)."""
    quiet = ("--no-optional-locks",)
    return {
        "index bytes": hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest(),
        "HEAD": (repo / ".git" / "HEAD").read_text(),
        "head commit": git(repo, "rev-parse", "HEAD"),
        "status": git(repo, *quiet, "status", "--porcelain=v1", "-uall"),
        "staged": git(repo, *quiet, "diff", "--cached"),
        "unstaged": git(repo, *quiet, "diff"),
        "stash": git(repo, "stash", "list", "--format=%H %gs"),
        "stash show": git(repo, "stash", "show", "-p"),
        "branches": git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/main",
                        "refs/stash", "refs/tags"),
        "files": {k: v for k, v in snapshot(repo).items() if not k.startswith((".git/", "site/", ".git"))
                  or k == ".gitignore"},
    }


def branch_tree(repo: Path, branch: str) -> dict[str, bytes]:
    listing = git(repo, "ls-tree", "-r", "-z", "--full-tree", branch)
    tree = {}
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, kind, blob = meta.split()
        assert kind == "blob" and mode == "100644", entry
        tree[path] = subprocess.run(["git", "-C", str(repo), "cat-file", "blob", blob],
                                    capture_output=True, check=True).stdout
    return tree


def expected_branch(site: Path) -> dict[str, bytes]:
    return read_tree(site, skip=()) | {".nojekyll": b"", "CNAME": b"news.example.org\n"}


def test_git_branch_deploy_keeps_history_and_never_touches_the_checkout(user_repo, capsys):
    repo = user_repo
    git(repo, "config", "user.name", "Deploy Bot")
    git(repo, "config", "user.email", "bot@example.org")
    before = checkout_state(repo)

    assert deploy(repo, "--no-build", "--git-branch", "gh-pages") == 0
    assert "committed" in capsys.readouterr().out
    assert branch_tree(repo, "gh-pages") == expected_branch(repo / "site")
    first = git(repo, "rev-parse", "gh-pages")
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "gh-pages") == \
        "Deploy Bot <bot@example.org>|Deploy Bot <bot@example.org>"
    assert checkout_state(repo) == before

    (repo / "site" / "about.html").write_bytes(b"<!doctype html>About, second edition")
    assert deploy(repo, "--no-build", "--git-branch", "gh-pages") == 0
    assert branch_tree(repo, "gh-pages") == expected_branch(repo / "site")
    assert git(repo, "rev-list", "--count", "gh-pages") == "2"
    assert git(repo, "rev-parse", "gh-pages^") == first
    second = git(repo, "rev-parse", "gh-pages")
    assert checkout_state(repo) == before

    capsys.readouterr()
    assert deploy(repo, "--no-build", "--git-branch", "gh-pages") == 0
    assert "nothing to commit" in capsys.readouterr().out
    assert git(repo, "rev-parse", "gh-pages") == second
    assert checkout_state(repo) == before
    # Not pushed without --push.
    assert git(repo, "ls-remote", "origin", "refs/heads/gh-pages") == ""


def test_git_branch_push_and_non_fast_forward(user_repo, tmp_path, capsys):
    repo, remote = user_repo, tmp_path / "remote.git"
    before = checkout_state(repo)
    assert deploy(repo, "--no-build", "--git-branch", "gh-pages", "--push") == 0
    assert "pushed gh-pages to origin" in capsys.readouterr().out
    assert git(remote, "rev-parse", "gh-pages") == git(repo, "rev-parse", "gh-pages")
    assert git(remote, "log", "-1", "--format=%an <%ae>", "gh-pages") == "briefing <briefing@localhost>"

    # Someone else deploys from another clone meanwhile.
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    git(other, "checkout", "-q", "gh-pages")
    (other / "index.html").write_text("someone else's site")
    git(other, "commit", "-q", "-am", "other deploy")
    git(other, "push", "-q", "origin", "gh-pages")
    theirs = git(remote, "rev-parse", "gh-pages")

    (repo / "site" / "about.html").write_bytes(b"mine, newer")
    assert deploy(repo, "--no-build", "--git-branch", "gh-pages", "--push") == 1
    err = capsys.readouterr().err
    assert "could not push gh-pages to origin" in err and "--force" in err and "Traceback" not in err
    assert git(remote, "rev-parse", "gh-pages") == theirs, "a rejected push changes nothing remotely"
    ours = git(repo, "rev-parse", "gh-pages")
    assert ours != theirs and git(repo, "rev-list", "--count", "gh-pages") == "2"

    assert deploy(repo, "--no-build", "--git-branch", "gh-pages", "--push", "--force") == 0
    assert git(remote, "rev-parse", "gh-pages") == ours
    assert checkout_state(repo) == before


def test_git_branch_continues_the_remote_history_in_a_fresh_clone(user_repo, tmp_path):
    repo, remote = user_repo, tmp_path / "remote.git"
    assert deploy(repo, "--no-build", "--git-branch", "gh-pages", "--push") == 0
    published = git(remote, "rev-parse", "gh-pages")

    clone = tmp_path / "ci" / "checkout"
    git(tmp_path, "clone", "-q", "--branch", "main", str(remote), str(clone))
    git(clone, "fetch", "-q", "origin", "gh-pages:refs/remotes/origin/gh-pages")
    write_tree(clone / "site", site_files(2))
    (clone / "content" / "site.yaml").write_text("title: x\n")  # no cname: no CNAME file
    assert deploy(clone, "--no-build", "--git-branch", "gh-pages", "--push") == 0
    assert git(clone, "rev-parse", "gh-pages^") == published
    assert git(remote, "rev-parse", "gh-pages") == git(clone, "rev-parse", "gh-pages")
    assert branch_tree(clone, "gh-pages") == site_files(2) | {".nojekyll": b""}


def test_git_branch_into_a_bare_repo_with_repo_option(project, tmp_path, isolated_git, capsys):
    bare = tmp_path / "pages.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    assert deploy(project, "--no-build", "--git-branch", "gh-pages", "--repo", bare,
                  "--message", "Publish the test briefing") == 0
    assert branch_tree(bare, "gh-pages") == expected_branch(project / "site")
    assert git(bare, "log", "-1", "--format=%s|%an", "gh-pages") == "Publish the test briefing|briefing"


def test_git_branch_refusals(project, user_repo, tmp_path, capsys):
    lone = tmp_path / "lone"
    (lone / "content").mkdir(parents=True)
    write_tree(lone / "site", site_files())
    assert deploy(lone, "--no-build", "--git-branch", "gh-pages") == 1
    assert "--repo" in capsys.readouterr().err

    git(user_repo, "stash", "-q")  # a clean checkout, switched to the branch
    git(user_repo, "stash", "-q")
    git(user_repo, "checkout", "-q", "-b", "gh-pages")
    assert deploy(user_repo, "--no-build", "--git-branch", "gh-pages") == 1
    assert "checked out" in capsys.readouterr().err

    assert deploy(user_repo, "--no-build", "--git-branch", "bad..name") == 1
    assert "not a valid branch name" in capsys.readouterr().err


# --- serving the deployed directory ------------------------------------------------------------

# Skipped on a developer machine without nginx; under CI (.ci/setup installs it) a missing nginx fails.
needs_nginx = pytest.mark.skipif(nginx_binary() is None and not os.environ.get("CI"),
                                 reason="nginx is not installed (/usr/sbin/nginx)")


def assert_serves_the_whole_site(base_url: str, site: Path) -> dict:
    result = crawl(base_url)
    assert not result.broken, format_broken(result.broken)
    pages = {rel for rel in read_tree(site, skip=()) if rel.endswith(".html") and rel != "404.html"}

    def file_of(rel: str) -> str:  # the file a URL path serves: topics/ -> topics/index.html, about -> about.html
        if rel == "" or rel.endswith("/"):
            return rel + "index.html"
        return rel if "." in rel.rsplit("/", 1)[-1] else rel + ".html"

    assert set(result.values()) == {200}, result
    reached = {file_of(url[len(base_url):]) for url in result if url.startswith(base_url)}
    assert pages <= reached, f"not reachable: {sorted(pages - reached)}"

    missing = fetch(base_url + "no/such/deep/page.html")
    assert missing.status == 404
    assert b"No such page in this briefing." in missing.body
    redirected = fetch(base_url + "topics")
    assert redirected.status == 200 and redirected.url == base_url + "topics/"
    return result


def test_nginx_serves_a_deployed_directory(project, tmp_path, nginx):
    target = tmp_path / "www" / "briefing"
    assert deploy(project, "--no-build", "--to", target) == 0
    base_url = nginx(target, "/briefing/")
    assert base_url.endswith("/briefing/")
    result = assert_serves_the_whole_site(base_url, project / "site")
    assert base_url + CSS in result
    assert fetch(base_url + "about").body == site_files()["about.html"]


@needs_nginx
def test_shipped_nginx_conf(project, tmp_path):
    target = tmp_path / "srv" / "briefing"
    assert deploy(project, "--no-build", "--to", target) == 0
    conf = (REPO_ROOT / "deploy" / "nginx.conf").read_text()
    with start_nginx(target, "/briefing/", server_conf=conf, workdir=tmp_path / "nginx") as (base_url, _stop):
        assert_serves_the_whole_site(base_url, project / "site")
        asset = fetch(base_url + CSS)
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert asset.headers["Content-Type"].startswith("text/css")
        for page in ("", "topics/", "about.html", "feed.xml"):
            assert fetch(base_url + page).headers["Cache-Control"] == "no-cache", page
        assert fetch(base_url + "feed.xml").headers["Content-Type"].split(";")[0] in ("application/xml", "text/xml")
        assert fetch(base_url + "assets/logo.9f8e7d.svg").headers["Content-Type"].startswith("image/svg+xml")
        for hidden in (publish_dir.MANIFEST, "assets/", "assets/missing.0000.css"):
            response = fetch(base_url + hidden)
            assert response.status == 404, hidden
            assert b"No such page in this briefing." in response.body, hidden
        assert fetch(base_url.rstrip("/")).url == base_url


# --- the other shipped configuration -----------------------------------------------------------

def test_github_pages_workflow():
    workflow = yaml.safe_load((REPO_ROOT / "deploy" / "github-pages.yml").read_text())
    assert workflow["permissions"]["pages"] == "write" and workflow["permissions"]["id-token"] == "write"
    assert workflow["concurrency"]["group"]
    steps = workflow["jobs"]["build"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert uses[:3] == ["actions/checkout", "actions/setup-python", "actions/configure-pages"]
    assert "actions/upload-pages-artifact" in uses
    assert steps[1]["with"]["python-version"] == "3.11"
    runs = " ".join(s.get("run", "") for s in steps)
    assert "pip install ." in runs and "briefing build" in runs
    assert "steps.pages.outputs.base_url" in runs and "OWNER" not in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"].rstrip("/") == "site"
    deploy_job = workflow["jobs"]["deploy"]
    assert deploy_job["needs"] == "build" and deploy_job["environment"]["name"] == "github-pages"
    assert deploy_job["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_netlify_toml():
    config = tomllib.loads((REPO_ROOT / "deploy" / "netlify.toml").read_text())
    assert config["build"]["publish"] == "site"
    assert "briefing build" in config["build"]["command"]
    rules = {rule["for"]: rule["values"] for rule in config["headers"]}
    assert rules["/assets/*"]["Cache-Control"] == "public, max-age=31536000, immutable"
    for pattern in ("/", "/*.html", "/*/"):
        assert rules[pattern]["Cache-Control"] == "no-cache"


def test_s3_sync_recipe(project, tmp_path):
    """The script's aws calls, recorded by a stand-in `aws` on PATH (no AWS here)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "aws.log"
    (bin_dir / "aws").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n')
    (bin_dir / "aws").chmod(0o755)
    script = REPO_ROOT / "deploy" / "s3-sync.sh"
    env = os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                        "CLOUDFRONT_DISTRIBUTION_ID": "E123"}
    done = subprocess.run(["bash", str(script), "s3://bucket/briefing", str(project / "site")],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert all(c.startswith(("s3 sync", "cloudfront create-invalidation")) for c in calls), calls
    first_page = next(i for i, c in enumerate(calls) if "--include *" in c and "assets/*" in c.split("--include *")[1])
    assets = [i for i, c in enumerate(calls) if "--include assets/*" in c]
    assert assets and max(assets) < first_page, "assets go up before the pages that use them"
    assert "--delete" in calls[-2] and "--delete" not in " ".join(calls[:-2]), "deleting comes last"
    assert "immutable" in calls[assets[0]] and "max-age=31536000" in calls[assets[0]]
    assert any("--include *.xml" in c and "application/xml" in c and "no-cache" in c for c in calls)
    assert any("--include *.json" in c and "application/json" in c for c in calls)
    assert any("--include assets/*.svg" in c and "image/svg+xml" in c for c in calls)
    assert "--distribution-id E123" in calls[-1]

    bad = subprocess.run(["bash", str(script), "not-a-bucket"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr


# --- end to end --------------------------------------------------------------------------------

def test_end_to_end_build_and_deploy_through_the_cli(tmp_path):
    project = tmp_path / "proj"
    shutil.copytree(REPO_ROOT / "content", project / "content")
    if (REPO_ROOT / "templates").is_dir():
        shutil.copytree(REPO_ROOT / "templates", project / "templates")
    target = tmp_path / "www" / "briefing"
    target.mkdir(parents=True)
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}

    def run_deploy(*extra):
        return subprocess.run([sys.executable, "-m", "generator", "deploy", str(project), "--to", str(target),
                               *extra], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    if nginx_binary() is None:
        done = run_deploy()
        assert done.returncode == 0, done.stdout + done.stderr
        assert read_tree(target) == read_tree(project / "site", skip=())
        return
    with start_nginx(target, "/briefing/", workdir=tmp_path / "nginx") as (base_url, _stop):
        done = run_deploy("--base-url", base_url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert read_tree(target) == read_tree(project / "site", skip=())
        result = crawl(base_url)
        assert not result.broken, format_broken(result.broken)
        assert len(result.pages) > 1
