"""An article's Markdown body: HTML with an id on every paragraph, mentions linked, quotes marked.

One pass of Python-Markdown does it all. A tree processor, run after inline
markup is resolved, numbers the paragraphs ("p1", "p2", … in reading order,
so a link to a paragraph survives a rebuild), records each paragraph's plain
text for anchors, wraps each annotated quote where it stands and links the
first mention of each leader in each paragraph.
"""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

import markdown
import nh3
from markdown.treeprocessors import InlineProcessor, Treeprocessor

from .model import Paragraph
from .text import MentionFinder, find_phrase, phrase_pattern

# Elements whose text is one paragraph for anchors; a block holding another
# of these (a list item with paragraphs inside) is not one itself.
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "th", "pre", "figcaption"}
_NO_LINKS = {"a", "code", "pre"}
_PLACEHOLDER = re.compile("\x02wzxhzdk:(\\d+)\x03")
# What survives in a body: Markdown's own output plus our ids and classes; links only to the web and mail.
_ATTRIBUTES = {"*": {"id", "class", "title", "lang", "dir"}, "a": {"href"}, "img": {"src", "alt"},
               "ol": {"start"}, "blockquote": {"cite"}, "td": {"align"}, "th": {"align"}}
_URL_SCHEMES = {"http", "https", "mailto"}
# A key point of words, spaces and plain punctuation, starting with a letter, is its own HTML:
# nothing in it is Markdown, nothing needs escaping. Most key points are; converting each one took
# ~3% of a cold build.
_PLAIN = re.compile(r"[^\W\d_](?:[^\W_]|[ ,.;:'’‘“”()?!%–—/-])*")
# What every inline pattern of Python-Markdown needs to match: a code span, an escape, a link or an
# image, an autolink or inline HTML, an entity, emphasis, a hard line break (see _PlainInline).
_INLINE_MARKUP = re.compile(r"[`\\\[<&*_]|  \n")


@dataclass(frozen=True)
class QuoteMark:
    """Where to mark a quote: its words, and what the mark links to."""

    text: str
    element_id: str
    speaker_href: str
    speaker_name: str


@dataclass
class RenderedBody:
    html: str
    paragraphs: list[Paragraph]
    quote_paragraphs: dict[str, str] = field(default_factory=dict)  # quote element id -> paragraph id


