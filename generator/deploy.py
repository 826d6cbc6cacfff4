"""`briefing deploy`: build the site, then publish it to a directory or a git branch.

    briefing deploy PROJECT --to /var/www/briefing
    briefing deploy PROJECT --git-branch gh-pages --push

The work itself lives in publish_dir (exact, atomic copies into a directory)
and publish_git (a commit of the site as a branch's whole tree).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import BriefingError, ContentError, Report, UsageError


def add_arguments(parser) -> None:
    where = parser.add_argument_group("where to publish (one is required)")
    target = where.add_mutually_exclusive_group()
    target.add_argument("--to", metavar="DIR",
                        help="make DIR an exact copy of the site (each file replaced atomically)")
    target.add_argument("--git-branch", metavar="BRANCH",
                        help="commit the site as the whole tree of BRANCH, e.g. gh-pages")

    git = parser.add_argument_group("with --git-branch")
    git.add_argument("--repo", metavar="PATH",
                     help="repository that gets the branch (default: the one holding PROJECT)")
    git.add_argument("--remote", metavar="NAME", default=None, help="remote to push to (default: origin)")
    git.add_argument("--push", action="store_true", help="push the branch to the remote after committing")
    git.add_argument("--message", metavar="MSG", help="commit message (default: names the source commit)")

    build = parser.add_argument_group("building")
    build.add_argument("--no-build", action="store_true",
                       help="publish PROJECT/site as it is instead of building it first")
    build.add_argument("--base-url", metavar="URL",
                       help="where the site will live, overriding site.yaml's base_url")
    build.add_argument("--strict", action="store_true", help="treat build warnings as errors")

    parser.add_argument("--force", action="store_true",
                        help="with --to: take over a non-empty directory no briefing deploy wrote; "
                             "with --push: overwrite the remote branch even if it has other commits")


def _site_cname(project: Path) -> str | None:
    """The custom domain for GitHub Pages' CNAME file: `cname` in content/site.yaml, if any. Read and
    checked as a build does (settings.parse_site), so a bad one is named with its line before anything
    is built or published."""
    from .settings import parse_site  # here: `briefing build` imports this module for its arguments alone
    from .sources import read_site_file

    report = Report()
    settings = parse_site(read_site_file(project, report), report)
    if report.failed():
        raise ContentError(f"{report.errors[0].path} has errors; fix them before deploying", report.sorted())
    return dict(settings.extras).get("cname") if settings else None


def _check_usage(args) -> None:
    if not args.to and not args.git_branch:
        raise UsageError("say where to publish: --to DIR (a directory a web server serves, "
                         "e.g. /var/www/briefing) or --git-branch BRANCH (e.g. gh-pages, "
                         "add --push to publish it)")
    if args.to:
        given = [flag for flag, value in (("--repo", args.repo), ("--remote", args.remote),
                                          ("--push", args.push), ("--message", args.message)) if value]
        if given:
            raise UsageError(f"{', '.join(given)} only go{'es' if len(given) == 1 else ''} "
                             "with --git-branch, not with --to")
    if args.no_build and (args.base_url or args.strict):
        raise UsageError("--base-url and --strict are build options; they do nothing with --no-build")


def _check_site(site: Path, built: bool) -> None:
    again = "" if built else "; run `briefing build` first, or deploy without --no-build"
    if not site.is_dir():
        raise BriefingError(f"there is no built site at {site}{again}")
    if not any(p.is_file() for p in site.rglob("*")):
        raise BriefingError(f"the built site at {site} is empty{again}")


def run(args, project: Path) -> int:
    from . import publish_dir, publish_git

    _check_usage(args)
    project = project.resolve()
    site = project / "site"

    if args.to:
        target = Path(args.to).expanduser().resolve()
        # Refuse a dangerous target before building anything.
        publish_dir.check_target(target, project, site, force=args.force)
    else:
        repo = Path(args.repo).expanduser().resolve() if args.repo else publish_git.find_repo(project)
        publish_git.check_repo(repo)
        cname = _site_cname(project)

    if not args.no_build:
        from .cli import base_url_option, source_date_option
        from .pipeline import build

        result = build(project, site, base_url=base_url_option(args.base_url), strict=args.strict,
                       source_date=source_date_option(os.environ.get("SOURCE_DATE_EPOCH")))
        for diagnostic in result.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        print(f"briefing deploy: built {result.pages} pages in {result.seconds:.2f} s")
    _check_site(site, built=not args.no_build)

    if args.to:
        done = publish_dir.publish_dir(site, target, project=project, force=args.force)
        print(f"briefing deploy: {target}: {done.summary()}")
        return 0

    extra = {".nojekyll": b""}
    if cname:
        extra["CNAME"] = f"{cname}\n".encode()
    message = args.message
    if not message:
        source = publish_git.describe_source(project)
        message = f"Deploy {project.name}" + (f" from {source}" if source else "") + "\n\nPublished by briefing deploy.\n"
    remote = args.remote or "origin"
    done = publish_git.publish_branch(site, repo=repo, branch=args.git_branch, message=message,
                                      extra=extra, remote=remote, push=args.push, force=args.force)
    if done.committed:
        print(f"briefing deploy: committed {done.commit[:12]} to {done.branch} ({done.files} files)")
    else:
        print(f"briefing deploy: {done.branch} already holds this site ({done.commit[:12]}); nothing to commit")
    if done.pushed_to:
        print(f"briefing deploy: pushed {done.branch} to {done.pushed_to}")
    elif not args.push:
        print(f"briefing deploy: not pushed; run again with --push, or: git push {remote} {done.branch}")
    return 0
