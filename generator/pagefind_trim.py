"""What Pagefind is given of a page: the page with the content of the elements it is told to ignore
left out.

Pagefind reads every page whole and then drops what is marked `data-pagefind-ignore`. A leader's or
a topic's page is mostly such lists (each event, quote and article they show is indexed on its own):
at 10,000 articles the 48 pages are 156 MB, and 20 MB without those lists. Their bundle is made
from copies written without them, and Pagefind makes the same bytes from the copies in a third of
the time (tests/test_pagefind_trim.py compares the two).

A content is left out only where that cannot change what Pagefind makes of the page, and the page is
otherwise given as it is:

* the element is one whose end tag HTML never implies (a <p> or an <li> may end unwritten, so the
  end tag counted might be another's), and its start tag holds the attribute plainly;
* what it holds has no other data-pagefind attribute (filters and metadata inside an ignored
  element still count, unless it says "all") and nothing in which a tag is only text (a comment, a
  script): its end is found by counting the start and end tags of its name.

The element itself stays, emptied, so that Pagefind sees the same boundaries between words.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

_IGNORE = b"data-pagefind-ignore"
_CONTAINERS = (b"div", b"section", b"aside", b"nav", b"ul", b"ol", b"dl", b"details", b"figure", b"header",
               b"footer", b"article", b"blockquote", b"table", b"form", b"fieldset")
_TAGS_OF = {name: re.compile(rb"<(/?)" + name + rb"(?=[\s/>])", re.I) for name in _CONTAINERS}
_START_TAG = re.compile(rb"<([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_IGNORE_ATTRIBUTE = re.compile(
    rb"""(?:^|\s)data-pagefind-ignore(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?(?=[\s/]|$)""")
_TEXT_ONLY = re.compile(rb"<!--|<!\[CDATA\[|<(?:script|style|textarea|template|title|xmp|plaintext|noscript|"
                        rb"iframe|noembed|noframes)(?=[\s/>])", re.I)
_STILL_READ = re.compile(rb"data-pagefind-(?!ignore|weight)")


def without_ignored(page: bytes) -> bytes:
    """The page with the content of every element Pagefind ignores whole left out (see the module)."""
    kept = []
    done = 0  # page[:done] is decided
    at = page.find(_IGNORE)
    while at >= 0:
        content = _ignored_content(page, at)
        if content is None:
            at = page.find(_IGNORE, at + len(_IGNORE))
            continue
        start, end = content
        kept.append(page[done:start])
        done = end
        at = page.find(_IGNORE, end)
    kept.append(page[done:])
    return b"".join(kept)


def _ignored_content(page: bytes, at: int) -> tuple[int, int] | None:
    """Where the content of the element whose start tag holds the attribute at `at` begins and ends,
    when Pagefind ignores all of it; None otherwise."""
    tag = _START_TAG.match(page, page.rfind(b"<", 0, at))
    if tag is None or tag.end() <= at:
        return None
    name, attributes = tag[1].lower(), tag[2] or b""
    if name not in _TAGS_OF or attributes.count(b'"') % 2 or attributes.count(b"'") % 2:
        return None
    attribute = _IGNORE_ATTRIBUTE.search(attributes)
    if attribute is None:
        return None
    value = next((group for group in attribute.groups() if group is not None), b"").lower()
    if value not in (b"", b"index", b"all"):
        return None
    depth = 1
    for mark in _TAGS_OF[name].finditer(page, tag.end()):
        depth += -1 if mark[1] else 1
        if depth == 0:
            content = page[tag.end():mark.start()]
            if _TEXT_ONLY.search(content) or (value != b"all" and _STILL_READ.search(content)):
                return None
            return tag.end(), mark.start()
    return None


def write_trimmed(site_dir: Path, pages: list[str], into: Path) -> None:
    """Write each of the site's `pages` (site paths) into `into`, at the same path, without what
    Pagefind ignores."""
    for page in pages:
        target = into / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(without_ignored((site_dir / page).read_bytes()))


def keep_trimmed(site_dir: Path, pages: dict[str, bytes], folder: Path) -> None:
    """Make `folder` hold each of the site's `pages` (site path -> its search.searched_digest) as
    write_trimmed writes it, and nothing else. A page whose digest is the one its copy there was made
    from is not trimmed again: an edit changes one or two of the 48 pages (trimming them all took
    ~0.9 s at 10,000 articles). A copy stands for its page as far as Pagefind goes, which is what the
    digest says and what the search index's bundle keys already rest on."""
    stamp = folder / _DIGESTS
    try:
        had = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        had = {}
    folder.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)  # while the copies change, nothing vouches for them
    wanted = {page: digest.hex() for page, digest in pages.items()}
    for root, _, names in os.walk(folder, topdown=False):
        for name in names:
            page = Path(root, name).relative_to(folder).as_posix()
            if page != _DIGESTS and page not in wanted:
                os.unlink(os.path.join(root, name))
        if root != str(folder) and not os.listdir(root):
            os.rmdir(root)
    for page, digest in wanted.items():
        if had.get(page) != digest or not (folder / page).is_file():
            write_trimmed(site_dir, [page], folder)
    stamp.write_text(json.dumps(wanted, sort_keys=True), encoding="utf-8")


_DIGESTS = "digests.json"
