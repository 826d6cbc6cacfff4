"""data/briefing.json, put together from pieces.

exports.briefing_json writes the whole model as indented JSON, which Python's json module does
in pure Python: the slowest file of a large site. Its top-level lists (articles, events, quotes,
stances) hold items that each depend on one object of the model, so the file is put together
from the items' own texts, each made by exports.briefing_data itself (on a briefing holding that
one object) and kept in the build cache under its object's digest. The result is byte for byte
briefing_json's (json.dumps(indent=2) writes an item in a list in a dict as the item's own dump,
each line indented four more spaces); where a placeholder cannot be found exactly once,
briefing_json is used.

An edit changes a few items of ~65,000 (at 10,000 articles): reading every other item's text
from the cache and encoding it again took ~0.9 s of every such build. So each export also stores
its layout (where each item's bytes stand in the file) under the digest of the file's bytes; the
next export, given the previous file and that digest, copies the bytes of every item whose key it
finds there from the previous file, in runs as long as the two files agree, and makes only the
rest.
"""

from __future__ import annotations

import array
import bisect
import dataclasses
import json
import os
from pathlib import Path
from typing import Callable, Iterator

from .cache import BuildCache, digest, value_digest
from .exports import briefing_data, briefing_json
from .model import Article, Briefing

_LISTS = ("articles", "events", "quotes", "stances")


def _item_text(item) -> str:
    """The item as json.dumps(ensure_ascii=False, indent=2) writes it, every line indented four more
    spaces, as it stands in a top-level list of the file. Made by _indented where the item holds
    nothing but what JSON has (json's own indented encoder is pure Python, and twice as slow)."""
    parts = ["    "]
    try:
        _indented(item, "    ", parts.append)
    except TypeError:
        return "\n".join("    " + line for line in json.dumps(item, ensure_ascii=False, indent=2).split("\n"))
    return "".join(parts)


def _indented(value, margin: str, add) -> None:
    kind = type(value)
    if kind is str:
        add(_string(value))
    elif kind is dict:
        if not value:
            add("{}")
            return
        inner, first = margin + "  ", "{\n"
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(key)
            add(first + inner + _string(key) + ": ")
            first = ",\n"
            _indented(item, inner, add)
        add("\n" + margin + "}")
    elif kind is list or kind is tuple:
        if not value:
            add("[]")
            return
        inner, first = margin + "  ", "[\n"
        for item in value:
            add(first + inner)
            first = ",\n"
            _indented(item, inner, add)
        add("\n" + margin + "]")
    elif value is None:
        add("null")
    elif value is True:
        add("true")
    elif value is False:
        add("false")
    elif kind is int:
        add(int.__repr__(value))
    elif kind is float:
        add(json.dumps(value))
    else:
        raise TypeError(kind)


_string = json.encoder.encode_basestring  # json's own (in C), as dumps(ensure_ascii=False) uses it


def article_fragments(article: Article) -> tuple[str, tuple[str, ...]]:
    """The texts of an article's item and of its quotes' items in data/briefing.json."""
    data = briefing_data(dataclasses.replace(_EMPTY, articles=(article,)))
    return _item_text(data["articles"][0]), tuple(_item_text(q) for q in data["quotes"])


def joined_fragments(fragments: tuple[str, tuple[str, ...]]) -> str:
    """An article's item and its quotes' items as one text (JSON text never holds a raw NUL)."""
    item, quotes = fragments
    return "\x00".join((item, *quotes))


# A briefing with nothing in it, to ask briefing_data for the items of a few model objects.
_EMPTY = Briefing(title="", description="", language="en", timezone="UTC", base_url="/", settings=(), topics=(),
                  leaders=(), articles=(), events=(), stances=())


