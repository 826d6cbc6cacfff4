"""Matching words against an article's text: anchors, quotes and leader mentions.

Anchors and quotes are matched the way a reader would compare them: after NFC,
ignoring case, white space, the kind of quote mark, dash and ellipsis, and only
at word boundaries. Mentions are stricter (case-sensitive whole words), per the
contract, so "Trump" is found but "trumpet" is not.
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = "'\"‘’“”«»‚„‹›`´"
_DASHES = "-–—‒―−"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> tuple[str, list[int]]:
    """The comparison form of `text`, and for each of its characters the index it came from."""
    out: list[str] = []
    where: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            if out and out[-1] != " ":
                out.append(" ")
                where.append(i)
            i = j
            continue
        if ch in _QUOTES:
            out.append("'")
        elif ch in _DASHES:
            out.append("-")
            if text.startswith("--", i):
                i += 1
        elif ch == "…" or text.startswith("...", i):
            out.append("…")
            if ch == ".":
                i += 2
        else:
            lowered = ch.lower()
            out.extend(lowered)
            where.extend([i] * (len(lowered) - 1))
        where.append(i)
        i += 1
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def phrase_pattern(phrase: str, quoted: bool = False) -> re.Pattern | None:
    """A pattern finding `phrase` in folded text, at word boundaries; None for an empty phrase.

    With `quoted`, only where the phrase stands inside quote marks, as a quotation does.
    """
    folded, _ = fold(nfc(phrase).strip())
    if not folded:
        return None
    if quoted:
        return re.compile(r"(?<=')" + re.escape(folded) + r"(?=[.,;:!?…]?')")
    left = r"(?<!\w)" if re.match(r"\w", folded) else ""
    right = r"(?!\w)" if re.search(r"\w$", folded) else ""
    return re.compile(left + re.escape(folded) + right)


def find_phrase(pattern: re.Pattern, text: str) -> tuple[int, int] | None:
    """The span of the first match of `pattern` in `text`, in `text`'s own indices."""
    folded, where = fold(text)
    match = pattern.search(folded)
    if not match:
        return None
    start = where[match.start()]
    last = where[match.end() - 1]
    end = last + 1
    # A folded '…' or '-' may stand for several source characters ('...', '--').
    if text.startswith("...", last):
        end = last + 3
    elif text.startswith("--", last):
        end = last + 2
    return start, end


class MentionFinder:
    """Finds leaders' names and aliases as case-sensitive whole words."""

    def __init__(self, names: dict[str, str]):
        """`names` maps each spelling to its leader id."""
        self.names = {nfc(name): leader for name, leader in names.items() if name.strip()}
        ordered = sorted(self.names, key=lambda n: (-len(n), n))  # longest first: "Volodymyr Zelensky" before "Zelensky"
        self.pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in ordered) + r")(?!\w)") if ordered else None
        )

    def finditer(self, text: str):
        """Yield (start, end, leader id) for each mention in `text`."""
        if self.pattern is None:
            return
        for match in self.pattern.finditer(text):
            yield match.start(), match.end(), self.names[match.group()]

    def leaders_in(self, text: str) -> list[str]:
        """Leader ids mentioned in `text`, in order of first mention."""
        seen: dict[str, None] = {}
        for _, _, leader in self.finditer(text):
            seen.setdefault(leader, None)
        return list(seen)