class _PlainInline(InlineProcessor):
    """Markdown's inline step, which gives back a text holding none of what an inline pattern matches
    (_INLINE_MARKUP) as it is rather than try each of its 14 patterns on it: most of a body's
    paragraphs, and a third of the time Markdown spent on a body. A property test compares it with
    the stock step (tests/test_model.py)."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if not _INLINE_MARKUP.search(data):
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)


def plain_inline(md: markdown.Markdown) -> markdown.Markdown:
    """`md` with its inline step replaced by _PlainInline (at the stock step's place and priority)."""
    md.treeprocessors.register(_PlainInline(md), "inline", 20)
    return md


class _Annotator(Treeprocessor):
    def __init__(self, md, finder: MentionFinder | None, leader_href, quotes: list[QuoteMark], result: RenderedBody,
                 allow_raw_html: bool):
        super().__init__(md)
        self.finder, self.leader_href, self.quotes, self.result = finder, leader_href, quotes, result
        self.allow_raw_html = allow_raw_html

    def run(self, root):
        stash = self.md.htmlStash.rawHtmlBlocks
        for i, raw in enumerate(stash):
            if not self.allow_raw_html and str(raw).lstrip().startswith("<"):
                stash[i] = ""  # raw HTML is removed unless site.yaml trusts the authors with it
        for child in list(root):  # and so are the paragraphs that held only removed HTML blocks
            held = _PLACEHOLDER.fullmatch((child.text or "").strip()) if child.tag == "p" and len(child) == 0 else None
            if held and stash[int(held.group(1))] == "":
                root.remove(child)
        _unlink_remote_images(root)
        blocks = []
        for element in root.iter():
            if element.tag not in _BLOCKS or any(child.tag in _BLOCKS for child in element.iter() if child is not element):
                continue
            if len(element) == 0 and _PLACEHOLDER.fullmatch((element.text or "").strip()):
                continue  # a raw HTML block, which Markdown puts back (or we removed) after this step
            pid = f"p{len(blocks) + 1}"
            element.set("id", pid)
            text = _PLACEHOLDER.sub(lambda m: _words_of(str(stash[int(m.group(1))])), "".join(element.itertext()))
            self.result.paragraphs.append(Paragraph(pid, text))
            blocks.append(element)
        for quote in self.quotes:
            self._place_quote(blocks, quote)
        if self.finder is not None:
            for block in blocks:
                if block.tag != "pre":
                    self._link_mentions(block)

    def _place_quote(self, blocks, quote: QuoteMark) -> None:
        """Mark the quote where it stands in quote marks; failing that, where its words first stand."""
        for pattern in (phrase_pattern(quote.text, quoted=True), phrase_pattern(quote.text)):
            if pattern is None:
                return
            for block, paragraph in zip(blocks, self.result.paragraphs):
                if find_phrase(pattern, paragraph.text) is None:
                    continue
                self.result.quote_paragraphs[quote.element_id] = paragraph.id
                for parent, holder, slot, text in _text_slots(block):
                    span = find_phrase(pattern, text)
                    if span is not None:
                        mark = etree.Element("a", {"class": "quote", "id": quote.element_id, "href": quote.speaker_href,
                                                   "title": f"Quote: {quote.speaker_name}"})
                        mark.text = text[span[0]:span[1]]
                        _replace_slot(parent, holder, slot, text[: span[0]], [(mark, text[span[1]:])])
                        break
                # Words that cross inline markup still belong to this paragraph, unmarked.
                return

    def _link_mentions(self, block) -> None:
        linked: set[str] = set()
        for parent, holder, slot, text in _text_slots(block):
            pieces, cursor, before = [], 0, None
            for start, end, leader in self.finder.finditer(text):
                if leader in linked:
                    continue
                linked.add(leader)
                link = etree.Element("a", {"class": "mention", "href": self.leader_href(leader)})
                link.text = text[start:end]
                if before is None:
                    before = text[:start]
                else:
                    pieces[-1] = (pieces[-1][0], text[cursor:start])
                pieces.append((link, text[end:]))
                cursor = end
            if pieces:
                _replace_slot(parent, holder, slot, before, pieces)


def _words_of(raw: str) -> str:
    """What a stashed piece of raw HTML adds to a paragraph's words: an entity its character, a tag nothing."""
    return "" if raw.lstrip().startswith("<") else html.unescape(raw)


def _unlink_remote_images(root) -> None:
    """An image from another host becomes a link to it: nothing on a page loads from elsewhere."""
    for parent in root.iter():
        for index, child in enumerate(list(parent)):
            src = child.get("src", "") if child.tag == "img" else ""
            if "://" in src or src.startswith("//"):
                link = etree.Element("a", {"href": src})
                link.text = child.get("alt") or "image"
                link.tail = child.tail
                parent.remove(child)
                parent.insert(index, link)


def _text_slots(block):
    """(parent, element, 'text' | 'tail', text) for each run of text in `block`, in reading order, outside links and code.

    For a tail, `parent` is the element holding `element`: ElementTree has no parent pointers.
    """
    slots = []

    def walk(element):
        if element.text and element.tag not in _NO_LINKS:
            slots.append((None, element, "text", element.text))
        for child in element:
            if child.tag not in _NO_LINKS:
                walk(child)
            if child.tail:
                slots.append((element, child, "tail", child.tail))

    walk(block)
    return slots


def _replace_slot(parent, holder, slot, before: str, pieces) -> None:
    """Put `before` back where the text was, followed by each (element, text after it)."""
    if slot == "text":
        holder.text = before
        parent, index = holder, 0
    else:
        holder.tail = before
        index = list(parent).index(holder) + 1
    for offset, (element, after) in enumerate(pieces):
        element.tail = after
        parent.insert(index + offset, element)


def render_body(text: str, *, finder: MentionFinder | None = None, leader_href=None,
                quotes: list[QuoteMark] = (), allow_raw_html: bool = False) -> RenderedBody:
    """Render one article body; see the module's docstring."""
    result = RenderedBody(html="", paragraphs=[])
    md = _markdown("body")
    annotator = md.treeprocessors["briefing"]
    annotator.finder, annotator.leader_href, annotator.quotes = finder, leader_href, list(quotes)
    annotator.result, annotator.allow_raw_html = result, allow_raw_html
    try:
        result.html = sanitize(md.convert(text))
    finally:
        md.reset()
        annotator.finder = annotator.leader_href = annotator.result = None
    return result


# Making a Markdown instance costs more than converting a short text with it, so each thread keeps
# one of each kind and resets it after every use (which is what Python-Markdown's reset() is for).
_instances = threading.local()


def _markdown(kind: str) -> markdown.Markdown:
    md = getattr(_instances, kind, None)
    if md is None:
        if kind == "body":
            md = plain_inline(markdown.Markdown(extensions=["sane_lists"], output_format="html"))
            md.treeprocessors.register(_Annotator(md, None, None, [], None, False), "briefing", 0.5)
        else:
            md = plain_inline(markdown.Markdown(output_format="html"))
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")
        setattr(_instances, kind, md)
    return md


def sanitize(fragment: str) -> str:
    """The last word on what a body may hold, whatever Markdown or an author's raw HTML produced."""
    return nh3.clean(fragment, attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES, link_rel=None, strip_comments=True)


def render_inline(text: str) -> str:
    """Render a short Markdown item (a key point) as inline HTML, without the <p>."""
    if _PLAIN.fullmatch(text):
        return text
    return _markdown_inline(text)


def _markdown_inline(text: str) -> str:
    md = _markdown("inline")
    try:
        out = sanitize(md.convert(text))
    finally:
        md.reset()
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out