class DataExport:
    """Makes data/briefing.json from cached item texts and the previous file (see above), streamed a
    piece at a time.

    `entries`: this build's parse entries by article slug (article_cache.ParseEntry: its `full` digest,
    and its items' texts when parsed in this build); `event_keys`: each merged event's dependency key;
    `whole`: articles loaded without their body, whole, by slug (article_cache.ArticleCache.whole): an
    item whose text is not stored is made of the whole article."""

    def __init__(self, cache: BuildCache | None, entries: dict, event_keys: dict[str, bytes],
                 whole: Callable[[list[Article]], dict[str, Article]]):
        self.cache, self.entries, self.event_keys, self.whole = cache, entries, event_keys, whole
        self.new: dict[bytes, str] = {}
        self.used: set[bytes] = set()
        self.old = Layout()  # where the previous file holds each item
        self.layout: Layout | None = None  # of the file just made

    def __call__(self, briefing: Briefing, previous: Path | None = None,
                 previous_content: bytes | None = None) -> Iterator[bytes]:
        """The file's bytes; `previous`: the file the last build left, whose bytes' digest
        (render.content_digest) is `previous_content`. Call `written` with the digest of the bytes."""
        runs = _stance_runs(briefing.stances)
        skeleton = briefing_data(dataclasses.replace(briefing, articles=(), events=(), stances=()))
        for name in _LISTS:
            skeleton[name] = f"\x00{name}\x00"
        text = json.dumps(skeleton, ensure_ascii=False, indent=2) + "\n"
        placeholders = {name: json.dumps(f"\x00{name}\x00") for name in _LISTS}
        if runs is None or any(text.count(p) != 1 for p in placeholders.values()):
            whole = self.whole(list(briefing.articles))
            yield briefing_json(dataclasses.replace(briefing, articles=tuple(whole.get(a.slug, a)
                                                                             for a in briefing.articles)))
            return
        items = {"articles": self._articles(briefing, quotes=False), "quotes": self._articles(briefing, quotes=True),
                 "events": self._events(briefing), "stances": self._stances(runs)}
        placed = Layout()
        with _Splice(self._previous(previous, previous_content)) as out:
            cursor = 0
            for name in sorted(_LISTS, key=lambda n: text.index(placeholders[n])):
                at = text.index(placeholders[name])
                yield from out.text(text[cursor:at] + "[")
                cursor = at + len(placeholders[name])
                count = 0
                for place, piece in items[name]:
                    yield from out.text(",\n" if count else "\n")
                    start = out.size
                    yield from out.text(piece) if isinstance(piece, str) else out.copy(*piece)
                    placed.add(place, start, out.size)
                    count += 1
                yield from out.text("\n  ]" if count else "]")
            yield from out.text(text[cursor:])
            yield from out.flush()
            placed.size = out.size
            self.layout = placed.sorted()
        if self.cache:
            self.cache.save_fragments(self.new, [key for key in self.cache.fragment_keys() if key not in self.used])
            self.new = {}

    def written(self, content: bytes) -> None:
        """Store where the file just made, whose bytes' digest is `content`, holds each item."""
        if self.cache and self.layout is not None:
            self.cache.save_layout((content, self.layout))

    def _previous(self, path: Path | None, content: bytes | None) -> int | None:
        """The previous file, open, when the stored layout is of its bytes (then in self.old)."""
        stored = self.cache.layout() if self.cache and path is not None and content is not None else None
        if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == content
                and isinstance(stored[1], Layout)):
            return None
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        if os.fstat(fd).st_size != stored[1].size:
            os.close(fd)
            return None
        self.old = stored[1]
        return fd

    def _cached(self, kind: bytes, wanted: Iterator[tuple[bytes, Callable[[], str], bool]]) \
            -> Iterator[tuple[bytes, str | tuple[int, int]]]:
        """(place, text or span) of each (key, make, keep) in turn. The place is the item's in the layout
        (`kind`, the list's initial, and its key); an item the previous file holds is its span there.
        Otherwise its text: made this build, stored, or made now (and stored, when `keep`). Stored texts
        are read a batch at a time (one query for hundreds)."""
        batch: list[tuple[bytes, Callable[[], str], bool]] = []
        for item in wanted:
            batch.append(item)
            if len(batch) == _FRAGMENT_BATCH:
                yield from self._texts(kind, batch)
                batch = []
        yield from self._texts(kind, batch)

    def _texts(self, kind: bytes, batch: list[tuple[bytes, Callable[[], str], bool]]) \
            -> Iterator[tuple[bytes, str | tuple[int, int]]]:
        places = [kind + key for key, _, _ in batch]
        spans = [self.old.get(place) for place in places]
        missing = [key for (key, _, keep), span in zip(batch, spans) if keep and span is None and key not in self.new]
        stored = self.cache.fragments(missing) if self.cache and missing else {}
        for (key, make, keep), place, span in zip(batch, places, spans):
            self.used.add(key)
            if span is not None:
                yield place, span
                continue
            text = (self.new.get(key) or stored.get(key)) if keep else None
            if text is None:
                text = make()
                if keep and self.cache:
                    self.new[key] = text
            yield place, text
        if len(self.new) >= _UNSAVED_MAX:  # stored as they come rather than held (~70 MB at 10,000 articles)
            self.cache.save_fragments(self.new, [])
            self.new = {}

    def _articles(self, briefing: Briefing, quotes: bool) -> Iterator[tuple[bytes, str | tuple[int, int]]]:
        def wanted():
            for article in briefing.articles:
                if quotes and not article.quotes:
                    continue
                entry = self.entries.get(article.slug)
                key = b"a" + (entry.full if entry is not None else value_digest(article))
                if entry is not None and entry.data is not None:
                    # Parsed this build: its texts are at hand, and the parse stored them under this key.
                    yield key, lambda data=entry.data: joined_fragments(data), False
                else:
                    yield key, lambda article=article: joined_fragments(article_fragments(
                        self.whole([article]).get(article.slug, article))), True

        for place, texts in self._cached(b"q" if quotes else b"a", wanted()):
            if isinstance(texts, str):
                item, *quoted = texts.split("\x00")
                texts = ",\n".join(quoted) if quotes else item
            yield place, texts

    def _events(self, briefing: Briefing) -> Iterator[tuple[bytes, str | tuple[int, int]]]:
        yield from self._cached(b"e", ((b"e" + self.event_keys[event.id], lambda event=event: _item_text(
            briefing_data(dataclasses.replace(_EMPTY, events=(event,)))["events"][0]), True)
            for event in briefing.events))

    def _stances(self, runs) -> Iterator[tuple[bytes, str | tuple[int, int]]]:
        for place, texts in self._cached(b"s", ((b"s" + self._run_key(run), lambda run=run: "\x00".join(
                _item_text(item) for item in briefing_data(dataclasses.replace(_EMPTY, stances=tuple(run)))["stances"]),
                True) for run in runs)):
            yield place, texts.replace("\x00", ",\n") if isinstance(texts, str) else texts

    def _run_key(self, run) -> bytes:
        """The key of a leader's stances on a topic. Each stance is its article's (whose head digest,
        made when it was parsed, holds all its stances) and is told apart from the article's others
        by what it says; digesting the stances themselves cost a second at 10,000 articles."""
        parts = []
        for stance in run:
            entry = self.entries.get(stance.citation.article)
            parts.append((entry.head, stance.who, stance.topic, stance.stance, stance.detail) if entry is not None
                         else value_digest(stance))
        return digest("stances", *parts)


