"""Publish a built site as the whole tree of a git branch (gh-pages style).

Only plumbing is used: blobs are written with `git hash-object -w`, the tree is
assembled in a throw-away index file (GIT_INDEX_FILE in a temporary directory)
and written with `git write-tree`, the commit made with `git commit-tree` on top
of the branch's previous tip, and the branch moved with a compare-and-swap
`git update-ref`. The user's working tree, index, HEAD, current branch and stash
are never read or written.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import BriefingError

DEFAULT_IDENTITY = ("briefing", "briefing@localhost")
_ZERO = "0" * 40

# Variables that would point git at another repository, index or work tree than
# the ones we name; a deploy run from inside a git hook must not inherit them.
_REDIRECTING = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE",
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
)


@dataclass
class GitResult:
    branch: str
    commit: str  # the branch tip after the deploy
    committed: bool  # False when the tree was unchanged
    files: int
    pushed_to: str | None = None


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTING}
    env.update(extra)
    return env


def git(repo: Path, *args: str, input: bytes | None = None, env: dict | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    """Run `git -C repo ARGS`; raise BriefingError with git's own words when it fails."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], input=input, env=env or _env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise BriefingError("git is not installed (or not on PATH)") from None
    if check and done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        raise BriefingError(f"git {args[0]} failed: {said}")
    return done


def _out(repo: Path, *args: str, **kw) -> str:
    return git(repo, *args, **kw).stdout.decode().strip()


def _maybe(repo: Path, *args: str) -> str | None:
    done = git(repo, *args, check=False)
    if done.returncode != 0:
        return None
    return done.stdout.decode().strip() or None


def find_repo(start: Path) -> Path:
    """The top of the git work tree holding `start`."""
    top = _maybe(start, "rev-parse", "--show-toplevel")
    if not top:
        raise BriefingError(f"{start} is not inside a git repository; pass --repo PATH "
                            "to say which repository gets the branch")
    return Path(top)


def check_repo(repo: Path) -> None:
    if not repo.is_dir() or _maybe(repo, "rev-parse", "--git-dir") is None:
        raise BriefingError(f"{repo} is not a git repository")


def describe_source(project: Path) -> str | None:
    """'abc1234 (main)' for the commit the project is at, when it is in a repository."""
    sha = _maybe(project, "rev-parse", "--short", "HEAD")
    if not sha:
        return None
    branch = _maybe(project, "symbolic-ref", "--short", "-q", "HEAD")
    return f"{sha} ({branch})" if branch else sha


def identity(repo: Path) -> tuple[str, str]:
    name = _maybe(repo, "config", "--get", "user.name")
    email = _maybe(repo, "config", "--get", "user.email")
    return (name or DEFAULT_IDENTITY[0], email or DEFAULT_IDENTITY[1])


def _site_files(site: Path) -> list[tuple[str, Path]]:
    files = []
    for directory, dirnames, filenames in os.walk(site):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory, name)
            rel = path.relative_to(site).as_posix()
            if "\n" in rel or "\0" in rel:
                raise BriefingError(f"cannot publish a file whose name holds a line break: {rel!r}")
            if path.is_file():
                files.append((rel, path))
    return files


def _write_tree(repo: Path, site: Path, extra: dict[str, bytes]) -> tuple[str, int]:
    """Store the site's files (plus `extra`, which win) as blobs; return (tree id, file count)."""
    files = [(rel, path) for rel, path in _site_files(site) if rel not in extra]
    entries: list[tuple[str, str, str]] = []  # (mode, blob, path)
    if files:
        # --no-filters: the bytes go in exactly as built, whatever autocrlf or attributes say.
        paths = "".join(f"{path.resolve()}\n" for _, path in files).encode()
        blobs = _out(repo, "hash-object", "-w", "--no-filters", "--stdin-paths", input=paths).split()
        for (rel, path), blob in zip(files, blobs, strict=True):
            mode = "100755" if os.stat(path).st_mode & 0o111 else "100644"
            entries.append((mode, blob, rel))
    for rel, data in extra.items():
        blob = _out(repo, "hash-object", "-w", "--no-filters", "--stdin", input=data)
        entries.append(("100644", blob, rel))
    records = "".join(f"{mode} {blob}\t{rel}\0" for mode, blob, rel in entries).encode()
    with tempfile.TemporaryDirectory(prefix="briefing-deploy-") as tmp:
        env = _env(GIT_INDEX_FILE=str(Path(tmp, "index")))
        git(repo, "update-index", "--add", "-z", "--index-info", input=records, env=env)
        tree = _out(repo, "write-tree", env=env)
    return tree, len(entries)


def _checked_out_in(repo: Path, ref: str) -> str | None:
    """The work tree that has `ref` checked out, if any."""
    listing = _maybe(repo, "worktree", "list", "--porcelain") or ""
    worktree = None
    for line in listing.splitlines():
        if line.startswith("worktree "):
            worktree = line[len("worktree "):]
        elif line == f"branch {ref}":
            return worktree or str(repo)
    return None


def publish_branch(site: Path, *, repo: Path, branch: str, message: str,
                   extra: dict[str, bytes] | None = None, remote: str = "origin",
                   push: bool = False, force: bool = False) -> GitResult:
    """Commit `site` as the whole tree of `branch` in `repo`, on top of its history."""
    check_repo(repo)
    ref = f"refs/heads/{branch}"
    if git(repo, "check-ref-format", ref, check=False).returncode != 0 or branch.startswith("-"):
        raise BriefingError(f"{branch!r} is not a valid branch name")
    where = _checked_out_in(repo, ref)
    if where:
        raise BriefingError(f"branch {branch} is checked out in {where}; deploy would pull the tree "
                            "out from under that checkout. Switch it to another branch first")

    old = _maybe(repo, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
    # A fresh clone (CI) has no local branch yet: continue the remote's history instead.
    parent = old or _maybe(repo, "rev-parse", "--verify", "-q", f"refs/remotes/{remote}/{branch}^{{commit}}")

    tree, count = _write_tree(repo, site, extra or {})
    if parent and _out(repo, "rev-parse", f"{parent}^{{tree}}") == tree:
        commit, committed = parent, False
    else:
        name, email = identity(repo)
        env = _env(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
                   GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
        args = ["commit-tree", tree] + (["-p", parent] if parent else [])
        commit = _out(repo, *args, input=message.encode(), env=env)
        committed = True
    if commit != old:
        # Compare-and-swap: fails instead of clobbering if someone moved the branch meanwhile.
        git(repo, "update-ref", "-m", f"briefing deploy: {message.splitlines()[0]}", ref, commit, old or _ZERO)

    result = GitResult(branch, commit, committed, count)
    if push:
        args = ["push", "--porcelain"] + (["--force"] if force else []) + [remote, f"{ref}:{ref}"]
        done = git(repo, *args, check=False)
        if done.returncode != 0:
            said = (done.stderr + done.stdout).decode(errors="replace").strip()
            hint = ""
            if "rejected" in said or "non-fast-forward" in said or "fetch first" in said:
                hint = (f"\nThe remote's {branch} has commits that the local one lacks. To build on them: "
                        f"git fetch {remote} && git branch -f {branch} {remote}/{branch}, then deploy again; "
                        f"or pass --force to overwrite the remote's {branch} with this one")
            raise BriefingError(f"could not push {branch} to {remote} (the local branch is at "
                                f"{commit[:12]}):\n{said}{hint}")
        result.pushed_to = remote
    return result
