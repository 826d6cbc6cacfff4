"""Plan the site: which pages exist, at which path, from which template, showing what."""

from __future__ import annotations

from .model import Briefing
from .render import Page


def plan_pages(briefing: Briefing):
    yield Page("", "summary.html", {"briefing": briefing})