_FRAGMENT_BATCH = 500
_UNSAVED_MAX = 5000


def _stance_runs(stances) -> list[list] | None:
    """The stances as runs of one (leader, topic) history each (its last stance is the current one);
    None when a history is not in one piece, which the export's items could not say."""
    runs, seen = [], set()
    for stance in stances:
        pair = (stance.who, stance.topic)
        if runs and (runs[-1][0].who, runs[-1][0].topic) == pair:
            runs[-1].append(stance)
        elif pair in seen:
            return None
        else:
            seen.add(pair)
            runs.append([stance])
    return runs


class Layout:
    """Where a file holds each item: its place (its list's initial and its key) -> (start, end) in
    bytes. Kept as a sorted list of places and an array of offsets rather than a dict of tuples: at
    10,000 articles, ~5 MB for ~65,000 items rather than ~20 MB."""

    def __init__(self):
        self.places: list[bytes] = []
        self.spans = array.array("q")  # start, end of each place in turn
        self.size = 0  # of the whole file

    def add(self, place: bytes, start: int, end: int) -> None:
        self.places.append(place)
        self.spans.extend((start, end))

    def sorted(self) -> Layout:
        order = sorted(range(len(self.places)), key=self.places.__getitem__)
        out = Layout()
        out.size = self.size
        out.places = [self.places[n] for n in order]
        for n in order:
            out.spans.extend(self.spans[2 * n:2 * n + 2])
        return out

    def get(self, place: bytes) -> tuple[int, int] | None:
        """Of a sorted layout: the span of `place`, or None."""
        n = bisect.bisect_left(self.places, place)
        if n == len(self.places) or self.places[n] != place:
            return None
        return self.spans[2 * n], self.spans[2 * n + 1]


