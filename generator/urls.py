"""Where each page lives in the site, and links between pages that work on any host.

Every link between pages is relative (`../../leaders/vladimir-putin/`), so the
same build works at a domain root, under a sub-path and opened from disk.
Only absolute URLs (canonical, feeds, sitemap) use the base URL.
"""

from __future__ import annotations

import re

# The search index's folder (Pagefind's bundles, written by search.py): tens of thousands of files
# on a large briefing, which the build takes over whole when no page changed.
SEARCH_INDEX_DIR = "pagefind"


def clean_base_url(value: str) -> str | None:
    """`value` ending in '/', or None when it is neither an http(s) address nor an absolute path."""
    value = value.strip()
    if re.match(r"https?://[^/\s]+(/\S*)?$", value) or re.match(r"/(?!/)\S*$", value) or value == "/":
        return value if value.endswith("/") else value + "/"
    return None


def home_path() -> str:
    return ""


def timeline_path() -> str:
    return "timeline/"


def leaders_path() -> str:
    return "leaders/"


def leader_path(leader_id: str) -> str:
    return f"leaders/{leader_id}/"


def topics_path() -> str:
    return "topics/"


def topic_path(topic_id: str) -> str:
    return f"topics/{topic_id}/"


def articles_path() -> str:
    return "articles/"


def article_path(slug: str) -> str:
    return f"articles/{slug}/"


def leader_feed_path(leader_id: str) -> str:
    return f"leaders/{leader_id}/feed.xml"


def relative(from_page: str, to: str) -> str:
    """The link from page `from_page` to `to`; both are site paths like 'leaders/x/' ('' is the home page)."""
    return "../" * from_page.count("/") + to or "./"


def file_of(page: str) -> str:
    """The file a page is written to: 'leaders/x/' -> 'leaders/x/index.html'."""
    return page + "index.html" if page.endswith("/") or page == "" else page


def absolute(base_url: str, page: str) -> str:
    return base_url + page
