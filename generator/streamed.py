"""Views made as they are read, for the pages that list everything.

The timeline lists every event of the briefing; at 10,000 articles that is
~45,000 events, and their views (dicts of dates, leaders, citations), their
JSON-LD and the strings rendered from them took ~300 MB at once. An `Each`
stands for such a list: it holds the model's items and makes an item's
view only when a template (or the view digest, or `tojson`) reaches it, so
a page holds one view at a time. It reads like a read-only list (len,
iteration, indexing, truth), and is made again from the same items every
time it is read. `tojson_parts` writes JSON that holds one, an item at a time,
and `MarkupParts` keeps a large piece of HTML in the parts it was made in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence

import jinja2
from markupsafe import Markup


class Each(Sequence):
    """`[make(item) for item in items]`, made an item at a time as it is read."""

    __slots__ = ("make", "items")

    def __init__(self, make: Callable, items: Sequence):
        self.make, self.items = make, items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.make(item) for item in self.items[index]]
        return self.make(self.items[index])

    def __iter__(self):
        return map(self.make, self.items)

    def __eq__(self, other) -> bool:
        return isinstance(other, (Each, list)) and list(self) == list(other)

    __hash__ = None

    def __reduce__(self):
        # Pickled (for a page's view digest) as the list it stands for: pickle draws list items from an
        # iterator a batch at a time, so the digest never holds every view either.
        return list, (), None, iter(self)

    def __repr__(self) -> str:
        return f"Each({len(self)} items)"


class MarkupParts(tuple):
    """Markup (HTML a template does not escape) kept in the parts it was made in: a template writes
    it a part at a time (`{% for part in x %}{{ part }}{% endfor %}`), or whole (`{{ x }}`, which
    joins it). The timeline's overview at 10,000 articles is 16 million characters: joined, and
    copied into one Markup, it was held three times over."""

    def __new__(cls, parts):
        return super().__new__(cls, (Markup(part) for part in parts))

    def __html__(self) -> str:
        return "".join(self)

    def __str__(self) -> str:
        return "".join(self)


def dumps(value, **options) -> str:
    """`json.dumps(value, **options)`, where an `Each` is written as the list it stands for (the
    `tojson` of a template that does not use `tojson_parts`)."""
    return "".join(_pieces(value, json.JSONEncoder(default=_listed, **options)))


@jinja2.pass_environment
def tojson_parts(environment: jinja2.Environment, value) -> Iterator[Markup]:
    """`value|tojson`, in parts that join to what `tojson` gives: the timeline's JSON-LD (28 MB at
    10,000 articles) is written an event at a time, never held as one string. Like `tojson`, each
    part has <, >, & and ' escaped, so the data cannot end a <script> element."""
    encoder = json.JSONEncoder(default=_listed, **environment.policies["json.dumps_kwargs"])
    for piece in _pieces(value, encoder):
        yield Markup(piece.replace("<", "\\u003c").replace(">", "\\u003e")
                     .replace("&", "\\u0026").replace("'", "\\u0027"))


def _holds_each(value) -> bool:
    return isinstance(value, Each) or (isinstance(value, dict) and any(_holds_each(v) for v in value.values()))


def _pieces(value, encoder: json.JSONEncoder) -> Iterator[str]:
    if encoder.indent is not None or not _holds_each(value):
        yield encoder.encode(value)
    elif isinstance(value, Each):
        yield "["
        for n, item in enumerate(value):
            if n:
                yield encoder.item_separator
            yield from _pieces(item, encoder)
        yield "]"
    else:
        yield "{"
        for n, (key, item) in enumerate(sorted(value.items()) if encoder.sort_keys else value.items()):
            if n:
                yield encoder.item_separator
            yield encoder.encode(key)
            yield encoder.key_separator
            yield from _pieces(item, encoder)
        yield "}"


def _listed(value):
    if isinstance(value, Each):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