_JOIN_MAX = 256  # bytes of text between two spans of the previous file that may join them


class _Splice:
    """The file's bytes, made of texts and of spans of the previous file, handed on in pieces of
    256 KB to 1 MB. A span that follows another span in the previous file, with just the texts
    between them there, extends it: unchanged stretches are copied whole."""

    def __init__(self, previous: int | None):
        self.fd = previous  # read with pread, not mapped: a mapping's pages would count as the build's memory
        self.parts: list[bytes] = []  # made, not handed on yet
        self.buffered = 0
        self.span: tuple[int, int] | None = None  # of the previous file, to hand on before self.tail
        self.tail: list[bytes] = []
        self.size = 0  # of everything so far
        self.ahead: tuple[int, bytes] = (0, b"")  # a stretch of the previous file, read ahead of the spans

    def __enter__(self) -> _Splice:
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)

    def text(self, text: str) -> Iterator[bytes]:
        data = text.encode("utf-8", "backslashreplace")
        self.size += len(data)
        if self.span is not None:
            self.tail.append(data)
            if sum(len(part) for part in self.tail) <= _JOIN_MAX:
                return  # perhaps just what stands between this span and the next in the previous file
            yield from self._span()
        else:
            self.parts.append(data)
            self.buffered += len(data)
        if self.buffered >= 1 << 18:
            yield from self._parts()

    def copy(self, start: int, end: int) -> Iterator[bytes]:
        """The bytes of the previous file from `start` to `end`."""
        if self.fd is None:
            raise ValueError("a span of a previous file that is not there")
        self.size += end - start
        if self.span is not None:
            between = b"".join(self.tail)
            if self.span[1] + len(between) == start and self._previous(self.span[1], len(between)) == between:
                self.span, self.tail = (self.span[0], end), []
                return
            yield from self._span()
        yield from self._parts()
        self.span = (start, end)

    def _previous(self, start: int, size: int) -> bytes:
        """`size` bytes of the previous file from `start`, read a megabyte at a time: the spans come
        in the file's order, so an export at 10,000 articles makes ~180 reads rather than one for
        each of its ~100,000 spans (~0.4 s of an edit's build, sampled)."""
        at, data = self.ahead
        if not at <= start <= start + size <= at + len(data):
            at, data = self.ahead = start, os.pread(self.fd, max(size, 1 << 20), start)
        return data[start - at:start - at + size]

    def flush(self) -> Iterator[bytes]:
        yield from self._span()
        yield from self._parts()

    def _span(self) -> Iterator[bytes]:
        if self.span is None:
            return
        yield from self._parts()
        start, end = self.span
        for at in range(start, end, 1 << 20):
            wanted = min(end, at + (1 << 20)) - at
            piece = os.pread(self.fd, wanted, at)
            if len(piece) != wanted:
                raise ValueError("the previous file is shorter than its layout says")
            yield piece
        self.span, self.parts, self.tail = None, self.tail, []
        self.buffered = sum(len(part) for part in self.parts)

    def _parts(self) -> Iterator[bytes]:
        if self.parts:
            yield b"".join(self.parts)
            self.parts, self.buffered = [], 0
