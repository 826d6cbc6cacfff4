"""The build, top to bottom: load files → parse and validate → model → plan pages → render → write.

`check` stops after the model; `build` goes all the way. Nothing is written
unless every stage before succeeded, and then atomically.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .assemble import assemble
from .errors import ContentError, Diagnostic, Report
from .exports import DATA_PATH, ROBOTS_PATH, SITE_FEED_PATH, SITEMAP_PATH, briefing_json, robots, sitemap
from .feeds import leader_feed, site_feed
from .model import Briefing
from .pages import plan_pages
from .render import Renderer
from .search import index_site
from .sources import load_content
from .urls import leader_feed_path
from .write import SiteWriter


@dataclass(frozen=True)
class BuildResult:
    pages: int
    seconds: float
    diagnostics: list[Diagnostic]


def check(project: Path) -> Report:
    """Validate the content tree; the report holds every problem found."""
    report = Report()
    assemble(load_content(project, report), report)
    return report


def load_briefing(project: Path, strict: bool = False, base_url: str | None = None) -> tuple[Briefing, Report]:
    """The validated model, or ContentError naming every problem."""
    report = Report()
    briefing = assemble(load_content(project, report), report)
    if briefing is None or report.failed(strict):
        problems = report.sorted()
        raise ContentError(_failure_summary(report, strict), problems)
    if base_url is not None:
        briefing = dataclasses.replace(briefing, base_url=_normalise_base_url(base_url))
    return briefing, report


def render_site(project: Path, briefing: Briefing) -> Iterator[tuple[str, bytes]]:
    """Every file of the site as (path, bytes), one at a time, so no build holds all its pages at once."""
    renderer = Renderer(project, briefing.base_url)
    yield from renderer.asset_files()
    pages = []
    for page in plan_pages(briefing):
        pages.append(page.path)
        yield page.output, renderer.render(page)
    yield SITE_FEED_PATH, site_feed(briefing)
    for leader in briefing.leaders:
        yield leader_feed_path(leader.id), leader_feed(briefing, leader)
    yield DATA_PATH, briefing_json(briefing)
    yield SITEMAP_PATH, sitemap(briefing, [p for p in pages if not p.endswith(".html")])
    yield ROBOTS_PATH, robots(briefing)


def build(project: Path, out: Path, base_url: str | None = None, strict: bool = False) -> BuildResult:
    started = time.perf_counter()
    briefing, report = load_briefing(project, strict, base_url)
    writer = SiteWriter(out)
    pages = 0
    try:
        for path, data in render_site(project, briefing):
            writer.write(path, data)
            pages += path.endswith(".html")
        index_site(writer.staging, briefing)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return BuildResult(pages, time.perf_counter() - started, report.sorted())


def _failure_summary(report: Report, strict: bool) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    if errors:
        return f"{errors} error{'s' if errors != 1 else ''} in the content; nothing was written"
    if warnings and strict:
        return f"{warnings} warning{'s' if warnings != 1 else ''} (errors under --strict); nothing was written"
    return "the content could not be read; nothing was written"


def _normalise_base_url(value: str) -> str:
    value = value.strip() or "/"
    return value if value.endswith("/") else value + "/"
