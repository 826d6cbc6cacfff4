"""data/briefing.json, put together from pieces.

exports.briefing_json writes the whole model as indented JSON, which Python's json module does
in pure Python: the slowest file of a large site. Its top-level lists (articles, events, quotes,
stances) hold items that each depend on one object of the model, so the file is put together
from the items' own texts, each made by exports.briefing_data itself (on a briefing holding that
one object) and kept in the build cache under its object's digest. The result is byte for byte
briefing_json's (json.dumps(indent=2) writes an item in a list in a dict as the item's own dump,
each line indented four more spaces); where a placeholder cannot be found exactly once,
briefing_json is used.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Callable, Iterator

from .cache import BuildCache, digest, value_digest
from .exports import briefing_data, briefing_json
from .model import Article, Briefing

_LISTS = ("articles", "events", "quotes", "stances")


def _item_text(item) -> str:
    return "\n".join("    " + line for line in json.dumps(item, ensure_ascii=False, indent=2).split("\n"))


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
    """Makes data/briefing.json from cached item texts (see above), streamed a piece at a time.

    `entries`: this build's parse entries by article slug (article_cache.ParseEntry: its `full` digest,
    and its items' texts when parsed in this build); `event_keys`: each merged event's dependency key;
    `whole`: articles loaded without their body, whole, by slug (article_cache.ArticleCache.whole): an
    item whose text is not stored is made of the whole article."""

    def __init__(self, cache: BuildCache | None, entries: dict, event_keys: dict[str, bytes],
                 whole: Callable[[list[Article]], dict[str, Article]]):
        self.cache, self.entries, self.event_keys, self.whole = cache, entries, event_keys, whole
        self.new: dict[bytes, str] = {}
        self.used: set[bytes] = set()

    def __call__(self, briefing: Briefing) -> Iterator[bytes]:
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
        sizes = {"articles": len(briefing.articles), "quotes": sum(len(a.quotes) for a in briefing.articles),
                 "events": len(briefing.events), "stances": len(briefing.stances)}
        out = _Chunks()
        cursor = 0
        for name in sorted(_LISTS, key=lambda n: text.index(placeholders[n])):
            at = text.index(placeholders[name])
            yield from out.add(text[cursor:at])
            cursor = at + len(placeholders[name])
            if not sizes[name]:
                yield from out.add("[]")
                continue
            yield from out.add("[\n")
            for n, item in enumerate(items[name]):
                yield from out.add(",\n" + item if n else item)
            yield from out.add("\n  ]")
        yield from out.add(text[cursor:])
        yield from out.flush()
        if self.cache:
            self.cache.save_fragments(self.new, [key for key in self.cache.fragment_keys() if key not in self.used])
            self.new = {}

    def _cached(self, wanted: Iterator[tuple[bytes | None, Callable[[], str]]]) -> Iterator[str]:
        """The text of each (key, make) in turn: made this build, stored, or made now (a key of None:
        made now, not kept). Stored texts are read a batch at a time (one query for hundreds)."""
        batch: list[tuple[bytes | None, Callable[[], str]]] = []
        for pair in wanted:
            batch.append(pair)
            if len(batch) == _FRAGMENT_BATCH:
                yield from self._texts(batch)
                batch = []
        yield from self._texts(batch)

    def _texts(self, batch: list[tuple[bytes | None, Callable[[], str]]]) -> Iterator[str]:
        missing = [key for key, _ in batch if key is not None and key not in self.new]
        stored = self.cache.fragments(missing) if self.cache and missing else {}
        for key, make in batch:
            if key is None:  # nothing to look up or keep
                yield make()
                continue
            self.used.add(key)
            text = self.new.get(key) or stored.get(key)
            if text is None:
                text = make()
                if self.cache:
                    self.new[key] = text
            yield text
        if len(self.new) >= _UNSAVED_MAX:  # stored as they come rather than held (~70 MB at 10,000 articles)
            self.cache.save_fragments(self.new, [])
            self.new = {}

    def _articles(self, briefing: Briefing, quotes: bool) -> Iterator[str]:
        def wanted():
            for article in briefing.articles:
                if quotes and not article.quotes:
                    continue
                entry = self.entries.get(article.slug)
                if entry is not None and entry.data is not None:
                    texts = joined_fragments(entry.data)
                    yield None, lambda texts=texts: texts  # parsed this build: its texts are at hand
                else:
                    key = b"a" + (entry.full if entry is not None else value_digest(article))
                    yield key, lambda article=article: joined_fragments(article_fragments(
                        self.whole([article]).get(article.slug, article)))

        for texts in self._cached(wanted()):
            item, *quoted = texts.split("\x00")
            yield from quoted if quotes else (item,)

    def _events(self, briefing: Briefing) -> Iterator[str]:
        yield from self._cached((b"e" + self.event_keys[event.id], lambda event=event: _item_text(
            briefing_data(dataclasses.replace(_EMPTY, events=(event,)))["events"][0])) for event in briefing.events)

    def _stances(self, runs) -> Iterator[str]:
        for texts in self._cached((b"s" + self._run_key(run), lambda run=run: "\x00".join(
                _item_text(item) for item in briefing_data(dataclasses.replace(_EMPTY, stances=tuple(run)))["stances"]))
                for run in runs):
            yield from texts.split("\x00")

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


class _Chunks:
    """Collects text and hands it on as UTF-8 in pieces of about 256 KB (as briefing_json encodes)."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> Iterator[bytes]:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= 1 << 18:
            yield from self.flush()

    def flush(self) -> Iterator[bytes]:
        if self.parts:
            yield "".join(self.parts).encode("utf-8", "backslashreplace")
            self.parts, self.size = [], 0
