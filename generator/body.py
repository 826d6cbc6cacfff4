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
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

import markdown
from markdown.treeprocessors import Treeprocessor

from .model import Paragraph
from .text import MentionFinder, find_phrase, phrase_pattern

# Elements whose text is one paragraph for anchors; a block holding another
# of these (a list item with paragraphs inside) is not one itself.
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "th", "pre", "figcaption"}
_NO_LINKS = {"a", "code", "pre"}
_PLACEHOLDER = re.compile("\x02wzxhzdk:(\\d+)\x03")


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


class _Annotator(Treeprocessor):
    def __init__(self, md, finder: MentionFinder | None, leader_href, quotes: list[QuoteMark], result: RenderedBody):
        super().__init__(md)
        self.finder, self.leader_href, self.quotes, self.result = finder, leader_href, quotes, result

    def run(self, root):
        stash = self.md.htmlStash.rawHtmlBlocks
        pending = list(self.quotes)
        for element in root.iter():
            if element.tag not in _BLOCKS or any(child.tag in _BLOCKS for child in element.iter() if child is not element):
                continue
            pid = f"p{len(self.result.paragraphs) + 1}"
            element.set("id", pid)
            text = _PLACEHOLDER.sub(lambda m: html.unescape(str(stash[int(m.group(1))])), "".join(element.itertext()))
            self.result.paragraphs.append(Paragraph(pid, text))
            for quote in list(pending):
                if self._mark_quote(element, quote):
                    self.result.quote_paragraphs[quote.element_id] = pid
                    pending.remove(quote)
            if self.finder is not None and element.tag != "pre":
                self._link_mentions(element)

    def _mark_quote(self, block, quote: QuoteMark) -> bool:
        pattern = phrase_pattern(quote.text)
        if pattern is None:
            return False
        for parent, holder, slot, text in _text_slots(block):
            span = find_phrase(pattern, text)
            if span is None:
                continue
            mark = etree.Element("a", {"class": "quote", "id": quote.element_id, "href": quote.speaker_href,
                                       "title": f"Quote: {quote.speaker_name}"})
            mark.text = text[span[0]:span[1]]
            _replace_slot(parent, holder, slot, text[: span[0]], [(mark, text[span[1]:])])
            return True
        # The words cross inline markup: the quote still belongs to this paragraph.
        return find_phrase(pattern, "".join(block.itertext())) is not None

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
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    if not allow_raw_html:
        # Raw HTML in a body is shown as text, never passed through.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_Annotator(md, finder, leader_href, list(quotes), result), "briefing", 0.5)
    result.html = md.convert(text)
    return result


def render_inline(text: str) -> str:
    """Render a short Markdown item (a key point) as inline HTML, without the <p>."""
    md = markdown.Markdown(output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    out = md.convert(text)
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out
