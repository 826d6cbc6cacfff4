"""Matching words against an article's text: anchors, quotes and leader mentions.

Anchors and quotes are matched the way a reader would compare them: after NFC,
ignoring case, white space, the kind of quote mark, dash and ellipsis, and only
at word boundaries. Mentions are stricter (case-sensitive whole words), per the
contract, so "Trump" is found but "trumpet" is not.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_QUOTES = "'\"‘’“”«»‚„‹›`´"
_DASHES = "-–—‒―−"
# Every character str.isspace() (and the regular expression \s) accepts.
_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_FOLD_TABLE = str.maketrans({**{c: "'" for c in _QUOTES}, **{c: "-" for c in _DASHES}, **{c: " " for c in _WHITESPACE}})
_IRREGULAR = re.compile(r"\s{2,}|--|\.\.\.")  # where one folded character stands for several
_SLOW_FOLD = re.compile("[\u0130\u03a3]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> tuple[str, list[int]]:
    """The comparison form of `text`, and for each of its characters the index it came from."""
    return _fold(text)


# fold() is asked for the same paragraph many times while one article is parsed (once per quote and
# anchor); results are never modified by callers, so recent ones are kept.
@lru_cache(maxsize=512)
def _fold(text: str) -> tuple[str, list[int]]:
    """fold() with C-speed string operations: translate quotes, dashes and white space, lower-case the
    whole text, and walk only the places where the length changes (runs of white space, '--', '...')."""
    if _SLOW_FOLD.search(text):  # 'İ' lower-cases to two characters, 'Σ' by its context: per character
        return _fold_slow(text)
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    if start >= end:
        return "", []
    pieces: list[str] = []
    where: list[int] = []
    cursor = start
    for match in _IRREGULAR.finditer(text, start, end):
        at = match.start()
        if at > cursor:
            pieces.append(text[cursor:at])
            where.extend(range(cursor, at))
        first = text[at]
        if first == "-":  # '--': one dash, standing where the second one was
            pieces.append("-")
            where.append(at + 1)
        elif first == ".":  # '...': one ellipsis, standing where the last dot was
            pieces.append("…")
            where.append(at + 2)
        else:  # a run of white space: one space, standing where the run began
            pieces.append(" ")
            where.append(at)
        cursor = match.end()
    pieces.append(text[cursor:end])
    where.extend(range(cursor, end))
    return "".join(pieces).translate(_FOLD_TABLE).lower(), where


@lru_cache(maxsize=512)
def folded(text: str) -> str:
    """fold(text)'s comparison form alone. Most texts folded are searched and not found (each
    paragraph, for each quote of its article), and for those the map back to `text`'s indices and
    the scan for runs to shorten were most of the cost: the white space is translated first and its
    runs then found with `in`, and the text folded like any other only where '--' or '...' stands."""
    if _SLOW_FOLD.search(text):
        return _fold_slow(text)[0]
    text = text.strip()
    if "--" in text or "..." in text:
        return _fold(text)[0]
    # str.translate is quick on ASCII text; on other text it looks each character up in a dict.
    text = text.translate(_FOLD_TABLE) if text.isascii() else _FOLDED_CHAR.sub(_folded_char, text)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return text.lower()


_FOLDED = {chr(code): to for code, to in _FOLD_TABLE.items() if chr(code) != to}
_FOLDED_CHAR = re.compile("[" + "".join(map(re.escape, _FOLDED)) + "]")
_SPACES = re.compile(" {2,}")


def _folded_char(match: re.Match) -> str:
    return _FOLDED[match.group()]


def _fold_slow(text: str) -> tuple[str, list[int]]:
    """fold(), one character at a time: the definition, and the path for the rare texts the fast one cannot take."""
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


def phrase_pattern(phrase: str, quoted: bool = False) -> Phrase | None:
    """A pattern finding `phrase` in folded text, at word boundaries; None for an empty phrase.

    With `quoted`, only where the phrase stands inside quote marks, as a quotation does.
    """
    words = folded(nfc(phrase).strip())
    if not words:
        return None
    if quoted:
        return Phrase(words, quoted=True)
    return Phrase(words, left=_is_word(words[0]), right=_is_word(words[-1]))


def _is_word(ch: str) -> bool:
    """What the regular expression \\w matches in a str pattern."""
    return ch.isalnum() or ch == "_"


class Phrase:
    """A literal phrase in folded text, with the conditions around it that make a match.

    It answers search() like the compiled regular expression it stands for
    (`(?<!\\w)phrase(?!\\w)` with each boundary where the phrase begins or ends
    with a word character; `(?<=')phrase(?=[.,;:!?…]?')` for a quotation) and is
    found with str.find: compiling one regular expression per anchor costs more
    than all the searches made with it.
    """

    __slots__ = ("text", "quoted", "left", "right")

    def __init__(self, text: str, quoted: bool = False, left: bool = False, right: bool = False):
        self.text, self.quoted, self.left, self.right = text, quoted, left, right

    def search(self, text: str) -> _Found | None:
        size, at = len(self.text), text.find(self.text)
        while at >= 0:
            end = at + size
            if self.quoted:
                ok = at > 0 and text[at - 1] == "'" and (
                    text[end:end + 1] == "'" or (text[end:end + 1] in _CLOSING and text[end + 1:end + 2] == "'"))
            else:
                ok = not (self.left and at > 0 and _is_word(text[at - 1])) and \
                    not (self.right and end < len(text) and _is_word(text[end]))
            if ok:
                return _Found(at, end)
            at = text.find(self.text, at + 1)
        return None


_CLOSING = frozenset(".,;:!?…")


class _Found:
    __slots__ = ("_start", "_end")

    def __init__(self, start: int, end: int):
        self._start, self._end = start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


def find_phrase(pattern: Phrase, text: str) -> tuple[int, int] | None:
    """The span of the first match of `pattern` in `text`, in `text`'s own indices."""
    match = pattern.search(folded(text))  # folded(text) is fold(text)'s text: the match stands there too
    if not match:
        return None
    where = fold(text)[1]
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
        self.pattern = _names_pattern(self.names) if self.names else None

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


def _names_pattern(names) -> re.Pattern:
    """Any of `names` as a whole word, the longest where several match ("Volodymyr Zelensky", not
    "Volodymyr"): the names as a trie, each optional continuation greedy, so the regular expression
    tries one branch per character rather than every name at every position (2-3x faster), and
    starting with the class of their first characters, which the engine skips ahead by."""
    trie: dict = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branch(node: dict) -> str:
        ways = [re.escape(ch) + branch(child) for ch, child in sorted(node.items()) if ch]
        if not ways:
            return ""
        either = ways[0] if len(ways) == 1 else "(?:" + "|".join(ways) + ")"
        if "" in node:  # a name ends here: a longer one is tried first
            return (either if len(ways) > 1 else "(?:" + either + ")") + "?"
        return either

    first = "".join(sorted({re.escape(name[0]) for name in names}))
    return re.compile(r"(?=[" + first + r"])(?<!\w)" + branch(trie) + r"(?!\w)")
