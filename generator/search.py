"""Search: index the finished site with Pagefind (being written)."""

from __future__ import annotations

from pathlib import Path


def index_site(site_dir: Path, briefing) -> None:
    return None
