"""The `briefing` command line: parse arguments, run one command, turn errors into messages."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .errors import BriefingError, UsageError
from .urls import clean_base_url


def _project(args) -> Path:
    project = Path(args.project).resolve()
    if not project.is_dir():
        raise UsageError(f"{args.project}: no such project directory")
    if not (project / "content").is_dir():
        raise UsageError(f"{args.project}: no content/ directory here (a project holds content/ and, optionally, templates/)")
    return project


def base_url_option(value: str | None) -> str | None:
    """--base-url, checked like site.yaml's base_url."""
    if value is None:
        return None
    cleaned = clean_base_url(value)
    if cleaned is None:
        raise UsageError(f"--base-url must be a path such as /briefing/ or an http(s) address, not '{value}'")
    return cleaned


def source_date_option(value: str | None) -> datetime | None:
    """SOURCE_DATE_EPOCH (reproducible-builds.org): the build's "generated at" time, in UTC."""
    if value is None or value == "":
        return None
    try:
        seconds = int(value.strip())
        if seconds < 0 or str(seconds) != value.strip():
            raise ValueError
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise UsageError("SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC "
                         f"(such as 1742342400, 19 March 2025), not '{value}'") from None


def _print_diagnostics(diagnostics) -> None:
    for d in diagnostics:
        print(d.format(), file=sys.stderr)


def _summary(diagnostics) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts)


def cmd_check(args) -> int:
    from .pipeline import check

    project = _project(args)
    report = check(project)
    _print_diagnostics(report.sorted())
    if report.failed(strict=args.strict):
        print(f"briefing check: {_summary(report.diagnostics)}", file=sys.stderr)
        return 1
    note = f" ({_summary(report.diagnostics)})" if report.diagnostics else ""
    print(f"briefing check: {project.name}: content is valid{note}")
    return 0


def cmd_build(args) -> int:
    from . import noop  # before the pipeline, which a build with nothing to do never imports

    started = time.perf_counter()
    project = _project(args)
    out = Path(args.out).resolve() if args.out else project / "site"
    base_url, source_date = base_url_option(args.base_url), source_date_option(os.environ.get("SOURCE_DATE_EPOCH"))
    last, inputs = noop.unchanged(project, out, noop.options(base_url, args.strict, source_date))
    if last is not None:
        pages, diagnostics = last.pages, last.diagnostics
    else:
        from .pipeline import build

        result = build(project, out, base_url=base_url, strict=args.strict, source_date=source_date, inputs=inputs)
        pages, diagnostics = result.pages, result.diagnostics
    _print_diagnostics(diagnostics)
    print(f"briefing build: wrote {pages} pages to {out} in {time.perf_counter() - started:.2f} s")
    return 0


def cmd_serve(args) -> int:
    from . import serve

    return serve.run(args, _project(args))


def cmd_deploy(args) -> int:
    from . import deploy

    return deploy.run(args, _project(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefing",
        description="Build a static briefing site (summary, timeline, leaders, topics, articles) from annotated articles.",
    )
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name, help, func):
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("project", nargs="?", default=".", metavar="PROJECT",
                       help="directory holding content/ (and optionally templates/); default: the current one")
        p.add_argument("--debug", action="store_true", help="show a Python traceback on internal errors")
        p.set_defaults(func=func)
        return p

    p = command("check", "Validate the content and report every problem; writes nothing.", cmd_check)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")

    p = command("build", "Build the site (default: PROJECT/site/).", cmd_build)
    p.add_argument("--out", metavar="DIR", help="output directory (default: PROJECT/site)")
    p.add_argument("--base-url", metavar="URL", help="where the site will live, overriding site.yaml's base_url")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")

    p = command("serve", "Preview the site with live reload.", cmd_serve)
    from . import serve

    serve.add_arguments(p)

    p = command("deploy", "Publish the built site to a directory or a git branch.", cmd_deploy)
    from . import deploy

    deploy.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # argparse exits 2 on usage errors, 0 on --help
        return int(exit.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except BriefingError as error:
        _print_diagnostics(error.diagnostics)
        print(f"briefing {args.command}: {error}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        print(f"briefing {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # the machine's, not the content's: a full disk, a folder not writable
        if args.debug:
            raise
        where = f" ({error.filename})" if error.filename else ""
        print(f"briefing {args.command}: {error.strerror or error}{where}; nothing was changed", file=sys.stderr)
        return 1
    except Exception as error:  # an internal error is a bug: say so plainly
        if args.debug:
            raise
        print(f"briefing {args.command}: internal error: {type(error).__name__}: {error} "
              "(run again with --debug for a traceback, and please report it)", file=sys.stderr)
        return 70
